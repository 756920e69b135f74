"""Leaf certificates from a cluster's intermediate, for workloads that read their TLS files from a
Secret (App Mesh's Envoy, Istio's gateway credentials) rather than from istiod.

A function, not a component: the key, request and certificate are children of the caller, so their
names and URNs stay those of the component that owns the workload.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_tls as tls

from components.mesh.mesh_ca import HOURS_PER_DAY, Intermediate

LEAF_CERT_DAYS = 90
LEAF_RENEWAL_DAYS = 30
LEAF_CERT_USES = ("digital_signature", "key_encipherment", "server_auth", "client_auth")


@dataclass(frozen=True)
class LeafCertificate:
    chain_pem: pulumi.Output[str]
    """The leaf followed by the intermediate that signed it."""
    key_pem: pulumi.Output[str]
    """Secret."""
    trust_bundle_pem: pulumi.Output[str]
    """Every root the mesh trusts: during a root rotation, both (docs/runbooks/rotate-ca.md)."""
    validity_end_time: pulumi.Output[str]

    def secret_files(self, *, chain: str, key: str, trust_bundle: str) -> pulumi.Output[dict[str, str]]:
        """The chain, key and trust bundle as the files of a Kubernetes Secret, under the names its
        reader expects; secret as a whole."""

        def files(pems: list[str]) -> dict[str, str]:
            return {chain: pems[0], key: pems[1], trust_bundle: pems[2]}

        data: pulumi.Output[dict[str, str]] = pulumi.Output.secret(
            pulumi.Output.all(self.chain_pem, self.key_pem, self.trust_bundle_pem).apply(files)
        )
        return data


def issue_leaf_certificate(
    name: str,
    intermediate: Intermediate,
    *,
    organization: str,
    uris: Sequence[str],
    dns_names: Sequence[str],
    parent: pulumi.Resource,
) -> LeafCertificate:
    """An ECDSA P-256 key and a 90-day certificate renewed 30 days early, for dns_names[0]."""
    opts = pulumi.ResourceOptions(parent=parent)
    key = tls.PrivateKey(f"{name}-key", tls.PrivateKeyArgs(algorithm="ECDSA", ecdsa_curve="P256"), opts=opts)
    request = tls.CertRequest(
        f"{name}-csr",
        tls.CertRequestArgs(
            private_key_pem=key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(common_name=dns_names[0], organization=organization),
            uris=list(uris),
            dns_names=list(dns_names),
        ),
        opts=opts,
    )
    cert = tls.LocallySignedCert(
        name,
        tls.LocallySignedCertArgs(
            cert_request_pem=request.cert_request_pem,
            ca_cert_pem=intermediate.cert_pem,
            ca_private_key_pem=intermediate.key_pem,
            validity_period_hours=LEAF_CERT_DAYS * HOURS_PER_DAY,
            early_renewal_hours=LEAF_RENEWAL_DAYS * HOURS_PER_DAY,
            allowed_uses=list(LEAF_CERT_USES),
        ),
        opts=opts,
    )
    return LeafCertificate(
        chain_pem=pulumi.Output.concat(cert.cert_pem, intermediate.cert_pem),
        key_pem=pulumi.Output.secret(key.private_key_pem),
        trust_bundle_pem=intermediate.trust_bundle_pem,
        validity_end_time=cert.validity_end_time,
    )
