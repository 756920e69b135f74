"""The cost model over real plans: every resource priced or free, nothing counted twice, the dev
stack's fixed part redone by hand from the price file, and what a tunnel group adds."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest
import yaml

from offline.commands.cost_summary import DEFAULT_USAGE, plan_estimate
from offline.cost import Estimate, cost_delta, estimate
from offline.cost_rules import FREE, RULES, Kind, Usage, free_reason
from offline.prices import PRICES_PATH
from offline.record import Plan
from tests.support.config_samples import INTERCONNECT
from tests.support.plans import PROJECT_DIR, STACKS, planned
from tests.support.types import (
    AWS_CUSTOMER_GATEWAY,
    AWS_EIP,
    AWS_LAUNCH_TEMPLATE,
    AWS_NAT_GATEWAY,
    AWS_VPN_CONNECTION,
    CLOUDWATCH_DASHBOARD,
    CLOUDWATCH_LOG_METRIC_FILTER,
    CLOUDWATCH_METRIC_ALARM,
    EKS_CLUSTER,
    EKS_NODE_GROUP,
    GCP_ALERT_POLICY,
    GCP_DNS_ZONE,
    GCP_EXTERNAL_VPN_GATEWAY,
    GCP_HA_VPN_GATEWAY,
    GCP_KMS_CRYPTO_KEY,
    GCP_ROUTER_INTERFACE,
    GCP_ROUTER_NAT,
    GCP_ROUTER_PEER,
    GCP_VPN_TUNNEL,
    GKE_CLUSTER,
    GKE_NODE_POOL,
    HELM_RELEASE,
    KMS_KEY,
    RANDOM_PASSWORD,
    ROUTE53_RESOLVER_ENDPOINT,
    TGW_ROUTE_TABLE_ASSOCIATION,
    TGW_ROUTE_TABLE_PROPAGATION,
    TGW_VPC_ATTACHMENT,
)

HOURS = 730
DEV_LINK: dict[str, Any] = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"][
    "crossmesh:link"
]
VARIANTS: Mapping[str, tuple[str, Mapping[str, Any]]] = {
    **{stack: (stack, {}) for stack in STACKS},
    "dev, two tunnel groups": ("dev", {"link": {**DEV_LINK, "tunnelGroups": 2}}),
    "dev, interconnect": ("dev", {"link": {"kind": "interconnect", "interconnect": INTERCONNECT}}),
}


def _estimate(variant: str) -> tuple[Plan, Estimate]:
    stack, overrides = VARIANTS[variant]
    plan = planned(stack, overrides)
    return plan, plan_estimate(plan)[0]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_resource_is_priced_or_free_with_a_reason(variant: str) -> None:
    plan, result = _estimate(variant)
    assert result.unclassified == ()
    free = {resource.urn for resource in result.free}
    for resource in plan.resources:
        if resource.custom:
            priced = resource.urn in result.priced_resources
            assert priced or resource.urn in free, resource.urn
            assert priced or free_reason(resource.type), resource.type
    # Each free resource carries its type's reason, and a priced one is never also listed free.
    assert all(r.reason == free_reason(r.type) for r in result.free)
    assert not free & result.priced_resources


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_no_resource_is_counted_twice_under_one_price_item(variant: str) -> None:
    _, result = _estimate(variant)
    counted: Counter[tuple[str, str]] = Counter()
    for line in result.lines:
        assert len(line.resources) == len(set(line.resources)), line.what
        counted.update((line.item, urn) for urn in line.resources)
    assert [key for key, times in counted.items() if times > 1] == []


def test_a_type_with_a_rule_is_free_only_where_some_of_its_resources_cost_nothing() -> None:
    # A type listed free and priced by a rule must be one whose rule prices only some resources.
    both = set(RULES) & set(FREE)
    assert both == {
        "aws:eks/addon:Addon",
        "gcp:compute/subnetwork:Subnetwork",
        "gcp:compute/address:Address",
    }


def test_the_dev_fixed_part_is_the_price_file_times_the_resource_list() -> None:
    """Redone without the rules: count the resources, read their inputs, multiply by the price file."""
    resources = planned("dev").to_contract()["resources"]
    items = json.loads(PRICES_PATH.read_text())["items"]
    aws, gcp = "us-east-1", "us-east4"
    count = Counter(resource["type"] for resource in resources)

    def inputs_of(type_token: str) -> list[dict[str, Any]]:
        return [resource["inputs"] for resource in resources if resource["type"] == type_token]

    (group,), (pool,), (template,) = (
        inputs_of(EKS_NODE_GROUP),
        inputs_of(GKE_NODE_POOL),
        inputs_of(AWS_LAUNCH_TEMPLATE),
    )
    eks_nodes = group["scalingConfig"]["desiredSize"]
    gke_nodes = pool["initialNodeCount"] * 3  # a regional pool: the count is per zone, in 3 zones
    volume_gb = template["blockDeviceMappings"][0]["ebs"]["volumeSize"]
    gateways = [r for r in resources if r["type"] == HELM_RELEASE and r["inputs"]["chart"] == "gateway"]
    vpn = count[AWS_VPN_CONNECTION]
    alarm_metrics = sum(
        len([query for query in alarm.get("metricQueries", []) if "metric" in query]) or 1
        for alarm in inputs_of(CLOUDWATCH_METRIC_ALARM)
    )
    hourly = {
        ("aws.eks.cluster_hour.standard", aws): count[EKS_CLUSTER],
        ("gcp.gke.cluster_hour", gcp): count[GKE_CLUSTER],
        ("aws.ec2.instance_hour.m6i.large", aws): eks_nodes,
        ("gcp.gce.machine_hour.e2-standard-4", gcp): gke_nodes,
        ("aws.nat.gateway_hour", aws): count[AWS_NAT_GATEWAY],
        ("aws.vpc.public_ipv4_hour", aws): count[AWS_EIP] + 2 * vpn,
        ("aws.vpn.connection_hour", aws): vpn,
        ("aws.tgw.attachment_hour", aws): vpn + count[TGW_VPC_ATTACHMENT],
        ("gcp.vpn.tunnel_hour", gcp): count[GCP_VPN_TUNNEL],
        ("aws.route53.resolver_endpoint.eni_hour", aws): sum(
            len(endpoint["ipAddresses"]) for endpoint in inputs_of(ROUTE53_RESOLVER_ENDPOINT)
        ),
        ("gcp.nat.vm_hour", gcp): gke_nodes,
        ("gcp.nat.ip_hour", gcp): count[GCP_ROUTER_NAT],
        ("aws.nlb.hour", aws): len([g for g in gateways if g["provider"].endswith("::eks-k8s")]),
        ("gcp.lb.forwarding_rule_hour.first5", gcp): 1,
    }
    monthly = {
        ("aws.ebs.gp3.gb_month", aws): eks_nodes * volume_gb,
        ("gcp.pd.balanced.gb_month", gcp): gke_nodes * pool["nodeConfig"]["diskSizeGb"],
        ("aws.kms.key_month", aws): count[KMS_KEY],
        ("gcp.kms.key_version_month", gcp): count[GCP_KMS_CRYPTO_KEY],
        ("gcp.dns.managed_zone_month", "global"): count[GCP_DNS_ZONE],
        ("aws.cloudwatch.dashboard_month", "global"): count[CLOUDWATCH_DASHBOARD],
        ("aws.cloudwatch.alarm_metric_month.standard", aws): alarm_metrics,
        ("aws.cloudwatch.custom_metric_month", aws): count[CLOUDWATCH_LOG_METRIC_FILTER],
        ("gcp.monitoring.alert_condition_month", "global"): sum(
            len(policy["conditions"]) for policy in inputs_of(GCP_ALERT_POLICY)
        ),
    }
    by_hand = sum(n * items[item]["prices"][region] * HOURS for (item, region), n in hourly.items()) + sum(
        n * items[item]["prices"][region] for (item, region), n in monthly.items()
    )
    _, result = _estimate("dev")
    assert result.total([Kind.FIXED]).desired == pytest.approx(by_hand, abs=0.005)
    assert {line.item for line in result.of_kind(Kind.FIXED)} == {item for item, _ in [*hourly, *monthly]}


def test_a_tunnel_group_raises_the_fixed_part_by_the_price_of_what_it_adds() -> None:
    _, one = _estimate("dev")
    plan_two, two = _estimate("dev, two tunnel groups")
    added = Counter(r.type for r in plan_two.resources) - Counter(r.type for r in planned("dev").resources)
    assert added == Counter(
        {
            AWS_VPN_CONNECTION: 2,
            AWS_CUSTOMER_GATEWAY: 2,
            TGW_ROUTE_TABLE_ASSOCIATION: 2,
            TGW_ROUTE_TABLE_PROPAGATION: 2,
            GCP_HA_VPN_GATEWAY: 1,
            GCP_EXTERNAL_VPN_GATEWAY: 1,
            GCP_VPN_TUNNEL: 4,
            GCP_ROUTER_INTERFACE: 4,
            GCP_ROUTER_PEER: 4,
            RANDOM_PASSWORD: 4,
            CLOUDWATCH_METRIC_ALARM: 4,
        }
    )
    items = json.loads(PRICES_PATH.read_text())["items"]

    def price(item: str, region: str = "us-east-1") -> float:
        return float(items[item]["prices"][region])

    # Two VPN connections, each with its Transit Gateway attachment and two outside addresses; four
    # HA VPN tunnels; one alarm metric per tunnel. Gateways, peers and route tables cost nothing.
    per_connection = price("aws.vpn.connection_hour") + price("aws.tgw.attachment_hour")
    per_connection += 2 * price("aws.vpc.public_ipv4_hour")
    expected = HOURS * (2 * per_connection + 4 * price("gcp.vpn.tunnel_hour", "us-east4"))
    expected += 4 * price("aws.cloudwatch.alarm_metric_month.standard")
    raised = two.total([Kind.FIXED]) - one.total([Kind.FIXED])
    assert raised.desired == pytest.approx(expected, abs=0.005) and raised.at_max == pytest.approx(
        raised.desired, abs=0.005
    )
    assert two.total([Kind.LINK_TRAFFIC]) == one.total([Kind.LINK_TRAFFIC])


def test_gke_nodes_are_counted_per_zone_and_eks_nodes_per_group() -> None:
    _, result = _estimate("prod")
    lines = {line.what: line for line in result.of_kind(Kind.FIXED)}
    gke, eks = lines["GKE nodes, e2-standard-8"], lines["EKS nodes, m6i.xlarge"]
    # prod: gke nodes {desired: 2, max: 6} per zone in 3 zones; eks {desired: 6, max: 12}
    assert (gke.quantity.desired, gke.quantity.at_max) == (6, 18)
    assert (eks.quantity.desired, eks.quantity.at_max) == (6, 12)
    assert gke.monthly is not None and gke.monthly.desired == pytest.approx(6 * HOURS * 0.30188328)


def test_large_tunnels_are_priced_at_the_standard_rate_as_a_labelled_floor() -> None:
    _, result = _estimate("prod")
    (vpn,) = [line for line in result.lines if line.item == "aws.vpn.connection_hour.large"]
    assert vpn.lower_bound and not vpn.verified and vpn.unit_price == 0.05
    assert vpn.missing and "floor" in vpn.missing
    assert not result.complete and result.lower_bounds == [vpn]
    _, dev = _estimate("dev")
    assert dev.complete


def test_an_interconnect_link_leaves_both_sides_hourly_price_out_and_says_so() -> None:
    _, result = _estimate("dev, interconnect")
    unknown = {line.item for line in result.unknown}
    assert unknown == {"gcp.interconnect.partner_cci_aws.hour", "aws.interconnect.multicloud.hour"}
    assert not result.complete
    per_gb = {line.item for line in result.of_kind(Kind.LINK_TRAFFIC)}
    assert "aws.data_transfer_out_gb" not in per_gb
    assert {"aws.interconnect.multicloud.data_gb", "gcp.egress.interconnect_na_gib"} <= per_gb


def test_link_traffic_follows_the_stack_files_figure_and_the_tiers() -> None:
    plan = planned("dev", {"cost": {"crossCloudGbPerMonth": 4000}})
    result, stated = plan_estimate(plan)
    assert stated == {"crossCloudGbPerMonth"} and result.usage.cross_cloud_gb_per_month == 4000
    each_way_gib = 2000 * 1e9 / 2**30
    # Google's first TiB at $0.12, the rest at $0.11; AWS's first 10 TB all at $0.09.
    expected = (
        2000 * 0.09
        + 1024 * 0.12
        + (each_way_gib - 1024) * 0.11
        + 4000 * 0.02
        + 2000 * 0.006
        + each_way_gib * 0.008
    )
    assert result.total([Kind.LINK_TRAFFIC]).desired == pytest.approx(expected)


def test_metered_usage_is_listed_by_unit_price_outside_the_totals() -> None:
    _, result = _estimate("dev")
    metered = result.of_kind(Kind.METERED)
    assert metered and all(line.monthly is None for line in metered)
    insights = next(line for line in metered if "Container Insights" in line.what)
    assert insights.unit_price is None and insights not in result.unknown
    assert result.total() == result.total([Kind.FIXED, Kind.LINK_TRAFFIC, Kind.TRACES])


# --- the rules on hand-made resources ----------------------------------------------------------------------


def _resource(urn: str, type_token: str, inputs: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "urn": urn,
        "type": type_token,
        "name": urn,
        "custom": True,
        "parent": None,
        **fields,
        "inputs": inputs,
    }


def _providers() -> list[dict[str, Any]]:
    return [
        _resource("aws", "pulumi:providers:aws", {"region": "us-east-1"}),
        _resource("gcp", "pulumi:providers:gcp", {"region": "us-east4"}),
        _resource("gke", GKE_CLUSTER, {"location": "us-east4"}),
        _resource("gke-k8s", "pulumi:providers:kubernetes", {}, dependencies=["gke"]),
    ]


def test_six_gcp_load_balancers_are_one_flat_rate_and_one_more_rule() -> None:
    services = [
        _resource(
            f"svc-{n}",
            "kubernetes:core/v1:Service",
            {"spec": {"type": "LoadBalancer" if n < 6 else "ClusterIP"}},
            provider="gke-k8s",
        )
        for n in range(7)
    ]
    result = estimate([*_providers(), *services], DEFAULT_USAGE)
    lines = {line.item: line for line in result.lines}
    assert lines["gcp.lb.forwarding_rule_hour.first5"].resources == tuple(f"svc-{n}" for n in range(5))
    assert lines["gcp.lb.forwarding_rule_hour.additional"].resources == ("svc-5",)
    assert [r.urn for r in result.free if r.urn.startswith("svc")] == ["svc-6"]


def test_cloud_nat_past_32_nodes_is_one_flat_rate() -> None:
    pool = _resource(
        "pool",
        GKE_NODE_POOL,
        {"location": "us-east4", "initialNodeCount": 10, "autoscaling": {"maxNodeCount": 20}},
    )
    nat = _resource("nat", GCP_ROUTER_NAT, {"region": "us-east4"})
    result = estimate([*_providers(), pool, nat], DEFAULT_USAGE)
    lines = {line.item: line for line in result.lines}
    # 30 VMs at desired, 60 at max: per VM below 32, the flat rate above.
    assert lines["gcp.nat.vm_hour"].quantity.desired == 30 and lines["gcp.nat.vm_hour"].quantity.at_max == 0
    assert lines["gcp.nat.gateway_hour_max"].quantity.at_max == 1
    assert lines["gcp.nat.gateway_hour_max"].quantity.desired == 0


def test_an_eks_cluster_without_a_support_type_says_it_will_cost_the_extended_rate() -> None:
    cluster = _resource("eks", EKS_CLUSTER, {"version": "1.33"})
    result = estimate([*_providers(), cluster], DEFAULT_USAGE)
    (line,) = [line for line in result.lines if line.resources == ("eks",)]
    assert line.item == "aws.eks.cluster_hour.standard"
    assert any("aws.eks.cluster_hour.extended" in note for note in line.notes)


def test_a_type_the_model_does_not_know_is_reported_not_dropped() -> None:
    unknown = _resource("db", "aws:rds/instance:Instance", {})
    result = estimate([*_providers(), unknown], DEFAULT_USAGE)
    assert result.unclassified == ("db",)


def test_a_region_without_prices_leaves_the_line_out_of_the_total_and_names_the_region() -> None:
    providers = [_resource("aws", "pulumi:providers:aws", {"region": "eu-west-1"})]
    nat = _resource("nat", AWS_NAT_GATEWAY, {}, provider="aws")
    result = estimate([*providers, nat], DEFAULT_USAGE)
    (line,) = result.unknown
    assert line.missing == "no price of aws.nat.gateway_hour for region eu-west-1"
    assert not result.complete and result.total().desired == 0


# --- the cost of a change ----------------------------------------------------------------------------------


def test_a_plan_against_itself_costs_nothing_more() -> None:
    contract = planned("prod").to_contract()
    delta = cost_delta(contract, contract, DEFAULT_USAGE)
    assert delta.changes == () and delta.delta().desired == 0


def test_the_delta_of_a_tunnel_group_lists_what_it_adds() -> None:
    one, two = planned("dev").to_contract(), planned(*VARIANTS["dev, two tunnel groups"]).to_contract()
    delta = cost_delta(one, two, DEFAULT_USAGE)
    changed = {change.item: change.quantity for change in delta.changes}
    # The per-GB lines name the new connections too, but carry the same GB at the same price.
    assert set(changed) == {
        "aws.vpn.connection_hour",
        "aws.tgw.attachment_hour",
        "aws.vpc.public_ipv4_hour",
        "gcp.vpn.tunnel_hour",
        "aws.cloudwatch.alarm_metric_month.standard",
    }
    assert changed["gcp.vpn.tunnel_hour"][0].desired == 4 and changed["gcp.vpn.tunnel_hour"][1].desired == 8
    assert delta.delta().desired == pytest.approx(delta.after.total().desired - delta.before.total().desired)


def test_each_plan_keeps_its_own_usage_and_a_plan_without_an_estimate_borrows_the_others() -> None:
    base = planned("dev").to_contract()
    more = {**base, "cost": {"usage": Usage(3000, 1, 4).to_json()}}
    delta = cost_delta({**base, "cost": {"usage": DEFAULT_USAGE.to_json()}}, more, DEFAULT_USAGE)
    assert {change.kind for change in delta.changes} == {Kind.LINK_TRAFFIC}
    assert delta.delta([Kind.FIXED]).desired == 0 and delta.delta().desired > 0
    borrowed = cost_delta(base, more, DEFAULT_USAGE)
    assert borrowed.before.usage == borrowed.after.usage == Usage(3000, 1, 4)
    assert cost_delta(base, base, DEFAULT_USAGE).after.usage == DEFAULT_USAGE


def test_a_masked_input_reads_as_absent_rather_than_failing_the_plan() -> None:
    gateway = _resource(
        "gateway",
        HELM_RELEASE,
        {
            "chart": "gateway",
            "repositoryOpts": {"repo": "https://istio-release.storage.googleapis.com/charts"},
            "values": "[secret]",
        },
        provider="gke-k8s",
    )
    # The chart's own default applies: its Service is of type LoadBalancer.
    (line,) = [
        line
        for line in estimate([*_providers(), gateway], DEFAULT_USAGE).lines
        if "gateway" in line.resources and line.kind == Kind.FIXED
    ]
    assert line.item == "gcp.lb.forwarding_rule_hour.first5"
