"""Real keys and certificates for a plan's PKI, issued from its inputs, in place of the engine's fake PEMs.

- `tls:index/privateKey` and `tls:index/selfSignedCert` (the root) are issued with pulumi-tls's
  semantics: terraform-provider-tls internal/provider/common_cert.go, createCertificate
  (hashicorp/terraform-provider-tls at d72d90e, 2026-04-28; pulumi-tls pins the 2026-05-13
  pseudo-version 609226f53114, not in the snapshot read; this code is unchanged since 0f1ff7e of
  2025-10-20). It fills a Go x509.Certificate template: serial below 2^128, NotBefore now, key usages
  critical, basic constraints critical, the subject key ID as SHA-1 of the public key, `MaxPathLen`
  from max_path_length but never `MaxPathLenZero`, so that Go's crypto/x509 writes no
  pathLenConstraint for 0 (its documented meaning of MaxPathLen 0 without MaxPathLenZero), and no
  authority key ID on a self-signed certificate.
- `IssuedCertificate`s (intermediates and leaves) are issued by the provider's own code
  (components/mesh/issued_certificate.py), and `Issuer.apply` replaces them exactly when the
  provider's diff would: successive plans are successive `pulumi up`s of one stack.
- istiod's workload certificates are issued as Istio's CA does from its plug-in `cacerts`
  (security/pkg/pki/util/generate_cert.go, genCertTemplateFromCSR): empty subject, the SPIFFE ID as a
  critical URI SAN, digitalSignature and keyEncipherment, serverAuth and clientAuth, 24 hours, sent with
  cert-chain.pem behind it.

Keys are cached by resource URN for the whole test process, and an RSA key request can be answered
with ECDSA (`key_override`) where a test's assertion does not depend on the algorithm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from components.mesh import certificate_specs as specs
from components.mesh.issued_certificate import issued_outputs, key_spec_from, replacement_reasons
from offline.record import Plan, reveal
from tests.support.plans import on_disk
from tests.support.types import ISSUED_CERTIFICATE, TLS_PRIVATE_KEY, TLS_SELF_SIGNED_CERT

PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----\n.*?\n-----END \1-----\n", re.DOTALL)
FAST_KEYS = specs.KeySpec(algorithm="ECDSA", ecdsa_curve="P384")
WORKLOAD_KEY = specs.KeySpec(algorithm="ECDSA", ecdsa_curve="P256")
ISTIO_WORKLOAD_TTL = timedelta(hours=24)


@cache
def key_of(name: str, key: specs.KeySpec) -> specs.PrivateKey:
    """One key per name and kind, shared by the test processes of a run and the runs after it: an
    RSA-4096 key takes seconds to make, and no test depends on a key being new."""

    def pem() -> bytes:
        return specs.generate_key(key).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    loaded = serialization.load_pem_private_key(on_disk(f"test key\0{name}\0{key}", pem), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    return loaded


def tls_key_spec(inputs: dict[str, Any]) -> specs.KeySpec:
    if inputs.get("algorithm", "RSA") == "RSA":
        return specs.KeySpec(algorithm="RSA", rsa_bits=int(inputs.get("rsaBits", 2048)))
    return specs.KeySpec(algorithm="ECDSA", ecdsa_curve=str(inputs.get("ecdsaCurve", "P224")))


def like_pulumi_tls(
    inputs: dict[str, Any],
    public_key: specs.PublicKey,
    issuer: tuple[x509.Certificate, specs.PrivateKey] | None,
    signing_key: specs.PrivateKey,
    now: datetime,
) -> x509.Certificate:
    """A self-signed (issuer None) or locally signed certificate as terraform-provider-tls makes it."""
    subject = inputs.get("subject") or {}
    name = x509.Name(
        [
            x509.NameAttribute(oid, subject[key])
            for key, oid in (("organization", NameOID.ORGANIZATION_NAME), ("commonName", NameOID.COMMON_NAME))
            if subject.get(key)
        ]
    )
    uses = list(inputs.get("allowedUses") or [])
    path_length = int(inputs.get("maxPathLength", -1))
    is_ca = bool(inputs.get("isCaCertificate"))
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer[0].subject if issuer else name)
        .public_key(public_key)
        .serial_number(int.from_bytes(x509.random_serial_number().to_bytes(20, "big")[:16], "big"))
        .not_valid_before(now)
        .not_valid_after(now + timedelta(hours=int(inputs["validityPeriodHours"])))
        .add_extension(specs.key_usage(uses), critical=True)
        # Go writes pathLenConstraint only for MaxPathLen > 0 unless MaxPathLenZero is set.
        .add_extension(
            x509.BasicConstraints(ca=is_ca, path_length=path_length if is_ca and path_length > 0 else None),
            critical=True,
        )
    )
    extended = [specs.EXTENDED_KEY_USAGES[u] for u in uses if u in specs.EXTENDED_KEY_USAGES]
    if extended:
        builder = builder.add_extension(x509.ExtendedKeyUsage(extended), critical=False)
    if is_ca or inputs.get("setSubjectKeyId"):
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(specs.certified_key(issuer[0])), critical=False
        )
    return builder.sign(signing_key, specs.signing_digest(signing_key))


@dataclass
class RealPki:
    """One plan's certificates and keys, real, by resource name; `realize` swaps fake PEMs for them."""

    certs: dict[str, x509.Certificate] = field(default_factory=dict)
    keys: dict[str, specs.PrivateKey] = field(default_factory=dict)
    real: dict[str, str] = field(default_factory=dict)

    def realize(self, text: str) -> str:
        def swap(match: re.Match[str]) -> str:
            return self.real.get(match.group(0), match.group(0))

        return PEM_BLOCK.sub(swap, text)

    def files(self, plan: Plan, secret: str) -> dict[str, str]:
        """The stringData of a planned Kubernetes Secret, with real PEMs."""
        registration = next(r for r in plan.resources if r.name == secret)
        data: dict[str, str] = reveal(registration.inputs["stringData"])
        return {name: self.realize(value) for name, value in data.items()}


