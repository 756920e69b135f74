"""VpnLink under the offline engine: topology, pair-by-pair wiring, keys, routing, exit codes."""

from __future__ import annotations

import ipaddress
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.link.specs import PSK_SPEC, psk_problems
from components.link.transit_hub import route_aliases, route_name
from offline.commands.cli import main
from offline.commands.exit_codes import INVALID_INPUT
from offline.record import Plan, Registration, Secret, mask, reveal
from tests.support.plans import PROJECT_DIR, planned, stack_config
from tests.support.types import (
    AWS_CUSTOMER_GATEWAY,
    AWS_ROUTE,
    AWS_ROUTE_TABLE,
    AWS_SUBNET,
    AWS_VPC,
    AWS_VPN_CONNECTION,
    AWS_VPN_CONNECTION_ROUTE,
    CLOUDWATCH_LOG_GROUP,
    GCP_DNS_ZONE,
    GCP_EXTERNAL_VPN_GATEWAY,
    GCP_HA_VPN_GATEWAY,
    GCP_ROUTER,
    GCP_ROUTER_INTERFACE,
    GCP_ROUTER_PEER,
    GCP_SUBNETWORK,
    GCP_VPN_TUNNEL,
    KMS_KEY,
    RANDOM_PASSWORD,
    ROUTE53_RESOLVER_ENDPOINT,
    TGW,
    TGW_ROUTE_TABLE,
    TGW_ROUTE_TABLE_ASSOCIATION,
    TGW_ROUTE_TABLE_PROPAGATION,
    TGW_VPC_ATTACHMENT,
)

TUNNEL_KEYS = {
    "group",
    "tunnel",
    "awsOutsideIp",
    "gcpOutsideIp",
    "insideCidr",
    "awsInsideIp",
    "gcpInsideIp",
    "awsAsn",
    "gcpAsn",
    "capacityGbps",
}


@pytest.fixture(scope="module")
def prod_plan() -> Plan:
    return planned("prod")


def by_id(plan: Plan, type_token: str, resource_id: str) -> Registration:
    found = [r for r in plan.of_type(type_token) if r.id == resource_id]
    assert len(found) == 1, (type_token, resource_id)
    return found[0]


def aws_end(plan: Plan, outside_ip: str) -> tuple[Registration, int]:
    """The VPN connection and tunnel number (1 or 2) whose AWS outside IP this is."""
    for vpn in plan.of_type(AWS_VPN_CONNECTION):
        for number in (1, 2):
            if vpn.outputs[f"tunnel{number}Address"] == outside_ip:
                return vpn, number
    raise LookupError(outside_ip)


def gcp_tunnel_pairs(plan: Plan) -> list[dict[str, Any]]:
    """For every GCP tunnel, everything at both of its ends, found by following the recorded IDs."""
    pairs = []
    for tunnel in plan.of_type(GCP_VPN_TUNNEL):
        inputs = tunnel.plain_inputs
        external = by_id(plan, GCP_EXTERNAL_VPN_GATEWAY, inputs["peerExternalGateway"])
        ha_gateway = by_id(plan, GCP_HA_VPN_GATEWAY, inputs["vpnGateway"])
        interface_ip = {i["id"]: i["ipAddress"] for i in external.inputs["interfaces"]}[
            inputs["peerExternalGatewayInterface"]
        ]
        vpn, number = aws_end(plan, interface_ip)
        router_interface = next(
            r for r in plan.of_type(GCP_ROUTER_INTERFACE) if r.inputs["vpnTunnel"] == tunnel.outputs["name"]
        )
        peer = next(
            r
            for r in plan.of_type(GCP_ROUTER_PEER)
            if r.inputs["interface"] == router_interface.outputs["name"]
        )
        cgw = by_id(plan, AWS_CUSTOMER_GATEWAY, vpn.inputs["customerGatewayId"])
        pairs.append(
            {
                "tunnel": tunnel,
                "inputs": inputs,
                "external": external,
                "ha_gateway": ha_gateway,
                "vpn": vpn,
                "number": number,
                "interface": router_interface,
                "peer": peer,
                "cgw": cgw,
            }
        )
    return pairs


# --- topology ------------------------------------------------------------------------------------------


