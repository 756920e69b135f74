"""The reachability check: every shipped stack opens every flow it needs and exposes nothing wider than
the peers; closing any hop of any flow of the dev plan (one mutation of a saved plan each) closes that
flow at that hop; and every hop the dev plan's flows pass through has such a case."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offline.commands.check import from_contract
from offline.flows import EXPOSURE, Flow, check_flows
from tests.support.plans import STACKS, planned

Contract = dict[str, Any]
Mutation = Callable[[Contract], None]

TGW_ROUTE = "aws:ec2transitgateway/route:Route"
GCP_FIREWALL = "gcp:compute/firewall:Firewall"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


@cache
def _dev_contract() -> str:
    return json.dumps(planned("dev").to_contract())


def flows_of(contract: Contract) -> dict[str, Flow]:
    return {flow.id: flow for flow in check_flows(from_contract(contract).resources)}


# --- the shipped stacks -------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_needed_flow_is_open_and_every_exposure_within_the_peers(stack: str) -> None:
    flows = check_flows(planned(stack).resources)
    assert [(f.id, f.closed_at) for f in flows if not f.open] == []


def test_the_dev_plan_declares_the_flows_of_istio_on_both_clusters() -> None:
    ids = [flow.id for flow in check_flows(planned("dev").resources)]
    assert ids == [
        "gke-control-plane-to-nodes",
        "eks-control-plane-to-nodes",
        "gke-istiod-to-eks-api",
        "eks-istiod-to-gke-api",
        "dns-forwarding",
        "gke-to-eks-east-west",
        "eks-to-gke-east-west",
        "eks-collector-to-xray",
        "gke-collector-to-cloud-trace",
        "bgp-169.254.10.0/30",
        "bgp-169.254.10.4/30",
        "bgp-169.254.10.8/30",
        "bgp-169.254.10.12/30",
        "aws-east-west-exposure",
        "gcp-east-west-exposure",
        "eks-api-exposure",
        "gke-api-exposure",
    ]
    flows = {flow.id: flow for flow in check_flows(planned("dev").resources)}
    assert flows["gke-control-plane-to-nodes"].ports == (443, 10250, 15017)
    assert flows["eks-control-plane-to-nodes"].ports == (10250, 15017)
    assert flows["dns-forwarding"].protocol == "udp+tcp"


def test_app_mesh_on_eks_needs_the_bridges_and_its_controllers_webhook_not_istiods() -> None:
    flows = {flow.id: flow for flow in check_flows(planned("legacy").resources)}
    assert "gke-istiod-to-eks-api" not in flows and "gke-to-eks-east-west" not in flows
    assert flows["eks-control-plane-to-nodes"].ports == (9443, 10250)
    assert flows["eks-to-gke-istio-bridge-ingress"].ports == (443,)
    assert flows["gke-to-eks-service-crossmesh-bridge"].ports == (443,)
    assert "eks-to-gke-east-west" not in flows, "no Istio sidecar on EKS calls the GKE east-west gateway"


def test_an_interconnect_link_carries_the_flows_through_the_transport() -> None:
    link = {
        "kind": "interconnect",
        "interconnect": {"remoteProfile": "aws-us-east-1", "awsAccountId": "111122223333"},
    }
    flows = check_flows(planned("dev", {"link": link}).resources)
    assert not [flow.id for flow in flows if flow.id.startswith("bgp-")]
    assert [(f.id, f.closed_at) for f in flows if not f.open] == []
    api = next(flow for flow in flows if flow.id == "eks-istiod-to-gke-api")
    assert "the interconnect transport" in next(h.detail for h in api.hops if h.step == "link")


# --- mutations of the saved dev plan --------------------------------------------------------------------


def named(contract: Contract, name: str, type_: str | None = None) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        r for r in contract["resources"] if r["name"] == name and (type_ is None or r["type"] == type_)
    ]
    assert len(found) == 1, (name, type_, len(found))
    return found[0]


def drop(contract: Contract, *names: str) -> None:
    before = len(contract["resources"])
    contract["resources"] = [r for r in contract["resources"] if r["name"] not in names]
    assert len(contract["resources"]) < before, names


def add(
    contract: Contract, type_: str, name: str, inputs: dict[str, Any], dependencies: Sequence[str] = ()
) -> None:
    contract["resources"].append(
        {
            "urn": f"urn:pulumi:dev::crossmesh::{type_}::{name}",
            "type": type_,
            "name": name,
            "id": f"{name}-id",
            "custom": True,
            "parent": None,
            "provider": None,
            "dependencies": list(dependencies),
            "protect": False,
            "inputs": inputs,
        }
    )


def firewall(contract: Contract, name: str, **inputs: Any) -> None:
    network = named(contract, "gcp-network-vpc")["inputs"]["name"]
    add(contract, GCP_FIREWALL, name, {"name": name, "network": network, "priority": 900, **inputs})


def deny(direction: str, cidr: str, port: str) -> Mutation:
    key = "sourceRanges" if direction == "INGRESS" else "destinationRanges"

    def mutate(c: Contract) -> None:
        firewall(
            c,
            f"test-deny-{direction.lower()}",
            direction=direction,
            denies=[{"protocol": "tcp", "ports": [port]}],
            targetTags=["cm-dev-gke-node"],
            **{key: [cidr]},
        )

    return mutate


def tgw_blackhole(cidr: str) -> Mutation:
    def mutate(c: Contract) -> None:
        table = named(c, "link-hub-rt")
        add(
            c,
            TGW_ROUTE,
            f"test-blackhole-{cidr}",
            {"destinationCidrBlock": cidr, "transitGatewayRouteTableId": table["id"], "blackhole": True},
            [table["urn"]],
        )

    return mutate


def sg_rule(group: str, cidr: str, port: int) -> Mutation:
    def mutate(c: Contract) -> None:
        owner = named(c, group, "aws:ec2/securityGroup:SecurityGroup")
        add(
            c,
            SG_INGRESS,
            f"test-{group}-{port}",
            {
                "securityGroupId": owner["id"],
                "cidrIpv4": cidr,
                "ipProtocol": "tcp",
                "fromPort": port,
                "toPort": port,
            },
            [owner["urn"]],
        )

    return mutate


def without_cluster_group(c: Contract) -> None:
    """The nodes' launch template lists only the mesh-peers group, not the EKS cluster group."""
    template = named(c, "eks-nodes", "aws:ec2/launchTemplate:LaunchTemplate")
    peers = named(c, "peer-firewalls-mesh-peers")
    template["inputs"]["vpcSecurityGroupIds"] = [peers["id"]]
    template["dependencies"] = [peers["urn"]]


