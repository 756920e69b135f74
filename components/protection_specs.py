"""What crossmesh holds critical: the resources whose replacement or deletion takes traffic or data down.

One definition for the whole project: `crossmesh diff` lists changes to these first, and the program
decides from it what to protect and retain. A type is critical for every resource of it, or, with
`only_if`, for those whose inputs say so (a certificate is critical when it is a CA).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Critical:
    reason: str
    """What a replacement or deletion of it breaks."""
    only_if: tuple[str, Any] | None = None
    """(input, value): critical only when the resource sets that input to that value."""


CRITICAL: Mapping[str, Critical] = {
    "aws:eks/cluster:Cluster": Critical("the EKS control plane: a new one loses every workload and object"),
    "aws:eks/nodeGroup:NodeGroup": Critical("the EKS nodes: a new group drains every pod of the old one"),
    "gcp:container/cluster:Cluster": Critical("the GKE control plane: a new one loses every workload"),
    "gcp:container/nodePool:NodePool": Critical("the GKE nodes: a new pool drains every pod of the old one"),
    "aws:ec2transitgateway/transitGateway:TransitGateway": Critical(
        "the Transit Gateway: every attachment and route of the link hangs on it"
    ),
    "aws:ec2transitgateway/vpcAttachment:VpcAttachment": Critical(
        "the VPC's attachment to the Transit Gateway: the link's AWS side"
    ),
    "aws:directconnect/gatewayAssociation:GatewayAssociation": Critical(
        "the Transit Gateway's Direct Connect attachment: the interconnect's AWS side"
    ),
    "aws:ec2/vpnConnection:VpnConnection": Critical(
        "a Site-to-Site VPN connection: new outside addresses and keys for its two tunnels"
    ),
    "gcp:compute/haVpnGateway:HaVpnGateway": Critical("the HA VPN gateway: its group's tunnels end on it"),
    "gcp:compute/externalVpnGateway:ExternalVpnGateway": Critical(
        "the external VPN gateway: every GCP tunnel of its group points at it"
    ),
    "gcp:compute/router:Router": Critical("the Cloud Router: every BGP session of the link runs on it"),
    "tls:index/selfSignedCert:SelfSignedCert": Critical(
        "the mesh's root CA: a new root breaks mTLS between workloads until all are re-issued",
        only_if=("isCaCertificate", True),
    ),
    "tls:index/locallySignedCert:LocallySignedCert": Critical(
        "a cluster's intermediate CA: a new one re-issues every workload certificate of that cluster",
        only_if=("isCaCertificate", True),
    ),
    "aws:kms/key:Key": Critical("a KMS key: what it encrypted cannot be read with a new key"),
    "gcp:kms/cryptoKey:CryptoKey": Critical("a Cloud KMS key: what it encrypted is lost with it"),
    "gcp:kms/keyRing:KeyRing": Critical("a Cloud KMS key ring: it cannot be deleted, nor its name reused"),
    "pulumi:providers:kubernetes": Critical(
        "a Kubernetes provider: replacing it replaces every Kubernetes object it manages"
    ),
    "kubernetes:core/v1:Namespace": Critical("a namespace: deleting it deletes everything in it"),
}


def critical_reason(type_token: str, inputs: Mapping[str, Any]) -> str | None:
    """Why a resource of this type with these inputs is critical, or None when it is not."""
    critical = CRITICAL.get(type_token)
    if critical is None:
        return None
    if critical.only_if is not None:
        key, value = critical.only_if
        if inputs.get(key) != value:
            return None
    return critical.reason
