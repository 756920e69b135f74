"""GKE clusters and node pools."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from pulumi_policy import Severity

from crossmesh_policy.kit import (
    ADVISORY,
    MANDATORY,
    Config,
    Props,
    TypedResourceCheck,
    as_list,
    get,
    is_world,
    resource_rule,
)

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
WITH_NODE_CONFIG = (CLUSTER, NODE_POOL)

CHANNELS = ("RAPID", "REGULAR", "STABLE", "EXTENDED")


def _node_configs(resource_type: str, props: Props) -> list[tuple[str, Any]]:
    """The node configs a resource defines: a node pool's own, or a cluster's default pool unless it
    is removed and no nodeConfig is given (the pool then lives only while the cluster is created)."""
    if (
        resource_type == CLUSTER
        and props.get("removeDefaultNodePool") is True
        and props.get("nodeConfig") is None
    ):
        return []
    return [("nodeConfig", get(props, "nodeConfig", {}))]


def _per_node_config(check: Callable[[str, Any], Iterator[str]]) -> TypedResourceCheck:
    """A check of one node config (given with its path), run on each one a resource defines."""

    @functools.wraps(check)
    def each_node_config(resource_type: str, props: Props, _: Config) -> Iterator[str]:
        for path, node_config in _node_configs(resource_type, props):
            yield from check(path, node_config)

    return each_node_config


@resource_rule(
    id="xc-gke-logging-monitoring",
    anchors=["CKV_GCP_1", "CKV_GCP_8", "AVD-GCP-0060", "AVD-GCP-0052", "CIS GKE 5.7.1"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=[CLUSTER],
)
def logging_monitoring(props: Props, _: Config) -> Iterator[str]:
    """GKE sends logs and metrics to Cloud Logging and Monitoring."""
    if props.get("loggingService") == "none":
        yield "loggingService is 'none': send cluster logs to Cloud Logging."
    if props.get("monitoringService") == "none":
        yield "monitoringService is 'none': send cluster metrics to Cloud Monitoring."


@resource_rule(
    id="xc-gke-no-legacy-auth",
    anchors=["CKV_GCP_7", "CKV_GCP_13", "AVD-GCP-0062", "AVD-GCP-0064", "CIS GKE 5.8.1", "CIS GKE 5.8.3"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[CLUSTER],
)
def no_legacy_auth(props: Props, _: Config) -> Iterator[str]:
    """GKE uses neither legacy ABAC nor client certificates."""
    if props.get("enableLegacyAbac") is True:
        yield "enableLegacyAbac grants broad legacy ABAC permissions: keep it off and use RBAC."
    if get(props, "masterAuth.clientCertificateConfig.issueClientCertificate") is True:
        yield "masterAuth issues a client certificate (a long-lived credential): turn it off."


@resource_rule(
    id="xc-gke-network-policy",
    anchors=["CKV_GCP_12", "AVD-GCP-0056"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=[CLUSTER],
)
def network_policy(props: Props, _: Config) -> Iterator[str]:
    """GKE enforces NetworkPolicy: Dataplane V2 with the networkPolicy block written out disabled (as
    GKE requires with it, and as CKV_GCP_12 expects), or the Calico add-on enabled."""
    dataplane_v2 = props.get("datapathProvider") == "ADVANCED_DATAPATH"
    enabled = get(props, "networkPolicy.enabled")
    if dataplane_v2 and enabled is not False:
        yield "with Dataplane V2, write networkPolicy.enabled false: GKE refuses the Calico add-on with it."
    if not dataplane_v2 and enabled is not True:
        yield "NetworkPolicy is not enforced: use Dataplane V2 (datapathProvider) or enable networkPolicy."


@resource_rule(
    id="xc-gke-master-authorized-networks",
    anchors=["CKV_GCP_20", "CKV_GCP_18", "AVD-GCP-0061", "AVD-GCP-0053", "CIS GKE 5.6.3", "CIS GKE 5.6.4"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[CLUSTER],
)
def master_authorized_networks(props: Props, _: Config) -> Iterator[str]:
    """GKE restricts its control plane to authorized networks, never 0.0.0.0/0."""
    config = props.get("masterAuthorizedNetworksConfig")
    if config is None:
        yield "masterAuthorizedNetworksConfig is unset: the control plane accepts any source address."
        return
    for block in as_list(get(config, "cidrBlocks")):
        if is_world(get(block, "cidrBlock")):
            yield "masterAuthorizedNetworksConfig authorizes 0.0.0.0/0."
    if get(config, "gcpPublicCidrsAccessEnabled") is True:
        yield "gcpPublicCidrsAccessEnabled lets every Google Cloud public IP reach the control plane."


@resource_rule(
    id="xc-gke-private-nodes",
    anchors=["CKV_GCP_64", "CKV_GCP_25", "AVD-GCP-0059", "CIS GKE 5.6.5"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[CLUSTER],
)
def private_nodes(props: Props, _: Config) -> Iterator[str]:
    """GKE nodes have no public IPs (stricter than CKV_GCP_64 and CKV_GCP_25, which ask only for a
    privateClusterConfig block)."""
    if get(props, "privateClusterConfig.enablePrivateNodes") is not True:
        yield "nodes get public IPs: set privateClusterConfig.enablePrivateNodes."


@resource_rule(
    id="xc-gke-private-endpoint",
    anchors=["CIS GKE 5.6.4"],
    severity=Severity.MEDIUM,
    level=ADVISORY,
    types=[CLUSTER],
)
def private_endpoint(props: Props, _: Config) -> Iterator[str]:
    """GKE control plane has no public endpoint (advisory: Pulumi must then run inside the network)."""
    if get(props, "privateClusterConfig.enablePrivateEndpoint") is not True:
        yield "the control plane has a public endpoint (restricted by authorized networks)."


@resource_rule(
    id="xc-gke-vpc-native",
    anchors=["CKV_GCP_23", "AVD-GCP-0049", "CIS GKE 5.6.2"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=[CLUSTER],
)
def vpc_native(props: Props, _: Config) -> Iterator[str]:
    """GKE is VPC-native (alias IP ranges)."""
    if props.get("networkingMode") == "ROUTES" or props.get("ipAllocationPolicy") is None:
        yield "the cluster is routes-based: set ipAllocationPolicy (VPC-native, alias IPs)."


@resource_rule(
    id="xc-gke-workload-identity",
    # Not CKV_GCP_69: it reads the nodes' workloadMetadataConfig (xc-gke-metadata-server), and passes a
    # cluster with no workload pool.
    anchors=["AVD-GCP-0057", "CIS GKE 5.2.2"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[CLUSTER],
)
def workload_identity(props: Props, _: Config) -> Iterator[str]:
    """GKE enables Workload Identity."""
    if not get(props, "workloadIdentityConfig.workloadPool"):
        yield "Workload Identity is off: set workloadIdentityConfig.workloadPool."


@resource_rule(
    id="xc-gke-metadata-server",
    anchors=["CKV_GCP_69", "AVD-GCP-0057", "CIS GKE 5.4.1"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=WITH_NODE_CONFIG,
    by_type=True,
)
@_per_node_config
def metadata_server(path: str, node_config: Any) -> Iterator[str]:
    """GKE nodes run the GKE metadata server (workloadMetadataConfig GKE_METADATA)."""
    if get(node_config, "workloadMetadataConfig.mode") != "GKE_METADATA":
        yield f"{path}.workloadMetadataConfig.mode is not GKE_METADATA: pods can read node credentials."


@resource_rule(
    id="xc-gke-no-default-sa",
    anchors=["CKV2_GCP_1", "AVD-GCP-0050", "KICS 1c8eef02", "CIS GKE 5.2.1"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=WITH_NODE_CONFIG,
    by_type=True,
)
@_per_node_config
def no_default_sa(path: str, node_config: Any) -> Iterator[str]:
    """GKE nodes run as a dedicated service account, not the Compute Engine default."""
    account = str(node_config.get("serviceAccount") or "default")
    if account == "default" or account.endswith("-compute@developer.gserviceaccount.com"):
        yield f"{path}.serviceAccount is the Compute Engine default account: use a dedicated one."


@resource_rule(
    id="xc-gke-secrets-kms",
    anchors=["CIS GKE 5.3.1"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[CLUSTER],
)
def secrets_kms(props: Props, _: Config) -> Iterator[str]:
    """GKE encrypts Secrets at the application layer with Cloud KMS (no scanner ships this rule)."""
    if get(props, "databaseEncryption.state") != "ENCRYPTED" or not get(props, "databaseEncryption.keyName"):
        yield "application-layer Secrets encryption is off: set databaseEncryption with a Cloud KMS key."


@resource_rule(
    id="xc-gke-release-channel",
    anchors=["CKV_GCP_70", "CIS GKE 5.5.4"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=[CLUSTER],
)
def release_channel(props: Props, _: Config) -> Iterator[str]:
    """GKE is enrolled in a release channel."""
    if get(props, "releaseChannel.channel") not in CHANNELS:
        yield "the cluster is not enrolled in a release channel: set releaseChannel.channel."


@resource_rule(
    id="xc-gke-shielded-nodes",
    anchors=["CKV_GCP_71", "CIS GKE 5.5.5"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=[CLUSTER],
)
def shielded_nodes(props: Props, _: Config) -> Iterator[str]:
    """GKE keeps Shielded GKE Nodes on."""
    if props.get("enableShieldedNodes") is False:
        yield "enableShieldedNodes is off."


@resource_rule(
    id="xc-gke-auto-repair-upgrade",
    anchors=["CKV_GCP_9", "CKV_GCP_10", "CIS GKE 5.5.2", "CIS GKE 5.5.3"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=[NODE_POOL],
)
def auto_repair_upgrade(props: Props, _: Config) -> Iterator[str]:
    """GKE node pools keep auto-repair and auto-upgrade on."""
    for key in ("autoRepair", "autoUpgrade"):
        if get(props, f"management.{key}") is False:
            yield f"management.{key} is off."


@resource_rule(
    id="xc-gke-no-alpha",
    anchors=["CKV2_GCP_19", "CIS GKE 5.10.2"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=[CLUSTER],
)
def no_alpha(props: Props, _: Config) -> Iterator[str]:
    """GKE is not an alpha cluster."""
    if props.get("enableKubernetesAlpha") is True:
        yield "enableKubernetesAlpha makes an unsupported, auto-deleted cluster."


@resource_rule(
    id="xc-gke-secure-boot",
    anchors=["CKV_GCP_68", "CIS GKE 5.5.7"],
    severity=Severity.LOW,
    level=ADVISORY,
    types=WITH_NODE_CONFIG,
    by_type=True,
)
@_per_node_config
def secure_boot(path: str, node_config: Any) -> Iterator[str]:
    """GKE nodes boot with Secure Boot."""
    if get(node_config, "shieldedInstanceConfig.enableSecureBoot") is not True:
        yield f"{path}.shieldedInstanceConfig.enableSecureBoot is off (the default)."


@resource_rule(
    id="xc-gke-integrity-monitoring",
    anchors=["CKV_GCP_72", "CIS GKE 5.5.6"],
    severity=Severity.LOW,
    level=ADVISORY,
    types=WITH_NODE_CONFIG,
    by_type=True,
)
@_per_node_config
def integrity_monitoring(path: str, node_config: Any) -> Iterator[str]:
    """GKE nodes keep integrity monitoring on."""
    if get(node_config, "shieldedInstanceConfig.enableIntegrityMonitoring") is False:
        yield f"{path}.shieldedInstanceConfig.enableIntegrityMonitoring is off."


@resource_rule(
    id="xc-gke-cos-image",
    anchors=["CKV_GCP_22", "CIS GKE 5.5.1"],
    severity=Severity.LOW,
    level=ADVISORY,
    types=WITH_NODE_CONFIG,
    by_type=True,
)
@_per_node_config
def cos_image(path: str, node_config: Any) -> Iterator[str]:
    """GKE nodes run Container-Optimized OS."""
    image = str(node_config.get("imageType") or "COS_CONTAINERD")
    if not image.upper().startswith("COS"):
        yield f"{path}.imageType {image} is not Container-Optimized OS."


@resource_rule(
    id="xc-gke-labels",
    anchors=["CKV_GCP_21"],
    severity=Severity.LOW,
    level=ADVISORY,
    types=[CLUSTER],
)
def labels(props: Props, _: Config) -> Iterator[str]:
    """GKE clusters carry resource labels."""
    if not props.get("resourceLabels"):
        yield "the cluster has no resourceLabels."


@resource_rule(
    id="xc-gke-binauthz",
    anchors=["CKV_GCP_66", "CIS GKE 5.10.5"],
    severity=Severity.LOW,
    level=ADVISORY,
    types=[CLUSTER],
)
def binauthz(props: Props, _: Config) -> Iterator[str]:
    """GKE enforces Binary Authorization."""
    if get(props, "binaryAuthorization.evaluationMode") != "PROJECT_SINGLETON_POLICY_ENFORCE":
        yield "Binary Authorization is not enforced."


@resource_rule(
    id="xc-gke-groups-rbac",
    anchors=["CKV_GCP_65", "CIS GKE 5.8.2"],
    severity=Severity.LOW,
    level=ADVISORY,
    types=[CLUSTER],
)
def groups_rbac(props: Props, _: Config) -> Iterator[str]:
    """GKE maps Google Groups to RBAC."""
    if not get(props, "authenticatorGroupsConfig.securityGroup"):
        yield "Google Groups for RBAC is not configured (authenticatorGroupsConfig.securityGroup)."


@resource_rule(
    id="xc-gke-intranode-visibility",
    anchors=["CKV_GCP_61", "CIS GKE 5.6.1"],
    severity=Severity.LOW,
    level=ADVISORY,
    types=[CLUSTER],
)
def intranode_visibility(props: Props, _: Config) -> Iterator[str]:
    """GKE enables intranode visibility."""
    if props.get("enableIntranodeVisibility") is not True:
        yield "intranode visibility is off: pod-to-pod traffic on one node skips VPC flow logs."