def without_peers(c: Contract) -> None:
    drop(c, *(f"link-0-peer-{tunnel}" for tunnel in range(4)))


def not_advertised(cidr: str) -> Mutation:
    def mutate(c: Contract) -> None:
        for tunnel in range(4):
            peer = named(c, f"link-0-peer-{tunnel}")["inputs"]
            peer["advertisedIpRanges"] = [r for r in peer["advertisedIpRanges"] if r["range"] != cidr]

    return mutate


def without_vpc_propagation(c: Contract) -> None:
    drop(c, "link-hub-prop-vpc")


def attachment_without_zone_c(c: Contract) -> None:
    attachment = named(c, "link-hub-vpc")
    subnet = named(c, "aws-network-private-2", "aws:ec2/subnet:Subnet")["id"]
    attachment["inputs"]["subnetIds"] = [s for s in attachment["inputs"]["subnetIds"] if s != subnet]


def without_routes(*names: str) -> Mutation:
    return lambda c: drop(c, *names)


def tgw_routes_to(key: str) -> tuple[str, ...]:
    return tuple(f"link-hub-to-gcp-{table}-{key}" for table in range(3))


def source_ranges(release: str, ranges: list[str] | None) -> Mutation:
    def mutate(c: Contract) -> None:
        service = named(c, release)["inputs"]["values"]["service"]
        if ranges is None:
            service.pop("loadBalancerSourceRanges")
        else:
            service["loadBalancerSourceRanges"] = ranges

    return mutate


def setting(name: str, path: str, value: Any, type_: str | None = None) -> Mutation:
    def mutate(c: Contract) -> None:
        node = named(c, name, type_)["inputs"]
        *parents, leaf = path.split(".")
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[leaf] = value

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(c: Contract) -> None:
        for mutation in mutations:
            mutation(c)

    return mutate


def gke_authorized_without_aws(c: Contract) -> None:
    config = named(c, "gke-cluster")["inputs"]["masterAuthorizedNetworksConfig"]
    config["cidrBlocks"] = [b for b in config["cidrBlocks"] if not b["displayName"].startswith("aws")]


