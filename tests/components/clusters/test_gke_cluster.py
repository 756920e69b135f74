"""GkeCluster on the shipped plans: every hardening item, read from what the provider would receive."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.clusters.gke_cluster import node_account_id
from offline.record import Plan, Registration, Secret
from tests.support.resource_tree import dependency_closure, descendants, owning_component
from tests.support.types import (
    COMPONENT_GCP_NETWORK,
    COMPONENT_GKE_CLUSTER,
    GCP_FIREWALL,
    GCP_KMS_CRYPTO_KEY,
    GCP_KMS_CRYPTO_KEY_IAM_MEMBER,
    GCP_KMS_KEY_RING,
    GCP_NETWORK,
    GCP_NETWORK_PEERING_ROUTES_CONFIG,
    GCP_PROJECT_IAM_MEMBER,
    GCP_ROUTER,
    GCP_SERVICE_ACCOUNT,
    GCP_SUBNETWORK,
    GKE_CLUSTER,
    GKE_NODE_POOL,
    KUBERNETES_PROVIDER,
)


def cluster_of(plan: Plan) -> Registration:
    return plan.one(GKE_CLUSTER)


def test_the_dev_plan_has_one_regional_gke_cluster(dev_plan: Plan) -> None:
    cluster = cluster_of(dev_plan)
    assert cluster.inputs["name"] == "cm-dev-gke"
    assert cluster.inputs["location"] == "us-east4"  # a region, not a zone
    assert owning_component(dev_plan, cluster.urn) == COMPONENT_GKE_CLUSTER


def test_the_cluster_is_vpc_native_on_the_networks_secondary_ranges(dev_plan: Plan) -> None:
    inputs = cluster_of(dev_plan).inputs
    subnet = dev_plan.one(GCP_SUBNETWORK)
    ranges = {r["rangeName"]: r["ipCidrRange"] for r in subnet.inputs["secondaryIpRanges"]}
    assert inputs["networkingMode"] == "VPC_NATIVE"
    assert ranges[inputs["ipAllocationPolicy"]["clusterSecondaryRangeName"]] == "10.24.0.0/14"
    assert ranges[inputs["ipAllocationPolicy"]["servicesSecondaryRangeName"]] == "10.28.0.0/20"
    assert inputs["subnetwork"] == subnet.outputs["selfLink"]
    assert inputs["network"] == dev_plan.one(GCP_NETWORK).outputs["selfLink"]


def test_nodes_are_private_and_the_control_plane_sits_in_the_master_range(dev_plan: Plan) -> None:
    private = cluster_of(dev_plan).inputs["privateClusterConfig"]
    assert private["enablePrivateNodes"] is True
    assert private["masterIpv4CidrBlock"] == "172.16.0.0/28"
    assert private["masterGlobalAccessConfig"] == {"enabled": True}


def test_the_control_plane_admits_the_aws_vpc_and_the_admin_cidrs_only(dev_plan: Plan) -> None:
    networks = cluster_of(dev_plan).inputs["masterAuthorizedNetworksConfig"]
    assert [block["cidrBlock"] for block in networks["cidrBlocks"]] == ["10.10.0.0/16", "203.0.113.0/24"]
    assert networks["gcpPublicCidrsAccessEnabled"] is False
    assert networks["privateEndpointEnforcementEnabled"] is True


def test_the_dns_endpoint_takes_no_user_traffic_and_the_ip_endpoints_stay_on(dev_plan: Plan) -> None:
    endpoints = cluster_of(dev_plan).inputs["controlPlaneEndpointsConfig"]
    assert endpoints["dnsEndpointConfig"] == {"allowExternalTraffic": False}
    assert endpoints["ipEndpointsConfig"] == {"enabled": True}


def test_admin_cidrs_keep_the_public_endpoint_and_none_close_it(plan_of: Callable[..., Plan]) -> None:
    assert cluster_of(plan_of("dev")).inputs["privateClusterConfig"]["enablePrivateEndpoint"] is False
    closed = plan_of("dev", {"clusters": {"gke": {"masterAuthorizedCidrs": []}}})
    cluster = cluster_of(closed)
    assert cluster.inputs["privateClusterConfig"]["enablePrivateEndpoint"] is True
    assert [b["cidrBlock"] for b in cluster.inputs["masterAuthorizedNetworksConfig"]["cidrBlocks"]] == [
        "10.10.0.0/16"
    ]
    assert closed.outputs["gkeEndpoint"] == closed.outputs["gkePrivateEndpoint"] == "https://172.16.0.2"


def test_the_peering_exports_our_routes_so_the_control_plane_can_answer_aws(dev_plan: Plan) -> None:
    routes = dev_plan.one(GCP_NETWORK_PEERING_ROUTES_CONFIG)
    cluster = cluster_of(dev_plan)
    assert routes.inputs["peering"] == cluster.outputs["privateClusterConfig"]["peeringName"]
    assert routes.inputs["network"] == "cm-dev-vpc"
    assert routes.inputs["exportCustomRoutes"] is True
    assert routes.inputs["importCustomRoutes"] is False


def test_the_master_range_is_advertised_to_aws(dev_plan: Plan) -> None:
    router = dev_plan.one(GCP_ROUTER)
    advertised = [r["range"] for r in router.inputs["bgp"]["advertisedIpRanges"]]
    assert cluster_of(dev_plan).inputs["privateClusterConfig"]["masterIpv4CidrBlock"] in advertised


def test_workload_identity_and_the_gke_metadata_server_are_on(dev_plan: Plan) -> None:
    cluster = cluster_of(dev_plan)
    assert cluster.inputs["workloadIdentityConfig"] == {"workloadPool": "crossmesh-dev-000000.svc.id.goog"}
    assert cluster.inputs["nodeConfig"]["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    pool = dev_plan.one(GKE_NODE_POOL)
    assert pool.inputs["nodeConfig"]["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}


def test_dataplane_v2_enforces_network_policy_with_the_calico_block_written_disabled(dev_plan: Plan) -> None:
    inputs = cluster_of(dev_plan).inputs
    assert inputs["datapathProvider"] == "ADVANCED_DATAPATH"
    # GKE refuses the Calico add-on alongside Dataplane V2, which enforces policy itself; the block says
    # so explicitly, as Google's own GKE module writes it and as Checkov's CKV_GCP_12 reads it.
    assert inputs["networkPolicy"] == {"enabled": False}
    assert "networkPolicyConfig" not in inputs["addonsConfig"]


def test_the_release_channel_follows_the_config(plan_of: Callable[..., Plan]) -> None:
    assert cluster_of(plan_of("dev")).inputs["releaseChannel"] == {"channel": "REGULAR"}
    assert cluster_of(plan_of("prod")).inputs["releaseChannel"] == {"channel": "STABLE"}


def test_legacy_authentication_and_alpha_features_are_off(dev_plan: Plan) -> None:
    inputs = cluster_of(dev_plan).inputs
    assert inputs["enableLegacyAbac"] is False
    assert inputs["enableKubernetesAlpha"] is False
    assert inputs["masterAuth"] == {"clientCertificateConfig": {"issueClientCertificate": False}}


def test_shielded_nodes_boot_securely_and_are_integrity_monitored(dev_plan: Plan) -> None:
    shielded = {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
    assert cluster_of(dev_plan).inputs["enableShieldedNodes"] is True
    assert cluster_of(dev_plan).inputs["nodeConfig"]["shieldedInstanceConfig"] == shielded
    assert dev_plan.one(GKE_NODE_POOL).inputs["nodeConfig"]["shieldedInstanceConfig"] == shielded


def test_nodes_run_as_a_dedicated_account_with_least_privilege_roles(dev_plan: Plan) -> None:
    account = dev_plan.one(GCP_SERVICE_ACCOUNT, "gke-nodes")
    email = account.outputs["email"]
    assert not email.endswith("-compute@developer.gserviceaccount.com")
    assert cluster_of(dev_plan).inputs["nodeConfig"]["serviceAccount"] == email
    assert dev_plan.one(GKE_NODE_POOL).inputs["nodeConfig"]["serviceAccount"] == email
    granted = [
        member.inputs["role"]
        for member in dev_plan.of_type(GCP_PROJECT_IAM_MEMBER)
        if member.inputs["member"] == f"serviceAccount:{email}"
    ]
    assert sorted(granted) == sorted(
        [
            "roles/logging.logWriter",
            "roles/monitoring.metricWriter",
            "roles/monitoring.viewer",
            "roles/stackdriver.resourceMetadata.writer",
            "roles/artifactregistry.reader",
        ]
    )


def test_secrets_are_encrypted_with_a_rotating_cloud_kms_key(dev_plan: Plan) -> None:
    key = dev_plan.one(GCP_KMS_CRYPTO_KEY)
    ring = dev_plan.one(GCP_KMS_KEY_RING)
    assert cluster_of(dev_plan).inputs["databaseEncryption"] == {"state": "ENCRYPTED", "keyName": key.id}
    assert key.inputs["keyRing"] == ring.id
    assert ring.inputs["location"] == "us-east4"  # the cluster's region, as GKE requires
    assert "name" not in ring.inputs  # auto-named: Cloud KMS keeps a deleted stack's ring forever
    assert key.inputs["purpose"] == "ENCRYPT_DECRYPT"
    seconds = int(key.inputs["rotationPeriod"].removesuffix("s"))
    assert 0 < seconds <= 90 * 24 * 3600


def test_the_gke_service_agent_alone_may_use_the_key_and_is_granted_before_the_cluster(
    dev_plan: Plan,
) -> None:
    key = dev_plan.one(GCP_KMS_CRYPTO_KEY)
    grants = dev_plan.of_type(GCP_KMS_CRYPTO_KEY_IAM_MEMBER)
    assert [(g.inputs["cryptoKeyId"], g.inputs["role"], g.inputs["member"]) for g in grants] == [
        (
            key.id,
            "roles/cloudkms.cryptoKeyEncrypterDecrypter",
            "serviceAccount:service-123456789@container-engine-robot.iam.gserviceaccount.com",
        )
    ]
    assert grants[0].urn in cluster_of(dev_plan).dependencies


def test_logging_and_monitoring_are_on(dev_plan: Plan) -> None:
    inputs = cluster_of(dev_plan).inputs
    assert inputs["loggingService"] == "logging.googleapis.com/kubernetes"
    assert inputs["monitoringService"] == "monitoring.googleapis.com/kubernetes"
    assert {"SYSTEM_COMPONENTS", "WORKLOADS"} <= set(inputs["loggingConfig"]["enableComponents"])
    assert "SYSTEM_COMPONENTS" in inputs["monitoringConfig"]["enableComponents"]
    assert inputs["monitoringConfig"]["managedPrometheus"] == {"enabled": True}


def test_the_default_pool_goes_and_a_separate_pool_autoscales_repairs_and_upgrades(dev_plan: Plan) -> None:
    assert cluster_of(dev_plan).inputs["removeDefaultNodePool"] is True
    pool = dev_plan.one(GKE_NODE_POOL)
    assert pool.inputs["cluster"] == "cm-dev-gke"
    assert pool.inputs["location"] == "us-east4"
    assert pool.inputs["autoscaling"]["minNodeCount"] == 1
    assert pool.inputs["autoscaling"]["maxNodeCount"] == 3
    # nodes.desired starts the pool, per zone, as it starts an EKS group; the autoscaler takes over.
    assert pool.inputs["initialNodeCount"] == 1
    assert pool.options["ignoreChanges"] == ["initialNodeCount"]
    assert pool.inputs["management"] == {"autoRepair": True, "autoUpgrade": True}


def test_pool_nodes_run_cos_containerd_with_the_node_tag_and_no_legacy_metadata(dev_plan: Plan) -> None:
    node = dev_plan.one(GKE_NODE_POOL).inputs["nodeConfig"]
    assert node["imageType"] == "COS_CONTAINERD"
    assert node["tags"] == ["cm-dev-gke-node"]
    assert node["metadata"] == {"disable-legacy-endpoints": "true"}
    assert node["machineType"] == "e2-standard-4"


def test_production_protects_the_cluster_and_its_keys(plan_of: Callable[..., Plan]) -> None:
    plan = plan_of("prod")
    cluster = cluster_of(plan)
    assert cluster.protect is True
    assert cluster.inputs["deletionProtection"] is True
    assert plan.one(GCP_KMS_CRYPTO_KEY).protect is True
    assert plan.one(GCP_KMS_KEY_RING).protect is True


def test_development_leaves_the_cluster_deletable(dev_plan: Plan) -> None:
    cluster = cluster_of(dev_plan)
    assert cluster.protect is False
    # pulumi-gcp defaults deletionProtection to true, which would block `pulumi destroy` of dev.
    assert cluster.inputs["deletionProtection"] is False


def test_the_kubernetes_provider_waits_for_the_pool_and_holds_a_secret_kubeconfig(dev_plan: Plan) -> None:
    (provider,) = [
        r
        for r in descendants(dev_plan, dev_plan.one(COMPONENT_GKE_CLUSTER).urn)
        if r.type == KUBERNETES_PROVIDER
    ]
    assert isinstance(provider.inputs["kubeconfig"], Secret)
    assert dev_plan.one(GKE_NODE_POOL).urn in provider.dependencies
    kubeconfig = json.loads(provider.plain_inputs["kubeconfig"])
    cluster = cluster_of(dev_plan)
    assert kubeconfig["clusters"][0]["cluster"] == {
        "server": f"https://{cluster.outputs['endpoint']}",
        "certificate-authority-data": cluster.outputs["masterAuth"]["clusterCaCertificate"],
    }
    assert kubeconfig["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert kubeconfig["current-context"] == "gke_crossmesh-dev-000000_us-east4_cm-dev-gke"
    # Replaced only with the cluster, not when the kubeconfig moves to the private endpoint.
    dns = cluster.outputs["controlPlaneEndpointsConfig"]["dnsEndpointConfig"]["endpoint"]
    assert provider.inputs["clusterIdentifier"] == f"{cluster.id} {dns}"
    assert provider.reads["clusterIdentifier"] == [cluster.urn]


def test_the_gke_outputs_are_the_name_both_endpoints_and_a_secret_kubeconfig(dev_plan: Plan) -> None:
    cluster = cluster_of(dev_plan)
    assert dev_plan.outputs["gkeClusterName"] == "cm-dev-gke"
    assert dev_plan.outputs["gkeEndpoint"] == f"https://{cluster.outputs['endpoint']}"
    assert dev_plan.outputs["gkePrivateEndpoint"] == "https://172.16.0.2"
    assert isinstance(dev_plan.outputs["gkeKubeconfig"], Secret)


@pytest.mark.parametrize("stack", ["dev", "prod", "legacy"])
def test_the_gke_cluster_depends_on_nothing_but_its_own_cloud_network(
    stack: str, plan_of: Callable[..., Plan]
) -> None:
    plan = plan_of(stack)
    resources = descendants(plan, plan.one(COMPONENT_GKE_CLUSTER).urn)
    closure = dependency_closure(plan, resources)
    assert {owning_component(plan, urn) for urn in closure} <= {COMPONENT_GKE_CLUSTER, COMPONENT_GCP_NETWORK}
    assert not any(plan.by_urn(urn).type.startswith("aws:") for urn in closure)


def test_short_prefixes_name_the_node_account_plainly() -> None:
    assert node_account_id("cm-dev") == "cm-dev-gke-nodes"


@given(st.from_regex(r"cm-[a-z][a-z0-9-]{0,40}", fullmatch=True))
def test_node_account_ids_are_always_valid_and_distinct_per_prefix(prefix: str) -> None:
    account_id = node_account_id(prefix)
    assert re.fullmatch(r"[a-z][-a-z0-9]{4,28}[a-z0-9]", account_id)
    assert account_id == node_account_id(prefix)
    if len(prefix) > 20:
        assert account_id != node_account_id(prefix + "x")


def test_the_control_plane_reaches_istiods_webhook_port_on_the_nodes(dev_plan: Plan) -> None:
    # A private cluster's control plane reaches the nodes on 443 and 10250 only; istiod's injection
    # webhook (Service 443 -> pod 15017, failurePolicy Fail) needs its own rule, or no pod is injected.
    cluster = cluster_of(dev_plan).inputs
    master = cluster["privateClusterConfig"]["masterIpv4CidrBlock"]
    (pool,) = dev_plan.of_type(GKE_NODE_POOL)
    rules = [
        rule.inputs
        for rule in dev_plan.of_type(GCP_FIREWALL)
        if rule.inputs.get("sourceRanges") == [master] and rule.inputs.get("direction") == "INGRESS"
    ]
    assert rules == [
        {
            **rules[0],
            "targetTags": pool.inputs["nodeConfig"]["tags"],
            "allows": [{"protocol": "tcp", "ports": ["15017"]}],
            "network": dev_plan.one(GCP_NETWORK).outputs["selfLink"],
        }
    ]
    assert rules[0]["priority"] == 1000
