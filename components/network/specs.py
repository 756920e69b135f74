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


def subnet_plan(vpc_cidr: str, az_count: int) -> SubnetPlan:
    """Split the VPC: private subnets share the first half, public subnets the start of the second."""
    if az_count < 1:
        raise ValueError(f"az_count must be at least 1, got {az_count}")
    vpc = ipaddress.IPv4Network(vpc_cidr)
    private_half, public_half = vpc.subnets(prefixlen_diff=1)
    bits = max(1, math.ceil(math.log2(az_count)))
    private_prefix = private_half.prefixlen + bits
    public_prefix = private_prefix + 2
    if public_prefix > 28:
        raise ValueError(
            f"{vpc_cidr} is too small for {az_count} AZs: public subnets would be /{public_prefix}"
        )
    private = list(private_half.subnets(new_prefix=private_prefix))[:az_count]
    public = list(public_half.subnets(new_prefix=public_prefix))[:az_count]
    return SubnetPlan(private=tuple(map(str, private)), public=tuple(map(str, public)))


# Cloud DNS sends the queries of a forwarding zone to private targets from this range, and the target's
# network must route the answers back over the VPN tunnels or Interconnect attachments
# (https://cloud.google.com/dns/docs/zones/zones-overview#forwarding-zones,
# https://cloud.google.com/vpc/docs/routes#cloud-dns). Google owns it: it is public address space that
# no network of ours may use.
CLOUD_DNS_FORWARDING_RANGE = "35.199.192.0/19"
