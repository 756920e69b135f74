"""GKE and GCP network/KMS rules: a compliant cluster, node pool, firewall, subnetwork and key, then
one changed field per case."""

from __future__ import annotations

import json

import pytest
from crossmesh_policy.gcp import CRYPTO_KEY, FIREWALL, SUBNETWORK
from crossmesh_policy.gke import CLUSTER, NODE_POOL

from tests.support.policy_cases import ABSENT, Case, bad, baseline_violations, changed, ok
from tests.support.types import (
    GCP_KMS_CRYPTO_KEY_IAM_MEMBER,
    GCP_KMS_CRYPTO_KEY_IAM_POLICY,
    GCP_KMS_KEY_RING_IAM_BINDING,
)

NODE_CONFIG = {
    "serviceAccount": "gke-nodes@crossmesh-dev.iam.gserviceaccount.com",
    "workloadMetadataConfig": {"mode": "GKE_METADATA"},
    "shieldedInstanceConfig": {"enableSecureBoot": True, "enableIntegrityMonitoring": True},
    "imageType": "COS_CONTAINERD",
}
GKE = {
    "location": "us-east4",
    "removeDefaultNodePool": True,
    "initialNodeCount": 1,
    "networkingMode": "VPC_NATIVE",
    "ipAllocationPolicy": {
        "clusterSecondaryRangeName": "gke-pods",
        "servicesSecondaryRangeName": "gke-services",
    },
    "privateClusterConfig": {
        "enablePrivateNodes": True,
        "enablePrivateEndpoint": True,
        "masterIpv4CidrBlock": "172.16.0.0/28",
    },
    "masterAuthorizedNetworksConfig": {"cidrBlocks": [{"cidrBlock": "10.10.0.0/16", "displayName": "aws"}]},
    "workloadIdentityConfig": {"workloadPool": "crossmesh-dev.svc.id.goog"},
    "datapathProvider": "ADVANCED_DATAPATH",
    "databaseEncryption": {
        "state": "ENCRYPTED",
        "keyName": "projects/p/locations/us-east4/keyRings/r/cryptoKeys/gke",
    },
    "releaseChannel": {"channel": "REGULAR"},
    "enableShieldedNodes": True,
    "resourceLabels": {"crossmesh-stack": "dev"},
    "binaryAuthorization": {"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"},
    "authenticatorGroupsConfig": {"securityGroup": "gke-security-groups@example.com"},
    "enableIntranodeVisibility": True,
}
POOL = {
    "cluster": "cm-dev-gke",
    "nodeConfig": NODE_CONFIG,
    "management": {"autoRepair": True, "autoUpgrade": True},
}
KEPT_POOL_GKE = changed(GKE, removeDefaultNodePool=ABSENT, nodeConfig=NODE_CONFIG)
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