def test_dev_plan_has_one_complete_ha_vpn_group(dev_plan: Plan) -> None:
    counts = {
        token: len(dev_plan.of_type(token))
        for token in (
            TGW,
            GCP_HA_VPN_GATEWAY,
            AWS_CUSTOMER_GATEWAY,
            AWS_VPN_CONNECTION,
            GCP_EXTERNAL_VPN_GATEWAY,
            GCP_VPN_TUNNEL,
            GCP_ROUTER_INTERFACE,
            GCP_ROUTER_PEER,
            RANDOM_PASSWORD,
        )
    }
    assert counts == {
        TGW: 1,
        GCP_HA_VPN_GATEWAY: 1,
        AWS_CUSTOMER_GATEWAY: 2,
        AWS_VPN_CONNECTION: 2,
        GCP_EXTERNAL_VPN_GATEWAY: 1,
        GCP_VPN_TUNNEL: 4,
        GCP_ROUTER_INTERFACE: 4,
        GCP_ROUTER_PEER: 4,
        RANDOM_PASSWORD: 4,
    }
    assert len(dev_plan.one(GCP_EXTERNAL_VPN_GATEWAY).inputs["interfaces"]) == 4


def test_prod_plan_has_two_groups_and_eight_tunnels(prod_plan: Plan) -> None:
    assert len(prod_plan.of_type(GCP_HA_VPN_GATEWAY)) == 2
    assert len(prod_plan.of_type(AWS_VPN_CONNECTION)) == 4
    assert len(prod_plan.of_type(GCP_EXTERNAL_VPN_GATEWAY)) == 2
    assert len(prod_plan.of_type(GCP_VPN_TUNNEL)) == len(prod_plan.of_type(GCP_ROUTER_PEER)) == 8
    assert len(prod_plan.outputs["tunnels"]) == 8


def test_transit_gateway_spreads_over_tunnels_and_accepts_nothing_by_itself(dev_plan: Plan) -> None:
    tgw = dev_plan.one(TGW).inputs
    assert tgw["vpnEcmpSupport"] == "enable"
    assert tgw["autoAcceptSharedAttachments"] == "disable"
    assert tgw["dnsSupport"] == "enable"
    assert tgw["amazonSideAsn"] == 64512
    # Every attachment's routing is declared, none falls into a default table.
    assert tgw["defaultRouteTableAssociation"] == tgw["defaultRouteTablePropagation"] == "disable"


def test_vpc_attachment_uses_every_private_subnet_and_no_public_one(dev_plan: Plan) -> None:
    attachment = dev_plan.one(TGW_VPC_ATTACHMENT).inputs
    subnets = {r.name: str(r.id) for r in dev_plan.of_type(AWS_SUBNET)}
    private = sorted(rid for name, rid in subnets.items() if "-private-" in name)
    assert sorted(attachment["subnetIds"]) == private and len(private) == 3
    assert attachment["vpcId"] == dev_plan.one(AWS_VPC).id


def test_vpn_and_vpc_attachments_are_associated_and_propagated_in_the_link_table(dev_plan: Plan) -> None:
    table = dev_plan.one(TGW_ROUTE_TABLE).id
    attachments = {dev_plan.one(TGW_VPC_ATTACHMENT).id} | {
        vpn.outputs["transitGatewayAttachmentId"] for vpn in dev_plan.of_type(AWS_VPN_CONNECTION)
    }
    for token in (TGW_ROUTE_TABLE_ASSOCIATION, TGW_ROUTE_TABLE_PROPAGATION):
        links = dev_plan.of_type(token)
        assert {r.inputs["transitGatewayAttachmentId"] for r in links} == attachments
        assert {r.inputs["transitGatewayRouteTableId"] for r in links} == {table}


def test_every_private_route_table_routes_every_gcp_prefix_to_the_tgw(dev_plan: Plan) -> None:
    tgw = dev_plan.one(TGW).id
    attachment = dev_plan.one(TGW_VPC_ATTACHMENT).urn
    private_tables = {r.id for r in dev_plan.of_type(AWS_ROUTE_TABLE) if "-private-" in r.name}
    prefixes = {"10.20.0.0/20", "10.24.0.0/14", "172.16.0.0/28", "35.199.192.0/19"}
    to_gcp = [r for r in dev_plan.of_type(AWS_ROUTE) if r.inputs.get("transitGatewayId") == tgw]
    assert len(to_gcp) >= 3
    assert {(r.inputs["routeTableId"], r.inputs["destinationCidrBlock"]) for r in to_gcp} == {
        (table, prefix) for table in private_tables for prefix in prefixes
    }
    # AWS refuses a route to a TGW the VPC is not attached to yet.
    assert all(attachment in r.dependencies for r in to_gcp)


