"""DNS across the link: the Route 53 Resolver endpoint and the Cloud DNS managed zone.

The resolver endpoint answers like AWS does: one address per requested subnet, the one asked for or
else a free host of that subnet's CIDR (AWS keeps the first four and the last address of a subnet),
and the VPC the subnets belong to.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from offline.fake_cloud import FakeResource, digest, outputs_for

# AWS reserves the network address, the next three (router, DNS, future use) and the broadcast address
# of every subnet (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
_AWS_RESERVED_LOW = 4


@outputs_for("aws:route53/resolverEndpoint:ResolverEndpoint")
def resolver_endpoint(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    resource_id = f"rslvr-in-{resource.hex(17)}"
    addresses = []
    vpc_ids = set()
    for index, requested in enumerate(resource.inputs.get("ipAddresses") or []):
        subnet_id = str(requested.get("subnetId", ""))
        subnet = resource.lookup(subnet_id)
        vpc_ids.add(str(subnet.get("vpcId", "")))
        ip = requested.get("ip") or _host_in(str(subnet.get("cidrBlock", "")), f"{resource.seed}/{index}")
        addresses.append({"subnetId": subnet_id, "ip": ip, "ipId": f"rni-{resource.hex(17, str(index))}"})
    if len(vpc_ids) > 1:
        raise ValueError(f"a resolver endpoint's subnets must share one VPC, got {sorted(vpc_ids)}")
    return resource_id, {
        "arn": resource.aws_arn("route53resolver", f"resolver-endpoint/{resource_id}"),
        "ipAddresses": addresses,
        "hostVpcId": next(iter(vpc_ids), ""),
    }


@outputs_for("gcp:dns/managedZone:ManagedZone")
def managed_zone(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = str(resource.inputs.get("name") or f"{resource.name}-{resource.hex(7)}")
    return f"projects/{resource.gcp_project}/managedZones/{name}", {
        "name": name,
        "project": resource.gcp_project,
        "managedZoneId": str(int(resource.hex(15), 16) % 10**19),
    }


def _host_in(cidr: str, seed: str) -> str:
    """A host of the subnet that AWS would hand out, chosen by the seed."""
    if not cidr:
        raise ValueError("a resolver endpoint address needs a subnet with a CIDR block")
    network = ipaddress.IPv4Network(cidr)
    usable = network.num_addresses - _AWS_RESERVED_LOW - 1
    offset = _AWS_RESERVED_LOW + int(digest(seed), 16) % usable
    return str(network.network_address + offset)