# (flow, the hop the mutation closes, what the mutation does)
CLOSINGS: list[tuple[str, str, str, Mutation]] = [
    (
        "gke-control-plane-to-nodes",
        "gcp-firewall-ingress",
        "no webhook rule",
        lambda c: drop(c, "gke-control-plane-webhooks"),
    ),
    (
        "gke-control-plane-to-nodes",
        "gcp-firewall-ingress",
        "kubelet denied first",
        deny("INGRESS", "172.16.0.0/28", "10250"),
    ),
    (
        "eks-control-plane-to-nodes",
        "aws-sg-ingress",
        "nodes outside the cluster group",
        without_cluster_group,
    ),
    (
        "gke-istiod-to-eks-api",
        "eks-private-endpoint",
        "private access off",
        setting("eks-cluster", "vpcConfig.endpointPrivateAccess", False),
    ),
    ("gke-istiod-to-eks-api", "gcp-firewall-egress", "egress denied", deny("EGRESS", "10.10.0.0/16", "443")),
    ("gke-istiod-to-eks-api", "link", "no BGP peer", without_peers),
    ("gke-istiod-to-eks-api", "gcp-learned-route", "VPC not propagated", without_vpc_propagation),
    ("gke-istiod-to-eks-api", "tgw-route", "blackhole", tgw_blackhole("10.10.0.0/19")),
    ("gke-istiod-to-eks-api", "tgw-attachment-zone", "zone c left out", attachment_without_zone_c),
    ("gke-istiod-to-eks-api", "aws-route-back", "no route to pods", without_routes("link-hub-to-gcp-0-pods")),
    ("gke-istiod-to-eks-api", "gcp-advertisement", "pods not advertised", not_advertised("10.24.0.0/14")),
    ("gke-istiod-to-eks-api", "tgw-route-back", "pods blackholed", tgw_blackhole("10.24.0.0/14")),
    (
        "gke-istiod-to-eks-api",
        "aws-sg-ingress",
        "pods not admitted",
        lambda c: drop(c, "eks-api-from-peer-1"),
    ),
    ("gke-istiod-to-eks-api", "dns", "no forwarding zone", lambda c: drop(c, "dns-eks-zone")),
    ("eks-istiod-to-gke-api", "aws-sg-egress", "nodes outside the cluster group", without_cluster_group),
    (
        "eks-istiod-to-gke-api",
        "aws-route",
        "no route to the control plane",
        without_routes(*tgw_routes_to("master")),
    ),
    ("eks-istiod-to-gke-api", "tgw-attachment-zone", "zone c left out", attachment_without_zone_c),
    ("eks-istiod-to-gke-api", "link", "no BGP peer", without_peers),
    (
        "eks-istiod-to-gke-api",
        "gcp-advertisement",
        "control plane not advertised",
        not_advertised("172.16.0.0/28"),
    ),
    ("eks-istiod-to-gke-api", "tgw-route", "control plane blackholed", tgw_blackhole("172.16.0.0/28")),
    ("eks-istiod-to-gke-api", "gcp-learned-route", "VPC not propagated", without_vpc_propagation),
    ("eks-istiod-to-gke-api", "tgw-route-back", "nodes blackholed", tgw_blackhole("10.10.0.0/19")),
    (
        "eks-istiod-to-gke-api",
        "gke-control-plane-routes",
        "custom routes not exported",
        setting("gke-control-plane-routes", "exportCustomRoutes", False),
    ),
    ("eks-istiod-to-gke-api", "gke-authorized-networks", "AWS not authorized", gke_authorized_without_aws),
    (
        "dns-forwarding",
        "dns-zone",
        "zone forwards elsewhere",
        setting("dns-eks-zone", "forwardingConfig.targetNameServers", [{"ipv4Address": "10.99.0.1"}]),
    ),
    ("dns-forwarding", "link", "no BGP peer", without_peers),
    ("dns-forwarding", "gcp-learned-route", "VPC not propagated", without_vpc_propagation),
    ("dns-forwarding", "tgw-route", "endpoint blackholed", tgw_blackhole("10.10.0.0/19")),
    (
        "dns-forwarding",
        "tgw-attachment-zone",
        "zones a and b left out",
        setting("link-hub-vpc", "subnetIds", []),
    ),
    (
        "dns-forwarding",
        "aws-route-back",
        "no route back to Cloud DNS",
        without_routes("link-hub-to-gcp-0-dns"),
    ),
    (
        "dns-forwarding",
        "gcp-advertisement",
        "Cloud DNS range not advertised",
        not_advertised("35.199.192.0/19"),
    ),
    ("dns-forwarding", "tgw-route-back", "Cloud DNS range blackholed", tgw_blackhole("35.199.192.0/19")),
    ("dns-forwarding", "aws-sg-ingress", "UDP not admitted", lambda c: drop(c, "dns-resolver-udp-53")),
    ("gke-to-eks-east-west", "gcp-firewall-egress", "egress denied", deny("EGRESS", "10.10.0.0/16", "15443")),
    ("gke-to-eks-east-west", "link", "no BGP peer", without_peers),
    ("gke-to-eks-east-west", "gcp-learned-route", "VPC not propagated", without_vpc_propagation),
    ("gke-to-eks-east-west", "tgw-route", "load balancer subnet blackholed", tgw_blackhole("10.10.0.0/19")),
    ("gke-to-eks-east-west", "tgw-attachment-zone", "zone c left out", attachment_without_zone_c),
    ("gke-to-eks-east-west", "aws-route-back", "no route to pods", without_routes("link-hub-to-gcp-0-pods")),
    ("gke-to-eks-east-west", "gcp-advertisement", "pods not advertised", not_advertised("10.24.0.0/14")),
    ("gke-to-eks-east-west", "tgw-route-back", "pods blackholed", tgw_blackhole("10.24.0.0/14")),
    (
        "gke-to-eks-east-west",
        "lb-source-ranges",
        "pods left out",
        source_ranges("istio-aws-gateway", ["10.20.0.0/20"]),
    ),
    ("gke-to-eks-east-west", "aws-sg-ingress", "nodes outside the cluster group", without_cluster_group),
    ("eks-to-gke-east-west", "aws-sg-egress", "nodes outside the cluster group", without_cluster_group),
    (
        "eks-to-gke-east-west",
        "aws-route",
        "no route to the GKE subnet",
        without_routes(*tgw_routes_to("subnet")),
    ),
    ("eks-to-gke-east-west", "tgw-attachment-zone", "zone c left out", attachment_without_zone_c),
    ("eks-to-gke-east-west", "link", "no BGP peer", without_peers),
    ("eks-to-gke-east-west", "gcp-advertisement", "subnet not advertised", not_advertised("10.20.0.0/20")),
    ("eks-to-gke-east-west", "tgw-route", "subnet blackholed", tgw_blackhole("10.20.0.0/20")),
    ("eks-to-gke-east-west", "gcp-learned-route", "VPC not propagated", without_vpc_propagation),
    ("eks-to-gke-east-west", "tgw-route-back", "nodes blackholed", tgw_blackhole("10.10.0.0/19")),
    (
        "eks-to-gke-east-west",
        "lb-source-ranges",
        "AWS left out",
        source_ranges("istio-gcp-gateway", ["10.99.0.0/16"]),
    ),
    (
        "eks-to-gke-east-west",
        "gcp-firewall-ingress",
        "denied first",
        deny("INGRESS", "10.10.0.0/16", "15443"),
    ),
    ("eks-collector-to-xray", "aws-sg-egress", "nodes outside the cluster group", without_cluster_group),
    (
        "eks-collector-to-xray",
        "aws-route",
        "no default route",
        without_routes("aws-network-private-default-0"),
    ),
    (
        "eks-collector-to-xray",
        "nat-to-internet",
        "no internet gateway route",
        without_routes("aws-network-public-default"),
    ),
    (
        "gke-collector-to-cloud-trace",
        "gcp-firewall-egress",
        "egress denied",
        deny("EGRESS", "0.0.0.0/0", "443"),
    ),
    (
        "gke-collector-to-cloud-trace",
        "google-apis",
        "no private access, NAT for nodes only",
        both(
            setting("gcp-network-subnet", "privateIpGoogleAccess", False),
            setting("gcp-network-nat", "subnetworks.0.sourceIpRangesToNats", ["PRIMARY_IP_RANGE"]),
        ),
    ),
    ("bgp-169.254.10.0/30", "aws-tunnel", "static routes", setting("link-0-vpn-0", "staticRoutesOnly", True)),
    (
        "bgp-169.254.10.0/30",
        "router-interface",
        "ends swapped",
        setting("link-0-if-0", "ipRange", "169.254.10.1/30"),
    ),
    ("bgp-169.254.10.0/30", "router-peer", "wrong peer ASN", setting("link-0-peer-0", "peerAsn", 65000)),
    ("bgp-169.254.10.0/30", "bgp-asn", "customer gateway ASN", setting("link-0-cgw-0", "bgpAsn", "65001")),
    ("bgp-169.254.10.0/30", "tgw-attachment", "not propagated", lambda c: drop(c, "link-hub-prop-vpn-0-0")),
    (
        "aws-east-west-exposure",
        "lb-source-ranges",
        "no source ranges",
        source_ranges("istio-aws-gateway", None),
    ),
    (
        "aws-east-west-exposure",
        "aws-sg-ingress",
        "15012 to the world",
        sg_rule("peer-firewalls-mesh-peers", "0.0.0.0/0", 15012),
    ),
    (
        "gcp-east-west-exposure",
        "lb-source-ranges",
        "no source ranges",
        source_ranges("istio-gcp-gateway", None),
    ),
    (
        "gcp-east-west-exposure",
        "gcp-firewall-ingress",
        "15017 to the world",
        lambda c: firewall(
            c,
            "test-open",
            direction="INGRESS",
            sourceRanges=["0.0.0.0/0"],
            allows=[{"protocol": "tcp", "ports": ["15017"]}],
        ),
    ),
    ("eks-api-exposure", "aws-sg-ingress", "API to the world", sg_rule("eks-api-peers", "0.0.0.0/0", 443)),
    (
        "eks-api-exposure",
        "eks-public-endpoint",
        "public endpoint to the world",
        setting("eks-cluster", "vpcConfig.publicAccessCidrs", ["0.0.0.0/0"]),
    ),
    (
        "gke-api-exposure",
        "gke-authorized-networks",
        "Google's public ranges",
        setting("gke-cluster", "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled", True),
    ),
]


