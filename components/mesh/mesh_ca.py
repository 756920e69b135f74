"""MeshCA: the mesh's root of trust and an intermediate CA per cluster, with pulumi-tls.

The profiles follow Istio's own certificate tooling (istio/istio tools/certs/common.mk): the root is a
CA that signs certificates and CRLs, each cluster's istiod signs workload certificates with its own
intermediate (CA, path length 0), and every intermediate chains to the same root, so a workload in one
cloud verifies a workload in the other. Private keys are secret Outputs from end to end.

Rotation: pulumi-tls reissues a certificate inside its early-renewal window only when `pulumi up`
runs (pulumi-tls #39), and Istio does not reload a plugged-in CA (istio #28575): run `pulumi up` on a
schedule, alarm on `expiries`, and restart istiod and then the workloads after a rotation. A protected
root is not replaced by its early renewal: `pulumi up` fails on it instead, which is the point, since a
new root re-roots the whole mesh and needs a planned trust window.

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

HOURS_PER_DAY = 24
# pulumi-tls `allowed_uses` values (key usages and extended key usages).
ROOT_USES = ("cert_signing", "crl_signing")
INTERMEDIATE_USES = ("cert_signing", "crl_signing", "digital_signature")
RSA_BITS = 4096
ECDSA_CURVE = "P384"
# The root may be followed by one CA (a cluster's intermediate); the intermediates by none.
ROOT_PATH_LENGTH = 1
INTERMEDIATE_PATH_LENGTH = 0


@dataclass(frozen=True)
class MeshCAArgs:
    ca: CaConfig
    mesh_id: str
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
        organization = f"crossmesh {args.mesh_id}"

        roots = {
            generation: self._root(name, generation, args, organization) for generation in ca.trust_order()
        }
        signing = roots[ca.signing_root]
        self.root_cert_pem = signing.cert.cert_pem
        self.trust_bundle_pem = pulumi.Output.concat(*(root.cert.cert_pem for root in roots.values()))
        self.expiries = {"root": signing.cert.validity_end_time}
        for generation, root in sorted(roots.items()):
            self.expiries[root_expiry_key(generation)] = root.cert.validity_end_time

        self.intermediates = {}
        for cluster in args.clusters:
            key = tls.PrivateKey(
                f"{name}-{cluster}-key", key_args(ca), opts=pulumi.ResourceOptions(parent=self)
            )
            request = tls.CertRequest(
                f"{name}-{cluster}-csr",
                tls.CertRequestArgs(
                    private_key_pem=key.private_key_pem,
                    subject=tls.CertRequestSubjectArgs(
                        common_name=f"{args.mesh_id} intermediate CA {cluster}",
                        organization=organization,
                        # As Istio's cert tooling does: the subject names the cluster it serves.
                        locality=cluster,
                    ),
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            # A new CA certificate or key forces a new certificate (RequiresReplace on ca_cert_pem and
            # ca_private_key_pem, hashicorp/terraform-provider-tls resource_locally_signed_cert.go), so
            # a new signingRoot reissues both intermediates under the same names.
            cert = tls.LocallySignedCert(
                f"{name}-{cluster}",
                tls.LocallySignedCertArgs(
                    cert_request_pem=request.cert_request_pem,
                    ca_cert_pem=signing.cert.cert_pem,
                    ca_private_key_pem=signing.key.private_key_pem,
                    validity_period_hours=ca.intermediate_validity_days * HOURS_PER_DAY,
                    early_renewal_hours=ca.early_renewal_days * HOURS_PER_DAY,
                    is_ca_certificate=True,
                    max_path_length=INTERMEDIATE_PATH_LENGTH,
                    allowed_uses=list(INTERMEDIATE_USES),
                    set_subject_key_id=True,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.expiries[cluster] = cert.validity_end_time
            self.intermediates[cluster] = Intermediate(
                cluster=cluster,
                cert_pem=cert.cert_pem,
                key_pem=pulumi.Output.secret(key.private_key_pem),
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

    def _root(self, name: str, generation: int, args: MeshCAArgs, organization: str) -> _Root:
        ca = args.ca
        suffix = root_suffix(generation)
        opts = pulumi.ResourceOptions(parent=self, protect=args.protect)
        key = tls.PrivateKey(f"{name}-root-key{suffix}", key_args(ca), opts=opts)
        # Generation 1 keeps its original subject. Later roots get their own, so that a verifier
        # that looks an issuer up by name never meets two roots under one name.
        common_name = f"{args.mesh_id} root CA" + ("" if generation == 1 else f" {generation}")
        cert = tls.SelfSignedCert(
            f"{name}-root{suffix}",
            tls.SelfSignedCertArgs(
                private_key_pem=key.private_key_pem,
                subject=tls.SelfSignedCertSubjectArgs(common_name=common_name, organization=organization),
                validity_period_hours=ca.root_validity_days * HOURS_PER_DAY,
                early_renewal_hours=ca.root_early_renewal_days * HOURS_PER_DAY,
                is_ca_certificate=True,
                max_path_length=ROOT_PATH_LENGTH,
                allowed_uses=list(ROOT_USES),
                set_subject_key_id=True,
            ),
            opts=opts,
        )
        return _Root(key=key, cert=cert)
