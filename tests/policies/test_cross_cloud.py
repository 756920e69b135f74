"""Cross-cloud rules over whole stacks: the two networks as the program builds them, then a link, a
mesh and the firewall rules it needs, breaking one thing per case. The runner in test_pack.py runs
CASES; these rules judge whole stacks, so there are no single-bag BASELINES."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from pulumi_policy import PolicyResource

from tests.support.policy_cases import (
    BY_NAME,
    Baseline,
    PolicyCase,
    StackCase,
    changed,
    res,
    stack_violations,
)
from tests.support.types import (
    AWS_ROUTE,
    AWS_ROUTE_TABLE,
    AWS_SG_INGRESS_RULE,
    AWS_VPC,
    CLOUDWATCH_METRIC_ALARM,
    EKS_CLUSTER,
    GCP_ALERT_POLICY,
    GCP_FIREWALL,
    GCP_KMS_CRYPTO_KEY,
    GCP_ROUTER,
    GCP_ROUTER_PEER,
    GCP_SUBNETWORK,
    GCP_VPN_TUNNEL,
    GKE_CLUSTER,
    HELM_RELEASE,
    KMS_KEY,
    TGW,
)

VPC_R = res(AWS_VPC, "vpc", {"id": "vpc-1", "cidrBlock": "10.10.0.0/16"})
SUBNET = res(
    GCP_SUBNETWORK,
    "subnet",
    {
        "ipCidrRange": "10.20.0.0/20",
        "secondaryIpRanges": [
            {"rangeName": "gke-pods", "ipCidrRange": "10.24.0.0/14"},
            {"rangeName": "gke-services", "ipCidrRange": "10.28.0.0/20"},
        ],
    },
)
ROUTER_R = res(
    GCP_ROUTER,
    "router",
    {
        "name": "cm-dev-router",
        "bgp": {
            "asn": 65515,
            "advertiseMode": "CUSTOM",
            "advertisedGroups": ["ALL_SUBNETS"],
            "advertisedIpRanges": [{"range": "172.16.0.0/28"}],
        },
    },
)
CLUSTER = res(
    GKE_CLUSTER,
    "gke",
    {
        "privateClusterConfig": {"enablePrivateNodes": True, "masterIpv4CidrBlock": "172.16.0.0/28"},
        "ipAllocationPolicy": {
            "clusterSecondaryRangeName": "gke-pods",
            "servicesSecondaryRangeName": "gke-services",
        },
    },
)
NETWORKS = [VPC_R, SUBNET, ROUTER_R, CLUSTER]

TGW_R = res(TGW, "tgw", {"id": "tgw-1"})
PEER = res(GCP_ROUTER_PEER, "peer-0", {"router": "cm-dev-router", "peerAsn": 64512})
TABLE = res(AWS_ROUTE_TABLE, "private-rt-0", {"id": "rtb-1", "vpcId": "vpc-1"})
NAT_ROUTE = res(
    AWS_ROUTE,
    "private-default-0",
    {"routeTableId": "rtb-1", "destinationCidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1"},
)


def tgw_route(cidr: str) -> PolicyResource:
    return res(
        AWS_ROUTE,
        f"to-gcp-{cidr}",
        {"routeTableId": "rtb-1", "destinationCidrBlock": cidr, "transitGatewayId": "tgw-1"},
    )


GCP_AGGREGATE = tgw_route("10.16.0.0/12")
CONTROL_PLANE = tgw_route("172.16.0.0/28")
LINKED = [*NETWORKS, TGW_R, PEER, TABLE, NAT_ROUTE, GCP_AGGREGATE, CONTROL_PLANE]


ISTIOD = res(HELM_RELEASE, "istiod", {"chart": "istiod", "namespace": "istio-system"})
GCP_MESH_FW = res(
    GCP_FIREWALL,
    "from-aws",
    {
        "sourceRanges": ["10.10.0.0/16"],
        "allows": [{"protocol": "tcp", "ports": ["15443", "15012", "15017"]}, {"protocol": "icmp"}],
    },
)
AWS_MESH_SG = res(
    AWS_SG_INGRESS_RULE,
    "from-gcp-mesh",
    {"ipProtocol": "tcp", "fromPort": 15443, "toPort": 15443, "cidrIpv4": "10.16.0.0/12"},
)
AWS_ICMP_SG = res(
    AWS_SG_INGRESS_RULE,
    "from-gcp-icmp",
    {"ipProtocol": "icmp", "fromPort": 3, "toPort": 4, "cidrIpv4": "10.16.0.0/12"},
)
MESHED = [*LINKED, ISTIOD, GCP_MESH_FW, AWS_MESH_SG, AWS_ICMP_SG]


def east_west_gateway(annotation: str, ranges: list[str]) -> PolicyResource:
    service = {"type": "LoadBalancer", "annotations": {annotation: "nlb"}, "loadBalancerSourceRanges": ranges}
    return res(HELM_RELEASE, "aws-gateway", {"chart": "gateway", "values": {"service": service}})


AWS_GATEWAY = east_west_gateway("service.beta.kubernetes.io/aws-load-balancer-type", ["10.20.0.0/20"])


def swap(resources: list[PolicyResource], name: str, **changes: object) -> list[PolicyResource]:
    return [
        res(r.resource_type, r.name, changed(r.props, **changes), r.dependencies) if r.name == name else r
        for r in resources
    ]


def advertising(*ranges: str) -> list[PolicyResource]:
    """The linked plan with its Cloud Router advertising exactly these ranges."""
    return swap(
        LINKED,
        "router",
        bgp={"asn": 65515, "advertiseMode": "CUSTOM", "advertisedIpRanges": [{"range": r} for r in ranges]},
    )


def drop(resources: list[PolicyResource], *names: str) -> list[PolicyResource]:
    return [r for r in resources if r.name not in names]


CASES: list[PolicyCase] = [
    StackCase("xc-x-cidr-no-overlap", MESHED, False, "dev-plan-ranges"),
    StackCase(
        "xc-x-cidr-no-overlap", swap(NETWORKS, "subnet", ipCidrRange="10.10.16.0/20"), True, "subnet-in-vpc"
    ),
    StackCase(
        "xc-x-cidr-no-overlap",
        swap(NETWORKS, "vpc", cidrBlock="10.0.0.0/8"),
        True,
        "vpc-swallows-pods",
    ),
    StackCase(
        "xc-x-cidr-no-overlap",
        [*NETWORKS, res(AWS_VPC, "vpc2", {"cidrBlock": "172.16.0.0/12"})],
        True,
        "control-plane",
    ),
    StackCase(
        "xc-x-cidr-no-overlap",
        [
            *NETWORKS,
            res(
                EKS_CLUSTER,
                "eks",
                {"kubernetesNetworkConfig": {"serviceIpv4Cidr": "10.28.0.0/16"}},
            ),
        ],
        True,
        "eks-services-vs-gke-services",
    ),
    StackCase("xc-x-routes-advertised", NETWORKS, False, "no-link-yet"),
    StackCase("xc-x-routes-advertised", LINKED, False, "all-subnets-and-routes"),
    StackCase(
        "xc-x-routes-advertised",
        swap(
            LINKED,
            "router",
            bgp={
                "asn": 65515,
                "advertiseMode": "CUSTOM",
                "advertisedGroups": [],
                "advertisedIpRanges": [{"range": "172.16.0.0/28"}],
            },
        ),
        True,
        "no-subnets",
    ),
    StackCase(
        "xc-x-routes-advertised",
        swap(
            LINKED,
            "router",
            bgp={"asn": 65515, "advertiseMode": "CUSTOM", "advertisedGroups": ["ALL_SUBNETS"]},
        ),
        True,
        "control-plane-not-advertised",
    ),
    StackCase(
        "xc-x-routes-advertised",
        advertising("10.16.0.0/12", "172.16.0.0/28"),
        False,
        "custom-aggregate-covers",
    ),
    StackCase(
        "xc-x-routes-advertised", drop(LINKED, "to-gcp-10.16.0.0/12"), True, "private-table-without-tgw-route"
    ),
    StackCase(
        "xc-x-routes-advertised",
        advertising("10.20.0.0/20", "10.24.0.0/14", "172.16.0.0/28"),
        False,
        "every-reachable-range-and-no-cluster-ips",
    ),
    StackCase(
        "xc-x-routes-advertised",
        advertising("10.20.0.0/20", "10.24.0.0/14", "10.28.0.0/20", "172.16.0.0/28"),
        True,
        "cluster-ips-advertised",
    ),
    StackCase(
        "xc-x-routes-advertised", [*LINKED, tgw_route("10.28.0.0/20")], True, "cluster-ips-routed-to-the-tgw"
    ),
    StackCase("xc-x-firewall-peer-mesh-ports", MESHED, False, "both-sides-open"),
    StackCase("xc-x-firewall-peer-mesh-ports", LINKED, False, "no-mesh"),
    StackCase("xc-x-firewall-peer-mesh-ports", drop(MESHED, "from-aws"), True, "gcp-closed"),
    StackCase("xc-x-firewall-peer-mesh-ports", drop(MESHED, "from-gcp-mesh"), True, "aws-closed"),
    StackCase(
        "xc-x-firewall-peer-mesh-ports",
        [*drop(MESHED, "from-gcp-mesh"), AWS_GATEWAY],
        False,
        "aws-load-balancer-admits-gcp",
    ),
    StackCase(
        "xc-x-firewall-peer-mesh-ports",
        [
            *drop(MESHED, "from-gcp-mesh"),
            east_west_gateway("service.beta.kubernetes.io/aws-load-balancer-type", ["192.0.2.0/24"]),
        ],
        True,
        "aws-load-balancer-admits-others",
    ),
    StackCase(
        "xc-x-firewall-peer-mesh-ports",
        [
            *drop(MESHED, "from-gcp-mesh"),
            east_west_gateway("networking.gke.io/load-balancer-type", ["10.20.0.0/20"]),
        ],
        True,
        "a-gke-load-balancer-is-no-aws-entry",
    ),
    StackCase(
        "xc-x-firewall-peer-mesh-ports", swap(MESHED, "from-aws", disabled=True), True, "gcp-rule-disabled"
    ),
    StackCase("xc-x-icmp-pmtu", MESHED, False, "both-sides-allow-icmp"),
    StackCase("xc-x-icmp-pmtu", NETWORKS, False, "no-link-yet"),
    StackCase("xc-x-icmp-pmtu", drop(MESHED, "from-gcp-icmp"), True, "aws-drops-icmp"),
    StackCase(
        "xc-x-icmp-pmtu",
        swap(MESHED, "from-aws", allows=[{"protocol": "tcp", "ports": ["15443"]}]),
        True,
        "gcp-drops-icmp",
    ),
    StackCase(
        "xc-x-icmp-pmtu",
        [*drop(MESHED, "from-gcp-mesh"), res(GCP_VPN_TUNNEL, "t0", {})],
        False,
        "link-by-tunnel",
    ),
]


PROTECTED_CLUSTER = res(EKS_CLUSTER, "eks", {"name": "cm-prod"}, protect=True)
AWS_KEY = res(KMS_KEY, "logs-key", {"enableKeyRotation": True})
GCP_KEY = res(GCP_KMS_CRYPTO_KEY, "gke-secrets", {"rotationPeriod": "7776000s"}, protect=True)
ALARM = res(CLOUDWATCH_METRIC_ALARM, "tunnel-down", {"alarmActions": ["arn:aws:sns:us-east-1:1:alerts"]})
SILENT_ALARM = res(CLOUDWATCH_METRIC_ALARM, "tunnel-down", {"alarmActions": []})
ALERT = res(GCP_ALERT_POLICY, "bgp-down", {"notificationChannels": ["projects/p/notificationChannels/1"]})
SILENT_ALERT = res(GCP_ALERT_POLICY, "bgp-down", {"displayName": "bgp down"})

CASES += [
    StackCase(
        "xc-x-kms-protected",
        [AWS_KEY, res(GCP_KMS_CRYPTO_KEY, "gke-secrets", {"rotationPeriod": "7776000s"})],
        False,
        "unprotected-stack",
    ),
    StackCase(
        "xc-x-kms-protected",
        [PROTECTED_CLUSTER, res(KMS_KEY, "logs-key", {}, protect=True), GCP_KEY],
        False,
        "every-key-protected",
    ),
    StackCase("xc-x-kms-protected", [PROTECTED_CLUSTER, AWS_KEY, GCP_KEY], True, "aws-key-unprotected"),
    StackCase("xc-x-alarms-notify", [SILENT_ALARM, SILENT_ALERT], False, "unprotected-stack"),
    StackCase("xc-x-alarms-notify", [PROTECTED_CLUSTER, ALARM, ALERT], False, "both-notify"),
    StackCase("xc-x-alarms-notify", [PROTECTED_CLUSTER, SILENT_ALARM, ALERT], True, "alarm-without-actions"),
    StackCase("xc-x-alarms-notify", [PROTECTED_CLUSTER, ALARM, SILENT_ALERT], True, "alert-without-channels"),
]

BASELINES: list[Baseline] = []


def test_overlap_is_reported_on_the_gcp_resource_with_both_ranges() -> None:
    [(message, urn)] = stack_violations(
        BY_NAME["xc-x-cidr-no-overlap"], swap(NETWORKS, "subnet", ipCidrRange="10.10.16.0/20")
    )
    assert urn == SUBNET.urn
    assert "10.10.16.0/20" in message and "10.10.0.0/16" in message


octet = st.integers(min_value=0, max_value=255)


@given(octet, st.integers(min_value=8, max_value=28), octet, st.integers(min_value=8, max_value=28))
def test_overlap_verdict_matches_ipaddress(a: int, a_len: int, b: int, b_len: int) -> None:
    import ipaddress

    aws = ipaddress.ip_network(f"10.{a}.0.0/{a_len}", strict=False)
    gcp = ipaddress.ip_network(f"10.{b}.0.0/{b_len}", strict=False)
    stack = [
        res(AWS_VPC, "vpc", {"cidrBlock": str(aws)}),
        res(GCP_SUBNETWORK, "subnet", {"ipCidrRange": str(gcp)}),
    ]
    assert bool(stack_violations(BY_NAME["xc-x-cidr-no-overlap"], stack)) == aws.overlaps(gcp)
