"""The shared mesh PKI's rules: a root, an intermediate and a leaf in the program's profile, then one
changed field per case, and whole stacks for validity, renewal and the root's rotation. The runner in
test_pack.py runs CASES and BASELINES."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.policy_cases import ABSENT, Baseline, PolicyCase, StackCase, bad, changed, ok, res
from tests.support.types import (
    AWS_VPC,
    CLOUDWATCH_METRIC_ALARM,
    DEPLOYMENT_SCHEDULE,
    GCP_ALERT_POLICY,
    ISSUED_CERTIFICATE,
    TLS_LOCALLY_SIGNED_CERT,
    TLS_PRIVATE_KEY,
    TLS_SELF_SIGNED_CERT,
)

DAY = 24
# istiod exports its root certificate's expiry; a Managed Prometheus alert 30 days ahead of it.
ISTIOD_ROOT_EXPIRY_ALERT = {
    "conditions": [
        {
            "displayName": "mesh root expires within 30 days",
            "conditionPrometheusQueryLanguage": {
                "query": "min(citadel_server_root_cert_expiry_timestamp) - time() < 30 * 86400",
            },
        }
    ]
}
ROOT = {
    "isCaCertificate": True,
    "validityPeriodHours": 3650 * DAY,
    "earlyRenewalHours": 0,
    "maxPathLength": 1,
    "allowedUses": ["cert_signing", "crl_signing"],
    "subject": {"commonName": "crossmesh root", "organization": "crossmesh"},
}
INTERMEDIATE = {
    "isCaCertificate": True,
    "validityPeriodHours": 730 * DAY,
    "earlyRenewalHours": 60 * DAY,
    "maxPathLength": 0,
    "permittedUriDomains": ["crossmesh.local"],
    "allowedUses": ["cert_signing", "crl_signing", "digital_signature"],
    "keyAlgorithm": "RSA",
    "rsaBits": 4096,
}
LEAF = {
    "isCaCertificate": False,
    "validityPeriodHours": 90 * DAY,
    "earlyRenewalHours": 30 * DAY,
    "allowedUses": ["digital_signature", "server_auth", "client_auth"],
    "keyAlgorithm": "ECDSA",
    "ecdsaCurve": "P256",
    "uris": ["spiffe://crossmesh.local/ns/orders/sa/orders"],
}
# What pulumi-tls would be given for the same intermediate (and writes without a path length).
TLS_INTERMEDIATE = {
    key: INTERMEDIATE[key] for key in ("isCaCertificate", "validityPeriodHours", "maxPathLength")
}
TLS_INTERMEDIATE |= {"earlyRenewalHours": 60 * DAY, "allowedUses": INTERMEDIATE["allowedUses"]}
TLS_LEAF = {"validityPeriodHours": 24, "earlyRenewalHours": 8, "allowedUses": ["digital_signature"]}
KEY = {"algorithm": "RSA", "rsaBits": 4096}

ROOT_R = res(TLS_SELF_SIGNED_CERT, "root", ROOT)
INTER_R = res(
    ISSUED_CERTIFICATE, "eks-intermediate", INTERMEDIATE, property_dependencies={"issuerCertPem": [ROOT_R]}
)
SCHEDULE = res(DEPLOYMENT_SCHEDULE, "weekly-up", {"scheduleCron": "0 6 * * 1"})


def root_ending_in(days: int) -> dict[str, object]:
    end = datetime.now(UTC) + timedelta(days=days)
    return changed(ROOT, validityEndTime=end.isoformat().replace("+00:00", "Z"))


CASES: list[PolicyCase] = [
    ok("xc-pki-ca-shape", TLS_SELF_SIGNED_CERT, ROOT, "root"),
    ok("xc-pki-ca-shape", ISSUED_CERTIFICATE, INTERMEDIATE, "intermediate"),
    ok("xc-pki-ca-shape", ISSUED_CERTIFICATE, LEAF, "leaf"),
    bad(
        "xc-pki-ca-shape",
        TLS_SELF_SIGNED_CERT,
        changed(ROOT, allowedUses=["digital_signature"]),
        "root-cannot-sign",
    ),
    bad("xc-pki-ca-shape", TLS_SELF_SIGNED_CERT, changed(ROOT, isCaCertificate=ABSENT), "self-signed-leaf"),
    bad(
        "xc-pki-ca-shape",
        ISSUED_CERTIFICATE,
        changed(INTERMEDIATE, maxPathLength=ABSENT),
        "pathlen-unlimited",
    ),
    bad("xc-pki-ca-shape", ISSUED_CERTIFICATE, changed(INTERMEDIATE, maxPathLength=1), "pathlen-1"),
    bad(
        "xc-pki-ca-shape",
        ISSUED_CERTIFICATE,
        changed(INTERMEDIATE, permittedUriDomains=ABSENT),
        "no-name-constraints",
    ),
    # The input says 0; the certificate pulumi-tls writes says nothing.
    bad("xc-pki-ca-shape", TLS_LOCALLY_SIGNED_CERT, TLS_INTERMEDIATE, "pulumi-tls-writes-no-pathlen"),
    bad(
        "xc-pki-ca-shape",
        ISSUED_CERTIFICATE,
        changed(INTERMEDIATE, isCaCertificate=False),
        "signing-non-ca",
    ),
    ok("xc-pki-key-strength", TLS_PRIVATE_KEY, KEY),
    ok("xc-pki-key-strength", TLS_PRIVATE_KEY, {"algorithm": "ECDSA", "ecdsaCurve": "P256"}, "p256"),
    ok("xc-pki-key-strength", TLS_PRIVATE_KEY, {"algorithm": "RSA"}, "rsa-default-2048"),
    ok("xc-pki-key-strength", ISSUED_CERTIFICATE, LEAF, "issued-p256"),
    bad("xc-pki-key-strength", TLS_PRIVATE_KEY, changed(KEY, rsaBits=1024), "rsa-1024"),
    bad("xc-pki-key-strength", TLS_PRIVATE_KEY, {"algorithm": "ECDSA"}, "ecdsa-default-p224"),
    bad("xc-pki-key-strength", ISSUED_CERTIFICATE, changed(INTERMEDIATE, rsaBits=1024), "issued-rsa-1024"),
    ok("xc-pki-early-renewal", TLS_SELF_SIGNED_CERT, ROOT),
    ok("xc-pki-early-renewal", ISSUED_CERTIFICATE, INTERMEDIATE, "intermediate"),
    ok("xc-pki-early-renewal", TLS_LOCALLY_SIGNED_CERT, TLS_LEAF, "workload-cert"),
    bad(
        "xc-pki-early-renewal",
        ISSUED_CERTIFICATE,
        changed(INTERMEDIATE, earlyRenewalHours=730 * DAY),
        "equal",
    ),
    bad(
        "xc-pki-early-renewal",
        TLS_SELF_SIGNED_CERT,
        changed(ROOT, earlyRenewalHours=365 * DAY),
        "root-renews-itself",
    ),
    bad(
        "xc-pki-early-renewal",
        ISSUED_CERTIFICATE,
        changed(INTERMEDIATE, earlyRenewalHours=7 * DAY),
        "ca-7-days",
    ),
    bad(
        "xc-pki-early-renewal",
        TLS_LOCALLY_SIGNED_CERT,
        changed(TLS_INTERMEDIATE, earlyRenewalHours=ABSENT),
        "ca-default-0",
    ),
    # Whole stacks
    StackCase("xc-pki-validity-bounds", [ROOT_R, INTER_R], False, "istio-profile"),
    StackCase(
        "xc-pki-validity-bounds",
        [res(TLS_SELF_SIGNED_CERT, "root", changed(ROOT, validityPeriodHours=30 * DAY)), INTER_R],
        True,
        "root-30-days",
    ),
    StackCase(
        "xc-pki-validity-bounds",
        [ROOT_R, res(ISSUED_CERTIFICATE, "i", changed(INTERMEDIATE, validityPeriodHours=3650 * DAY))],
        True,
        "intermediate-outlives",
    ),
    StackCase(
        "xc-pki-validity-bounds",
        [ROOT_R, INTER_R],
        True,
        "stack-config-tightens",
        config={"intermediateMaxHours": 365 * DAY},
    ),
    StackCase("xc-pki-renewal-process", [ROOT_R, INTER_R, SCHEDULE], False, "scheduled"),
    StackCase("xc-pki-renewal-process", [res(AWS_VPC, "vpc", {})], False, "no-ca"),
    StackCase("xc-pki-renewal-process", [ROOT_R, INTER_R], True, "nothing-renews"),
    StackCase(
        "xc-pki-renewal-process",
        [ROOT_R, INTER_R, res(CLOUDWATCH_METRIC_ALARM, "tunnel-down", {"metricName": "TunnelState"})],
        True,
        "an-alarm-on-something-else",
    ),
    StackCase(
        "xc-pki-renewal-process",
        [ROOT_R, INTER_R, res(CLOUDWATCH_METRIC_ALARM, "acm-expiry", {"metricName": "DaysToExpiry"})],
        False,
        "cloudwatch-days-to-expiry",
    ),
    StackCase(
        "xc-pki-renewal-process",
        [ROOT_R, INTER_R, res(GCP_ALERT_POLICY, "mesh-ca-expiry", ISTIOD_ROOT_EXPIRY_ALERT)],
        False,
        "istiod-root-expiry-promql",
    ),
    StackCase(
        "xc-pki-renewal-process",
        [
            ROOT_R,
            INTER_R,
            res(CLOUDWATCH_METRIC_ALARM, "cert-overdue", {"metricName": "CertificateRenewalOverdue"}),
        ],
        False,
        "program-renewal-overdue-alarm",
    ),
    StackCase("xc-pki-root-rotation-due", [ROOT_R, INTER_R], False, "new-root"),
    StackCase(
        "xc-pki-root-rotation-due",
        [res(TLS_SELF_SIGNED_CERT, "root", root_ending_in(3000))],
        False,
        "years-left",
    ),
    StackCase(
        "xc-pki-root-rotation-due",
        [res(TLS_SELF_SIGNED_CERT, "root", root_ending_in(700))],
        True,
        "inside-lead",
    ),
    StackCase(
        "xc-pki-root-rotation-due",
        [res(TLS_SELF_SIGNED_CERT, "root", root_ending_in(700))],
        False,
        "shorter-lead",
        config={"leadDays": 365},
    ),
]

BASELINES = [
    Baseline(TLS_SELF_SIGNED_CERT, ROOT),
    Baseline(TLS_LOCALLY_SIGNED_CERT, TLS_LEAF),
    Baseline(ISSUED_CERTIFICATE, INTERMEDIATE),
    Baseline(ISSUED_CERTIFICATE, LEAF),
    Baseline(TLS_PRIVATE_KEY, KEY),
]
