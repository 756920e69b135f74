"""CrossCloudDns: GKE resolves EKS API names through the AWS VPC resolver, and the answers come back."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.network.cross_cloud_dns import (
    ENDPOINT_ADDRESSES,
    CrossCloudDns,
    CrossCloudDnsArgs,
    _sorted_addresses,
    eks_endpoint_domain,
)
from offline.record import Plan, Registration
from tests.support.plans import planned
from tests.support.resource_tree import dependency_closure, descendants, owning_component
from tests.support.types import (
    AWS_ROUTE,
    AWS_ROUTE_TABLE,
    AWS_ROUTE_TABLE_ASSOCIATION,
    AWS_SECURITY_GROUP,
    AWS_SG_EGRESS_RULE,
    AWS_SG_INGRESS_RULE,
    AWS_SUBNET,
    AWS_VPC,
    COMPONENT_AWS_NETWORK,
    COMPONENT_CROSS_CLOUD_DNS,
    COMPONENT_EKS_CLUSTER,
    COMPONENT_GCP_NETWORK,
    COMPONENT_GKE_CLUSTER,
    COMPONENT_TRANSIT_HUB,
    COMPONENT_VPN_LINK,
    GCP_DNS_ZONE,
    GCP_NETWORK,
    GCP_ROUTER,
    GCP_ROUTER_PEER,
    GKE_CLUSTER,
    ROUTE53_RESOLVER_ENDPOINT,
    TGW,
    TGW_VPC_ATTACHMENT,
)

CLOUD_DNS = "35.199.192.0/19"
STACKS = ["dev", "prod"]


@pytest.fixture(params=STACKS)
def plan(request: pytest.FixtureRequest) -> Plan:
    return planned(request.param)


def endpoint_addresses(plan: Plan) -> list[str]:
    return [address["ip"] for address in plan.one(ROUTE53_RESOLVER_ENDPOINT).outputs["ipAddresses"]]


def resolver_group(plan: Plan) -> Registration:
    group_id = plan.one(ROUTE53_RESOLVER_ENDPOINT).inputs["securityGroupIds"]
    assert len(group_id) == 1
    return next(r for r in plan.of_type(AWS_SECURITY_GROUP) if r.id == group_id[0])


def private_tables(plan: Plan) -> set[str]:
    return {str(r.id) for r in plan.of_type(AWS_ROUTE_TABLE) if "-private-" in r.name}


# --- GCP: the forwarding zone ------------------------------------------------------------------------


def test_the_zone_forwards_privately_to_exactly_the_resolver_endpoints_addresses(plan: Plan) -> None:
    targets = plan.one(GCP_DNS_ZONE).inputs["forwardingConfig"]["targetNameServers"]
    assert sorted(target["ipv4Address"] for target in targets) == sorted(endpoint_addresses(plan))
    assert len(targets) == ENDPOINT_ADDRESSES
    assert all(target["forwardingPath"] == "private" for target in targets)
    assert all(set(target) == {"ipv4Address", "forwardingPath"} for target in targets)


def test_the_zone_is_private_to_the_gke_network_only(plan: Plan) -> None:
    zone = plan.one(GCP_DNS_ZONE).inputs
    network = plan.one(GCP_NETWORK).outputs["selfLink"]
    assert zone["visibility"] == "private"
    assert zone["privateVisibilityConfig"]["networks"] == [{"networkUrl": network}]
    assert plan.one(GKE_CLUSTER).inputs["network"] == network


def test_the_zone_covers_the_eks_api_server_name_and_nothing_above_the_region(plan: Plan) -> None:
    zone = plan.one(GCP_DNS_ZONE).inputs["dnsName"]
    assert zone == f"{plan.outputs['awsRegion']}.eks.amazonaws.com."
    host = urlparse(plan.outputs["eksEndpoint"]).hostname
    assert host is not None and host.endswith("." + zone.rstrip("."))


# --- AWS: the inbound endpoint and its security group ------------------------------------------------


def test_the_endpoint_is_inbound_in_private_subnets_of_different_azs(plan: Plan) -> None:
    endpoint = plan.one(ROUTE53_RESOLVER_ENDPOINT)
    assert endpoint.inputs["direction"] == "INBOUND"
    subnets = {r.id: r for r in plan.of_type(AWS_SUBNET)}
    chosen = [subnets[address["subnetId"]] for address in endpoint.inputs["ipAddresses"]]
    assert len(chosen) >= 2
    assert all("-private-" in subnet.name for subnet in chosen)
    assert len({subnet.inputs["availabilityZone"] for subnet in chosen}) == len(chosen)
    for address in endpoint.outputs["ipAddresses"]:
        cidr = ipaddress.IPv4Network(subnets[address["subnetId"]].inputs["cidrBlock"])
        assert ipaddress.IPv4Address(address["ip"]) in cidr


def test_the_resolver_group_admits_only_dns_from_cloud_dns(plan: Plan) -> None:
    group = resolver_group(plan)
    assert group.inputs["vpcId"] == plan.one(AWS_VPC).id
    # No inline rules: every rule is a resource of its own, listed below.
    assert not group.inputs.get("ingress") and not group.inputs.get("egress")
    rules = [r for r in plan.of_type(AWS_SG_INGRESS_RULE) if r.inputs["securityGroupId"] == group.id]
    assert {
        (r.inputs["ipProtocol"], r.inputs["fromPort"], r.inputs["toPort"], r.inputs["cidrIpv4"])
        for r in rules
    } == {("udp", 53, 53, CLOUD_DNS), ("tcp", 53, 53, CLOUD_DNS)}
    assert len(rules) == 2
    assert all(r.inputs.get("description") for r in rules)
    assert [r for r in plan.of_type(AWS_SG_EGRESS_RULE) if r.inputs["securityGroupId"] == group.id] == []


def test_no_other_resource_uses_the_resolver_group(plan: Plan) -> None:
    group = resolver_group(plan)
    assert group.id
    users = [
        r.type
        for r in plan.resources
        if r.custom and r.urn != group.urn and group.id in str(r.inputs) and r.type != AWS_SG_INGRESS_RULE
    ]
    assert users == [ROUTE53_RESOLVER_ENDPOINT]


# --- the way back: 35.199.192.0/19 over the link ------------------------------------------------------


def test_the_router_and_every_bgp_peer_advertise_the_cloud_dns_source(plan: Plan) -> None:
    router = plan.one(GCP_ROUTER).inputs["bgp"]
    assert CLOUD_DNS in [r["range"] for r in router["advertisedIpRanges"]]
    peers = plan.of_type(GCP_ROUTER_PEER)
    assert peers
    for peer in peers:
        assert peer.inputs["advertiseMode"] == "CUSTOM"
        assert CLOUD_DNS in [r["range"] for r in peer.inputs["advertisedIpRanges"]]


def test_every_private_route_table_routes_the_cloud_dns_source_to_the_tgw(plan: Plan) -> None:
    tgw = plan.one(TGW).id
    attachment = plan.one(TGW_VPC_ATTACHMENT).urn
    routes = [r for r in plan.of_type(AWS_ROUTE) if r.inputs["destinationCidrBlock"] == CLOUD_DNS]
    assert sorted(r.inputs["routeTableId"] for r in routes) == sorted(private_tables(plan))
    assert all(r.inputs.get("transitGatewayId") == tgw for r in routes)
    assert all(attachment in r.dependencies for r in routes)


def test_the_endpoints_subnets_send_their_answers_to_the_tgw(plan: Plan) -> None:
    tgw = plan.one(TGW).id
    table_of = {
        r.inputs["subnetId"]: r.inputs["routeTableId"] for r in plan.of_type(AWS_ROUTE_TABLE_ASSOCIATION)
    }
    to_tgw = {
        r.inputs["routeTableId"]
        for r in plan.of_type(AWS_ROUTE)
        if r.inputs["destinationCidrBlock"] == CLOUD_DNS and r.inputs.get("transitGatewayId") == tgw
    }
    for address in plan.one(ROUTE53_RESOLVER_ENDPOINT).inputs["ipAddresses"]:
        assert table_of[address["subnetId"]] in to_tgw


# --- independence ------------------------------------------------------------------------------------


def test_no_cluster_waits_for_the_dns_pieces_or_the_link(plan: Plan) -> None:
    waiting_on_link = {COMPONENT_VPN_LINK, COMPONENT_TRANSIT_HUB, COMPONENT_CROSS_CLOUD_DNS}
    assert waiting_on_link <= {r.type for r in plan.resources}
    for token in (COMPONENT_EKS_CLUSTER, COMPONENT_GKE_CLUSTER):
        resources = descendants(plan, plan.one(token).urn)
        owners = {owning_component(plan, urn) for urn in dependency_closure(plan, resources)}
        assert not owners & waiting_on_link, token


def test_the_dns_pieces_wait_only_for_the_networks(plan: Plan) -> None:
    resources = descendants(plan, plan.one(COMPONENT_CROSS_CLOUD_DNS).urn)
    owners = {owning_component(plan, urn) for urn in dependency_closure(plan, resources)}
    assert owners <= {COMPONENT_CROSS_CLOUD_DNS, COMPONENT_AWS_NETWORK, COMPONENT_GCP_NETWORK}


def test_the_stack_outputs_name_the_zone_and_the_forwarders(plan: Plan) -> None:
    assert plan.outputs["eksResolverAddresses"] == sorted(endpoint_addresses(plan), key=ipaddress.IPv4Address)
    assert plan.outputs["eksDnsZone"] == plan.one(GCP_DNS_ZONE).outputs["name"]
    assert plan.outputs["eksDnsDomain"] == plan.one(GCP_DNS_ZONE).inputs["dnsName"]
    assert plan.outputs["eksResolverEndpointId"] == plan.one(ROUTE53_RESOLVER_ENDPOINT).id


# --- pure parts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-2", "us-gov-west-1"])
def test_the_domain_is_the_regions_eks_zone_with_its_root_dot(region: str) -> None:
    assert eks_endpoint_domain(region) == f"{region}.eks.amazonaws.com."


class _Address:
    def __init__(self, ip: str | None) -> None:
        self.ip = ip


@given(st.lists(st.ip_addresses(v=4).map(str), min_size=1, max_size=6, unique=True))
def test_forwarding_targets_are_in_numeric_order_whatever_order_the_provider_gives(ips: list[str]) -> None:
    ordered = _sorted_addresses([_Address(ip) for ip in reversed(ips)] + [_Address(None)])
    assert ordered == sorted(ips, key=ipaddress.IPv4Address)


def test_one_subnet_is_refused_before_anything_is_registered() -> None:
    args = CrossCloudDnsArgs(
        name_prefix="cm-test",
        aws_region="us-east-1",
        aws_vpc_id="vpc-1",
        aws_private_subnet_ids=["subnet-1"],
        gcp_network_self_link="projects/p/global/networks/n",
    )
    with pytest.raises(ValueError, match="needs 2 private subnets in different AZs, got 1"):
        CrossCloudDns("dns", args)
