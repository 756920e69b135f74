"""TransitHub: the AWS end of the cross-cloud link, whichever way it reaches Google Cloud.

A Transit Gateway with ECMP across VPN tunnels, its own route table (no default association or
propagation, so every attachment's routing is declared here), the VPC attached on the private
subnets, and a route per GCP prefix in every private route table of the VPC: TGW propagation fills
the TGW's table, never the VPC's (docs/cross-cloud-link.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.link.specs import GcpPrefix

# The routes to GCP were once named by their position in a list that also held the GKE services range
# (position 2, no longer routed); the aliases keep the deployed routes, so none is replaced.
ROUTE_POSITIONS_BEFORE_KEYS = {"subnet": 0, "pods": 1, "master": 3, "dns": 4}


@dataclass(frozen=True)
class TransitHubArgs:
    name_prefix: str
    amazon_side_asn: int
    vpc_id: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    private_route_table_ids: Sequence[pulumi.Input[str]]
    gcp_prefixes: Sequence[GcpPrefix]
    """The GCP ranges the VPC routes to the TGW: subnet, pods, GKE control plane, Cloud DNS."""
    protect: bool = False
    """Protect the TGW and the VPC attachment: replacing either cuts the link."""


class TransitHub(pulumi.ComponentResource):
    transit_gateway_id: pulumi.Output[str]
    route_table_id: pulumi.Output[str]
    vpc_attachment_id: pulumi.Output[str]

    def __init__(self, name: str, args: TransitHubArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crossmesh:link:TransitHub", name, None, opts)
        prefix = args.name_prefix
        self._hub_name = name
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=args.protect)

        self.transit_gateway = aws.ec2transitgateway.TransitGateway(
            f"{name}-tgw",
            description=f"{prefix}: cross-cloud link to Google Cloud",
            amazon_side_asn=args.amazon_side_asn,
            # ECMP spreads flows over every BGP tunnel; without it only one tunnel carries traffic.
            vpn_ecmp_support="enable",
            # Checkov CKV_AWS_331: attachments from shared accounts must be accepted by hand.
            auto_accept_shared_attachments="disable",
            dns_support="enable",
            default_route_table_association="disable",
            default_route_table_propagation="disable",
            tags={"Name": f"{prefix}-tgw"},
            opts=kept,
        )
        self.route_table = aws.ec2transitgateway.RouteTable(
            f"{name}-rt",
            transit_gateway_id=self.transit_gateway.id,
            tags={"Name": f"{prefix}-link"},
            opts=child,
        )
        self.vpc_attachment = aws.ec2transitgateway.VpcAttachment(
            f"{name}-vpc",
            transit_gateway_id=self.transit_gateway.id,
            vpc_id=args.vpc_id,
            subnet_ids=list(args.private_subnet_ids),
            dns_support="enable",
            transit_gateway_default_route_table_association=False,
            transit_gateway_default_route_table_propagation=False,
            tags={"Name": f"{prefix}-vpc"},
            opts=kept,
        )
        self.route_table_id = self.route_table.id
        self.transit_gateway_id = self.transit_gateway.id
        self.vpc_attachment_id = self.vpc_attachment.id
        self.attach("vpc", self.vpc_attachment.id)

        # A VPC route to a TGW is refused until the VPC is attached to it.
        after_attachment = pulumi.ResourceOptions(parent=self, depends_on=[self.vpc_attachment])
        for table_index, table_id in enumerate(args.private_route_table_ids):
            for gcp_range in args.gcp_prefixes:
                aws.ec2.Route(
                    route_name(name, table_index, gcp_range.key),
                    route_table_id=table_id,
                    destination_cidr_block=gcp_range.cidr,
                    transit_gateway_id=self.transit_gateway.id,
                    opts=pulumi.ResourceOptions.merge(
                        after_attachment,
                        pulumi.ResourceOptions(aliases=route_aliases(name, table_index, gcp_range.key)),
                    ),
                )

        self.register_outputs(
            {
                "transitGatewayId": self.transit_gateway_id,
                "routeTableId": self.route_table_id,
                "vpcAttachmentId": self.vpc_attachment_id,
            }
        )

    def attach(self, name: str, attachment_id: pulumi.Input[str]) -> None:
        """Associate an attachment with the link's route table and propagate its routes into it."""
        child = pulumi.ResourceOptions(parent=self)
        aws.ec2transitgateway.RouteTableAssociation(
            f"{self._hub_name}-assoc-{name}",
            transit_gateway_attachment_id=attachment_id,
            transit_gateway_route_table_id=self.route_table.id,
            opts=child,
        )
        aws.ec2transitgateway.RouteTablePropagation(
            f"{self._hub_name}-prop-{name}",
            transit_gateway_attachment_id=attachment_id,
            transit_gateway_route_table_id=self.route_table.id,
            opts=child,
        )


def route_name(hub: str, table_index: int, key: str) -> str:
    """The route from private route table `table_index` to the GCP range `key` (GcpPrefix.key)."""
    return f"{hub}-to-gcp-{table_index}-{key}"


def route_aliases(hub: str, table_index: int, key: str) -> list[pulumi.Alias]:
    position = ROUTE_POSITIONS_BEFORE_KEYS.get(key)
    return [] if position is None else [pulumi.Alias(name=f"{hub}-to-gcp-{table_index}-{position}")]
