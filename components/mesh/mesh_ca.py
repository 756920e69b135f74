"""MeshCA: the mesh's root of trust and an intermediate CA per cluster.

The profiles follow Istio's own certificate tooling (istio/istio tools/certs/common.mk): the root is a
CA that signs certificates and CRLs, each cluster's istiod signs workload certificates with its own
intermediate, and every intermediate chains to the same root, so a workload in one cloud verifies a
workload in the other. Private keys are secret Outputs from end to end.

The root is pulumi-tls (a self-signed certificate and its key). The intermediates are
`IssuedCertificate`s (docs/adr/0008-intermediates-and-leaves-issued-in-process.md): each certificate
says `pathlen:0` and permits URI names in the mesh's trust domain only, so a leaked intermediate key
can neither mint a CA that BoringSSL (Envoy) would follow nor an identity of another trust domain;
and each renewal or new signing root brings a new intermediate key.

Renewal: an intermediate is reissued (with a new key) by the first `pulumi up` inside its early-renewal
window, and Istio does not reload a plugged-in CA (istio #28575): the deploy workflow runs `pulumi up`
weekly, `expiries` feed the renewal alarms, and istiod restarts with the chain's fingerprint. The root
never renews itself: its early renewal is 0, so pulumi-tls would replace it only once it has expired.
A new root re-roots the whole mesh and goes through the trust window below; the pack rule
`xc-pki-root-rotation-due` and the root's alarm say when to start, `rootEarlyRenewalDays` ahead.

The trust window: `mesh.ca.roots` lists the root generations that exist and are trusted (at most two),
`mesh.ca.signingRoot` the one that signs the intermediates. Each generation is its own key and
self-signed certificate; generation 1 keeps the names a single-root stack always had, so adding a
generation never replaces it. Every workload trusts the whole bundle, so a root is introduced, made
the signer, and retired in three `pulumi up`s without a moment in which two workloads share no root
(docs/runbooks/rotate-ca.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_tls as tls

from components.config import CaConfig
from components.mesh import certificate_specs as specs
from components.mesh.issued_certificate import IssuedCertificate, IssuedCertificateArgs

HOURS_PER_DAY = specs.HOURS_PER_DAY
# pulumi-tls `allowed_uses` values (key usages and extended key usages).
ROOT_USES = ("cert_signing", "crl_signing")
INTERMEDIATE_USES = ("cert_signing", "crl_signing", "digital_signature")
RSA_BITS = 4096
ECDSA_CURVE = "P384"
# The root may be followed by one CA (a cluster's intermediate); the intermediates by none.
ROOT_PATH_LENGTH = 1
INTERMEDIATE_PATH_LENGTH = 0
# pulumi-tls replaces a certificate this long before its end; 0 means only once it has expired, so
# `pulumi up` never re-roots a mesh that still works (a new root goes through the trust window).
ROOT_EARLY_RENEWAL_HOURS = 0


@dataclass(frozen=True)
class MeshCAArgs:
    ca: CaConfig
    mesh_id: str
    trust_domain: str
    """The SPIFFE trust domain: the only URI host the intermediates may certify."""
    clusters: Sequence[str]
    """One name per cluster that gets an intermediate (the key of `intermediates`)."""
    protect: bool = False
    """Protect every root key and certificate: replacing one re-roots the whole mesh."""


@dataclass(frozen=True)
class Intermediate:
    """What a cluster's CA needs: its certificate and key, and the chain up to the root."""

    cluster: str
    cert_pem: pulumi.Output[str]
    key_pem: pulumi.Output[str]
    """Secret."""
    root_cert_pem: pulumi.Output[str]
    """The root that signed this intermediate."""
    chain_pem: pulumi.Output[str]
    """The intermediate followed by its root: Istio's cert-chain.pem."""
    trust_bundle_pem: pulumi.Output[str]
    """Every trusted root, the signing root first: Istio's root-cert.pem."""


def key_args(ca: CaConfig) -> tls.PrivateKeyArgs:
    if ca.key_algorithm == "RSA":
        return tls.PrivateKeyArgs(algorithm="RSA", rsa_bits=RSA_BITS)
    return tls.PrivateKeyArgs(algorithm="ECDSA", ecdsa_curve=ECDSA_CURVE)


def key_spec(ca: CaConfig) -> specs.KeySpec:
    if ca.key_algorithm == "RSA":
        return specs.KeySpec(algorithm="RSA", rsa_bits=RSA_BITS)
    return specs.KeySpec(algorithm="ECDSA", ecdsa_curve=ECDSA_CURVE)