@dataclass
class Issuer:
    """The state of one stack between `pulumi up`s: each `apply` of a plan keeps what the providers
    would keep and issues what they would issue anew."""

    key_override: specs.KeySpec | None = None
    state: dict[str, tuple[dict[str, Any], specs.PrivateKey]] = field(default_factory=dict)

    def _spec(self, requested: specs.KeySpec) -> specs.KeySpec:
        return self.key_override if self.key_override and requested.algorithm == "RSA" else requested

    def apply(self, plan: Plan, now: datetime | None = None) -> RealPki:
        moment = now or datetime.now(UTC).replace(microsecond=0)
        pki = RealPki()
        for registration in plan.of_type(TLS_PRIVATE_KEY):
            key = key_of(registration.urn, self._spec(tls_key_spec(reveal(registration.inputs))))
            pki.keys[registration.name] = key
            pki.real[reveal(registration.outputs["privateKeyPem"])] = specs.private_key_pem(key)
        for registration in plan.of_type(TLS_SELF_SIGNED_CERT):
            self._root(pki, registration.urn, registration.name, reveal(registration.inputs), moment)
            pki.real[registration.outputs["certPem"]] = specs.certificate_pem(pki.certs[registration.name])
        # Registration order is not issuing order: issue each certificate once its issuer is real.
        waiting = plan.of_type(ISSUED_CERTIFICATE)
        while waiting:
            ready = [r for r in waiting if reveal(r.inputs["issuerCertPem"]) in pki.real]
            assert ready, f"no issuer for {[r.name for r in waiting]}"
            for registration in ready:
                self._issued(pki, registration.urn, registration.name, reveal(registration.inputs), moment)
                fake = registration.outputs
                pki.real[fake["certPem"]] = specs.certificate_pem(pki.certs[registration.name])
                pki.real[reveal(fake["privateKeyPem"])] = specs.private_key_pem(pki.keys[registration.name])
            waiting = [r for r in waiting if r not in ready]
        return pki

    def _root(self, pki: RealPki, urn: str, name: str, inputs: dict[str, Any], now: datetime) -> None:
        key = specs.load_private_key(pki.realize(inputs["privateKeyPem"]))
        kept = self.state.get(urn)
        signature = {k: v for k, v in inputs.items() if k not in ("earlyRenewalHours", "privateKeyPem")}
        same_key = kept is not None and specs.public_key_pem(kept[1]) == specs.public_key_pem(key)
        if kept is None or kept[0]["inputs"] != signature or not same_key:
            cert = like_pulumi_tls(inputs, key.public_key(), None, key, now)
            self.state[urn] = ({"inputs": signature, "cert": cert}, key)
        pki.certs[name] = self.state[urn][0]["cert"]
        pki.keys[name] = key

    def _issued(self, pki: RealPki, urn: str, name: str, inputs: dict[str, Any], now: datetime) -> None:
        news = {
            **inputs,
            "issuerCertPem": pki.realize(inputs["issuerCertPem"]),
            "issuerPrivateKeyPem": pki.realize(inputs["issuerPrivateKeyPem"]),
        }
        kept = self.state.get(urn)
        if kept is None or replacement_reasons(kept[0], news, now):
            key = specs.generate_key(self._spec(key_spec_from(news)))
            _, outputs = issued_outputs(news, key, specs.load_private_key(news["issuerPrivateKeyPem"]), now)
            self.state[urn] = (outputs, key)
        outputs, key = self.state[urn]
        pki.certs[name] = specs.load_certificate(outputs["certPem"])
        pki.keys[name] = key


