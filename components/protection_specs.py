"""What crossmesh holds critical: the resources whose replacement or deletion takes traffic or data down.

One definition for the whole project: `crossmesh diff` lists changes to these first, and the program
protects and retains from it (components/protection.py). A type is critical for every resource of it,
or, with `only_if`, for those whose inputs say so (a certificate is critical when it is a CA).

- `protect`: protected when the stack sets `crossmesh:protect` (production): `pulumi up` and
  `pulumi destroy` refuse to delete or replace it until it is deliberately unprotected. Off where a
  routine change must replace it: an intermediate CA renews by replacement, a node group rolls.
- `retain`: kept in the cloud when it leaves the program (`retainOnDelete`), in every stack, because
  deleting it loses data: what a KMS key encrypted, the workloads and volumes of a namespace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple


@dataclass(frozen=True)
class Critical:
    reason: str
    """What a replacement or deletion of it breaks."""
    only_if: tuple[str, Any] | None = None
    """(input, value): critical only when the resource sets that input (wire name) to that value."""
    protect: bool = True
    """Protected in stacks that protect (`crossmesh:protect: true`)."""
    retain: bool = False
    """Retained on delete in every stack: its deletion loses data."""
    replaced_routinely: bool = False
    """A routine change replaces it (a node group rolls, an intermediate renews): the day-2 rules
    (offline/day2.py) do not refuse its replacement as such."""
    group: str = ""
    """What the docs call this set of types."""


NETWORKS = "the networks"
LINK = "the link"
CLUSTERS = "the clusters"
PKI = "the CAs"
KEYS = "the KMS keys"
KUBERNETES = "Kubernetes"

CRITICAL: Mapping[str, Critical] = {
    "aws:ec2/vpc:Vpc": Critical(
        "the AWS VPC: every subnet, node, load balancer and attachment of the stack is in it", group=NETWORKS
    ),
    "aws:ec2/subnet:Subnet": Critical(
        "an AWS subnet: its nodes, load balancers and Transit Gateway attachment ENIs are in it",
        group=NETWORKS,
    ),
    "gcp:compute/network:Network": Critical(
        "the GCP VPC network: the GKE cluster, the HA VPN gateways and the Cloud Router are in it",
        group=NETWORKS,
    ),
    "gcp:compute/subnetwork:Subnetwork": Critical(
        "the GKE subnet: its nodes, pods, services and internal load balancers are in it", group=NETWORKS
    ),
    "aws:ec2transitgateway/transitGateway:TransitGateway": Critical(
        "the Transit Gateway: every attachment and route of the link hangs on it", group=LINK
    ),
    "aws:ec2transitgateway/vpcAttachment:VpcAttachment": Critical(
        "the VPC's attachment to the Transit Gateway: the link's AWS side", group=LINK
    ),
    "aws:directconnect/gatewayAssociation:GatewayAssociation": Critical(
        "the Transit Gateway's Direct Connect attachment: the interconnect's AWS side", group=LINK
    ),
    "aws:ec2/customerGateway:CustomerGateway": Critical(
        "a customer gateway: replacing it replaces its VPN connection", group=LINK
    ),
    "aws:ec2/vpnConnection:VpnConnection": Critical(
        "a Site-to-Site VPN connection: new outside addresses and keys for its two tunnels", group=LINK
    ),
    "gcp:compute/haVpnGateway:HaVpnGateway": Critical(
        "the HA VPN gateway: its group's tunnels end on it", group=LINK
    ),
    "gcp:compute/externalVpnGateway:ExternalVpnGateway": Critical(
        "the external VPN gateway: every GCP tunnel of its group points at it", group=LINK
    ),
    "gcp:compute/router:Router": Critical(
        "the Cloud Router: every BGP session of the link runs on it", group=LINK
    ),
    "aws:eks/cluster:Cluster": Critical(
        "the EKS control plane: a new one loses every workload and object", group=CLUSTERS
    ),
    "aws:eks/nodeGroup:NodeGroup": Critical(
        "the EKS nodes: a new group drains every pod of the old one",
        protect=False,
        replaced_routinely=True,
        group=CLUSTERS,
    ),
    "gcp:container/cluster:Cluster": Critical(
        "the GKE control plane: a new one loses every workload", group=CLUSTERS
    ),
    "gcp:container/nodePool:NodePool": Critical(
        "the GKE nodes: a new pool drains every pod of the old one",
        protect=False,
        replaced_routinely=True,
        group=CLUSTERS,
    ),
    "tls:index/selfSignedCert:SelfSignedCert": Critical(
        "the mesh's root CA: a new root breaks mTLS between workloads until all are re-issued",
        only_if=("isCaCertificate", True),
        group=PKI,
    ),
    "pulumi-python:dynamic/pki:IssuedCertificate": Critical(
        "a cluster's intermediate CA: a new one re-issues every workload certificate of that cluster",
        only_if=("isCaCertificate", True),
        # Renewed by replacement inside its early-renewal window, under the same root: routine.
        protect=False,
        replaced_routinely=True,
        group=PKI,
    ),
    "aws:kms/key:Key": Critical(
        "a KMS key: what it encrypted cannot be read with a new key", retain=True, group=KEYS
    ),
    "gcp:kms/cryptoKey:CryptoKey": Critical(
        "a Cloud KMS key: what it encrypted is lost with it", retain=True, group=KEYS
    ),
    "gcp:kms/keyRing:KeyRing": Critical(
        "a Cloud KMS key ring: it cannot be deleted, nor its name reused", retain=True, group=KEYS
    ),
    "pulumi:providers:kubernetes": Critical(
        "a Kubernetes provider: replacing it replaces every Kubernetes object it manages",
        # It holds nothing in a cloud: deleting it deletes nothing; the diff flags its replacement.
        protect=False,
        group=KUBERNETES,
    ),
    "kubernetes:core/v1:Namespace": Critical(
        "a namespace: deleting it deletes everything in it", retain=True, group=KUBERNETES
    ),
}


def critical_of(type_token: str, inputs: Mapping[str, Any]) -> Critical | None:
    """The definition that makes a resource of this type with these inputs critical, if one does.
    `inputs` are keyed by wire (camelCase) names, or by the SDK's Python names."""
    critical = CRITICAL.get(type_token)
    if critical is None:
        return None
    if critical.only_if is not None:
        key, value = critical.only_if
        if inputs.get(key, inputs.get(python_name(key))) != value:
            return None
    return critical


def critical_reason(type_token: str, inputs: Mapping[str, Any]) -> str | None:
    """Why a resource of this type with these inputs is critical, or None when it is not."""
    critical = critical_of(type_token, inputs)
    return critical.reason if critical is not None else None


class Protection(NamedTuple):
    protect: bool
    retain_on_delete: bool


def protection(type_token: str, inputs: Mapping[str, Any], stack_protects: bool) -> Protection:
    """Whether a resource is protected and retained on delete, in a stack that protects or not."""
    critical = critical_of(type_token, inputs)
    if critical is None:
        return Protection(False, False)
    return Protection(critical.protect and stack_protects, critical.retain)


def python_name(wire_name: str) -> str:
    """isCaCertificate -> is_ca_certificate: the key the SDK's argument classes use."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", wire_name).lower()