def intermediate_spec(ca: CaConfig, mesh_id: str, trust_domain: str, cluster: str) -> specs.CertificateSpec:
    return specs.CertificateSpec(
        common_name=specs.intermediate_common_name(mesh_id, cluster),
        organization=specs.organization(mesh_id),
        # As Istio's cert tooling does: the subject names the cluster it serves.
        locality=cluster,
        is_ca=True,
        max_path_length=INTERMEDIATE_PATH_LENGTH,
        permitted_uri_domains=(trust_domain,),
        allowed_uses=INTERMEDIATE_USES,
        validity_hours=ca.intermediate_validity_days * HOURS_PER_DAY,
    )


@dataclass(frozen=True)
class _Root:
    key: tls.PrivateKey
    cert: tls.SelfSignedCert


def root_suffix(generation: int) -> str:
    """Generation 1 is the root every stack started with and keeps its original names."""
    return "" if generation == 1 else f"-g{generation}"


def root_expiry_key(generation: int) -> str:
    return f"root-g{generation}"


class MeshCA(pulumi.ComponentResource):
    root_cert_pem: pulumi.Output[str]
    """The signing root."""
    trust_bundle_pem: pulumi.Output[str]
    """Every trusted root, the signing root first."""
    intermediates: dict[str, Intermediate]
    expiries: dict[str, pulumi.Output[str]]
    """RFC 3339 end of validity of the signing root ("root"), of every trusted root ("root-g<n>") and
    of each cluster's intermediate."""

    def __init__(self, name: str, args: MeshCAArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crossmesh:pki:MeshCA", name, None, opts)
        ca = args.ca

        roots = {generation: self._root(name, generation, args) for generation in ca.trust_order()}
        signing = roots[ca.signing_root]
        self.root_cert_pem = signing.cert.cert_pem
        self.trust_bundle_pem = pulumi.Output.concat(*(root.cert.cert_pem for root in roots.values()))
        self.expiries = {"root": signing.cert.validity_end_time}
        for generation, root in sorted(roots.items()):
            self.expiries[root_expiry_key(generation)] = root.cert.validity_end_time

        self.intermediates = {}
        for cluster in args.clusters:
            # A new signing root changes issuerCertPem, which replaces the intermediate: new key included.
            cert = IssuedCertificate(
                f"{name}-{cluster}",
                IssuedCertificateArgs(
                    issuer_cert_pem=signing.cert.cert_pem,
                    issuer_private_key_pem=signing.key.private_key_pem,
                    key=key_spec(ca),
                    spec=intermediate_spec(ca, args.mesh_id, args.trust_domain, cluster),
                    early_renewal_hours=ca.early_renewal_days * HOURS_PER_DAY,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.expiries[cluster] = cert.validity_end_time
            self.intermediates[cluster] = Intermediate(
                cluster=cluster,
                cert_pem=cert.cert_pem,
                key_pem=pulumi.Output.secret(cert.private_key_pem),
                root_cert_pem=signing.cert.cert_pem,
                chain_pem=pulumi.Output.concat(cert.cert_pem, signing.cert.cert_pem),
                trust_bundle_pem=self.trust_bundle_pem,
            )

        self.register_outputs(
            {
                "rootCertPem": self.root_cert_pem,
                "trustBundlePem": self.trust_bundle_pem,
                "intermediateCertPems": {c: i.cert_pem for c, i in self.intermediates.items()},
                "expiries": self.expiries,
            }
        )

    def _root(self, name: str, generation: int, args: MeshCAArgs) -> _Root:
        ca = args.ca
        suffix = root_suffix(generation)
        opts = pulumi.ResourceOptions(parent=self, protect=args.protect)
        key = tls.PrivateKey(f"{name}-root-key{suffix}", key_args(ca), opts=opts)
        cert = tls.SelfSignedCert(
            f"{name}-root{suffix}",
            tls.SelfSignedCertArgs(
                private_key_pem=key.private_key_pem,
                subject=tls.SelfSignedCertSubjectArgs(
                    common_name=specs.root_common_name(args.mesh_id, generation),
                    organization=specs.organization(args.mesh_id),
                ),
                validity_period_hours=ca.root_validity_days * HOURS_PER_DAY,
                # An in-place update (early_renewal_hours does not force replacement in
                # terraform-provider-tls), so stacks created with a root early renewal keep their root.
                early_renewal_hours=ROOT_EARLY_RENEWAL_HOURS,
                is_ca_certificate=True,
                max_path_length=ROOT_PATH_LENGTH,
                allowed_uses=list(ROOT_USES),
                set_subject_key_id=True,
            ),
            opts=opts,
        )
        return _Root(key=key, cert=cert)
