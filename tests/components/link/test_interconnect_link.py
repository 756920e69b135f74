"""InterconnectLink: Partner Cross-Cloud Interconnect for AWS instead of VPN tunnels."""

from __future__ import annotations

import pytest

from components.link.interconnect_link import bandwidth_gbps, remote_profile_url
from offline.record import Plan, Secret
from tests.support.plans import planned
from tests.support.types import (
    AWS_CUSTOMER_GATEWAY,
    AWS_ROUTE,
    AWS_VPN_CONNECTION,
    DX_GATEWAY,
    DX_GATEWAY_ASSOCIATION,
    GCP_DNS_ZONE,
    GCP_HA_VPN_GATEWAY,
    GCP_NETWORK,
    GCP_ROUTER_PEER,
    GCP_TRANSPORT,
    GCP_VPN_TUNNEL,
    RANDOM_PASSWORD,
    ROUTE53_RESOLVER_ENDPOINT,
    TGW,
    TGW_ROUTE_TABLE_ASSOCIATION,
    TGW_ROUTE_TABLE_PROPAGATION,
)

LINK = {
    "kind": "interconnect",
    "awsAsn": 64512,
    "gcpAsn": 65515,
    "interconnect": {
        "remoteProfile": "aws-us-east-1",
        "bandwidth": "BPS_10G",
        "awsAccountId": "111122223333",
        "directConnectAsn": 64513,
    },
}
# The GCP ranges and Cloud DNS forwarding source, whose answers come back over the interconnect too.
GCP_PREFIXES = ["10.20.0.0/20", "10.24.0.0/14", "172.16.0.0/28", "35.199.192.0/19"]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return planned("dev", {"link": LINK})


def test_interconnect_plan_has_no_vpn_parts(plan: Plan) -> None:
    for token in (
        AWS_VPN_CONNECTION,
        AWS_CUSTOMER_GATEWAY,
        GCP_HA_VPN_GATEWAY,
        GCP_VPN_TUNNEL,
        GCP_ROUTER_PEER,
        RANDOM_PASSWORD,
    ):
        assert plan.of_type(token) == [], token
    assert plan.outputs["tunnels"] == []


def test_transport_peers_the_vpc_and_advertises_the_gcp_prefixes(plan: Plan) -> None:
    transport = plan.one(GCP_TRANSPORT).inputs
    assert transport["network"] == plan.one(GCP_NETWORK).outputs["selfLink"]
    assert transport["bandwidth"] == "BPS_10G"
    assert transport["advertisedRoutes"] == GCP_PREFIXES
    assert transport["remoteAccountId"] == "111122223333"
    assert transport["region"] == "us-east4"
    assert transport["remoteProfile"] == remote_profile_url(
        "crossmesh-dev-000000", "us-east4", "aws-us-east-1"
    )


def test_direct_connect_gateway_is_associated_with_the_tgw_for_the_vpc_only(plan: Plan) -> None:
    gateway = plan.one(DX_GATEWAY)
    assert gateway.inputs["amazonSideAsn"] == "64513"
    association = plan.one(DX_GATEWAY_ASSOCIATION).inputs
    assert association["dxGatewayId"] == gateway.id
    assert association["associatedGatewayId"] == plan.one(TGW).id
    assert association["allowedPrefixes"] == ["10.10.0.0/16"]


def test_the_dx_attachment_is_routed_in_the_link_table(plan: Plan) -> None:
    attachment = plan.one(DX_GATEWAY_ASSOCIATION).outputs["transitGatewayAttachmentId"]
    for token in (
        TGW_ROUTE_TABLE_ASSOCIATION,
        TGW_ROUTE_TABLE_PROPAGATION,
    ):
        assert attachment in {r.inputs["transitGatewayAttachmentId"] for r in plan.of_type(token)}


def test_vpc_still_routes_gcp_prefixes_to_the_tgw(plan: Plan) -> None:
    tgw = plan.one(TGW).id
    routes = [r for r in plan.of_type(AWS_ROUTE) if r.inputs.get("transitGatewayId") == tgw]
    assert {r.inputs["destinationCidrBlock"] for r in routes} == set(GCP_PREFIXES)


def test_activation_key_is_a_secret_output(plan: Plan) -> None:
    assert isinstance(plan.outputs["interconnectActivationKey"], Secret)
    assert plan.outputs["linkCapacity"] == {
        "kind": "interconnect",
        "bandwidth": "BPS_10G",
        "aggregateGbps": 10.0,
    }


def test_the_link_makes_neither_cloud_wait_for_the_other_in_interconnect_mode(plan: Plan) -> None:
    # The transport and the DX gateway meet only through the out-of-band acceptance; the one crossing
    # left is the DNS forwarding zone, which needs the AWS resolver's addresses.
    types = {r.urn: r.type for r in plan.resources}
    clouds = {"aws", "gcp"}
    crossing = {
        (resource.type, types[dependency])
        for resource in plan.resources
        for dependency in resource.dependencies
        if resource.type.split(":")[0] in clouds
        and types.get(dependency, "").split(":")[0] in clouds - {resource.type.split(":")[0]}
    }
    assert crossing == {(GCP_DNS_ZONE, ROUTE53_RESOLVER_ENDPOINT)}


def test_prod_style_protection_covers_the_transport_and_dx_gateway() -> None:
    notified = {
        "snsTopicArn": "arn:aws:sns:us-east-1:111122223333:alerts",
        "gcpNotificationChannels": ["projects/crossmesh-dev-000000/notificationChannels/1"],
    }
    plan = planned("dev", {"link": LINK, "protect": True, "observability": notified})
    assert plan.one(GCP_TRANSPORT).protect and plan.one(DX_GATEWAY).protect and plan.one(TGW).protect


@pytest.mark.parametrize(("bandwidth", "gbps"), [("BPS_1G", 1.0), ("BPS_10G", 10.0), ("BPS_100G", 100.0)])
def test_bandwidth_names_convert_to_gbps(bandwidth: str, gbps: float) -> None:
    assert bandwidth_gbps(bandwidth) == gbps
