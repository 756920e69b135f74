"""CrossCloudDns: GKE resolves EKS API server names through the AWS VPC's resolver, over the link.

With private endpoint access on, EKS answers for the cluster's endpoint name with the private ENI
addresses only inside the VPC, through a Route 53 private hosted zone it manages and associates with
the VPC; elsewhere the name resolves publicly, to the public endpoint, which admits only
`clusters.eks.publicAccessCidrs` (https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html).
Istio on GKE reads the EKS API by that name (its remote secret), so GKE must ask the VPC's resolver:
- AWS: a Route 53 Resolver inbound endpoint, an address in each of two private subnets in different
  AZs, behind a security group that admits DNS only from Cloud DNS's forwarding source;
- GCP: a private Cloud DNS forwarding zone for `<aws.region>.eks.amazonaws.com.` on the GKE network,
  forwarding privately to the endpoint's addresses. Forwarded queries leave Google from
  35.199.192.0/19, so the answers need a route back: the link advertises and routes that range like a
  GCP prefix (components/link/specs.py, `CLOUD_DNS_FORWARDING_RANGE`).

Nothing here is an input of either cluster: the clusters never wait for it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

from components.network.specs import CLOUD_DNS_FORWARDING_RANGE

# Route 53 Resolver wants at least two addresses and recommends two AZs
# (https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_CreateResolverEndpoint.html).
# Each address is an ENI billed by the hour, so two: one AZ can fail and names still resolve.
ENDPOINT_ADDRESSES = 2
DNS_PORT = 53


def eks_endpoint_domain(aws_region: str) -> str:
    """The DNS zone holding every EKS API server name of the region (IPv4 format
    `<id>.<shard>.<region>.eks.amazonaws.com`, EKS user guide above), as Cloud DNS writes it."""
    return f"{aws_region}.eks.amazonaws.com."


@dataclass(frozen=True)
class CrossCloudDnsArgs:
    name_prefix: str
    aws_region: str
    aws_vpc_id: pulumi.Input[str]
    aws_private_subnet_ids: Sequence[pulumi.Input[str]]
    """One per AZ, in AZ order; the endpoint takes an address in the first ENDPOINT_ADDRESSES."""
    gcp_network_self_link: pulumi.Input[str]
    """Self link of the GKE network: the only network that sees the forwarding zone."""


class CrossCloudDns(pulumi.ComponentResource):
    domain: str
    security_group_id: pulumi.Output[str]
    resolver_endpoint_id: pulumi.Output[str]
    resolver_addresses: pulumi.Output[list[str]]
    """The inbound endpoint's private addresses, sorted: the forwarding zone's targets."""
    zone_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: CrossCloudDnsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if len(args.aws_private_subnet_ids) < ENDPOINT_ADDRESSES:
            raise ValueError(
                f"the resolver endpoint needs {ENDPOINT_ADDRESSES} private subnets in different AZs, "
                f"got {len(args.aws_private_subnet_ids)}"
            )
        super().__init__("crossmesh:dns:CrossCloudDns", name, None, opts)
        prefix = args.name_prefix
        child = pulumi.ResourceOptions(parent=self)
        self.domain = eks_endpoint_domain(args.aws_region)

        # No egress rules: the security group tracks each query, so its answer goes out without one.
        # Tracking caps an address at about 1,500 queries a second (Route 53 best practices,
        # https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/best-practices-resolver-endpoint-scaling.html),
        # far above what a few istiods ask.
        group = aws.ec2.SecurityGroup(
            f"{name}-resolver",
            name=f"{prefix}-dns-from-gcp",
            description="crossmesh: DNS queries from Cloud DNS forwarding over the link",
            vpc_id=args.aws_vpc_id,
            tags={"Name": f"{prefix}-dns-from-gcp"},
            opts=child,
        )
        source = CLOUD_DNS_FORWARDING_RANGE
        for protocol in ("udp", "tcp"):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-resolver-{protocol}-{DNS_PORT}",
                security_group_id=group.id,
                cidr_ipv4=source,
                ip_protocol=protocol,
                from_port=DNS_PORT,
                to_port=DNS_PORT,
                description=f"DNS over {protocol.upper()} from Cloud DNS forwarding ({source})",
                opts=child,
            )

        endpoint = aws.route53.ResolverEndpoint(
            f"{name}-inbound",
            name=f"{prefix}-from-gcp",
            direction="INBOUND",
            resolver_endpoint_type="IPV4",
            protocols=["Do53"],
            security_group_ids=[group.id],
            ip_addresses=[
                aws.route53.ResolverEndpointIpAddressArgs(subnet_id=subnet_id)
                for subnet_id in args.aws_private_subnet_ids[:ENDPOINT_ADDRESSES]
            ],
            tags={"Name": f"{prefix}-dns-from-gcp"},
            opts=child,
        )
        self.resolver_addresses = endpoint.ip_addresses.apply(_sorted_addresses)

        # "private" sends every query through the VPC network, over the link, whatever the target's
        # address; the targets are private anyway, so this only states the intent.
        zone = gcp.dns.ManagedZone(
            f"{name}-eks-zone",
            name=f"{prefix}-eks-{args.aws_region}",
            dns_name=self.domain,
            visibility="private",
            description=f"{prefix}: EKS API names, resolved by the AWS VPC resolver over the link",
            private_visibility_config=gcp.dns.ManagedZonePrivateVisibilityConfigArgs(
                networks=[
                    gcp.dns.ManagedZonePrivateVisibilityConfigNetworkArgs(
                        network_url=args.gcp_network_self_link
                    )
                ]
            ),
            forwarding_config=gcp.dns.ManagedZoneForwardingConfigArgs(
                target_name_servers=self.resolver_addresses.apply(_forwarding_targets)
            ),
            opts=child,
        )

        self.security_group_id = group.id
        self.resolver_endpoint_id = endpoint.id
        self.zone_name = zone.name
        self.register_outputs(self.exports())

    def exports(self) -> dict[str, Any]:
        """The stack outputs: where GKE's queries for EKS names go."""
        return {
            "eksDnsZone": self.zone_name,
            "eksDnsDomain": self.domain,
            "eksResolverEndpointId": self.resolver_endpoint_id,
            "eksResolverAddresses": self.resolver_addresses,
        }


def _sorted_addresses(addresses: Sequence[Any]) -> list[str]:
    """The endpoint's IPv4 addresses in a stable order (the provider returns them as a set)."""
    return sorted((str(address.ip) for address in addresses if address.ip), key=ipaddress.IPv4Address)


def _forwarding_targets(
    addresses: list[str],
) -> list[gcp.dns.ManagedZoneForwardingConfigTargetNameServerArgs]:
    return [
        gcp.dns.ManagedZoneForwardingConfigTargetNameServerArgs(
            ipv4_address=address, forwarding_path="private"
        )
        for address in addresses
    ]
