"""The shared mesh PKI: one pulumi-tls root, one intermediate per cluster, leaves for file-based Envoys.

Profiles follow Istio's own tooling (istio/istio tools/certs/common.mk: root 3650 days, intermediate
730 days with pathlen 0); the early-renewal rule follows terraform-provider-tls's creation-time
diagnostic and AWS's 14-day certificate-expiry rule. The rules judge what a certificate will contain,
not the input value: pulumi-tls writes no pathLenConstraint for `maxPathLength: 0` (terraform-provider-tls
internal/provider/common_cert.go sets Go's MaxPathLen but never MaxPathLenZero), while the program's
`IssuedCertificate` writes exactly the path length it is given
(docs/adr/0008-intermediates-and-leaves-issued-in-process.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pulumi_policy import PolicyResource, Severity

from crossmesh_policy.kit import (
    ADVISORY,
    MANDATORY,
    Config,
    Props,
    StackView,
    as_int,
    as_list,
    known,
    resource_rule,
    stack_rule,
)

PRIVATE_KEY = "tls:index/privateKey:PrivateKey"
SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert"
LOCALLY_SIGNED = "tls:index/locallySignedCert:LocallySignedCert"
# components/mesh/issued_certificate.py: a key and the certificate its issuer signs, in one resource.
ISSUED = "pulumi-python:dynamic/pki:IssuedCertificate"
CERTS = (SELF_SIGNED, LOCALLY_SIGNED, ISSUED)
SIGNED = (LOCALLY_SIGNED, ISSUED)
KEYS = (PRIVATE_KEY, ISSUED)
# The input that names the issuer's certificate, per type.
ISSUER_INPUT = {LOCALLY_SIGNED: "caCertPem", ISSUED: "issuerCertPem"}

HOURS_PER_DAY = 24
MIN_EARLY_RENEWAL_HOURS = 14 * HOURS_PER_DAY
STRONG_CURVES = ("P256", "P384", "P521")

# What makes renewal happen: a scheduled `pulumi up`, or an alarm that watches certificate expiry.
DEPLOYMENT_SCHEDULES = (
    "pulumiservice:index:DeploymentSchedule",
    "pulumiservice:index:DeploymentSettings",
)
ALARMS = (
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "gcp:monitoring/alertPolicy:AlertPolicy",
)
# An alarm watches certificates when its metric, filter or query names their expiry or renewal: ACM's
# DaysToExpiry, istiod's citadel_server_root_cert_expiry_timestamp, the program's own
# CertificateRenewalOverdue (components/observability/certificate_alarm.py). Any other alarm does not.
EXPIRY_METRIC = re.compile(r"DaysToExpiry|cert\w*(expir|renew)|(expir|renew)\w*cert", re.IGNORECASE)


def _is_ca(props: Props) -> bool:
    return props.get("isCaCertificate") is True


def path_length_written(resource_type: str, props: Props) -> int | None:
    """The pathLenConstraint the certificate will carry; None for none (any depth below it)."""
    value = as_int(props.get("maxPathLength"))
    if resource_type == ISSUED:
        return value
    # pulumi-tls: 0 and unset both write no constraint (Go's MaxPathLenZero is never set).
    return value if value is not None and value > 0 else None


@resource_rule(
    id="xc-pki-ca-shape",
    anchors=["Istio tools/certs/common.mk", "Istio plug-in CA", "RFC 5280 4.2.1.9", "RFC 5280 4.2.1.10"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=CERTS,
    by_type=True,
)
def ca_shape(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """CA certificates are CAs that sign certificates; an intermediate's certificate says pathlen:0 and
    limits URI names to its trust domain; only the root is self-signed."""
    uses = set(as_list(props.get("allowedUses")))
    if _is_ca(props) and "cert_signing" not in uses:
        yield "a CA certificate must allow cert_signing."
    if not _is_ca(props) and "cert_signing" in uses:
        yield "cert_signing is allowed but isCaCertificate is false."
    if resource_type in SIGNED and _is_ca(props):
        yield from _intermediate_shape(resource_type, props)
    if resource_type == SELF_SIGNED and not _is_ca(props):
        yield "a self-signed certificate is only for the mesh root CA: set isCaCertificate."


def _intermediate_shape(resource_type: str, props: Props) -> Iterator[str]:
    written = path_length_written(resource_type, props)
    if written != 0:
        shown = "no path length" if written is None else f"pathlen:{written}"
        why = (
            " (pulumi-tls writes none for maxPathLength 0: issue it as an IssuedCertificate)"
            if resource_type == LOCALLY_SIGNED
            else ""
        )
        yield (
            f"an intermediate CA's certificate would say {shown}{why}; it must say pathlen:0, or "
            "BoringSSL (Envoy) follows a CA minted with its key."
        )
    if resource_type == ISSUED and not as_list(props.get("permittedUriDomains")):
        yield "an intermediate CA must limit URI names to the mesh's trust domain (permittedUriDomains)."


@resource_rule(
    id="xc-pki-key-strength",
    anchors=["Istio tools/certs/common.mk", "NIST SP 800-57"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=KEYS,
    by_type=True,
)
def key_strength(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """Private keys are RSA 2048+ or ECDSA P256+."""
    algorithm = props.get("keyAlgorithm" if resource_type == ISSUED else "algorithm", "RSA")
    if algorithm == "RSA":
        bits = as_int(props.get("rsaBits", 2048)) or 0
        if bits < 2048:
            yield f"rsaBits {bits} is below 2048."
    elif algorithm == "ECDSA":
        curve = props.get("ecdsaCurve", "P224")
        if curve not in STRONG_CURVES:
            yield f"ecdsaCurve {curve} is below P256 (absent means P224)."


@stack_rule(
    id="xc-pki-validity-bounds",
    anchors=["Istio tools/certs/common.mk", "istio#46600"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=CERTS,
    config={
        "rootMinHours": {"type": "integer", "default": 365 * HOURS_PER_DAY},
        "rootMaxHours": {"type": "integer", "default": 3650 * HOURS_PER_DAY},
        "intermediateMinHours": {"type": "integer", "default": 30 * HOURS_PER_DAY},
        "intermediateMaxHours": {"type": "integer", "default": 730 * HOURS_PER_DAY},
    },
)
def validity_bounds(stack: StackView, config: Config) -> Iterator[tuple[str, str | None]]:
    """Root and intermediate validity within configurable bounds (root 1-10 years, intermediate 30-730
    days), and no intermediate outlives its root."""
    root_max, root_min = as_int(config.get("rootMaxHours")), as_int(config.get("rootMinHours"))
    inter_max, inter_min = (
        as_int(config.get("intermediateMaxHours")),
        as_int(config.get("intermediateMinHours")),
    )
    roots = [r for r in stack.of_type(SELF_SIGNED) if _is_ca(r.props)]
    inters = [r for r in stack.of_type(*SIGNED) if _is_ca(r.props)]
    for resource, low, high, label in [
        *((r, root_min, root_max, "root") for r in roots),
        *((r, inter_min, inter_max, "intermediate") for r in inters),
    ]:
        hours = as_int(resource.props.get("validityPeriodHours"))
        if hours is None or (low is not None and hours < low) or (high is not None and hours > high):
            yield f"{label} CA {resource.name} is valid {hours} hours, outside {low}-{high}.", resource.urn
    for inter in inters:
        signer = _signer(stack, inter, roots)
        inter_hours = as_int(inter.props.get("validityPeriodHours")) or 0
        root_hours = as_int(signer.props.get("validityPeriodHours")) if signer else None
        if root_hours is not None and inter_hours >= root_hours:
            yield f"intermediate {inter.name} would outlive its root: istiod rejects the chain.", inter.urn


def _signer(stack: StackView, cert: PolicyResource, roots: list[PolicyResource]) -> PolicyResource | None:
    for root in roots:
        if stack.refers_to(cert, ISSUER_INPUT[cert.resource_type], root):
            return root
    return roots[0] if len(roots) == 1 else None


@resource_rule(
    id="xc-pki-early-renewal",
    anchors=["terraform-provider-tls PR #278", "AWSGuard 14-day certificate expiry"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=CERTS,
    by_type=True,
)
def early_renewal(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """earlyRenewalHours is below the validity period; intermediates renew at least 14 days early; the
    root never renews itself (0), since a new root must go through the staged rotation."""
    hours = as_int(props.get("validityPeriodHours")) or 0
    early = as_int(props.get("earlyRenewalHours", 0)) or 0
    if early >= hours:
        yield (
            f"Early renewal hours ({early}) is greater than or equal to validity period hours ({hours}): "
            "the certificate is ready for renewal at creation."
        )
    if resource_type == SELF_SIGNED and _is_ca(props) and early != 0:
        yield (
            f"earlyRenewalHours {early} lets `pulumi up` replace the root in place before it expires, "
            "re-rooting the mesh in one step: set 0 and rotate through the trust window "
            "(docs/runbooks/rotate-ca.md)."
        )
    if resource_type in SIGNED and _is_ca(props) and early < MIN_EARLY_RENEWAL_HOURS:
        yield f"earlyRenewalHours {early} leaves less than 14 days to rotate the CA before it expires."


@stack_rule(
    id="xc-pki-renewal-process",
    anchors=["pulumi-tls #39"],
    severity=Severity.MEDIUM,
    level=ADVISORY,
    types=[*CERTS, *DEPLOYMENT_SCHEDULES, *ALARMS],
)
def renewal_process(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """A stack with CA certificates schedules deployments or alarms on their expiry (any other alarm
    does not count)."""
    certs = [c for c in stack.of_type(*CERTS) if _is_ca(c.props)]
    watched = stack.of_type(*DEPLOYMENT_SCHEDULES) or [
        alarm for alarm in stack.of_type(*ALARMS) if _watches_expiry(alarm.props)
    ]
    if certs and not watched:
        yield (
            "CA certificates renew only when `pulumi up` runs (pulumi-tls #39): schedule deployments "
            "or alarm on expiry.",
            certs[0].urn,
        )


@stack_rule(
    id="xc-pki-root-rotation-due",
    anchors=["docs/runbooks/rotate-ca.md", "RFC 5280 4.1.2.5"],
    severity=Severity.HIGH,
    level=ADVISORY,
    types=[SELF_SIGNED],
    config={"leadDays": {"type": "integer", "default": 730}},
)
def root_rotation_due(stack: StackView, config: Config) -> Iterator[tuple[str, str | None]]:
    """A root that ends within leadDays (mesh.ca.rootEarlyRenewalDays; 730 by default) is due for the
    staged rotation: nothing else replaces it before it expires."""
    lead = timedelta(days=as_int(config.get("leadDays")) or 0)
    now = datetime.now(UTC)
    for root in stack.of_type(SELF_SIGNED):
        end = _end_of(root)
        if _is_ca(root.props) and end is not None and now >= end - lead:
            yield (
                f"root CA {root.name} ends {end:%Y-%m-%d}: start the staged root rotation now "
                "(docs/runbooks/rotate-ca.md); pulumi up never replaces a working root.",
                root.urn,
            )


def _end_of(resource: PolicyResource) -> datetime | None:
    """validityEndTime from the state of an existing certificate; None before it exists."""
    value = known(resource.props, "validityEndTime")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _watches_expiry(value: Any) -> bool:
    """Whether any string in an alarm's definition, at any depth, names a certificate expiry metric."""
    if isinstance(value, str):
        return EXPIRY_METRIC.search(value) is not None
    if isinstance(value, Mapping):
        return any(_watches_expiry(known(value, key)) for key in list(value))
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        return any(_watches_expiry(item) for item in value)
    return False