CASES: list[Case] = [
    ok("xc-gke-logging-monitoring", CLUSTER, GKE),
    bad("xc-gke-logging-monitoring", CLUSTER, changed(GKE, loggingService="none"), "no-logging"),
    bad("xc-gke-logging-monitoring", CLUSTER, changed(GKE, monitoringService="none"), "no-monitoring"),
    ok("xc-gke-no-legacy-auth", CLUSTER, GKE),
    bad("xc-gke-no-legacy-auth", CLUSTER, changed(GKE, enableLegacyAbac=True), "abac"),
    bad(
        "xc-gke-no-legacy-auth",
        CLUSTER,
        changed(GKE, masterAuth={"clientCertificateConfig": {"issueClientCertificate": True}}),
        "client-cert",
    ),
    ok("xc-gke-network-policy", CLUSTER, GKE, "dataplane-v2"),
    ok(
        "xc-gke-network-policy",
        CLUSTER,
        changed(GKE, datapathProvider=ABSENT, networkPolicy={"enabled": True}),
        "calico",
    ),
    bad("xc-gke-network-policy", CLUSTER, changed(GKE, datapathProvider=ABSENT), "absent"),
    ok("xc-gke-master-authorized-networks", CLUSTER, GKE),
    bad(
        "xc-gke-master-authorized-networks",
        CLUSTER,
        changed(GKE, masterAuthorizedNetworksConfig=ABSENT),
        "absent",
    ),
    bad(
        "xc-gke-master-authorized-networks",
        CLUSTER,
        changed(GKE, masterAuthorizedNetworksConfig={"cidrBlocks": [{"cidrBlock": "0.0.0.0/0"}]}),
        "world",
    ),
    bad(
        "xc-gke-master-authorized-networks",
        CLUSTER,
        changed(GKE, masterAuthorizedNetworksConfig__gcpPublicCidrsAccessEnabled=True),
        "all-google-ips",
    ),
    ok("xc-gke-private-nodes", CLUSTER, GKE),
    bad("xc-gke-private-nodes", CLUSTER, changed(GKE, privateClusterConfig=ABSENT), "absent"),
    ok("xc-gke-private-endpoint", CLUSTER, GKE),
    bad(
        "xc-gke-private-endpoint",
        CLUSTER,
        changed(GKE, privateClusterConfig__enablePrivateEndpoint=False),
        "public",
    ),
    ok("xc-gke-vpc-native", CLUSTER, GKE),
    bad("xc-gke-vpc-native", CLUSTER, changed(GKE, ipAllocationPolicy=ABSENT), "no-alias-ranges"),
    bad("xc-gke-vpc-native", CLUSTER, changed(GKE, networkingMode="ROUTES"), "routes"),
    ok("xc-gke-workload-identity", CLUSTER, GKE),
    bad("xc-gke-workload-identity", CLUSTER, changed(GKE, workloadIdentityConfig=ABSENT), "absent"),
    ok("xc-gke-metadata-server", NODE_POOL, POOL),
    ok("xc-gke-metadata-server", CLUSTER, GKE, "default-pool-removed"),
    bad(
        "xc-gke-metadata-server",
        NODE_POOL,
        changed(POOL, nodeConfig__workloadMetadataConfig=ABSENT),
        "absent",
    ),
    bad(
        "xc-gke-metadata-server",
        CLUSTER,
        changed(KEPT_POOL_GKE, nodeConfig__workloadMetadataConfig__mode="GCE_METADATA"),
        "default-pool-gce-metadata",
    ),
    ok("xc-gke-no-default-sa", NODE_POOL, POOL),
    bad(
        "xc-gke-no-default-sa",
        NODE_POOL,
        changed(POOL, nodeConfig__serviceAccount=ABSENT),
        "absent-is-default",
    ),
    bad(
        "xc-gke-no-default-sa",
        NODE_POOL,
        changed(POOL, nodeConfig__serviceAccount="123-compute@developer.gserviceaccount.com"),
        "compute-default",
    ),
    bad("xc-gke-no-default-sa", CLUSTER, changed(GKE, removeDefaultNodePool=ABSENT), "kept-default-pool"),
    ok("xc-gke-secrets-kms", CLUSTER, GKE),
    bad("xc-gke-secrets-kms", CLUSTER, changed(GKE, databaseEncryption=ABSENT), "absent"),
    bad("xc-gke-secrets-kms", CLUSTER, changed(GKE, databaseEncryption__state="DECRYPTED"), "decrypted"),
    ok("xc-gke-release-channel", CLUSTER, GKE),
    bad("xc-gke-release-channel", CLUSTER, changed(GKE, releaseChannel=ABSENT), "absent"),
    bad(
        "xc-gke-release-channel", CLUSTER, changed(GKE, releaseChannel__channel="UNSPECIFIED"), "unspecified"
    ),
    ok("xc-gke-shielded-nodes", CLUSTER, changed(GKE, enableShieldedNodes=ABSENT), "default-on"),
    bad("xc-gke-shielded-nodes", CLUSTER, changed(GKE, enableShieldedNodes=False), "off"),
    ok("xc-gke-auto-repair-upgrade", NODE_POOL, changed(POOL, management=ABSENT), "default-on"),
    bad("xc-gke-auto-repair-upgrade", NODE_POOL, changed(POOL, management__autoRepair=False), "no-repair"),
    bad("xc-gke-auto-repair-upgrade", NODE_POOL, changed(POOL, management__autoUpgrade=False), "no-upgrade"),
    ok("xc-gke-no-alpha", CLUSTER, GKE),
    bad("xc-gke-no-alpha", CLUSTER, changed(GKE, enableKubernetesAlpha=True), "alpha"),
    ok("xc-gke-secure-boot", NODE_POOL, POOL),
    bad(
        "xc-gke-secure-boot",
        NODE_POOL,
        changed(POOL, nodeConfig__shieldedInstanceConfig=ABSENT),
        "default-off",
    ),
    ok(
        "xc-gke-integrity-monitoring",
        NODE_POOL,
        changed(POOL, nodeConfig__shieldedInstanceConfig=ABSENT),
        "default-on",
    ),
    bad(
        "xc-gke-integrity-monitoring",
        NODE_POOL,
        changed(POOL, nodeConfig__shieldedInstanceConfig__enableIntegrityMonitoring=False),
        "off",
    ),
    ok("xc-gke-cos-image", NODE_POOL, changed(POOL, nodeConfig__imageType=ABSENT), "default-cos"),
    bad("xc-gke-cos-image", NODE_POOL, changed(POOL, nodeConfig__imageType="UBUNTU_CONTAINERD"), "ubuntu"),
    ok("xc-gke-labels", CLUSTER, GKE),
    bad("xc-gke-labels", CLUSTER, changed(GKE, resourceLabels=ABSENT), "absent"),
    ok("xc-gke-binauthz", CLUSTER, GKE),
    bad("xc-gke-binauthz", CLUSTER, changed(GKE, binaryAuthorization=ABSENT), "absent"),
    ok("xc-gke-groups-rbac", CLUSTER, GKE),
    bad("xc-gke-groups-rbac", CLUSTER, changed(GKE, authenticatorGroupsConfig=ABSENT), "absent"),
    ok("xc-gke-intranode-visibility", CLUSTER, GKE),
    bad(
        "xc-gke-intranode-visibility", CLUSTER, changed(GKE, enableIntranodeVisibility=ABSENT), "default-off"
    ),
    ok("xc-gcp-fw-no-world-admin-ports", FIREWALL, FIREWALL_BAG),
    ok(
        "xc-gcp-fw-no-world-admin-ports",
        FIREWALL,
        changed(FIREWALL_BAG, sourceRanges=WORLD, allows=[{"protocol": "tcp", "ports": ["443"]}]),
        "world-https",
    ),
    ok(
        "xc-gcp-fw-no-world-admin-ports",
        FIREWALL,
        changed(
            FIREWALL_BAG, sourceRanges=WORLD, allows=[{"protocol": "tcp", "ports": ["22"]}], disabled=True
        ),
        "disabled",
    ),
    ok(
        "xc-gcp-fw-no-world-admin-ports",
        FIREWALL,
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
        FIREWALL,
        changed(FIREWALL_BAG, sourceRanges=WORLD, allows=[{"protocol": "tcp", "ports": ["22"]}]),
        "ssh",
    ),
    bad(
        "xc-gcp-fw-no-world-admin-ports",
        FIREWALL,
        changed(FIREWALL_BAG, sourceRanges=WORLD, allows=[{"protocol": "tcp", "ports": ["3000-4000"]}]),
        "range-covers-rdp",
    ),
    bad(
        "xc-gcp-fw-no-world-admin-ports",
        FIREWALL,
        changed(FIREWALL_BAG, sourceRanges=WORLD, direction=ABSENT, allows=[{"protocol": "tcp"}]),
        "default-ingress-all-tcp",
    ),
    ok("xc-gcp-fw-no-world-all-ports", FIREWALL, FIREWALL_BAG),
    bad(
        "xc-gcp-fw-no-world-all-ports",
        FIREWALL,
        changed(FIREWALL_BAG, sourceRanges=WORLD, allows=[{"protocol": "all"}]),
        "all",
    ),
    bad(
        "xc-gcp-fw-no-world-all-ports",
        FIREWALL,
        changed(FIREWALL_BAG, sourceRanges=WORLD, allows=[{"protocol": "udp", "ports": ["0-65535"]}]),
        "udp-0-65535",
    ),
    ok("xc-gcp-subnet-flow-logs", SUBNETWORK, SUBNET),
    ok(
        "xc-gcp-subnet-flow-logs",
        SUBNETWORK,
        changed(SUBNET, logConfig=ABSENT, purpose="REGIONAL_MANAGED_PROXY"),
        "proxy",
    ),
    bad("xc-gcp-subnet-flow-logs", SUBNETWORK, changed(SUBNET, logConfig=ABSENT), "absent"),
    ok("xc-gcp-subnet-private-google-access", SUBNETWORK, SUBNET),
    bad(
        "xc-gcp-subnet-private-google-access",
        SUBNETWORK,
        changed(SUBNET, privateIpGoogleAccess=ABSENT),
        "default-off",
    ),
    ok("xc-gcp-kms-rotation", CRYPTO_KEY, KEY),
    ok(
        "xc-gcp-kms-rotation",
        CRYPTO_KEY,
        changed(KEY, rotationPeriod=ABSENT, purpose="ASYMMETRIC_SIGN"),
        "asymmetric",
    ),
    bad("xc-gcp-kms-rotation", CRYPTO_KEY, changed(KEY, rotationPeriod=ABSENT), "never"),
    bad("xc-gcp-kms-rotation", CRYPTO_KEY, changed(KEY, rotationPeriod="7776001s"), "over-90-days"),
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


@pytest.mark.parametrize("case", CASES, ids=str)
def test_verdict(case: Case) -> None:
    case.verify()


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        (CLUSTER, GKE),
        (CLUSTER, KEPT_POOL_GKE),
        (NODE_POOL, POOL),
        (FIREWALL, FIREWALL_BAG),
        (SUBNETWORK, SUBNET),
        (CRYPTO_KEY, KEY),
    ],
)
def test_baseline_passes_every_rule_of_its_type(resource_type: str, props: dict[str, object]) -> None:
    assert baseline_violations(resource_type, props) == []
