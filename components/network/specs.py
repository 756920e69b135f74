"""The networks' address plan, pure: how the AWS VPC is carved into subnets, and the ranges Google
owns that the networks must route.

No Pulumi types here; the network components, the config rules and the tests share these.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class SubnetPlan:
    private: tuple[str, ...]
    """One per AZ, for nodes, pods (VPC CNI) and internal load balancers: the large half of the VPC."""
    public: tuple[str, ...]
    """One per AZ, for NAT gateways and nothing else: a quarter the size of a private subnet."""


# The zone slots an address plan may have: each half of the VPC is cut into this many equal blocks.
ZONE_SLOTS = (2, 4, 8)


def legacy_zone_slots(az_count: int) -> int:
    """The slots earlier releases cut for a zone count: the fewest powers of two that hold it (2 for 2
    zones, 4 for 3 or 4, 8 for 5 or 6). A deployed stack's subnets sit in them."""
    return int(2 ** max(1, math.ceil(math.log2(az_count))))


def subnet_plan(vpc_cidr: str, az_count: int, zone_slots: int) -> SubnetPlan:
    """Split the VPC: private subnets share the first half, public subnets the start of the second, each
    half cut into `zone_slots` blocks, zone i in block i. The blocks do not depend on the zone count, so
    adding a zone (or removing the last) leaves every other zone's subnets where they are."""
    if az_count < 1:
        raise ValueError(f"az_count must be at least 1, got {az_count}")
    if zone_slots not in ZONE_SLOTS or zone_slots < az_count:
        raise ValueError(f"zone_slots must be one of {ZONE_SLOTS}, at least {az_count}; got {zone_slots}")
    vpc = ipaddress.IPv4Network(vpc_cidr)
    private_half, public_half = vpc.subnets(prefixlen_diff=1)
    private_prefix = private_half.prefixlen + int(math.log2(zone_slots))
    public_prefix = private_prefix + 2
    if public_prefix > MAX_SUBNET_PREFIX:
        raise ValueError(
            f"{vpc_cidr} is too small for {zone_slots} zone slots: public subnets would be /{public_prefix}"
        )
    private = list(private_half.subnets(new_prefix=private_prefix))[:az_count]
    public = list(public_half.subnets(new_prefix=public_prefix))[:az_count]
    return SubnetPlan(private=tuple(map(str, private)), public=tuple(map(str, public)))


# The smallest subnet AWS allows.
MAX_SUBNET_PREFIX = 28


# Cloud DNS sends the queries of a forwarding zone to private targets from this range, and the target's
# network must route the answers back over the VPN tunnels or Interconnect attachments
# (https://cloud.google.com/dns/docs/zones/zones-overview#forwarding-zones,
# https://cloud.google.com/vpc/docs/routes#cloud-dns). Google owns it: it is public address space that
# no network of ours may use.
CLOUD_DNS_FORWARDING_RANGE = "35.199.192.0/19"
