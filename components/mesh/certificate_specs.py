"""What the mesh's intermediates and leaf certificates contain, and how they are issued with `cryptography`.

Pure: no `pulumi` import. `IssuedCertificate` (components/mesh/issued_certificate.py) runs this at
`pulumi up`; the tests run it on real keys to check the chains with OpenSSL and BoringSSL.

The inputs use pulumi-tls's vocabulary (`allowed_uses`, `max_path_length`, `validity_period_hours`,
`early_renewal_hours`) so that a reader, and the policy pack, see the same words for every certificate
of the mesh. Unlike pulumi-tls, a path length of 0 is written into the certificate: Go's crypto/x509
omits `pathLenConstraint` when `MaxPathLen` is 0 unless `MaxPathLenZero` is set, and
terraform-provider-tls sets only `MaxPathLen` (internal/provider/common_cert.go;
docs/adr/0008-intermediates-and-leaves-issued-in-process.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOURS_PER_DAY = 24
# RFC 5280 appendix A.1, ub-common-name.
MAX_COMMON_NAME_LENGTH = 64
# The clusters that get an intermediate, by cloud.
MESH_CLUSTERS = ("aws", "gcp")

# pulumi-tls's `allowed_uses` names, as terraform-provider-tls maps them (internal/provider/common_cert.go).
KEY_USAGE_NAMES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "cert_signing",
    "crl_signing",
    "encipher_only",
    "decipher_only",
)
EXTENDED_KEY_USAGES = {
    "server_auth": ExtendedKeyUsageOID.SERVER_AUTH,
    "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "code_signing": ExtendedKeyUsageOID.CODE_SIGNING,
    "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "timestamping": ExtendedKeyUsageOID.TIME_STAMPING,
    "ocsp_signing": ExtendedKeyUsageOID.OCSP_SIGNING,
}
# Key usages that only an RSA key can perform: an ECDSA key signs, it does not encrypt a key.
RSA_ONLY_USES = frozenset({"key_encipherment", "data_encipherment"})

CURVES: dict[str, ec.EllipticCurve] = {"P256": ec.SECP256R1(), "P384": ec.SECP384R1(), "P521": ec.SECP521R1()}
# The digest Go's x509.CreateCertificate signs with for each issuer key (crypto/x509, signingParamsForKey).
Digest = hashes.SHA256 | hashes.SHA384 | hashes.SHA512
_CURVE_DIGESTS: dict[str, type[Digest]] = {
    "secp256r1": hashes.SHA256,
    "secp384r1": hashes.SHA384,
    "secp521r1": hashes.SHA512,
}

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


@dataclass(frozen=True)
class KeySpec:
    algorithm: Literal["RSA", "ECDSA"]
    rsa_bits: int = 4096
    ecdsa_curve: str = "P384"


@dataclass(frozen=True)
class CertificateSpec:
    """Everything a certificate says besides its key, issuer, serial and dates."""

    common_name: str | None = None
    organization: str | None = None
    locality: str | None = None
    uris: tuple[str, ...] = ()
    dns_names: tuple[str, ...] = ()
    is_ca: bool = False
    max_path_length: int | None = None
    """Written as pathLenConstraint, 0 included; None writes none. CAs only."""
    permitted_uri_domains: tuple[str, ...] = ()
    """Name constraints: URI SANs below this CA must have one of these hosts. CAs only."""
    allowed_uses: tuple[str, ...] = ()
    validity_hours: int = 0


# --- the names of the mesh's CAs ---------------------------------------------------------------------


def organization(mesh_id: str) -> str:
    return f"crossmesh {mesh_id}"


def root_common_name(mesh_id: str, generation: int) -> str:
    """Generation 1 keeps its original name; later roots get their own, so that a verifier that looks
    an issuer up by name never meets two roots under one name."""
    return f"{mesh_id} root CA" + ("" if generation == 1 else f" {generation}")


def intermediate_common_name(mesh_id: str, cluster: str) -> str:
    return f"{mesh_id} intermediate CA {cluster}"


def longest_ca_name(mesh_id: str, clusters: Sequence[str]) -> str:
    """The longest subject attribute value the CAs of this mesh carry."""
    names = [organization(mesh_id), root_common_name(mesh_id, 9)]
    names += [intermediate_common_name(mesh_id, cluster) for cluster in clusters]
    return max(names, key=len)


# --- problems with a certificate's inputs -----------------------------------------------------------


def spec_problems(key: KeySpec, spec: CertificateSpec) -> list[str]:
    """Why these inputs cannot make a sound certificate; empty when they can."""
    problems: list[str] = []
    for label, value in (("common name", spec.common_name), ("organization", spec.organization)):
        if value is not None and not 1 <= len(value) <= MAX_COMMON_NAME_LENGTH:
            problems.append(
                f"the {label} {value!r} is {len(value)} characters; "
                f"X.509 allows 1 to {MAX_COMMON_NAME_LENGTH}"
            )
    unknown = sorted(set(spec.allowed_uses) - set(KEY_USAGE_NAMES) - set(EXTENDED_KEY_USAGES))
    if unknown:
        problems.append(f"unknown allowed uses {unknown}")
    if key.algorithm == "ECDSA" and RSA_ONLY_USES & set(spec.allowed_uses):
        problems.append(
            f"{sorted(RSA_ONLY_USES & set(spec.allowed_uses))} mean nothing for an ECDSA key: drop them"
        )
    if key.algorithm == "ECDSA" and key.ecdsa_curve not in CURVES:
        problems.append(f"ecdsa curve {key.ecdsa_curve} is not one of {sorted(CURVES)}")
    if spec.is_ca != ("cert_signing" in spec.allowed_uses):
        problems.append("a CA certificate, and only a CA certificate, allows cert_signing")
    if not spec.is_ca and (spec.max_path_length is not None or spec.permitted_uri_domains):
        problems.append("a path length and name constraints belong to CA certificates only")
    if not spec.is_ca and not (spec.uris or spec.dns_names):
        problems.append("a leaf certificate needs at least one URI or DNS name")
    if spec.validity_hours < 1:
        problems.append(f"validity of {spec.validity_hours} hours")
    return problems


# --- issuing --------------------------------------------------------------------------------------


def generate_key(key: KeySpec) -> PrivateKey:
    if key.algorithm == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=key.rsa_bits)
    return ec.generate_private_key(CURVES[key.ecdsa_curve])


def key_spec_of(private_key: PrivateKey) -> KeySpec:
    if isinstance(private_key, rsa.RSAPrivateKey):
        return KeySpec(algorithm="RSA", rsa_bits=private_key.key_size)
    curve = next(name for name, c in CURVES.items() if c.name == private_key.curve.name)
    return KeySpec(algorithm="ECDSA", ecdsa_curve=curve)


def signing_digest(issuer_key: PrivateKey) -> Digest:
    if isinstance(issuer_key, ec.EllipticCurvePrivateKey):
        return _CURVE_DIGESTS[issuer_key.curve.name]()
    return hashes.SHA256()


def subject_of(spec: CertificateSpec) -> x509.Name:
    attributes = [
        x509.NameAttribute(oid, value)
        for oid, value in (
            (NameOID.COMMON_NAME, spec.common_name),
            (NameOID.ORGANIZATION_NAME, spec.organization),
            (NameOID.LOCALITY_NAME, spec.locality),
        )
        if value
    ]
    return x509.Name(attributes)


def key_usage(uses: Sequence[str]) -> x509.KeyUsage:
    flags = {name: name in uses for name in KEY_USAGE_NAMES}
    return x509.KeyUsage(
        digital_signature=flags["digital_signature"],
        content_commitment=flags["content_commitment"],
        key_encipherment=flags["key_encipherment"],
        data_encipherment=flags["data_encipherment"],
        key_agreement=flags["key_agreement"],
        key_cert_sign=flags["cert_signing"],
        crl_sign=flags["crl_signing"],
        encipher_only=flags["encipher_only"] and flags["key_agreement"],
        decipher_only=flags["decipher_only"] and flags["key_agreement"],
    )


def issue(
    spec: CertificateSpec,
    public_key: PublicKey,
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    now: datetime,
) -> x509.Certificate:
    """A certificate for public_key signed by the issuer, valid from now for spec.validity_hours but
    never past the issuer's own end: a certificate that outlives its issuer stops verifying early."""
    not_after = min(now + timedelta(hours=spec.validity_hours), issuer_cert.not_valid_after_utc)
    subject = subject_of(spec)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(not_after)
        .add_extension(
            x509.BasicConstraints(ca=spec.is_ca, path_length=spec.max_path_length if spec.is_ca else None),
            critical=True,
        )
        .add_extension(key_usage(spec.allowed_uses), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(_authority_key_identifier(issuer_cert), critical=False)
    )
    extended = [EXTENDED_KEY_USAGES[use] for use in spec.allowed_uses if use in EXTENDED_KEY_USAGES]
    if extended:
        builder = builder.add_extension(x509.ExtendedKeyUsage(extended), critical=False)
    names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(uri) for uri in spec.uris]
    names += [x509.DNSName(name) for name in spec.dns_names]
    if names:
        # RFC 5280 4.2.1.6: critical when the subject is empty.
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=not subject)
    if spec.permitted_uri_domains:
        # RFC 5280 4.2.1.10: conforming CAs mark name constraints critical.
        permitted = [x509.UniformResourceIdentifier(domain) for domain in spec.permitted_uri_domains]
        builder = builder.add_extension(
            x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None), critical=True
        )
    return builder.sign(issuer_key, signing_digest(issuer_key))