def test_vpn_routing_is_bgp_with_no_static_routes(dev_plan: Plan) -> None:
    assert all(vpn.inputs["staticRoutesOnly"] is False for vpn in dev_plan.of_type(AWS_VPN_CONNECTION))
    assert dev_plan.of_type(AWS_VPN_CONNECTION_ROUTE) == []


def test_customer_gateways_are_the_ha_vpn_interfaces_with_the_cloud_router_asn(dev_plan: Plan) -> None:
    ha_ips = {i["ipAddress"] for i in dev_plan.one(GCP_HA_VPN_GATEWAY).outputs["vpnInterfaces"]}
    router_asn = dev_plan.one(GCP_ROUTER).inputs["bgp"]["asn"]
    gateways = dev_plan.of_type(AWS_CUSTOMER_GATEWAY)
    assert {g.inputs["ipAddress"] for g in gateways} == ha_ips
    assert all(g.inputs["type"] == "ipsec.1" and g.inputs["bgpAsn"] == str(router_asn) for g in gateways)
    assert all("bgpAsnExtended" not in g.inputs for g in gateways)


def test_a_four_byte_cloud_router_asn_goes_in_bgp_asn_extended() -> None:
    plan = planned("dev", {"link": {"awsAsn": 64512, "gcpAsn": 4_200_000_001}})
    for gateway in plan.of_type(AWS_CUSTOMER_GATEWAY):
        assert gateway.inputs["bgpAsnExtended"] == "4200000001"
        assert "bgpAsn" not in gateway.inputs
    assert {t["gcpAsn"] for t in plan.outputs["tunnels"]} == {4_200_000_001}


def test_external_gateway_lists_the_four_aws_ips_in_the_documented_order(dev_plan: Plan) -> None:
    external = dev_plan.one(GCP_EXTERNAL_VPN_GATEWAY).inputs
    assert external["redundancyType"] == "FOUR_IPS_REDUNDANCY"
    vpns = sorted(dev_plan.of_type(AWS_VPN_CONNECTION), key=lambda r: r.name)
    expected = [
        vpns[0].outputs["tunnel1Address"],
        vpns[0].outputs["tunnel2Address"],
        vpns[1].outputs["tunnel1Address"],
        vpns[1].outputs["tunnel2Address"],
    ]
    assert [i["ipAddress"] for i in sorted(external["interfaces"], key=lambda i: i["id"])] == expected
    assert len(set(expected)) == 4


