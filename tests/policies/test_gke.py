"""GKE rules: a compliant cluster (with and without its default node pool) and node pool, then one
changed field per case. The runner in test_pack.py runs CASES and BASELINES."""

from __future__ import annotations

from tests.support.policy_cases import ABSENT, Baseline, PolicyCase, bad, changed, ok
from tests.support.types import GKE_CLUSTER, GKE_NODE_POOL

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
    "networkPolicy": {"enabled": False},
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

CASES: list[PolicyCase] = [
    ok("xc-gke-logging-monitoring", GKE_CLUSTER, GKE),
    bad("xc-gke-logging-monitoring", GKE_CLUSTER, changed(GKE, loggingService="none"), "no-logging"),
    bad("xc-gke-logging-monitoring", GKE_CLUSTER, changed(GKE, monitoringService="none"), "no-monitoring"),
    ok("xc-gke-no-legacy-auth", GKE_CLUSTER, GKE),
    bad("xc-gke-no-legacy-auth", GKE_CLUSTER, changed(GKE, enableLegacyAbac=True), "abac"),
    bad(
        "xc-gke-no-legacy-auth",
        GKE_CLUSTER,
        changed(GKE, masterAuth={"clientCertificateConfig": {"issueClientCertificate": True}}),
        "client-cert",
    ),
    ok("xc-gke-network-policy", GKE_CLUSTER, GKE, "dataplane-v2"),
    ok(
        "xc-gke-network-policy",
        GKE_CLUSTER,
        changed(GKE, datapathProvider=ABSENT, networkPolicy={"enabled": True}),
        "calico",
    ),
    bad(
        "xc-gke-network-policy",
        GKE_CLUSTER,
        changed(GKE, networkPolicy=ABSENT),
        "dataplane-v2-block-unwritten",
    ),
    bad("xc-gke-network-policy", GKE_CLUSTER, changed(GKE, datapathProvider=ABSENT), "absent"),
    ok("xc-gke-master-authorized-networks", GKE_CLUSTER, GKE),
    bad(
        "xc-gke-master-authorized-networks",
        GKE_CLUSTER,
        changed(GKE, masterAuthorizedNetworksConfig=ABSENT),
        "absent",
    ),
    bad(
        "xc-gke-master-authorized-networks",
        GKE_CLUSTER,
        changed(GKE, masterAuthorizedNetworksConfig={"cidrBlocks": [{"cidrBlock": "0.0.0.0/0"}]}),
        "world",
    ),
    bad(
        "xc-gke-master-authorized-networks",
        GKE_CLUSTER,
        changed(GKE, masterAuthorizedNetworksConfig__gcpPublicCidrsAccessEnabled=True),
        "all-google-ips",
    ),
    ok("xc-gke-private-nodes", GKE_CLUSTER, GKE),
    bad("xc-gke-private-nodes", GKE_CLUSTER, changed(GKE, privateClusterConfig=ABSENT), "absent"),
    ok("xc-gke-private-endpoint", GKE_CLUSTER, GKE),
    bad(
        "xc-gke-private-endpoint",
        GKE_CLUSTER,
        changed(GKE, privateClusterConfig__enablePrivateEndpoint=False),
        "public",
    ),
    ok("xc-gke-vpc-native", GKE_CLUSTER, GKE),
    bad("xc-gke-vpc-native", GKE_CLUSTER, changed(GKE, ipAllocationPolicy=ABSENT), "no-alias-ranges"),
    bad("xc-gke-vpc-native", GKE_CLUSTER, changed(GKE, networkingMode="ROUTES"), "routes"),
    ok("xc-gke-workload-identity", GKE_CLUSTER, GKE),
    bad("xc-gke-workload-identity", GKE_CLUSTER, changed(GKE, workloadIdentityConfig=ABSENT), "absent"),
    ok("xc-gke-metadata-server", GKE_NODE_POOL, POOL),
    ok("xc-gke-metadata-server", GKE_CLUSTER, GKE, "default-pool-removed"),
    bad(
        "xc-gke-metadata-server",
        GKE_NODE_POOL,
        changed(POOL, nodeConfig__workloadMetadataConfig=ABSENT),
        "absent",
    ),
    bad(
        "xc-gke-metadata-server",
        GKE_CLUSTER,
        changed(KEPT_POOL_GKE, nodeConfig__workloadMetadataConfig__mode="GCE_METADATA"),
        "default-pool-gce-metadata",
    ),
    ok("xc-gke-no-default-sa", GKE_NODE_POOL, POOL),
    bad(
        "xc-gke-no-default-sa",
        GKE_NODE_POOL,
        changed(POOL, nodeConfig__serviceAccount=ABSENT),
        "absent-is-default",
    ),
    bad(
        "xc-gke-no-default-sa",
        GKE_NODE_POOL,
        changed(POOL, nodeConfig__serviceAccount="123-compute@developer.gserviceaccount.com"),
        "compute-default",
    ),
    bad("xc-gke-no-default-sa", GKE_CLUSTER, changed(GKE, removeDefaultNodePool=ABSENT), "kept-default-pool"),
    ok("xc-gke-secrets-kms", GKE_CLUSTER, GKE),
    bad("xc-gke-secrets-kms", GKE_CLUSTER, changed(GKE, databaseEncryption=ABSENT), "absent"),
    bad("xc-gke-secrets-kms", GKE_CLUSTER, changed(GKE, databaseEncryption__state="DECRYPTED"), "decrypted"),
    ok("xc-gke-release-channel", GKE_CLUSTER, GKE),
    bad("xc-gke-release-channel", GKE_CLUSTER, changed(GKE, releaseChannel=ABSENT), "absent"),
    bad(
        "xc-gke-release-channel",
        GKE_CLUSTER,
        changed(GKE, releaseChannel__channel="UNSPECIFIED"),
        "unspecified",
    ),
    ok("xc-gke-shielded-nodes", GKE_CLUSTER, changed(GKE, enableShieldedNodes=ABSENT), "default-on"),
    bad("xc-gke-shielded-nodes", GKE_CLUSTER, changed(GKE, enableShieldedNodes=False), "off"),
    ok("xc-gke-auto-repair-upgrade", GKE_NODE_POOL, changed(POOL, management=ABSENT), "default-on"),
    bad(
        "xc-gke-auto-repair-upgrade", GKE_NODE_POOL, changed(POOL, management__autoRepair=False), "no-repair"
    ),
    bad(
        "xc-gke-auto-repair-upgrade",
        GKE_NODE_POOL,
        changed(POOL, management__autoUpgrade=False),
        "no-upgrade",
    ),
    ok("xc-gke-no-alpha", GKE_CLUSTER, GKE),
    bad("xc-gke-no-alpha", GKE_CLUSTER, changed(GKE, enableKubernetesAlpha=True), "alpha"),
    ok("xc-gke-secure-boot", GKE_NODE_POOL, POOL),
    bad(
        "xc-gke-secure-boot",
        GKE_NODE_POOL,
        changed(POOL, nodeConfig__shieldedInstanceConfig=ABSENT),
        "default-off",
    ),
    ok(
        "xc-gke-integrity-monitoring",
        GKE_NODE_POOL,
        changed(POOL, nodeConfig__shieldedInstanceConfig=ABSENT),
        "default-on",
    ),
    bad(
        "xc-gke-integrity-monitoring",
        GKE_NODE_POOL,
        changed(POOL, nodeConfig__shieldedInstanceConfig__enableIntegrityMonitoring=False),
        "off",
    ),
    ok("xc-gke-cos-image", GKE_NODE_POOL, changed(POOL, nodeConfig__imageType=ABSENT), "default-cos"),
    bad(
        "xc-gke-cos-image", GKE_NODE_POOL, changed(POOL, nodeConfig__imageType="UBUNTU_CONTAINERD"), "ubuntu"
    ),
    ok("xc-gke-labels", GKE_CLUSTER, GKE),
    bad("xc-gke-labels", GKE_CLUSTER, changed(GKE, resourceLabels=ABSENT), "absent"),
    ok("xc-gke-binauthz", GKE_CLUSTER, GKE),
    bad("xc-gke-binauthz", GKE_CLUSTER, changed(GKE, binaryAuthorization=ABSENT), "absent"),
    ok("xc-gke-groups-rbac", GKE_CLUSTER, GKE),
    bad("xc-gke-groups-rbac", GKE_CLUSTER, changed(GKE, authenticatorGroupsConfig=ABSENT), "absent"),
    ok("xc-gke-intranode-visibility", GKE_CLUSTER, GKE),
    bad(
        "xc-gke-intranode-visibility",
        GKE_CLUSTER,
        changed(GKE, enableIntranodeVisibility=ABSENT),
        "default-off",
    ),
]

BASELINES = [
    Baseline(GKE_CLUSTER, GKE),
    Baseline(GKE_CLUSTER, KEPT_POOL_GKE, "default-node-pool-kept"),
    Baseline(GKE_NODE_POOL, POOL),
]
