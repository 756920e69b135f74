"""The shared mesh PKI's rules: a root and an intermediate in Istio's own profile, then one changed
field per case, and whole stacks for validity and renewal. The runner in test_pack.py runs CASES and
BASELINES."""

from __future__ import annotations

from tests.support.policy_cases import ABSENT, Baseline, PolicyCase, StackCase, bad, changed, ok, res
from tests.support.types import (
    AWS_VPC,
    CLOUDWATCH_METRIC_ALARM,
    DEPLOYMENT_SCHEDULE,
    GCP_ALERT_POLICY,
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
    "earlyRenewalHours": 365 * DAY,
    "allowedUses": ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
    "subject": {"commonName": "crossmesh root", "organization": "crossmesh"},
}
INTERMEDIATE = {
    "isCaCertificate": True,
    "validityPeriodHours": 730 * DAY,
    "earlyRenewalHours": 60 * DAY,
    "maxPathLength": 0,
    "allowedUses": ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
}
KEY = {"algorithm": "RSA", "rsaBits": 4096}

ROOT_R = res(TLS_SELF_SIGNED_CERT, "root", ROOT)
INTER_R = res(
    TLS_LOCALLY_SIGNED_CERT, "eks-intermediate", INTERMEDIATE, property_dependencies={"caCertPem": [ROOT_R]}
)
SCHEDULE = res(DEPLOYMENT_SCHEDULE, "weekly-up", {"scheduleCron": "0 6 * * 1"})

CASES: list[PolicyCase] = [
    ok("xc-pki-ca-shape", TLS_SELF_SIGNED_CERT, ROOT, "root"),
    ok("xc-pki-ca-shape", TLS_LOCALLY_SIGNED_CERT, INTERMEDIATE, "intermediate"),
    bad(
        "xc-pki-ca-shape",
        TLS_SELF_SIGNED_CERT,
        changed(ROOT, allowedUses=["digital_signature"]),
        "root-cannot-sign",
    ),
    bad("xc-pki-ca-shape", TLS_SELF_SIGNED_CERT, changed(ROOT, isCaCertificate=ABSENT), "self-signed-leaf"),
    bad(
        "xc-pki-ca-shape",
        TLS_LOCALLY_SIGNED_CERT,
        changed(INTERMEDIATE, maxPathLength=ABSENT),
        "pathlen-unlimited",
    ),
    bad(
        "xc-pki-ca-shape",
        TLS_LOCALLY_SIGNED_CERT,
        changed(INTERMEDIATE, isCaCertificate=False),
        "signing-non-ca",
    ),
    ok("xc-pki-key-strength", TLS_PRIVATE_KEY, KEY),
    ok("xc-pki-key-strength", TLS_PRIVATE_KEY, {"algorithm": "ECDSA", "ecdsaCurve": "P256"}, "p256"),
    ok("xc-pki-key-strength", TLS_PRIVATE_KEY, {"algorithm": "RSA"}, "rsa-default-2048"),
    bad("xc-pki-key-strength", TLS_PRIVATE_KEY, changed(KEY, rsaBits=1024), "rsa-1024"),
    bad("xc-pki-key-strength", TLS_PRIVATE_KEY, {"algorithm": "ECDSA"}, "ecdsa-default-p224"),
    ok("xc-pki-early-renewal", TLS_SELF_SIGNED_CERT, ROOT),
    ok(
        "xc-pki-early-renewal",
        TLS_LOCALLY_SIGNED_CERT,
        {"validityPeriodHours": 24, "earlyRenewalHours": 8},
        "workload-cert",
    ),
    bad(
        "xc-pki-early-renewal",
        TLS_LOCALLY_SIGNED_CERT,
        changed(INTERMEDIATE, earlyRenewalHours=730 * DAY),
        "equal",
    ),
    bad(
        "xc-pki-early-renewal", TLS_SELF_SIGNED_CERT, changed(ROOT, earlyRenewalHours=ABSENT), "ca-default-0"
    ),
    bad(
        "xc-pki-early-renewal",
        TLS_LOCALLY_SIGNED_CERT,
        changed(INTERMEDIATE, earlyRenewalHours=7 * DAY),
        "ca-7-days",
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
        [ROOT_R, res(TLS_LOCALLY_SIGNED_CERT, "i", changed(INTERMEDIATE, validityPeriodHours=3650 * DAY))],
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
]

BASELINES = [
    Baseline(TLS_SELF_SIGNED_CERT, ROOT),
    Baseline(TLS_LOCALLY_SIGNED_CERT, INTERMEDIATE),
    Baseline(TLS_PRIVATE_KEY, KEY),
]
