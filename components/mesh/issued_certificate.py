"""IssuedCertificate: a private key and the certificate an issuer signs for it, as one Pulumi resource.

A dynamic resource (docs/adr/0008-intermediates-and-leaves-issued-in-process.md): the provider runs in
the Pulumi program's own Python environment, with `cryptography`, so that the certificate says exactly
what components/mesh/certificate_specs.py asks for, `pathlen:0` and name constraints included, which
pulumi-tls cannot write.

Key and certificate live and die together: every replacement (a new issuer, a changed input, or
`pulumi up` inside the early-renewal window) generates a new key, so a renewal or a root rotation
never re-certifies a key that may have leaked. The key is an additional secret output, encrypted in
the state like pulumi-tls's keys; the issuer's key arrives as a secret input and is not echoed back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeGuard

import pulumi
import pulumi.dynamic

from components.mesh import certificate_specs as specs

TYPE_TOKEN = "pulumi-python:dynamic/pki:IssuedCertificate"

# The inputs that shape the certificate: a change to any of them issues a new key and certificate.
CERTIFICATE_INPUTS = (
    "issuerCertPem",
    "keyAlgorithm",
    "rsaBits",
    "ecdsaCurve",
    "subject",
    "uris",
    "dnsNames",
    "isCaCertificate",
    "maxPathLength",
    "permittedUriDomains",
    "allowedUses",
    "validityPeriodHours",
)
OUTPUTS = (
    "certPem",
    "privateKeyPem",
    "publicKeyPem",
    "validityStartTime",
    "validityEndTime",
    "readyForRenewal",
)
SECRET_OUTPUTS = ["privateKeyPem"]
# The property a renewal names as the reason for the replacement, as pulumi-tls does.
RENEWAL_PROPERTY = "readyForRenewal"


@dataclass(frozen=True)
class IssuedCertificateArgs:
    issuer_cert_pem: pulumi.Input[str]
    issuer_private_key_pem: pulumi.Input[str]
    """Secret."""
    key: specs.KeySpec
    spec: specs.CertificateSpec
    early_renewal_hours: int


def props_of(args: IssuedCertificateArgs) -> dict[str, Any]:
    spec = args.spec
    subject = {
        name: value
        for name, value in (
            ("commonName", spec.common_name),
            ("organization", spec.organization),
            ("locality", spec.locality),
        )
        if value is not None
    }
    return {
        "issuerCertPem": args.issuer_cert_pem,
        "issuerPrivateKeyPem": pulumi.Output.secret(args.issuer_private_key_pem),
        "keyAlgorithm": args.key.algorithm,
        "rsaBits": args.key.rsa_bits if args.key.algorithm == "RSA" else None,
        "ecdsaCurve": args.key.ecdsa_curve if args.key.algorithm == "ECDSA" else None,
        "subject": subject,
        "uris": list(spec.uris),
        "dnsNames": list(spec.dns_names),
        "isCaCertificate": spec.is_ca,
        "maxPathLength": spec.max_path_length,
        "permittedUriDomains": list(spec.permitted_uri_domains),
        "allowedUses": list(spec.allowed_uses),
        "validityPeriodHours": spec.validity_hours,
        "earlyRenewalHours": args.early_renewal_hours,
    }


def key_spec_from(props: dict[str, Any]) -> specs.KeySpec:
    if props["keyAlgorithm"] == "RSA":
        return specs.KeySpec(algorithm="RSA", rsa_bits=int(props["rsaBits"]))
    return specs.KeySpec(algorithm="ECDSA", ecdsa_curve=str(props["ecdsaCurve"]))


def certificate_spec_from(props: dict[str, Any]) -> specs.CertificateSpec:
    subject = props.get("subject") or {}
    path_length = props.get("maxPathLength")
    return specs.CertificateSpec(
        common_name=subject.get("commonName"),
        organization=subject.get("organization"),
        locality=subject.get("locality"),
        uris=tuple(props.get("uris") or ()),
        dns_names=tuple(props.get("dnsNames") or ()),
        is_ca=bool(props.get("isCaCertificate")),
        max_path_length=None if path_length is None else int(path_length),
        permitted_uri_domains=tuple(props.get("permittedUriDomains") or ()),
        allowed_uses=tuple(props.get("allowedUses") or ()),
        validity_hours=int(props["validityPeriodHours"]),
    )


def issued_outputs(
    props: dict[str, Any], private_key: specs.PrivateKey, issuer_key: specs.PrivateKey, now: datetime
) -> tuple[str, dict[str, Any]]:
    """The ID and outputs of a new certificate for private_key: the inputs but the issuer's key, and
    what was issued."""
    issuer_cert = specs.load_certificate(props["issuerCertPem"])
    cert = specs.issue(certificate_spec_from(props), private_key.public_key(), issuer_cert, issuer_key, now)
    inputs = {key: value for key, value in props.items() if key != "issuerPrivateKeyPem"}
    return str(cert.serial_number), {
        **inputs,
        "certPem": specs.certificate_pem(cert),
        "privateKeyPem": specs.private_key_pem(private_key),
        "publicKeyPem": specs.public_key_pem(private_key),
        "validityStartTime": specs.rfc3339(cert.not_valid_before_utc),
        "validityEndTime": specs.rfc3339(cert.not_valid_after_utc),
        "readyForRenewal": False,
    }


def replacement_reasons(olds: dict[str, Any], news: dict[str, Any], now: datetime) -> list[str]:
    """The properties that force a new key and certificate, empty when the certificate stands."""
    changed = [key for key in CERTIFICATE_INPUTS if olds.get(key) != news.get(key)]
    if changed:
        return changed
    end = olds.get("validityEndTime")
    if end and specs.renewal_due(specs.parse_rfc3339(end), int(news["earlyRenewalHours"]), now):
        return [RENEWAL_PROPERTY]
    return []


def input_problems(news: dict[str, Any]) -> list[pulumi.dynamic.CheckFailure]:
    """Known inputs that cannot make a sound certificate; an unknown issuer is checked at create."""
    failures: list[pulumi.dynamic.CheckFailure] = []
    early, validity = int(news["earlyRenewalHours"]), int(news["validityPeriodHours"])
    if early >= validity:
        failures.append(
            pulumi.dynamic.CheckFailure(
                "earlyRenewalHours", f"{early} must be shorter than validityPeriodHours ({validity})"
            )
        )
    failures += [
        pulumi.dynamic.CheckFailure("inputs", problem)
        for problem in specs.spec_problems(key_spec_from(news), certificate_spec_from(news))
    ]
    issuer_cert, issuer_key = news.get("issuerCertPem"), news.get("issuerPrivateKeyPem")
    if _known(issuer_cert) and _known(issuer_key):
        certified = specs.public_key_pem_of(specs.certified_key(specs.load_certificate(issuer_cert)))
        if specs.public_key_pem(specs.load_private_key(issuer_key)) != certified:
            failures.append(
                pulumi.dynamic.CheckFailure("issuerPrivateKeyPem", "is not the key of issuerCertPem")
            )
    return failures


def _known(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and value.startswith("-----BEGIN")


class IssuedCertificateProvider(pulumi.dynamic.ResourceProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        return pulumi.dynamic.CheckResult(news, input_problems(news))

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        private_key = specs.generate_key(key_spec_from(props))
        issuer_key = specs.load_private_key(props["issuerPrivateKeyPem"])
        resource_id, outs = issued_outputs(props, private_key, issuer_key, datetime.now(UTC))
        return pulumi.dynamic.CreateResult(resource_id, outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        reasons = replacement_reasons(olds, news, datetime.now(UTC))
        if reasons:
            return pulumi.dynamic.DiffResult(changes=True, replaces=reasons, delete_before_replace=False)
        in_place = olds.get("earlyRenewalHours") != news.get("earlyRenewalHours")
        return pulumi.dynamic.DiffResult(changes=in_place)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        # Only earlyRenewalHours changes in place: it says when to renew, not what the certificate holds.
        return pulumi.dynamic.UpdateResult({**olds, "earlyRenewalHours": news["earlyRenewalHours"]})


class IssuedCertificate(pulumi.dynamic.Resource, module="pki", name="IssuedCertificate"):
    cert_pem: pulumi.Output[str]
    private_key_pem: pulumi.Output[str]
    """Secret."""
    public_key_pem: pulumi.Output[str]
    validity_start_time: pulumi.Output[str]
    validity_end_time: pulumi.Output[str]
    ready_for_renewal: pulumi.Output[bool]

    def __init__(
        self, name: str, args: IssuedCertificateArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        # The SDK names properties in Python and translates them to the wire names the provider sees.
        props: dict[str, Any] = {_snake(key): value for key, value in props_of(args).items()}
        props.update(dict.fromkeys(_snake(key) for key in OUTPUTS))
        secret = pulumi.ResourceOptions(additional_secret_outputs=[_snake(key) for key in SECRET_OUTPUTS])
        super().__init__(IssuedCertificateProvider(), name, props, pulumi.ResourceOptions.merge(opts, secret))

    def translate_input_property(self, prop: str) -> str:
        return _camel(prop)

    def translate_output_property(self, prop: str) -> str:
        return _snake(prop)


def _camel(name: str) -> str:
    if name.startswith("_"):
        return name  # the SDK's own `__provider`
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def _snake(name: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in name)
