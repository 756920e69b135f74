"""GCP network and Cloud KMS rules: a compliant firewall rule, subnetwork and crypto key, then one
changed field per case. The runner in test_pack.py runs CASES and BASELINES."""

from __future__ import annotations

import json

from tests.support.policy_cases import ABSENT, Baseline, PolicyCase, bad, changed, ok
from tests.support.types import (
    GCP_FIREWALL,
    GCP_KMS_CRYPTO_KEY,
    GCP_KMS_CRYPTO_KEY_IAM_MEMBER,
    GCP_KMS_CRYPTO_KEY_IAM_POLICY,
    GCP_KMS_KEY_RING_IAM_BINDING,
    GCP_PROJECT_IAM_BINDING,
    GCP_PROJECT_IAM_MEMBER,
    GCP_SUBNETWORK,
)

FIREWALL_BAG = {
    "network": "cm-dev-vpc",
    "direction": "INGRESS",
    "sourceRanges": ["10.10.0.0/16"],
    "allows": [{"protocol": "tcp", "ports": ["15443"]}, {"protocol": "icmp"}],
}
SUBNET = {
    "network": "cm-dev-vpc",
    "ipCidrRange": "10.20.0.0/20",
    "privateIpGoogleAccess": True,
    "logConfig": {"aggregationInterval": "INTERVAL_5_SEC", "flowSampling": 0.5},
}
KEY = {"keyRing": "projects/p/locations/us-east4/keyRings/r", "rotationPeriod": "7776000s"}
WORLD = ["0.0.0.0/0"]

CASES: list[PolicyCase] = [
    ok("xc-gcp-fw-no-world-admin-ports", GCP_FIREWALL, FIREWALL_BAG),
    ok(
        "xc-gcp-fw-no-world-admin-ports",
        GCP_FIREWALL,
        changed(FIREWALL_BAG, sourceRanges=WORLD, allows=[{"protocol": "tcp", "ports": ["443"]}]),
        "world-https",
    ),
    # A disabled rule is one click from live: judged as if enabled, as Checkov judges it.
    bad(
        "xc-gcp-fw-no-world-admin-ports",
        GCP_FIREWALL,
        changed(
            FIREWALL_BAG, sourceRanges=WORLD, allows=[{"protocol": "tcp", "ports": ["22"]}], disabled=True
        ),
        "disabled",
    ),
    ok(
        "xc-gcp-fw-no-world-admin-ports",
        GCP_FIREWALL,
        changed(
            FIREWALL_BAG,
            sourceRanges=WORLD,
            allows=[{"protocol": "tcp", "ports": ["22"]}],
            direction="EGRESS",
        ),
        "egress",
    ),
    bad(
        "xc-gcp-fw-no-world-admin-ports",
        GCP_FIREWALL,
        changed(FIREWALL_BAG, sourceRanges=WORLD, allows=[{"protocol": "tcp", "ports": ["22"]}]),
        "ssh",
    ),
    bad(
        "xc-gcp-fw-no-world-admin-ports",
        GCP_FIREWALL,
        changed(FIREWALL_BAG, sourceRanges=WORLD, allows=[{"protocol": "tcp", "ports": ["3000-4000"]}]),
        "range-covers-rdp",
    ),
    bad(
        "xc-gcp-fw-no-world-admin-ports",
        GCP_FIREWALL,
        changed(FIREWALL_BAG, sourceRanges=WORLD, direction=ABSENT, allows=[{"protocol": "tcp"}]),
        "default-ingress-all-tcp",
    ),
    ok("xc-gcp-fw-no-world-all-ports", GCP_FIREWALL, FIREWALL_BAG),
    bad(
        "xc-gcp-fw-no-world-all-ports",
        GCP_FIREWALL,
        changed(FIREWALL_BAG, sourceRanges=WORLD, allows=[{"protocol": "all"}]),
        "all",
    ),
    bad(
        "xc-gcp-fw-no-world-all-ports",
        GCP_FIREWALL,
        changed(FIREWALL_BAG, sourceRanges=WORLD, allows=[{"protocol": "udp", "ports": ["0-65535"]}]),
        "udp-0-65535",
    ),
    ok("xc-gcp-subnet-flow-logs", GCP_SUBNETWORK, SUBNET),
    ok(
        "xc-gcp-subnet-flow-logs",
        GCP_SUBNETWORK,
        changed(SUBNET, logConfig=ABSENT, purpose="REGIONAL_MANAGED_PROXY"),
        "proxy",
    ),
    bad("xc-gcp-subnet-flow-logs", GCP_SUBNETWORK, changed(SUBNET, logConfig=ABSENT), "absent"),
    ok("xc-gcp-subnet-private-google-access", GCP_SUBNETWORK, SUBNET),
    bad(
        "xc-gcp-subnet-private-google-access",
        GCP_SUBNETWORK,
        changed(SUBNET, privateIpGoogleAccess=ABSENT),
        "default-off",
    ),
    ok("xc-gcp-kms-rotation", GCP_KMS_CRYPTO_KEY, KEY),
    ok(
        "xc-gcp-kms-rotation",
        GCP_KMS_CRYPTO_KEY,
        changed(KEY, rotationPeriod=ABSENT, purpose="ASYMMETRIC_SIGN"),
        "asymmetric",
    ),
    bad("xc-gcp-kms-rotation", GCP_KMS_CRYPTO_KEY, changed(KEY, rotationPeriod=ABSENT), "never"),
    bad("xc-gcp-kms-rotation", GCP_KMS_CRYPTO_KEY, changed(KEY, rotationPeriod="7776001s"), "over-90-days"),
    ok(
        "xc-gcp-kms-not-public",
        GCP_KMS_CRYPTO_KEY_IAM_MEMBER,
        {"member": "serviceAccount:gke@p.iam.gserviceaccount.com"},
    ),
    bad(
        "xc-gcp-kms-not-public",
        GCP_KMS_CRYPTO_KEY_IAM_MEMBER,
        {"member": "allUsers"},
        "all-users",
    ),
    bad(
        "xc-gcp-kms-not-public",
        GCP_KMS_KEY_RING_IAM_BINDING,
        {"members": ["user:a@example.com", "allAuthenticatedUsers"]},
        "binding",
    ),
    bad(
        "xc-gcp-kms-not-public",
        GCP_KMS_CRYPTO_KEY_IAM_POLICY,
        {
            "policyData": json.dumps(
                {"bindings": [{"role": "roles/cloudkms.cryptoKeyDecrypter", "members": ["allUsers"]}]}
            )
        },
        "policy-data",
    ),
]

