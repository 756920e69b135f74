"""PeerFirewalls: each cloud admits the other's ranges on the mesh's ports and PMTU ICMP, nothing more."""

from __future__ import annotations

from collections import defaultdict

from components.link.peer_firewalls import MESH_PORTS, peer_ports
from offline.record import Plan, Registration
from tests.support.plans import planned
from tests.support.types import AWS_SECURITY_GROUP, AWS_SG_INGRESS_RULE, AWS_VPC, GCP_FIREWALL, GCP_NETWORK

GCP_SOURCES = {"10.20.0.0/20", "10.24.0.0/14"}
# dev: payment (8443) and ledger (8080) run on AWS; frontend and checkout (8080) on GCP.
AWS_PORTS = {443, 8080, 8443, 15012, 15017, 15443}
GCP_PORTS = {443, 8080, 15012, 15017, 15443}


def test_peer_ports_are_the_mesh_ports_plus_declared_ones_in_order() -> None:
    assert list(peer_ports([9090, 443])) == [443, 9090, 15012, 15017, 15443]
    assert peer_ports([443])[443] == MESH_PORTS[443]


def test_mesh_peers_group_lives_in_the_vpc(dev_plan: Plan) -> None:
    group = dev_plan.one(AWS_SECURITY_GROUP, "peer-firewalls-mesh-peers")
    assert group.inputs["name"] == "cm-dev-mesh-peers"
    assert group.inputs["vpcId"] == dev_plan.one(AWS_VPC).id
    assert "ingress" not in group.inputs and "egress" not in group.inputs


def _peer_rules(plan: Plan) -> list[Registration]:
    """The mesh-peers group's ingress rules (the EKS API group has its own)."""
    return [r for r in plan.of_type(AWS_SG_INGRESS_RULE) if r.name.startswith("peer-firewalls")]


def test_aws_admits_gcp_nodes_and_pods_on_exactly_the_mesh_and_aws_service_ports(dev_plan: Plan) -> None:
    group = dev_plan.one(AWS_SECURITY_GROUP, "peer-firewalls-mesh-peers").id
    tcp: dict[str, set[int]] = defaultdict(set)
    for rule in _peer_rules(dev_plan):
        inputs = rule.inputs
        assert inputs["securityGroupId"] == group
        assert inputs["description"]
        if inputs["ipProtocol"] == "tcp":
            assert inputs["fromPort"] == inputs["toPort"]
            tcp[inputs["cidrIpv4"]].add(inputs["fromPort"])
    assert dict(tcp) == {source: AWS_PORTS for source in GCP_SOURCES}


def test_aws_admits_only_fragmentation_needed_icmp(dev_plan: Plan) -> None:
    icmp = [r.inputs for r in _peer_rules(dev_plan) if r.inputs["ipProtocol"] == "icmp"]
    assert {(r["cidrIpv4"], r["fromPort"], r["toPort"]) for r in icmp} == {
        (source, 3, 4) for source in GCP_SOURCES
    }


def test_nothing_is_open_to_the_world(dev_plan: Plan) -> None:
    assert all(r.inputs.get("cidrIpv4") != "0.0.0.0/0" for r in dev_plan.of_type(AWS_SG_INGRESS_RULE))
    assert all("0.0.0.0/0" not in r.inputs.get("sourceRanges", []) for r in dev_plan.of_type(GCP_FIREWALL))


def test_gcp_admits_the_aws_vpc_to_tagged_gke_nodes(dev_plan: Plan) -> None:
    rule = dev_plan.one(GCP_FIREWALL).inputs
    assert rule["direction"] == "INGRESS"
    assert rule["sourceRanges"] == ["10.10.0.0/16"]
    assert rule["targetTags"] == ["cm-dev-gke-node"]
    assert rule["network"] == dev_plan.one(GCP_NETWORK).outputs["selfLink"]
    allows = {allow["protocol"]: allow.get("ports") for allow in rule["allows"]}
    assert set(allows) == {"tcp", "icmp"}
    assert {int(port) for port in allows["tcp"]} == GCP_PORTS
    assert rule["logConfig"]["metadata"] == "INCLUDE_ALL_METADATA"


def test_firewalls_follow_the_declared_services() -> None:
    services = [{"name": "api", "cloud": "aws", "namespace": "api", "port": 9443}]
    plan = planned("dev", {"services": services})
    ports = {r.inputs["fromPort"] for r in _peer_rules(plan) if r.inputs["ipProtocol"] == "tcp"}
    assert ports == set(MESH_PORTS) | {9443}
    gcp_ports = {int(p) for p in plan.one(GCP_FIREWALL).inputs["allows"][0]["ports"]}
    assert gcp_ports == set(MESH_PORTS)