@dataclass(frozen=True)
class Peer:
    """What one side of a TLS connection holds: its chain (leaf first), key, and the roots it trusts."""

    chain_pem: str
    key_pem: str
    bundle_pem: str
    spiffe_id: str | None = None
    dns_name: str | None = None

    @property
    def leaf(self) -> x509.Certificate:
        return x509.load_pem_x509_certificates(self.chain_pem.encode())[0]


def istiod_workload(cacerts: dict[str, str], spiffe_id: str, now: datetime | None = None) -> Peer:
    """A workload certificate as istiod signs it with the plug-in CA in `cacerts`."""
    moment = now or datetime.now(UTC).replace(microsecond=0)
    ca_cert = specs.load_certificate(cacerts["ca-cert.pem"])
    ca_key = specs.load_private_key(cacerts["ca-key.pem"])
    key = key_of(f"workload {spiffe_id} of {ca_cert.serial_number}", WORKLOAD_KEY)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - timedelta(minutes=2))
        .not_valid_after(min(moment + ISTIO_WORKLOAD_TTL, ca_cert.not_valid_after_utc))
        .add_extension(specs.key_usage(("digital_signature", "key_encipherment")), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [specs.EXTENDED_KEY_USAGES["server_auth"], specs.EXTENDED_KEY_USAGES["client_auth"]]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(specs.certified_key(ca_cert)), critical=False
        )
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(spiffe_id)]), critical=True
        )
        .sign(ca_key, specs.signing_digest(ca_key))
    )
    return Peer(
        chain_pem=specs.certificate_pem(cert) + cacerts["cert-chain.pem"],
        key_pem=specs.private_key_pem(key),
        bundle_pem=cacerts["root-cert.pem"],
        spiffe_id=spiffe_id,
    )


def signed_by(
    issuer: x509.Certificate, issuer_key: specs.PrivateKey, *, spiffe_id: str, is_ca: bool = False
) -> tuple[x509.Certificate, specs.PrivateKey]:
    """What someone holding issuer_key can mint: a workload certificate, or (is_ca) a CA under it."""
    key = key_of(f"minted {spiffe_id} {is_ca} under {issuer.serial_number}", WORKLOAD_KEY)
    spec = specs.CertificateSpec(
        common_name="sub CA" if is_ca else None,
        uris=() if is_ca else (spiffe_id,),
        is_ca=is_ca,
        allowed_uses=("cert_signing", "crl_signing")
        if is_ca
        else ("digital_signature", "server_auth", "client_auth"),
        validity_hours=24,
    )
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    return specs.issue(spec, key.public_key(), issuer, issuer_key, now), key
