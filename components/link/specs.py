"""The link's numbers, pure: tunnel inside addresses, pre-shared key rules, ASNs, capacity, and what
each cloud routes to the other.

No Pulumi types here; the link components, the config rules and the tests share these functions.
"""

from __future__ import annotations

import ipaddress
import math
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass

from components.network.specs import CLOUD_DNS_FORWARDING_RANGE

# --- the VPN tunnels' inside addresses ---------------------------------------------------------------

LINK_LOCAL = ipaddress.IPv4Network("169.254.0.0/16")

# /30s that AWS refuses as a tunnel inside CIDR (TunnelInsideCidr in the EC2 API reference,
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnTunnelOptionsSpecification.html).
AWS_RESERVED_INSIDE_CIDRS = frozenset(
    ipaddress.IPv4Network(cidr)
    for cidr in (
        "169.254.0.0/30",
        "169.254.1.0/30",
        "169.254.2.0/30",
        "169.254.3.0/30",
        "169.254.4.0/30",
        "169.254.5.0/30",
        "169.254.169.252/30",
    )
)

# Allocation starts above the reserved blocks of the first /21 so that the inside addresses read as
# 169.254.10.x; each tunnel takes the next free /30 upwards, so adding a group never moves a tunnel.
INSIDE_ALLOCATION_START = ipaddress.IPv4Address("169.254.10.0")

TUNNELS_PER_GROUP = 4
"""One HA VPN gateway (2 interfaces) x two AWS VPN connections (2 tunnels each): the 99.99 % SLA unit."""


@dataclass(frozen=True)
class TunnelAddresses:
    group: int
    tunnel: int
    """0-3 within the group, in the order of the external VPN gateway's interfaces."""
    inside_cidr: str
    aws_inside_ip: str
    """The AWS (TGW) end: the first host; the GCP BGP peer address."""
    gcp_inside_ip: str
    """The customer-gateway end: the second host; the GCP Cloud Router interface address."""

    @property
    def connection(self) -> int:
        """Which of the group's two AWS VPN connections carries this tunnel (0 or 1)."""
        return self.tunnel // 2

    @property
    def aws_tunnel_number(self) -> int:
        """1 or 2: the tunnel's number within its AWS VPN connection (tunnel1_*/tunnel2_* arguments)."""
        return self.tunnel % 2 + 1

    @property
    def ha_interface(self) -> int:
        """The GCP HA VPN gateway interface the tunnel leaves from: 0 for AWS IPs 0-1, 1 for 2-3."""
        return self.connection


def is_usable_inside_cidr(cidr: ipaddress.IPv4Network) -> bool:
    """A /30 inside 169.254.0.0/16 that AWS accepts as a tunnel inside CIDR."""
    return cidr.prefixlen == 30 and cidr.subnet_of(LINK_LOCAL) and cidr not in AWS_RESERVED_INSIDE_CIDRS


def inside_cidrs(count: int) -> list[ipaddress.IPv4Network]:
    """The first `count` usable /30s from INSIDE_ALLOCATION_START upwards; the same every time."""
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    found: list[ipaddress.IPv4Network] = []
    address = int(INSIDE_ALLOCATION_START)
    end = int(LINK_LOCAL.broadcast_address)
    while len(found) < count:
        if address + 3 > end:
            raise ValueError(
                f"169.254.0.0/16 has fewer than {count} usable /30s above {INSIDE_ALLOCATION_START}"
            )
        block = ipaddress.IPv4Network((address, 30))
        if is_usable_inside_cidr(block):
            found.append(block)
        address += 4
    return found


def tunnel_plan(groups: int) -> list[TunnelAddresses]:
    """Every tunnel of every group, with its inside /30 and both ends' addresses.

    AWS gives its own end the first host of the /30 and the customer gateway (here: the Cloud Router)
    the second; Google's HA VPN to AWS tutorial takes the Cloud Router interface from the customer
    gateway address and the BGP peer from the AWS one (docs/cross-cloud-link.md).
    """
    if groups < 1:
        raise ValueError(f"groups must be at least 1, got {groups}")
    blocks = inside_cidrs(groups * TUNNELS_PER_GROUP)
    plan = []
    for index, block in enumerate(blocks):
        first, second = list(block.hosts())
        plan.append(
            TunnelAddresses(
                group=index // TUNNELS_PER_GROUP,
                tunnel=index % TUNNELS_PER_GROUP,
                inside_cidr=str(block),
                aws_inside_ip=str(first),
                gcp_inside_ip=str(second),
            )
        )
    return plan


def group_tunnels(numbers: Sequence[int]) -> list[TunnelAddresses]:
    """The tunnels of the groups with these numbers: each group's addresses are those `tunnel_plan`
    gives it, whichever other groups exist, so adding or removing a group moves no other tunnel."""
    if not numbers:
        raise ValueError("a VPN link has at least one tunnel group")
    wanted = set(numbers)
    return [tunnel for tunnel in tunnel_plan(max(wanted) + 1) if tunnel.group in wanted]