@pytest.mark.parametrize(
    ("flow", "step", "_why", "mutation"), CLOSINGS, ids=[f"{f}:{s}:{w}" for f, s, w, _ in CLOSINGS]
)
def test_closing_a_hop_closes_the_flow_there(flow: str, step: str, _why: str, mutation: Mutation) -> None:
    contract = json.loads(_dev_contract())
    mutation(contract)
    found = flows_of(contract)[flow]
    assert not found.open
    assert found.closed_at is not None and found.closed_at.step == step, found.closed_at


def test_every_hop_of_every_dev_flow_has_a_closing_case() -> None:
    cases = {(flow, step) for flow, step, _, _ in CLOSINGS}
    flows = check_flows(planned("dev").resources)
    hops = {
        (flow.id, hop.step)
        for flow in flows
        for hop in flow.hops
        if not flow.id.startswith("bgp-") or flow.id == "bgp-169.254.10.0/30"
    }
    assert sorted(hops - cases) == []
    assert sorted(cases - hops) == []


def test_an_exposure_names_what_is_wider() -> None:
    contract = json.loads(_dev_contract())
    source_ranges("istio-aws-gateway", None)(contract)
    exposure = flows_of(contract)["aws-east-west-exposure"]
    assert exposure.kind == EXPOSURE
    assert exposure.closed_at is not None
    assert (
        "0.0.0.0/0" in exposure.closed_at.detail
        and "no loadBalancerSourceRanges" in exposure.closed_at.detail
    )


def test_a_saved_plan_and_the_live_plan_give_the_same_flows() -> None:
    live = check_flows(planned("dev").resources)
    saved = check_flows(from_contract(copy.deepcopy(planned("dev").to_contract())).resources)
    assert live == saved


@settings(max_examples=25)
@given(st.data())
def test_any_part_of_the_plan_is_judged_without_an_error(data: st.DataObject) -> None:
    # A plan edited by hand, or of another shape, loses resources the flows look for: each flow that
    # needs one is reported closed, and nothing raises.
    contract = json.loads(_dev_contract())
    keep = data.draw(
        st.lists(st.booleans(), min_size=len(contract["resources"]), max_size=len(contract["resources"]))
    )
    contract["resources"] = [r for r, kept in zip(contract["resources"], keep, strict=True) if kept]
    for flow in flows_of(contract).values():
        assert flow.open or flow.closed_at is not None
