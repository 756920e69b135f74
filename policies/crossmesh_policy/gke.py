"""GKE clusters and node pools."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pulumi_policy import Severity

from crossmesh_policy.kit import (
    ADVISORY,
    MANDATORY,
    Config,
    CrossmeshPolicy,
    CrossmeshResourcePolicy,
    Props,
    TypedResourceCheck,
    as_list,
    get,
    is_world,
)

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"

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


def _per_node_config(rule: Callable[[str, Any], Iterator[str]]) -> TypedResourceCheck:
    def for_type(resource_type: str) -> Callable[[Props, Config], Iterator[str]]:
        def check(props: Props, _: Config) -> Iterator[str]:
            for path, node_config in _node_configs(resource_type, props):
                yield from rule(path, node_config)

        return check

    return for_type


def _logging(props: Props, _: Config) -> Iterator[str]:
    if props.get("loggingService") == "none":
        yield "loggingService is 'none': send cluster logs to Cloud Logging."
    if props.get("monitoringService") == "none":
        yield "monitoringService is 'none': send cluster metrics to Cloud Monitoring."


def _legacy_auth(props: Props, _: Config) -> Iterator[str]:
    if props.get("enableLegacyAbac") is True:
        yield "enableLegacyAbac grants broad legacy ABAC permissions: keep it off and use RBAC."
    if get(props, "masterAuth.clientCertificateConfig.issueClientCertificate") is True:
        yield "masterAuth issues a client certificate (a long-lived credential): turn it off."


def _network_policy(props: Props, _: Config) -> Iterator[str]:
    if props.get("datapathProvider") == "ADVANCED_DATAPATH":
        return  # Dataplane V2 enforces NetworkPolicy without the Calico add-on.
    if get(props, "networkPolicy.enabled") is not True:
        yield "NetworkPolicy is not enforced: use Dataplane V2 (datapathProvider) or enable networkPolicy."


def _authorized_networks(props: Props, _: Config) -> Iterator[str]:
    config = props.get("masterAuthorizedNetworksConfig")
    if config is None:
        yield "masterAuthorizedNetworksConfig is unset: the control plane accepts any source address."
        return
    for block in as_list(get(config, "cidrBlocks")):
        if is_world(get(block, "cidrBlock")):
            yield "masterAuthorizedNetworksConfig authorizes 0.0.0.0/0."
    if get(config, "gcpPublicCidrsAccessEnabled") is True:
        yield "gcpPublicCidrsAccessEnabled lets every Google Cloud public IP reach the control plane."


def _private_nodes(props: Props, _: Config) -> Iterator[str]:
    if get(props, "privateClusterConfig.enablePrivateNodes") is not True:
        yield "nodes get public IPs: set privateClusterConfig.enablePrivateNodes."


def _private_endpoint(props: Props, _: Config) -> Iterator[str]:
    if get(props, "privateClusterConfig.enablePrivateEndpoint") is not True:
        yield "the control plane has a public endpoint (restricted by authorized networks)."


def _vpc_native(props: Props, _: Config) -> Iterator[str]:
    if props.get("networkingMode") == "ROUTES" or props.get("ipAllocationPolicy") is None:
        yield "the cluster is routes-based: set ipAllocationPolicy (VPC-native, alias IPs)."


def _workload_identity(props: Props, _: Config) -> Iterator[str]:
    if not get(props, "workloadIdentityConfig.workloadPool"):
        yield "Workload Identity is off: set workloadIdentityConfig.workloadPool."


@_per_node_config
def _metadata_server(path: str, node_config: Any) -> Iterator[str]:
    if get(node_config, "workloadMetadataConfig.mode") != "GKE_METADATA":
        yield f"{path}.workloadMetadataConfig.mode is not GKE_METADATA: pods can read node credentials."


@_per_node_config
def _default_sa(path: str, node_config: Any) -> Iterator[str]:
    account = str(node_config.get("serviceAccount") or "default")
    if account == "default" or account.endswith("-compute@developer.gserviceaccount.com"):
        yield f"{path}.serviceAccount is the Compute Engine default account: use a dedicated one."


def _secrets_kms(props: Props, _: Config) -> Iterator[str]:
    if get(props, "databaseEncryption.state") != "ENCRYPTED" or not get(props, "databaseEncryption.keyName"):
        yield "application-layer Secrets encryption is off: set databaseEncryption with a Cloud KMS key."


def _release_channel(props: Props, _: Config) -> Iterator[str]:
    if get(props, "releaseChannel.channel") not in CHANNELS:
        yield "the cluster is not enrolled in a release channel: set releaseChannel.channel."


def _shielded(props: Props, _: Config) -> Iterator[str]:
    if props.get("enableShieldedNodes") is False:
        yield "enableShieldedNodes is off."


def _auto_repair_upgrade(props: Props, _: Config) -> Iterator[str]:
    for key in ("autoRepair", "autoUpgrade"):
        if get(props, f"management.{key}") is False:
            yield f"management.{key} is off."


def _no_alpha(props: Props, _: Config) -> Iterator[str]:
    if props.get("enableKubernetesAlpha") is True:
        yield "enableKubernetesAlpha makes an unsupported, auto-deleted cluster."


@_per_node_config
def _secure_boot(path: str, node_config: Any) -> Iterator[str]:
    if get(node_config, "shieldedInstanceConfig.enableSecureBoot") is not True:
        yield f"{path}.shieldedInstanceConfig.enableSecureBoot is off (the default)."


@_per_node_config
def _integrity(path: str, node_config: Any) -> Iterator[str]:
    if get(node_config, "shieldedInstanceConfig.enableIntegrityMonitoring") is False:
        yield f"{path}.shieldedInstanceConfig.enableIntegrityMonitoring is off."


@_per_node_config
def _cos(path: str, node_config: Any) -> Iterator[str]:
    image = str(node_config.get("imageType") or "COS_CONTAINERD")
    if not image.upper().startswith("COS"):
        yield f"{path}.imageType {image} is not Container-Optimized OS."


def _labels(props: Props, _: Config) -> Iterator[str]:
    if not props.get("resourceLabels"):
        yield "the cluster has no resourceLabels."


def _binauthz(props: Props, _: Config) -> Iterator[str]:
    if get(props, "binaryAuthorization.evaluationMode") != "PROJECT_SINGLETON_POLICY_ENFORCE":
        yield "Binary Authorization is not enforced."


def _groups_rbac(props: Props, _: Config) -> Iterator[str]:
    if not get(props, "authenticatorGroupsConfig.securityGroup"):
        yield "Google Groups for RBAC is not configured (authenticatorGroupsConfig.securityGroup)."


def _intranode(props: Props, _: Config) -> Iterator[str]:
    if props.get("enableIntranodeVisibility") is not True:
        yield "intranode visibility is off: pod-to-pod traffic on one node skips VPC flow logs."


def _policy(
    name: str,
    anchors: list[str],
    description: str,
    severity: Severity,
    level: Any,
    types: list[str],
    check: Any,
) -> CrossmeshResourcePolicy:
    by_type = check in NODE_CONFIG_RULES
    return CrossmeshResourcePolicy(name, anchors, description, severity, level, types, check, by_type=by_type)


BOTH = [CLUSTER, NODE_POOL]
NODE_CONFIG_RULES = (_metadata_server, _default_sa, _secure_boot, _integrity, _cos)

POLICIES: list[CrossmeshPolicy] = [
    _policy(
        "xc-gke-logging-monitoring",
        ["CKV_GCP_1", "CKV_GCP_8", "AVD-GCP-0060", "AVD-GCP-0052", "CIS GKE 5.7.1"],
        "GKE sends logs and metrics to Cloud Logging and Monitoring.",
        Severity.MEDIUM,
        MANDATORY,
        [CLUSTER],
        _logging,
    ),
    _policy(
        "xc-gke-no-legacy-auth",
        ["CKV_GCP_7", "CKV_GCP_13", "AVD-GCP-0062", "AVD-GCP-0064", "CIS GKE 5.8.1", "CIS GKE 5.8.3"],
        "GKE uses neither legacy ABAC nor client certificates.",
        Severity.HIGH,
        MANDATORY,
        [CLUSTER],
        _legacy_auth,
    ),
    _policy(
        "xc-gke-network-policy",
        ["CKV_GCP_12", "AVD-GCP-0056"],
        "GKE enforces NetworkPolicy (Dataplane V2 counts, a deviation from CKV_GCP_12 which predates it).",
        Severity.MEDIUM,
        MANDATORY,
        [CLUSTER],
        _network_policy,
    ),
    _policy(
        "xc-gke-master-authorized-networks",
        ["CKV_GCP_20", "CKV_GCP_18", "AVD-GCP-0061", "AVD-GCP-0053", "CIS GKE 5.6.3", "CIS GKE 5.6.4"],
        "GKE restricts its control plane to authorized networks, never 0.0.0.0/0.",
        Severity.HIGH,
        MANDATORY,
        [CLUSTER],
        _authorized_networks,
    ),
    _policy(
        "xc-gke-private-nodes",
        ["CKV_GCP_64", "CKV_GCP_25", "AVD-GCP-0059", "CIS GKE 5.6.5"],
        "GKE nodes have no public IPs.",
        Severity.HIGH,
        MANDATORY,
        [CLUSTER],
        _private_nodes,
    ),
    _policy(
        "xc-gke-private-endpoint",
        ["CKV_GCP_25", "CIS GKE 5.6.4"],
        "GKE control plane has no public endpoint (advisory: Pulumi must then run inside the network).",
        Severity.MEDIUM,
        ADVISORY,
        [CLUSTER],
        _private_endpoint,
    ),
    _policy(
        "xc-gke-vpc-native",
        ["CKV_GCP_23", "AVD-GCP-0049", "CIS GKE 5.6.2"],
        "GKE is VPC-native (alias IP ranges).",
        Severity.MEDIUM,
        MANDATORY,
        [CLUSTER],
        _vpc_native,
    ),
    _policy(
        "xc-gke-workload-identity",
        ["CKV_GCP_69", "AVD-GCP-0057", "CIS GKE 5.2.2"],
        "GKE enables Workload Identity.",
        Severity.HIGH,
        MANDATORY,
        [CLUSTER],
        _workload_identity,
    ),
    _policy(
        "xc-gke-metadata-server",
        ["CKV_GCP_69", "AVD-GCP-0057", "CIS GKE 5.4.1"],
        "GKE nodes run the GKE metadata server (workloadMetadataConfig GKE_METADATA).",
        Severity.HIGH,
        MANDATORY,
        BOTH,
        _metadata_server,
    ),
    _policy(
        "xc-gke-no-default-sa",
        ["CKV2_GCP_1", "AVD-GCP-0050", "KICS 1c8eef02", "CIS GKE 5.2.1"],
        "GKE nodes run as a dedicated service account, not the Compute Engine default.",
        Severity.HIGH,
        MANDATORY,
        BOTH,
        _default_sa,
    ),
    _policy(
        "xc-gke-secrets-kms",
        ["CIS GKE 5.3.1"],
        "GKE encrypts Secrets at the application layer with Cloud KMS (no scanner ships this rule).",
        Severity.HIGH,
        MANDATORY,
        [CLUSTER],
        _secrets_kms,
    ),
    _policy(
        "xc-gke-release-channel",
        ["CKV_GCP_70", "CIS GKE 5.5.4"],
        "GKE is enrolled in a release channel.",
        Severity.MEDIUM,
        MANDATORY,
        [CLUSTER],
        _release_channel,
    ),
    _policy(
        "xc-gke-shielded-nodes",
        ["CKV_GCP_71", "CIS GKE 5.5.5"],
        "GKE keeps Shielded GKE Nodes on.",
        Severity.MEDIUM,
        MANDATORY,
        [CLUSTER],
        _shielded,
    ),
    _policy(
        "xc-gke-auto-repair-upgrade",
        ["CKV_GCP_9", "CKV_GCP_10", "CIS GKE 5.5.2", "CIS GKE 5.5.3"],
        "GKE node pools keep auto-repair and auto-upgrade on.",
        Severity.MEDIUM,
        MANDATORY,
        [NODE_POOL],
        _auto_repair_upgrade,
    ),
    _policy(
        "xc-gke-no-alpha",
        ["CKV2_GCP_19", "CIS GKE 5.10.2"],
        "GKE is not an alpha cluster.",
        Severity.MEDIUM,
        MANDATORY,
        [CLUSTER],
        _no_alpha,
    ),
    _policy(
        "xc-gke-secure-boot",
        ["CKV_GCP_68", "CIS GKE 5.5.7"],
        "GKE nodes boot with Secure Boot.",
        Severity.LOW,
        ADVISORY,
        BOTH,
        _secure_boot,
    ),
    _policy(
        "xc-gke-integrity-monitoring",
        ["CKV_GCP_72", "CIS GKE 5.5.6"],
        "GKE nodes keep integrity monitoring on.",
        Severity.LOW,
        ADVISORY,
        BOTH,
        _integrity,
    ),
    _policy(
        "xc-gke-cos-image",
        ["CKV_GCP_22", "CIS GKE 5.5.1"],
        "GKE nodes run Container-Optimized OS.",
        Severity.LOW,
        ADVISORY,
        BOTH,
        _cos,
    ),
    _policy(
        "xc-gke-labels",
        ["CKV_GCP_21"],
        "GKE clusters carry resource labels.",
        Severity.LOW,
        ADVISORY,
        [CLUSTER],
        _labels,
    ),
    _policy(
        "xc-gke-binauthz",
        ["CKV_GCP_66", "CIS GKE 5.10.5"],
        "GKE enforces Binary Authorization.",
        Severity.LOW,
        ADVISORY,
        [CLUSTER],
        _binauthz,
    ),
    _policy(
        "xc-gke-groups-rbac",
        ["CKV_GCP_65", "CIS GKE 5.8.2"],
        "GKE maps Google Groups to RBAC.",
        Severity.LOW,
        ADVISORY,
        [CLUSTER],
        _groups_rbac,
    ),
    _policy(
        "xc-gke-intranode-visibility",
        ["CKV_GCP_61", "CIS GKE 5.6.1"],
        "GKE enables intranode visibility.",
        Severity.LOW,
        ADVISORY,
        [CLUSTER],
        _intranode,
    ),
]