# --- pre-shared keys -----------------------------------------------------------------------------------

# AWS: 8-64 characters, alphanumerics, period and underscore, not starting with 0
# (PreSharedKey in API_VpnTunnelOptionsSpecification, see above).
PSK_MIN_LENGTH = 8
PSK_MAX_LENGTH = 64
PSK_ALLOWED = re.compile(r"^[0-9A-Za-z._]+$")


@dataclass(frozen=True)
class PskSpec:
    """What RandomPassword is asked for. Digits are left out so that no key can start with 0;
    48 characters of 54 symbols still carry about 276 bits."""

    length: int = 48
    upper: bool = True
    lower: bool = True
    numeric: bool = False
    special: bool = True
    override_special: str = "._"

    def alphabet(self) -> str:
        return (
            (string.ascii_uppercase if self.upper else "")
            + (string.ascii_lowercase if self.lower else "")
            + (string.digits if self.numeric else "")
            + (self.override_special if self.special else "")
        )


PSK_SPEC = PskSpec()


def psk_problems(key: str) -> list[str]:
    """Why AWS would reject this pre-shared key; empty when it is acceptable."""
    problems = []
    if not PSK_MIN_LENGTH <= len(key) <= PSK_MAX_LENGTH:
        problems.append(f"must be {PSK_MIN_LENGTH}-{PSK_MAX_LENGTH} characters long, not {len(key)}")
    if key and not PSK_ALLOWED.match(key):
        problems.append("may contain only letters, digits, '.' and '_'")
    if key.startswith("0"):
        problems.append("must not start with 0")
    return problems


def spec_problems(spec: PskSpec) -> list[str]:
    """Why every key drawn from this spec would not always satisfy AWS's rules."""
    problems = []
    if not PSK_MIN_LENGTH <= spec.length <= PSK_MAX_LENGTH:
        problems.append(f"length {spec.length} is outside {PSK_MIN_LENGTH}-{PSK_MAX_LENGTH}")
    alphabet = spec.alphabet()
    if not alphabet or not PSK_ALLOWED.match(alphabet):
        problems.append(f"alphabet {alphabet!r} has characters AWS refuses")
    if "0" in alphabet:
        problems.append("the alphabet has 0, so a key could start with it")
    return problems


# --- BGP ----------------------------------------------------------------------------------------------

# CreateCustomerGateway: BgpAsn takes 1-2147483647; larger (4-byte) ASNs go in BgpAsnExtended
# (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateCustomerGateway.html).
CUSTOMER_GATEWAY_MAX_BGP_ASN = 2_147_483_647


@dataclass(frozen=True)
class CustomerGatewayAsn:
    bgp_asn: str | None
    bgp_asn_extended: str | None


def customer_gateway_asn(asn: int) -> CustomerGatewayAsn:
    """Where a customer gateway carries this ASN: bgp_asn, or bgp_asn_extended above 2^31-1."""
    if asn < 1:
        raise ValueError(f"an ASN is at least 1, got {asn}")
    if asn <= CUSTOMER_GATEWAY_MAX_BGP_ASN:
        return CustomerGatewayAsn(bgp_asn=str(asn), bgp_asn_extended=None)
    return CustomerGatewayAsn(bgp_asn=None, bgp_asn_extended=str(asn))


# --- capacity -----------------------------------------------------------------------------------------

# AWS: a tunnel carries up to 1.25 Gbps (standard) or 5 Gbps (large, Transit Gateway or Cloud WAN
# only) and about 140,000 packets per second (standard)
# (https://docs.aws.amazon.com/vpn/latest/s2svpn/vpn-limits.html, VPNTunnels.html).
AWS_TUNNEL_GBPS = {"standard": 1.25, "large": 5.0}
AWS_STANDARD_TUNNEL_PPS = 140_000
# Google: 250,000 packets per second per tunnel, ingress plus egress, "between 1 Gbps and 3 Gbps"
# depending on packet size
# (https://cloud.google.com/network-connectivity/docs/vpn/concepts/topologies-increase-bandwidth).
GCP_TUNNEL_PPS = 250_000
GCP_TUNNEL_GBPS_RANGE = (1.0, 3.0)


