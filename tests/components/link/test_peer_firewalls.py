"""PeerFirewalls: each cloud's own firewall admits the traffic that really reaches its nodes from the
other cloud (the internal load balancers' ports, path-MTU ICMP), and the east-west gateways' load
balancers admit the peer's ranges only."""

from __future__ import annotations

from offline.record import Plan, Registration
from tests.support.plans import planned
from tests.support.types import (
    AWS_SECURITY_GROUP,
    AWS_SG_INGRESS_RULE,
    AWS_VPC,
    GCP_FIREWALL,
    GCP_NETWORK,
    HELM_RELEASE,
)

GCP_SOURCES = {"10.20.0.0/20", "10.24.0.0/14"}


def _firewall(plan: Plan, name: str) -> dict[str, object]:
    return plan.one(GCP_FIREWALL, f"peer-firewalls-{name}").inputs


def _peer_rules(plan: Plan) -> list[Registration]:
    """The mesh-peers group's ingress rules (the EKS API group has its own)."""
    return [r for r in plan.of_type(AWS_SG_INGRESS_RULE) if r.name.startswith("peer-firewalls")]


def test_mesh_peers_group_lives_in_the_vpc(dev_plan: Plan) -> None:
    group = dev_plan.one(AWS_SECURITY_GROUP, "peer-firewalls-mesh-peers")
    assert group.inputs["name"] == "cm-dev-mesh-peers"
    assert group.inputs["vpcId"] == dev_plan.one(AWS_VPC).id
    assert "ingress" not in group.inputs and "egress" not in group.inputs


def test_aws_nodes_admit_only_fragmentation_needed_icmp_from_gcp(dev_plan: Plan) -> None:
    # GCP calls reach the AWS east-west gateway's NLB on node ports, which the cloud provider opens from
    # the Service's loadBalancerSourceRanges; no rule on the container ports would ever match them.
    group = dev_plan.one(AWS_SECURITY_GROUP, "peer-firewalls-mesh-peers").id
    rules = [r.inputs for r in _peer_rules(dev_plan)]
    assert all(r["securityGroupId"] == group and r["description"] for r in rules)
    assert {(r["ipProtocol"], r["cidrIpv4"], r["fromPort"], r["toPort"]) for r in rules} == {
        ("icmp", source, 3, 4) for source in GCP_SOURCES
    }


def test_only_icmp_is_admitted_from_anywhere(dev_plan: Plan) -> None:
    assert all(r.inputs.get("cidrIpv4") != "0.0.0.0/0" for r in dev_plan.of_type(AWS_SG_INGRESS_RULE))
    for rule in dev_plan.of_type(GCP_FIREWALL):
        if "0.0.0.0/0" in rule.inputs.get("sourceRanges", []):
            assert rule.inputs["allows"] == [{"protocol": "icmp"}], rule.name


def test_gcp_admits_the_aws_vpc_to_the_east_west_gateway_port_on_tagged_gke_nodes(dev_plan: Plan) -> None:
    rule = _firewall(dev_plan, "from-aws")
    assert rule["direction"] == "INGRESS"
    assert rule["sourceRanges"] == ["10.10.0.0/16"]
    assert rule["targetTags"] == ["cm-dev-gke-node"]
    assert rule["network"] == dev_plan.one(GCP_NETWORK).outputs["selfLink"]
    assert rule["allows"] == [{"protocol": "tcp", "ports": ["15443"]}]
    assert rule["logConfig"] == {"metadata": "INCLUDE_ALL_METADATA"}


def test_app_mesh_calls_the_bridge_ingress_instead_of_the_east_west_gateway() -> None:
    rule = _firewall(planned("legacy"), "from-aws")
    assert rule["allows"] == [{"protocol": "tcp", "ports": ["443"]}]


def test_gke_nodes_admit_icmp_from_any_source_for_cloud_vpns_fragmentation_needed(dev_plan: Plan) -> None:
    # Google: Cloud VPN answers an oversized DF packet with ICMP fragmentation-needed, delivered only
    # through an ingress allow rule for ICMP on the sender; it names no source address for it.
    rule = _firewall(dev_plan, "pmtu")
    assert rule["sourceRanges"] == ["0.0.0.0/0"]
    assert rule["targetTags"] == ["cm-dev-gke-node"]
    assert rule["allows"] == [{"protocol": "icmp"}]
    assert rule["direction"] == "INGRESS"


def test_each_east_west_gateway_load_balancer_admits_only_the_peers_node_and_pod_ranges(
    dev_plan: Plan,
) -> None:
    ranges = {
        release.name: release.plain_inputs["values"]["service"]["loadBalancerSourceRanges"]
        for release in dev_plan.of_type(HELM_RELEASE)
        if release.plain_inputs["values"].get("networkGateway")
    }
    assert ranges == {"istio-aws-gateway": sorted(GCP_SOURCES), "istio-gcp-gateway": ["10.10.0.0/16"]}