def _authority_key_identifier(issuer_cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    try:
        ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(certified_key(issuer_cert))
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def renewal_due(validity_end: datetime, early_renewal_hours: int, now: datetime) -> bool:
    """pulumi-tls's rule: a certificate is ready for renewal from `early_renewal_hours` before its end
    (terraform-provider-tls, modifyPlanIfCertificateReadyForRenewal)."""
    return now >= validity_end - timedelta(hours=early_renewal_hours)


# --- PEM ------------------------------------------------------------------------------------------


def private_key_pem(private_key: PrivateKey) -> str:
    """PKCS#1 for RSA, SEC 1 for ECDSA: the encodings of pulumi-tls's `private_key_pem`."""
    encoded = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return encoded.decode()


def public_key_pem(private_key: PrivateKey) -> str:
    return public_key_pem_of(private_key.public_key())


def public_key_pem_of(public_key: PublicKey) -> str:
    encoded = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return encoded.decode()


def certified_key(certificate: x509.Certificate) -> PublicKey:
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise ValueError(f"an issuer's key must be RSA or ECDSA, not {type(public_key).__name__}")
    return public_key


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def load_private_key(pem: str) -> PrivateKey:
    loaded = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError(f"an issuer key must be RSA or ECDSA, not {type(loaded).__name__}")
    return loaded


def load_certificate(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def rfc3339(moment: datetime) -> str:
    """As Go's time.Time MarshalText writes a UTC instant, the form of pulumi-tls's validity times."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- when a certificate that has not been renewed is overdue ------------------------------------------

# The weekly `pulumi up` renews a certificate within 7 days of entering its window; two missed runs
# later it is overdue, with the rest of the window still left to act.
RENEWAL_GRACE_HOURS = 14 * HOURS_PER_DAY


def overdue_lead_hours(early_renewal_hours: int) -> int:
    """How long before its end a certificate still not renewed is overdue."""
    return max(early_renewal_hours - RENEWAL_GRACE_HOURS, 0)