NODES = "serviceAccount:cm-dev-gke-nodes@crossmesh-dev-000000.iam.gserviceaccount.com"
MEMBER = {"project": "crossmesh-dev-000000", "role": "roles/logging.logWriter", "member": NODES}
DEFAULT_COMPUTE = "serviceAccount:123456789012-compute@developer.gserviceaccount.com"

CASES += [
    ok("xc-gcp-fw-no-world-app-ports", GCP_FIREWALL, FIREWALL_BAG),
    ok(
        "xc-gcp-fw-no-world-app-ports",
        GCP_FIREWALL,
        changed(FIREWALL_BAG, sourceRanges=WORLD, allows=[{"protocol": "tcp", "ports": ["443"]}]),
        "world-https",
    ),
    bad(
        "xc-gcp-fw-no-world-app-ports",
        GCP_FIREWALL,
        changed(FIREWALL_BAG, sourceRanges=WORLD, allows=[{"protocol": "tcp", "ports": ["80"]}]),
        "world-http",
    ),
    bad(
        "xc-gcp-fw-no-world-app-ports",
        GCP_FIREWALL,
        changed(FIREWALL_BAG, sourceRanges=WORLD, allows=[{"protocol": "tcp", "ports": ["3000-3400"]}]),
        "range-covers-mysql",
    ),
    bad(
        "xc-gcp-fw-no-world-app-ports",
        GCP_FIREWALL,
        changed(
            FIREWALL_BAG, sourceRanges=WORLD, allows=[{"protocol": "tcp", "ports": ["21"]}], disabled=True
        ),
        "disabled-ftp",
    ),
    ok(
        "xc-gcp-fw-no-world-app-ports",
        GCP_FIREWALL,
        changed(
            FIREWALL_BAG,
            sourceRanges=WORLD,
            allows=[{"protocol": "tcp", "ports": ["5432"]}],
            direction="EGRESS",
        ),
        "egress",
    ),
    ok("xc-gcp-iam-no-basic-roles", GCP_PROJECT_IAM_MEMBER, MEMBER),
    bad("xc-gcp-iam-no-basic-roles", GCP_PROJECT_IAM_MEMBER, changed(MEMBER, role="roles/editor"), "editor"),
    bad(
        "xc-gcp-iam-no-basic-roles",
        GCP_PROJECT_IAM_BINDING,
        {"project": "p", "role": "roles/viewer", "members": ["group:all@example.com"]},
        "binding-viewer",
    ),
    ok("xc-gcp-iam-no-project-impersonation", GCP_PROJECT_IAM_MEMBER, MEMBER),
    bad(
        "xc-gcp-iam-no-project-impersonation",
        GCP_PROJECT_IAM_MEMBER,
        changed(MEMBER, role="roles/iam.serviceAccountUser", member="user:dev@example.com"),
        "service-account-user",
    ),
    bad(
        "xc-gcp-iam-no-project-impersonation",
        GCP_PROJECT_IAM_BINDING,
        {"project": "p", "role": "roles/iam.serviceAccountTokenCreator", "members": [NODES]},
        "token-creator",
    ),
    ok("xc-gcp-iam-no-default-sa", GCP_PROJECT_IAM_MEMBER, MEMBER),
    bad(
        "xc-gcp-iam-no-default-sa",
        GCP_PROJECT_IAM_MEMBER,
        changed(MEMBER, member=DEFAULT_COMPUTE),
        "default-compute-account",
    ),
    bad(
        "xc-gcp-iam-no-default-sa",
        GCP_PROJECT_IAM_MEMBER,
        changed(MEMBER, role="roles/container.admin"),
        "service-account-admin",
    ),
    ok(
        "xc-gcp-iam-no-default-sa",
        GCP_PROJECT_IAM_MEMBER,
        changed(MEMBER, role="roles/container.admin", member="group:platform@example.com"),
        "admin-to-a-group",
    ),
]

BASELINES = [
    Baseline(GCP_FIREWALL, FIREWALL_BAG),
    Baseline(GCP_PROJECT_IAM_MEMBER, MEMBER),
    Baseline(GCP_SUBNETWORK, SUBNET),
    Baseline(GCP_KMS_CRYPTO_KEY, KEY),
]