@dataclass(frozen=True)
class LinkCapacity:
    tunnels: int
    tunnel_bandwidth: str
    aws_tunnel_gbps: float
    gcp_tunnel_gbps_max: float
    tunnel_gbps: float
    """What one tunnel, and so one flow, can carry: the smaller of the two ends."""
    aggregate_gbps: float
    """All tunnels in use by ECMP on the TGW and the Cloud Router: tunnels x tunnel_gbps."""
    tunnel_pps: int
    """One tunnel's packet rate: the tighter of AWS's (standard tunnels) and Google's."""
    aggregate_pps: int
    """The packet ceiling: tunnels x tunnel_pps."""

    def as_dict(self) -> dict[str, float | int | str]:
        return {
            "tunnels": self.tunnels,
            "tunnelBandwidth": self.tunnel_bandwidth,
            "awsTunnelGbps": self.aws_tunnel_gbps,
            "gcpTunnelGbpsMax": self.gcp_tunnel_gbps_max,
            "tunnelGbps": self.tunnel_gbps,
            "aggregateGbps": self.aggregate_gbps,
            "tunnelPps": self.tunnel_pps,
            "aggregatePps": self.aggregate_pps,
        }


def link_capacity(groups: int, tunnel_bandwidth: str) -> LinkCapacity:
    """The design capacity of `groups` HA VPN groups with AWS tunnels of the given bandwidth.

    A large AWS tunnel (5 Gbps) is capped by its Cloud VPN peer (at most 3 Gbps, 250,000 pps), so
    `large` buys up to 2.4x a standard tunnel, not 4x. AWS publishes a packet rate for standard
    tunnels only; for large ones Google's rate is the ceiling.
    """
    if groups < 1:
        raise ValueError(f"groups must be at least 1, got {groups}")
    if tunnel_bandwidth not in AWS_TUNNEL_GBPS:
        raise ValueError(
            f"tunnel bandwidth must be one of {sorted(AWS_TUNNEL_GBPS)}, got {tunnel_bandwidth!r}"
        )
    tunnels = groups * TUNNELS_PER_GROUP
    aws_gbps = AWS_TUNNEL_GBPS[tunnel_bandwidth]
    gcp_max = GCP_TUNNEL_GBPS_RANGE[1]
    per_tunnel = min(aws_gbps, gcp_max)
    pps = min(AWS_STANDARD_TUNNEL_PPS, GCP_TUNNEL_PPS) if tunnel_bandwidth == "standard" else GCP_TUNNEL_PPS
    return LinkCapacity(
        tunnels=tunnels,
        tunnel_bandwidth=tunnel_bandwidth,
        aws_tunnel_gbps=aws_gbps,
        gcp_tunnel_gbps_max=gcp_max,
        tunnel_gbps=per_tunnel,
        aggregate_gbps=round(tunnels * per_tunnel, 2),
        tunnel_pps=pps,
        aggregate_pps=tunnels * pps,
    )


def mixed_capacity(bandwidths: Sequence[str]) -> LinkCapacity:
    """The capacity of groups with these bandwidths, one per group. ECMP hashes flows evenly over the
    tunnels whatever each can carry, so in a link of mixed groups (while one bandwidth replaces
    another, group by group) the slowest tunnels set the pace: every tunnel counts as one of those."""
    if not bandwidths:
        raise ValueError("a VPN link has at least one tunnel group")
    slowest = min(bandwidths, key=lambda bandwidth: AWS_TUNNEL_GBPS[bandwidth])
    return link_capacity(len(bandwidths), slowest)


def groups_for_target(target_gbps: float, tunnel_bandwidth: str) -> int:
    """The fewest tunnel groups whose ECMP capacity reaches target_gbps (may exceed the AWS quota)."""
    if target_gbps <= 0:
        raise ValueError(f"target must be positive, got {target_gbps}")
    per_group = link_capacity(1, tunnel_bandwidth).aggregate_gbps
    # A hair of tolerance so that exactly 5.0 Gbps over 1.25 Gbps tunnels is one group, not two.
    return max(1, math.ceil(target_gbps / per_group - 1e-9))


# --- what each cloud routes to the other ----------------------------------------------------------------


@dataclass(frozen=True)
class GcpPrefix:
    """One GCP range that AWS routes to the link and the link's BGP speakers advertise."""

    key: str
    """What the range is, for the names of the resources that route it: subnet, pods, master, dns."""
    cidr: str
    description: str


def gcp_prefixes(subnet: str, pods: str, master: str) -> list[GcpPrefix]:
    """The GCP ranges AWS must reach: nodes and internal load balancers, pods, the GKE control plane,
    and last the Cloud DNS forwarding source, so the AWS resolver's answers find their way back.

    Not the GKE services range: ClusterIPs are virtual addresses that only the cluster's own nodes
    translate, so nothing outside the cluster can reach them; advertising or routing them would only
    send traffic into the link to be dropped."""
    ranges = (
        ("subnet", subnet, "GKE nodes and internal load balancers"),
        ("pods", pods, "GKE pods"),
        ("master", master, "GKE control plane"),
        ("dns", CLOUD_DNS_FORWARDING_RANGE, "Cloud DNS forwarding source"),
    )
    return [
        GcpPrefix(key, str(ipaddress.IPv4Network(cidr)), description) for key, cidr, description in ranges
    ]