# --- pair by pair --------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_gcp_tunnel_leaves_the_ha_interface_its_aws_peer_expects(stack: str) -> None:
    plan = planned(stack)
    for pair in gcp_tunnel_pairs(plan):
        index = pair["inputs"]["peerExternalGatewayInterface"]
        assert pair["inputs"]["vpnGatewayInterface"] == index // 2
        ha_ip = {i["id"]: i["ipAddress"] for i in pair["ha_gateway"].outputs["vpnInterfaces"]}[index // 2]
        # The AWS tunnel's customer gateway is the HA interface this GCP tunnel leaves from.
        assert pair["cgw"].inputs["ipAddress"] == ha_ip
        assert pair["number"] == index % 2 + 1


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_router_interface_is_the_customer_gateway_inside_address(stack: str) -> None:
    for pair in gcp_tunnel_pairs(planned(stack)):
        vpn, number = pair["vpn"], pair["number"]
        cgw_ip = vpn.outputs[f"tunnel{number}CgwInsideAddress"]
        assert pair["interface"].inputs["ipRange"] == f"{cgw_ip}/30"
        assert ipaddress.IPv4Address(cgw_ip) in ipaddress.IPv4Network(vpn.inputs[f"tunnel{number}InsideCidr"])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_router_peer_ip_is_the_aws_inside_address_and_asn(stack: str) -> None:
    plan = planned(stack)
    tgw_asn = plan.one(TGW).inputs["amazonSideAsn"]
    for pair in gcp_tunnel_pairs(plan):
        vpn, number, peer = pair["vpn"], pair["number"], pair["peer"].inputs
        assert peer["peerIpAddress"] == vpn.outputs[f"tunnel{number}VgwInsideAddress"]
        assert peer["ipAddress"] == vpn.outputs[f"tunnel{number}CgwInsideAddress"]
        assert peer["peerAsn"] == tgw_asn == int(vpn.outputs[f"tunnel{number}BgpAsn"])
        inside = ipaddress.IPv4Network(vpn.inputs[f"tunnel{number}InsideCidr"])
        first, second = (str(host) for host in inside.hosts())
        assert (peer["peerIpAddress"], peer["ipAddress"]) == (first, second)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_both_ends_of_each_tunnel_share_one_key_and_no_two_tunnels_do(stack: str) -> None:
    pairs = gcp_tunnel_pairs(planned(stack))
    keys = []
    for pair in pairs:
        gcp_key = pair["tunnel"].inputs["sharedSecret"]
        aws_key = pair["vpn"].inputs[f"tunnel{pair['number']}PresharedKey"]
        assert isinstance(gcp_key, Secret) and isinstance(aws_key, Secret)
        assert gcp_key.value == aws_key.value
        keys.append(gcp_key.value)
    assert len(set(keys)) == len(keys) == len(pairs)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_inside_cidrs_are_unique_usable_and_shared_by_both_ends(stack: str) -> None:
    plan = planned(stack)
    blocks = [vpn.inputs[f"tunnel{n}InsideCidr"] for vpn in plan.of_type(AWS_VPN_CONNECTION) for n in (1, 2)]
    assert len(set(blocks)) == len(blocks) == len(plan.of_type(GCP_VPN_TUNNEL))
    assert {t["insideCidr"] for t in plan.outputs["tunnels"]} == set(blocks)


# --- keys --------------------------------------------------------------------------------------------


def test_keys_are_drawn_from_the_aws_alphabet_and_never_start_with_zero(prod_plan: Plan) -> None:
    for password in prod_plan.of_type(RANDOM_PASSWORD):
        assert password.inputs["length"] == PSK_SPEC.length
        assert password.inputs["numeric"] is False
        assert password.inputs["overrideSpecial"] == "._"
    alphabet = set(PSK_SPEC.alphabet())
    for vpn in prod_plan.of_type(AWS_VPN_CONNECTION):
        for number in (1, 2):
            key = reveal(vpn.inputs[f"tunnel{number}PresharedKey"])
            assert psk_problems(key) == []
            assert len(key) == PSK_SPEC.length and set(key) <= alphabet


def test_no_key_appears_in_any_output_or_masked_input(prod_plan: Plan) -> None:
    keys = {reveal(t.inputs["sharedSecret"]) for t in prod_plan.of_type(GCP_VPN_TUNNEL)}
    contract = json.dumps(prod_plan.to_contract())
    assert not any(key in contract for key in keys)
    outputs = json.dumps(mask(prod_plan.outputs))
    assert not any(key in outputs for key in keys)


# --- IKE, DPD, logs, bandwidth -----------------------------------------------------------------------


def test_aws_tunnels_offer_exactly_one_ikev2_proposal(prod_plan: Plan) -> None:
    for vpn in prod_plan.of_type(AWS_VPN_CONNECTION):
        for number in (1, 2):
            inputs = vpn.inputs
            assert inputs[f"tunnel{number}IkeVersions"] == ["ikev2"]
            for key in (
                "Phase1EncryptionAlgorithms",
                "Phase1IntegrityAlgorithms",
                "Phase1DhGroupNumbers",
                "Phase2EncryptionAlgorithms",
                "Phase2IntegrityAlgorithms",
                "Phase2DhGroupNumbers",
            ):
                assert len(inputs[f"tunnel{number}{key}"]) == 1, key
            assert inputs[f"tunnel{number}DpdTimeoutAction"] == "restart"
            assert inputs[f"tunnel{number}DpdTimeoutSeconds"] >= 30


def test_gcp_tunnels_use_ikev2_and_the_same_single_cipher_set(prod_plan: Plan) -> None:
    for tunnel in prod_plan.of_type(GCP_VPN_TUNNEL):
        assert tunnel.inputs["ikeVersion"] == 2
        suite = tunnel.inputs["cipherSuite"]
        assert suite["phase1"] == {
            "encryptions": ["AES-CBC-256"],
            "integrities": ["HMAC-SHA2-256-128"],
            "prves": ["PRF-HMAC-SHA2-256"],
            "dhs": ["Group-14"],
        }
        assert suite["phase2"] == {
            "encryptions": ["AES-CBC-256"],
            "integrities": ["HMAC-SHA2-256-128"],
            "pfs": ["Group-14"],
        }


def test_tunnel_logs_go_to_a_retained_kms_encrypted_log_group(dev_plan: Plan) -> None:
    group = dev_plan.one(CLOUDWATCH_LOG_GROUP, "link-tunnel-logs")
    assert group.inputs["retentionInDays"] == 365
    assert group.inputs["kmsKeyId"] == dev_plan.one(KMS_KEY, "aws-network-logs-key").outputs["arn"]
    for vpn in dev_plan.of_type(AWS_VPN_CONNECTION):
        for number in (1, 2):
            options = vpn.inputs[f"tunnel{number}LogOptions"]["cloudwatchLogOptions"]
            assert options["logEnabled"] is True and options["bgpLogEnabled"] is True
            assert options["logGroupArn"] == group.outputs["arn"]


def test_tunnel_bandwidth_follows_config(dev_plan: Plan, prod_plan: Plan) -> None:
    assert {v.inputs["tunnelBandwidth"] for v in dev_plan.of_type(AWS_VPN_CONNECTION)} == {"standard"}
    assert {v.inputs["tunnelBandwidth"] for v in prod_plan.of_type(AWS_VPN_CONNECTION)} == {"large"}


def test_bgp_peers_advertise_exactly_the_gcp_prefixes_and_not_the_services_range(dev_plan: Plan) -> None:
    services = dev_plan.one(GCP_SUBNETWORK).inputs["secondaryIpRanges"][1]
    assert services["rangeName"] == "gke-services"
    for peer in dev_plan.of_type(GCP_ROUTER_PEER):
        assert peer.inputs["advertiseMode"] == "CUSTOM"
        assert [r["range"] for r in peer.inputs["advertisedIpRanges"]] == [
            "10.20.0.0/20",
            "10.24.0.0/14",
            "172.16.0.0/28",
            "35.199.192.0/19",
        ]
    routed = {r.inputs["destinationCidrBlock"] for r in dev_plan.of_type(AWS_ROUTE)}
    assert services["ipCidrRange"] not in routed


def test_routes_to_gcp_are_named_by_range_and_keep_their_deployed_names_as_aliases() -> None:
    assert route_name("link-hub", 1, "master") == "link-hub-to-gcp-1-master"
    # The names a deployed stack holds, from when the GKE services range sat at position 2.
    assert [alias.name for alias in route_aliases("link-hub", 1, "master")] == ["link-hub-to-gcp-1-3"]
    assert [alias.name for alias in route_aliases("link-hub", 0, "dns")] == ["link-hub-to-gcp-0-4"]
    assert route_aliases("link-hub", 0, "new-range") == []


# --- dependencies and protection ---------------------------------------------------------------------

# The only places one cloud waits for the other: AWS needs the HA VPN IPs for its customer gateways;
# GCP needs AWS's outside IPs, inside addresses and ASN for the external gateway, interfaces and peers,
# and the resolver endpoint's addresses for the Cloud DNS forwarding zone.
REAL_CROSS_CLOUD = {
    (AWS_CUSTOMER_GATEWAY, GCP_HA_VPN_GATEWAY),
    (GCP_EXTERNAL_VPN_GATEWAY, AWS_VPN_CONNECTION),
    (GCP_ROUTER_INTERFACE, AWS_VPN_CONNECTION),
    (GCP_ROUTER_PEER, AWS_VPN_CONNECTION),
    (GCP_DNS_ZONE, ROUTE53_RESOLVER_ENDPOINT),
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_dependency_crosses_clouds_except_the_links_real_ones(stack: str) -> None:
    plan = planned(stack)
    types = {r.urn: r.type for r in plan.resources}
    crossing = set()
    for resource in plan.resources:
        cloud = resource.type.split(":")[0]
        for dependency in resource.dependencies:
            other = types.get(dependency, "")
            if (
                cloud in ("aws", "gcp")
                and other.split(":")[0] in ("aws", "gcp")
                and other.split(":")[0] != cloud
            ):
                crossing.add((resource.type, other))
    assert crossing == REAL_CROSS_CLOUD


def test_prod_protects_what_is_slow_or_disruptive_to_replace(prod_plan: Plan, dev_plan: Plan) -> None:
    for token in (
        TGW,
        TGW_VPC_ATTACHMENT,
        GCP_HA_VPN_GATEWAY,
        AWS_CUSTOMER_GATEWAY,
        AWS_VPN_CONNECTION,
        GCP_EXTERNAL_VPN_GATEWAY,
    ):
        assert all(r.protect for r in prod_plan.of_type(token)), token
        assert not any(r.protect for r in dev_plan.of_type(token)), token
    assert not any(r.protect for r in prod_plan.of_type(GCP_VPN_TUNNEL))


# --- outputs ---------------------------------------------------------------------------------------


def test_tunnel_outputs_match_the_resources_on_both_sides(dev_plan: Plan) -> None:
    rows = dev_plan.outputs["tunnels"]
    assert all(set(row) == TUNNEL_KEYS for row in rows)
    pairs = {pair["inputs"]["peerExternalGatewayInterface"]: pair for pair in gcp_tunnel_pairs(dev_plan)}
    for row in rows:
        pair = pairs[row["tunnel"]]
        vpn, number = pair["vpn"], pair["number"]
        assert row["awsOutsideIp"] == vpn.outputs[f"tunnel{number}Address"]
        assert row["gcpOutsideIp"] == pair["cgw"].inputs["ipAddress"]
        assert row["awsInsideIp"] == pair["peer"].inputs["peerIpAddress"]
        assert row["gcpInsideIp"] == pair["peer"].inputs["ipAddress"]
        assert row["insideCidr"] == vpn.inputs[f"tunnel{number}InsideCidr"]
        assert (row["awsAsn"], row["gcpAsn"]) == (64512, 65515)
        assert row["capacityGbps"] == 1.25


def test_link_capacity_is_tunnels_times_one_tunnel(dev_plan: Plan, prod_plan: Plan) -> None:
    dev, prod = dev_plan.outputs["linkCapacity"], prod_plan.outputs["linkCapacity"]
    assert (dev["tunnels"], dev["tunnelGbps"], dev["aggregateGbps"]) == (4, 1.25, 5.0)
    assert (prod["tunnels"], prod["tunnelGbps"], prod["aggregateGbps"]) == (8, 3.0, 24.0)
    assert prod["aggregatePps"] == 8 * 250_000


def test_plan_summary_prints_the_tunnel_table_and_the_capacity(dev_plan: Plan) -> None:
    from offline.commands.summary import render_summary

    text = render_summary(dev_plan)
    assert "group 0 tunnel 3:" in text
    assert "capacity: 4 tunnels x 1.25 Gbps" in text and "= 5.0 Gbps with ECMP" in text
    assert "packet ceiling: 4 tunnels x 140,000 pps = 560,000 pps" in text


# --- invalid link config ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ({"tunnelGroups": 0}, ": crossmesh:link.tunnelGroups: 0 must be greater than or equal to 1"),
        ({"tunnelBandwidth": "huge"}, ": crossmesh:link.tunnelBandwidth: 'huge' is not allowed"),
        ({"kind": "interconnect"}, ": crossmesh:link.interconnect: missing"),
    ],
)
def test_invalid_link_config_exits_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], link: dict[str, Any], expected: str
) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    stack["config"]["crossmesh:link"] = {"kind": "vpn", "awsAsn": 64512, "gcpAsn": 65515, **link}
    (tmp_path / "Pulumi.bad.yaml").write_text(yaml.safe_dump(stack))
    assert main(["-C", str(tmp_path), "plan", "--stack", "bad"]) == INVALID_INPUT
    assert expected in capsys.readouterr().err


def test_each_group_has_its_own_bandwidth_and_keeps_its_number() -> None:
    link = {**stack_config("dev", "link")}
    del link["tunnelGroups"], link["tunnelBandwidth"]
    link["groups"] = [{"id": 0, "bandwidth": "standard"}, {"id": 1, "bandwidth": "large"}]
    plan = planned("dev", {"link": link})
    bandwidth = {r.name: r.inputs["tunnelBandwidth"] for r in plan.of_type(AWS_VPN_CONNECTION)}
    assert bandwidth == {
        "link-0-vpn-0": "standard",
        "link-0-vpn-1": "standard",
        "link-1-vpn-0": "large",
        "link-1-vpn-1": "large",
    }
    capacity = plan.outputs["linkCapacity"]
    # ECMP spreads flows evenly: the standard tunnels set the pace of all eight.
    assert (capacity["tunnels"], capacity["tunnelBandwidth"], capacity["aggregateGbps"]) == (
        8,
        "standard",
        10.0,
    )
    rows = {(row["group"], row["capacityGbps"]) for row in plan.outputs["tunnels"]}
    assert rows == {(0, 1.25), (1, 3.0)}
