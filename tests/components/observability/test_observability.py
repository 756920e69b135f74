"""AwsObservability and GcpObservability under the offline engine: what each alarm, policy, collector
and role names, what the switches take away, and that neither side waits on the other cloud."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.observability import specs
from offline.record import Plan, Registration
from tests.support.plans import planned, stack_config
from tests.support.resource_tree import descendants, policy_document
from tests.support.types import (
    AWS_VPN_CONNECTION,
    CLOUDWATCH_DASHBOARD,
    CLOUDWATCH_LOG_GROUP,
    CLOUDWATCH_LOG_METRIC_FILTER,
    CLOUDWATCH_METRIC_ALARM,
    COMPONENT_AWS_OBSERVABILITY,
    COMPONENT_GCP_OBSERVABILITY,
    EKS_ADDON,
    EKS_CLUSTER,
    GCP_ALERT_POLICY,
    GCP_MONITORING_DASHBOARD,
    GCP_PROJECT_IAM_MEMBER,
    GCP_ROUTER_PEER,
    GCP_SERVICE_ACCOUNT,
    GCP_SERVICE_ACCOUNT_IAM_MEMBER,
    GCP_VPN_TUNNEL,
    GKE_CLUSTER,
    GMP_CLUSTER_POD_MONITORING,
    GMP_POD_MONITORING,
    HELM_RELEASE,
    IAM_OIDC_PROVIDER,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_ROLE_POLICY_ATTACHMENT,
    ISTIO_TELEMETRY,
    K8S_NAMESPACE,
    KMS_KEY,
)

TOPIC = "arn:aws:sns:us-east-1:111122223333:platform-alerts"
CHANNEL = "projects/crossmesh-dev-000000/notificationChannels/42"
# One plan serves the threshold and notification tests.
TUNED = {
    "crossCloudErrorPercent": 2.5,
    "crossCloudLatencyP99Ms": 250,
    "snsTopicArn": TOPIC,
    "gcpNotificationChannels": [CHANNEL],
}
ALL_OFF = {
    "tracing": False,
    "containerInsights": False,
    "managedPrometheus": False,
    "alarms": False,
    "dashboards": False,
}


def under(plan: Plan, component_type: str, type_token: str) -> list[Registration]:
    """The resources of one type inside the observability component of one cloud."""
    return [r for r in descendants(plan, plan.one(component_type).urn) if r.type == type_token]


def tunnel_alarms(plan: Plan) -> list[Registration]:
    return [
        r
        for r in under(plan, COMPONENT_AWS_OBSERVABILITY, CLOUDWATCH_METRIC_ALARM)
        if r.inputs.get("metricName") == "TunnelState"
    ]


def policy(plan: Plan, suffix: str) -> Registration:
    (found,) = [
        r for r in plan.of_type(GCP_ALERT_POLICY) if r.inputs["userLabels"]["crossmesh-alert"] == suffix
    ]
    return found


def trust_subject(role: Registration) -> tuple[str, dict[str, str]]:
    (statement,) = policy_document(role, "assumeRolePolicy")["Statement"]
    return statement["Principal"]["Federated"], statement["Condition"]["StringEquals"]


# --- the link --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "tunnels"), [("dev", 4), ("prod", 8), ("legacy", 4)])
def test_one_tunnel_state_alarm_per_tunnel_naming_its_vpn_connection_and_outside_ip(
    stack: str, tunnels: int
) -> None:
    plan = planned(stack)
    rows = plan.outputs["tunnels"]
    alarms = tunnel_alarms(plan)
    assert len(rows) == len(alarms) == tunnels
    expected = set()
    for row in rows:
        ip = row["awsOutsideIp"]
        (vpn,) = [
            v
            for v in plan.of_type(AWS_VPN_CONNECTION)
            if ip in (v.outputs["tunnel1Address"], v.outputs["tunnel2Address"])
        ]
        expected.add((vpn.id, ip))
    dimensions = [
        (a.inputs["dimensions"]["VpnId"], a.inputs["dimensions"]["TunnelIpAddress"]) for a in alarms
    ]
    assert sorted(dimensions) == sorted(expected)
    assert all(set(a.inputs["dimensions"]) == {"VpnId", "TunnelIpAddress"} for a in alarms)
    for alarm in alarms:
        assert alarm.inputs["namespace"] == "AWS/VPN"
        assert (alarm.inputs["comparisonOperator"], alarm.inputs["threshold"]) == ("LessThanThreshold", 1)
        assert alarm.inputs["treatMissingData"] == "breaching"


def test_the_tunnel_policy_names_every_cloud_vpn_tunnel_and_nothing_else(dev_plan: Plan) -> None:
    names = sorted(t.outputs["name"] for t in dev_plan.of_type(GCP_VPN_TUNNEL))
    conditions = policy(dev_plan, "vpn-tunnels").inputs["conditions"]
    assert {c["displayName"] for c in conditions} == {"Tunnel not established", "Tunnel reports nothing"}
    for condition in conditions:
        body = condition.get("conditionThreshold") or condition["conditionAbsent"]
        assert body["filter"] == specs.tunnel_established_filter(names)


def test_the_bgp_policy_watches_the_session_of_every_router_peer_by_its_name(dev_plan: Plan) -> None:
    routers = dev_plan.of_type(GCP_ROUTER_PEER)
    assert {p.inputs["peerIpAddress"] for p in routers} == {
        row["awsInsideIp"] for row in dev_plan.outputs["tunnels"]
    }
    (condition,) = policy(dev_plan, "bgp-sessions").inputs["conditions"]
    threshold = condition["conditionThreshold"]
    assert threshold["filter"] == specs.bgp_session_filter([p.inputs["name"] for p in routers])
    assert threshold["aggregations"][0]["groupByFields"] == ["metric.label.bgp_peer_name"]


def test_an_interconnect_link_has_no_tunnel_alarms_but_keeps_the_request_alarms() -> None:
    link = {
        "kind": "interconnect",
        "interconnect": {"remoteProfile": "aws-us-east-1", "awsAccountId": "123456789012"},
    }
    plan = planned("dev", {"link": link})
    assert tunnel_alarms(plan) == []
    suffixes = {r.inputs["userLabels"]["crossmesh-alert"] for r in plan.of_type(GCP_ALERT_POLICY)}
    assert suffixes == {"cross-cloud-errors", "cross-cloud-latency"}
    assert {a.inputs["name"] for a in plan.of_type(CLOUDWATCH_METRIC_ALARM)} == {
        "cm-dev-cross-cloud-5xx",
        "cm-dev-cross-cloud-p99",
        "cm-dev-mesh-certificate-renewal-overdue",
    }


# --- tracing -----------------------------------------------------------------------------------------------


def collector(plan: Plan, component_type: str) -> dict[str, Any]:
    (release,) = under(plan, component_type, HELM_RELEASE)
    assert release.inputs["chart"] == specs.COLLECTOR_CHART
    assert release.inputs["version"] == specs.COLLECTOR_CHART_VERSION
    assert release.inputs["repositoryOpts"] == {"repo": specs.COLLECTOR_CHART_REPO}
    assert release.inputs["namespace"] == specs.COLLECTOR_NAMESPACE
    values: dict[str, Any] = release.inputs["values"]
    return values


def test_the_eks_collector_exports_to_xray_in_the_stack_region_as_its_irsa_role(dev_plan: Plan) -> None:
    values = collector(dev_plan, COMPONENT_AWS_OBSERVABILITY)
    assert values["config"]["exporters"] == {
        "awsxray": {"region": "us-east-1", "index_all_attributes": False}
    }
    role = dev_plan.one(IAM_ROLE, "aws-observability-collector")
    assert values["serviceAccount"]["annotations"] == {"eks.amazonaws.com/role-arn": role.outputs["arn"]}

    provider, conditions = trust_subject(role)
    assert provider == dev_plan.one(IAM_OIDC_PROVIDER).outputs["arn"]
    issuer = dev_plan.one(IAM_OIDC_PROVIDER).inputs["url"].removeprefix("https://")
    assert conditions == {
        f"{issuer}:sub": "system:serviceaccount:observability:otel-collector",
        f"{issuer}:aud": "sts.amazonaws.com",
    }


def test_the_xray_role_may_only_write_traces_and_read_sampling_rules(dev_plan: Plan) -> None:
    role = dev_plan.one(IAM_ROLE, "aws-observability-collector")
    grants = [
        r
        for r in dev_plan.of_type(IAM_ROLE_POLICY) + dev_plan.of_type(IAM_ROLE_POLICY_ATTACHMENT)
        if r.inputs["role"] in (role.id, role.outputs["name"])
    ]
    (grant,) = grants
    (statement,) = policy_document(grant, "policy")["Statement"]
    assert sorted(statement["Action"]) == sorted(specs.XRAY_ACTIONS)
    assert statement["Resource"] == "*"
    release = dev_plan.one(HELM_RELEASE, "aws-observability-collector")
    assert grant.urn in release.dependencies


def test_the_gke_collector_exports_to_cloud_trace_as_a_workload_identity_account(dev_plan: Plan) -> None:
    values = collector(dev_plan, COMPONENT_GCP_OBSERVABILITY)
    assert values["config"]["exporters"] == {"googlecloud": {"project": "crossmesh-dev-000000"}}
    (account,) = under(dev_plan, COMPONENT_GCP_OBSERVABILITY, GCP_SERVICE_ACCOUNT)
    email = account.outputs["email"]
    assert values["serviceAccount"]["annotations"] == {"iam.gke.io/gcp-service-account": email}

    roles = [
        m.inputs["role"]
        for m in dev_plan.of_type(GCP_PROJECT_IAM_MEMBER)
        if m.inputs["member"] == f"serviceAccount:{email}"
    ]
    assert roles == ["roles/cloudtrace.agent"]
    (binding,) = under(dev_plan, COMPONENT_GCP_OBSERVABILITY, GCP_SERVICE_ACCOUNT_IAM_MEMBER)
    assert binding.inputs["serviceAccountId"] == account.outputs["name"]
    assert binding.inputs["role"] == "roles/iam.workloadIdentityUser"
    assert (
        binding.inputs["member"]
        == "serviceAccount:crossmesh-dev-000000.svc.id.goog[observability/otel-collector]"
    )


def test_the_workload_identity_binding_waits_for_the_cluster_that_creates_the_pool(dev_plan: Plan) -> None:
    # The pool <project>.svc.id.goog exists only once a Workload Identity cluster does; a binding made
    # earlier fails with "Identity Pool does not exist" (terraform-google-kubernetes-engine #916).
    (binding,) = under(dev_plan, COMPONENT_GCP_OBSERVABILITY, GCP_SERVICE_ACCOUNT_IAM_MEMBER)
    cluster = dev_plan.one(GKE_CLUSTER)
    assert cluster.urn in binding.data_dependencies
    pool = cluster.inputs["workloadIdentityConfig"]["workloadPool"]
    assert binding.inputs["member"].startswith(f"serviceAccount:{pool}[")


@pytest.mark.parametrize(("stack", "percent"), [("dev", 10), ("prod", 5)])
def test_both_meshes_trace_at_the_configured_sampling_rate(stack: str, percent: float) -> None:
    plan = planned(stack)
    telemetry = plan.of_type(ISTIO_TELEMETRY)
    assert len(telemetry) == 2
    for item in telemetry:
        assert item.inputs["spec"]["tracing"][0]["randomSamplingPercentage"] == percent


def test_istiod_declares_every_provider_the_telemetry_names(dev_plan: Plan) -> None:
    for cloud in ("aws", "gcp"):
        istiod = dev_plan.one(HELM_RELEASE, f"istio-{cloud}-istiod")
        declared = {p["name"] for p in istiod.inputs["values"]["meshConfig"]["extensionProviders"]}
        (telemetry,) = under(
            dev_plan,
            COMPONENT_AWS_OBSERVABILITY if cloud == "aws" else COMPONENT_GCP_OBSERVABILITY,
            ISTIO_TELEMETRY,
        )
        spec = telemetry.inputs["spec"]
        named = {p["name"] for entry in spec["tracing"] + spec["accessLogging"] for p in entry["providers"]}
        assert named <= declared
        assert istiod.urn in telemetry.dependencies


def test_the_app_mesh_cluster_keeps_xray_through_its_controller_and_gets_no_collector() -> None:
    plan = planned("legacy")
    assert under(plan, COMPONENT_AWS_OBSERVABILITY, HELM_RELEASE) == []
    assert under(plan, COMPONENT_AWS_OBSERVABILITY, ISTIO_TELEMETRY) == []
    assert len(under(plan, COMPONENT_GCP_OBSERVABILITY, HELM_RELEASE)) == 1
    # Calls to an App Mesh cluster carry no destination_cluster, so no request alarm could see them.
    assert {r.inputs["userLabels"]["crossmesh-alert"] for r in plan.of_type(GCP_ALERT_POLICY)} == {
        "vpn-tunnels",
        "bgp-sessions",
    }
    assert plan.of_type(CLOUDWATCH_LOG_METRIC_FILTER) == []
    assert specs.appmesh_tracing_values() == {"tracing": {"enabled": True, "provider": "x-ray"}}


# --- metrics and logs ---------------------------------------------------------------------------------


def test_container_insights_runs_with_its_irsa_role_into_retained_encrypted_log_groups(
    dev_plan: Plan,
) -> None:
    addon = dev_plan.one(EKS_ADDON, "aws-observability-container-insights")
    assert addon.inputs["addonName"] == "amazon-cloudwatch-observability"
    role = dev_plan.one(IAM_ROLE, "aws-observability-container-insights")
    assert addon.inputs["serviceAccountRoleArn"] == role.outputs["arn"]
    _, conditions = trust_subject(role)
    assert "system:serviceaccount:amazon-cloudwatch:cloudwatch-agent" in conditions.values()
    (attachment,) = [
        a for a in dev_plan.of_type(IAM_ROLE_POLICY_ATTACHMENT) if a.inputs["role"] == role.outputs["name"]
    ]
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"

    groups = under(dev_plan, COMPONENT_AWS_OBSERVABILITY, CLOUDWATCH_LOG_GROUP)
    cluster = dev_plan.outputs["eksClusterName"]
    assert sorted(g.inputs["name"] for g in groups) == sorted(
        f"/aws/containerinsights/{cluster}/{kind}"
        for kind in ("application", "dataplane", "host", "performance")
    )
    logs_key = dev_plan.one(KMS_KEY, "aws-network-logs-key").outputs["arn"]
    for group in groups:
        assert group.inputs["retentionInDays"] == 365
        assert group.inputs["kmsKeyId"] == logs_key
        assert group.urn in addon.dependencies


def test_managed_prometheus_scrapes_istiod_and_every_istio_proxy(dev_plan: Plan) -> None:
    (istiod,) = dev_plan.of_type(GMP_POD_MONITORING)
    assert istiod.inputs["metadata"]["namespace"] == "istio-system"
    assert istiod.inputs["spec"]["endpoints"][0]["port"] == 15014
    (proxies,) = dev_plan.of_type(GMP_CLUSTER_POD_MONITORING)
    assert proxies.inputs["spec"]["endpoints"] == [
        {"port": 15020, "path": "/stats/prometheus", "interval": "30s"}
    ]
    gke = dev_plan.one(GKE_CLUSTER)
    assert gke.inputs["monitoringConfig"]["managedPrometheus"]["enabled"] is True


def test_logs_stay_on_in_both_clouds(dev_plan: Plan) -> None:
    gke = dev_plan.one(GKE_CLUSTER)
    assert gke.inputs["loggingService"] == "logging.googleapis.com/kubernetes"
    assert set(gke.inputs["loggingConfig"]["enableComponents"]) >= {"SYSTEM_COMPONENTS", "WORKLOADS"}
    eks = dev_plan.one(EKS_CLUSTER)
    assert len(eks.inputs["enabledClusterLogTypes"]) == 5
    retained = {
        g.inputs["name"]: g.inputs.get("retentionInDays") for g in dev_plan.of_type(CLOUDWATCH_LOG_GROUP)
    }
    assert retained[f"/aws/eks/{dev_plan.outputs['eksClusterName']}/cluster"] == 365
    assert retained["/crossmesh/cm-dev/vpn-tunnels"] == 365


# --- request alarms ----------------------------------------------------------------------------------


def test_aws_request_alarms_read_metric_filters_on_the_cross_cloud_log_lines(dev_plan: Plan) -> None:
    filters = {
        f.inputs["metricTransformation"]["name"]: f for f in dev_plan.of_type(CLOUDWATCH_LOG_METRIC_FILTER)
    }
    assert set(filters) == {specs.REQUESTS_METRIC, specs.ERRORS_METRIC, specs.LATENCY_METRIC}
    cluster = dev_plan.outputs["eksClusterName"]
    for metric_filter in filters.values():
        assert metric_filter.inputs["logGroupName"] == f"/aws/containerinsights/{cluster}/application"
        assert metric_filter.inputs["metricTransformation"]["namespace"] == "CrossMesh/cm-dev"
    assert filters[specs.LATENCY_METRIC].inputs["metricTransformation"]["value"] == "$.log_processed.duration"
    assert ">= 500" in filters[specs.ERRORS_METRIC].inputs["pattern"]

    errors = dev_plan.one(CLOUDWATCH_METRIC_ALARM, "aws-observability-cross-cloud-errors")
    queried = {q["metric"]["metricName"] for q in errors.inputs["metricQueries"] if "metric" in q}
    assert queried == {specs.REQUESTS_METRIC, specs.ERRORS_METRIC}
    assert errors.inputs["threshold"] == 5
    latency = dev_plan.one(CLOUDWATCH_METRIC_ALARM, "aws-observability-cross-cloud-latency")
    assert (latency.inputs["extendedStatistic"], latency.inputs["threshold"]) == ("p99", 1000)


def test_gcp_request_policies_query_calls_from_gke_to_eks_against_the_thresholds() -> None:
    plan = planned("dev", {"observability": TUNED})
    local, remote = plan.outputs["gkeClusterName"], plan.outputs["eksClusterName"]
    (errors,) = policy(plan, "cross-cloud-errors").inputs["conditions"]
    query = errors["conditionPrometheusQueryLanguage"]["query"]
    assert query == f"{specs.cross_cloud_error_percent_query(local, remote)} > 2.5"
    (latency,) = policy(plan, "cross-cloud-latency").inputs["conditions"]
    assert (
        latency["conditionPrometheusQueryLanguage"]["query"]
        == f"{specs.cross_cloud_p99_query(local, remote)} > 250"
    )
    assert (
        plan.one(CLOUDWATCH_METRIC_ALARM, "aws-observability-cross-cloud-errors").inputs["threshold"] == 2.5
    )


def test_notification_targets_from_config_reach_every_alarm_and_policy() -> None:
    plan = planned("dev", {"observability": TUNED})
    for alarm in plan.of_type(CLOUDWATCH_METRIC_ALARM):
        assert alarm.inputs["alarmActions"] == [TOPIC] == alarm.inputs["okActions"]
    for alert in plan.of_type(GCP_ALERT_POLICY):
        assert alert.inputs["notificationChannels"] == [CHANNEL]


def test_without_notification_targets_alarms_notify_nobody(dev_plan: Plan) -> None:
    assert all(a.inputs["alarmActions"] == [] for a in dev_plan.of_type(CLOUDWATCH_METRIC_ALARM))
    assert all(p.inputs["notificationChannels"] == [] for p in dev_plan.of_type(GCP_ALERT_POLICY))


# --- dashboards ---------------------------------------------------------------------------------------


def test_the_cloudwatch_dashboard_charts_the_real_tunnels(dev_plan: Plan) -> None:
    (dashboard,) = dev_plan.of_type(CLOUDWATCH_DASHBOARD)
    body = json.loads(dashboard.inputs["dashboardBody"])
    states = [m for w in body["widgets"] for m in w["properties"].get("metrics", []) if m[1] == "TunnelState"]
    assert sorted(m[5] for m in states) == sorted(row["awsOutsideIp"] for row in dev_plan.outputs["tunnels"])
    assert {m[3] for m in states} == {v.id for v in dev_plan.of_type(AWS_VPN_CONNECTION)}


def test_the_cloud_monitoring_dashboard_charts_the_real_tunnels(dev_plan: Plan) -> None:
    (dashboard,) = dev_plan.of_type(GCP_MONITORING_DASHBOARD)
    tiles = json.loads(dashboard.inputs["dashboardJson"])["mosaicLayout"]["tiles"]
    filters = [
        data_set["timeSeriesQuery"]["timeSeriesFilter"]["filter"]
        for tile in tiles
        for data_set in tile["widget"]["xyChart"]["dataSets"]
        if "timeSeriesFilter" in data_set["timeSeriesQuery"]
    ]
    names = [tunnel.outputs["name"] for tunnel in dev_plan.of_type(GCP_VPN_TUNNEL)]
    assert specs.tunnel_established_filter(names) in filters
    assert specs.bgp_session_filter([p.inputs["name"] for p in dev_plan.of_type(GCP_ROUTER_PEER)]) in filters


# --- switches and independence -------------------------------------------------------------------------


def test_every_part_is_on_by_default(dev_plan: Plan) -> None:
    for token in (
        CLOUDWATCH_METRIC_ALARM,
        GCP_ALERT_POLICY,
        CLOUDWATCH_DASHBOARD,
        GCP_MONITORING_DASHBOARD,
        ISTIO_TELEMETRY,
        GMP_POD_MONITORING,
        CLOUDWATCH_LOG_METRIC_FILTER,
    ):
        assert dev_plan.of_type(token), token
    # Istio's three per cluster, the collector per cloud, the EKS cluster autoscaler.
    assert len(dev_plan.of_type(HELM_RELEASE)) == 6 + 2 + 1


def test_switching_everything_off_leaves_no_observability_resource() -> None:
    plan = planned("dev", {"observability": ALL_OFF})
    for token in (
        CLOUDWATCH_METRIC_ALARM,
        GCP_ALERT_POLICY,
        CLOUDWATCH_DASHBOARD,
        GCP_MONITORING_DASHBOARD,
        GMP_POD_MONITORING,
        CLOUDWATCH_LOG_METRIC_FILTER,
        GCP_SERVICE_ACCOUNT_IAM_MEMBER,
    ):
        assert plan.of_type(token) == [], token
    assert (
        under(plan, COMPONENT_AWS_OBSERVABILITY, HELM_RELEASE)
        == under(plan, COMPONENT_GCP_OBSERVABILITY, HELM_RELEASE)
        == []
    )
    assert (
        under(plan, COMPONENT_AWS_OBSERVABILITY, EKS_ADDON)
        == under(plan, COMPONENT_AWS_OBSERVABILITY, IAM_ROLE)
        == []
    )
    assert under(plan, COMPONENT_AWS_OBSERVABILITY, ISTIO_TELEMETRY) == []
    # GKE's own logging stays: the cross-cloud access log still reaches Cloud Logging.
    (telemetry,) = under(plan, COMPONENT_GCP_OBSERVABILITY, ISTIO_TELEMETRY)
    assert "tracing" not in telemetry.inputs["spec"]


def test_each_switch_takes_away_only_its_part() -> None:
    plan = planned(
        "dev",
        {"observability": {"containerInsights": False, "managedPrometheus": False, "dashboards": False}},
    )
    assert len(tunnel_alarms(plan)) == 4
    assert {r.inputs["userLabels"]["crossmesh-alert"] for r in plan.of_type(GCP_ALERT_POLICY)} == {
        "vpn-tunnels",
        "bgp-sessions",
    }
    # The AWS request alarms read Container Insights' log group: without it they have nothing to read.
    assert plan.of_type(CLOUDWATCH_LOG_METRIC_FILTER) == []
    assert plan.of_type(GMP_POD_MONITORING) == plan.of_type(GMP_CLUSTER_POD_MONITORING) == []
    assert plan.of_type(CLOUDWATCH_DASHBOARD) == plan.of_type(GCP_MONITORING_DASHBOARD) == []
    assert (
        len(under(plan, COMPONENT_AWS_OBSERVABILITY, HELM_RELEASE))
        == len(under(plan, COMPONENT_GCP_OBSERVABILITY, HELM_RELEASE))
        == 1
    )
    (telemetry,) = under(plan, COMPONENT_AWS_OBSERVABILITY, ISTIO_TELEMETRY)
    assert set(telemetry.inputs["spec"]) == {"tracing"}
    gke = plan.one(GKE_CLUSTER)
    assert gke.inputs["monitoringConfig"]["managedPrometheus"]["enabled"] is False


@pytest.mark.parametrize("stack", ["dev", "legacy"])
def test_neither_side_depends_on_the_other_clouds_resources(stack: str) -> None:
    plan = planned(stack)
    clouds = {r.urn: r.type.split(":")[0] for r in plan.resources}
    for side, own, other in (
        (COMPONENT_AWS_OBSERVABILITY, "aws", "gcp"),
        (COMPONENT_GCP_OBSERVABILITY, "gcp", "aws"),
    ):
        for resource in descendants(plan, plan.one(side).urn):
            assert resource.type.split(":")[0] in (own, "kubernetes")
            assert not [d for d in resource.dependencies if clouds.get(d) == other], resource.urn


def test_the_stack_outputs_name_the_tunnel_alarms_and_both_dashboards(dev_plan: Plan) -> None:
    assert sorted(dev_plan.outputs["tunnelAlarms"]) == sorted(
        a.outputs["name"] for a in tunnel_alarms(dev_plan)
    )
    assert (
        dev_plan.outputs["cloudWatchDashboard"] == dev_plan.one(CLOUDWATCH_DASHBOARD).inputs["dashboardName"]
    )
    assert dev_plan.outputs["monitoringDashboard"] == dev_plan.one(GCP_MONITORING_DASHBOARD).id


@pytest.mark.parametrize("side", [COMPONENT_AWS_OBSERVABILITY, COMPONENT_GCP_OBSERVABILITY])
def test_tracing_starts_only_once_the_collector_is_installed(dev_plan: Plan, side: str) -> None:
    (telemetry,) = under(dev_plan, side, ISTIO_TELEMETRY)
    (release,) = under(dev_plan, side, HELM_RELEASE)
    assert release.urn in telemetry.dependencies


@pytest.mark.parametrize("side", [COMPONENT_AWS_OBSERVABILITY, COMPONENT_GCP_OBSERVABILITY])
def test_the_collector_namespace_opts_out_of_sidecar_injection(dev_plan: Plan, side: str) -> None:
    (namespace,) = under(dev_plan, side, K8S_NAMESPACE)
    assert namespace.inputs["metadata"] == {
        "name": "observability",
        "labels": {"istio-injection": "disabled"},
    }


def test_the_collector_chart_version_is_stack_config() -> None:
    observability = {**stack_config("dev", "observability"), "collectorChartVersion": "0.169.0"}
    plan = planned("dev", {"observability": observability})
    versions = {
        r.name: r.inputs["version"] for r in plan.of_type(HELM_RELEASE) if r.name.endswith("-collector")
    }
    assert versions == {"aws-observability-collector": "0.169.0", "gcp-observability-collector": "0.169.0"}
