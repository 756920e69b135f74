"""Leaf certificates from a cluster's intermediate, for workloads that read their TLS files from a
Secret (App Mesh's Envoy, Istio's gateway credentials) rather than from istiod.

A function, not a component: the certificate is a child of the caller, so its name and URN stay
those of the component that owns the workload. Key and certificate are one `IssuedCertificate`: a
renewal, and a renewed intermediate, bring a new key with the new certificate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.mesh import certificate_specs as specs
from components.mesh.issued_certificate import IssuedCertificate, IssuedCertificateArgs
from components.mesh.mesh_ca import HOURS_PER_DAY, Intermediate

LEAF_CERT_DAYS = 90
LEAF_RENEWAL_DAYS = 30
# ECDSA keys sign; key_encipherment is an RSA key-transport usage and means nothing here.
LEAF_CERT_USES = ("digital_signature", "server_auth", "client_auth")
LEAF_KEY = specs.KeySpec(algorithm="ECDSA", ecdsa_curve="P256")


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


def leaf_spec(organization: str, uris: Sequence[str], dns_names: Sequence[str]) -> specs.CertificateSpec:
    """No common name: the SANs carry the identity, and a DNS name may be longer than the 64
    characters X.509 allows a common name."""
    return specs.CertificateSpec(
        organization=organization,
        uris=tuple(uris),
        dns_names=tuple(dns_names),
        allowed_uses=LEAF_CERT_USES,
        validity_hours=LEAF_CERT_DAYS * HOURS_PER_DAY,
    )


def issue_leaf_certificate(
    name: str,
    intermediate: Intermediate,
    *,
    organization: str,
    uris: Sequence[str],
    dns_names: Sequence[str],
    parent: pulumi.Resource,
) -> LeafCertificate:
    """An ECDSA P-256 key and a 90-day certificate renewed 30 days early, ending no later than its
    intermediate, and reissued whenever the intermediate is."""
    cert = IssuedCertificate(
        name,
        IssuedCertificateArgs(
            issuer_cert_pem=intermediate.cert_pem,
            issuer_private_key_pem=intermediate.key_pem,
            key=LEAF_KEY,
            spec=leaf_spec(organization, uris, dns_names),
            early_renewal_hours=LEAF_RENEWAL_DAYS * HOURS_PER_DAY,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return LeafCertificate(
        chain_pem=pulumi.Output.concat(cert.cert_pem, intermediate.cert_pem),
        key_pem=pulumi.Output.secret(cert.private_key_pem),
        trust_bundle_pem=intermediate.trust_bundle_pem,
        validity_end_time=cert.validity_end_time,
    )
