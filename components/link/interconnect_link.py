"""InterconnectLink: Partner Cross-Cloud Interconnect for AWS instead of VPN tunnels.

Google's side is a `networkconnectivity.Transport` peered with the VPC; AWS's side ("AWS
Interconnect - multicloud") ends on a Direct Connect gateway associated with the Transit Gateway.
The transport gives an activation key, and accepting it on the AWS side has no Pulumi or Terraform
resource yet (pulumi-aws 7.51 has a service endpoint `interconnect` but no resource for it;
terraform-provider-aws #47458 is open), so that step is done once by hand with
`aws interconnect accept-connection-proposal` (docs/cross-cloud-link.md).
No BGP addresses are ours to allocate: the managed service runs the sessions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

from components.config import InterconnectConfig, LinkConfig
from components.link.specs import GcpPrefix
from components.link.transit_hub import TransitHub

TRANSPORT_API = "https://networkconnectivity.googleapis.com/v1"


def remote_profile_url(project: str, region: str, profile: str) -> str:
    """The remote transport profile as the Transport expects it (pulumi-gcp Transport example)."""
    return f"{TRANSPORT_API}/projects/{project}/locations/{region}/remoteTransportProfiles/{profile}"


def bandwidth_gbps(bandwidth: str) -> float:
    """BPS_10G -> 10.0."""
    return float(bandwidth.removeprefix("BPS_").removesuffix("G"))


@dataclass(frozen=True)
class InterconnectLinkArgs:
    link: LinkConfig
    name_prefix: str
    protect: bool
    hub: TransitHub
    """The AWS end, shared by both kinds of link; the Direct Connect gateway associates with it."""
    aws_vpc_cidr: str
    gcp_project: str
    gcp_region: str
    gcp_network_self_link: pulumi.Input[str]
    gcp_prefixes: Sequence[GcpPrefix]


class InterconnectLink(pulumi.ComponentResource):
    transit_gateway_id: pulumi.Output[str]
    activation_key: pulumi.Output[str]
    """Secret: what the AWS side accepts the transport with."""
    tunnels: list[pulumi.Output[dict[str, Any]]]
    capacity: dict[str, float | int | str]

    def __init__(
        self, name: str, args: InterconnectLinkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("crossmesh:link:InterconnectLink", name, None, opts)
        if args.link.interconnect is None:
            raise ValueError("crossmesh:link.interconnect is required for kind 'interconnect'")
        settings: InterconnectConfig = args.link.interconnect
        prefix = args.name_prefix
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=args.protect)

        self.hub = args.hub
        self.transit_gateway_id = self.hub.transit_gateway_id

        dx_gateway = aws.directconnect.Gateway(
            f"{name}-dx-gateway",
            name=f"{prefix}-to-gcp",
            amazon_side_asn=str(settings.direct_connect_asn),
            opts=kept,
        )
        # Allowed prefixes are what the TGW advertises towards Google: the VPC, nothing wider.
        association = aws.directconnect.GatewayAssociation(
            f"{name}-dx-tgw",
            dx_gateway_id=dx_gateway.id,
            associated_gateway_id=self.hub.transit_gateway_id,
            allowed_prefixes=[args.aws_vpc_cidr],
            opts=child,
        )
        self.hub.attach("dx", association.transit_gateway_attachment_id)

        transport = gcp.networkconnectivity.Transport(
            f"{name}-transport",
            name=f"{prefix}-to-aws",
            region=args.gcp_region,
            description=f"{prefix}: Partner Cross-Cloud Interconnect to AWS {settings.remote_profile}",
            remote_profile=remote_profile_url(args.gcp_project, args.gcp_region, settings.remote_profile),
            network=args.gcp_network_self_link,
            bandwidth=settings.bandwidth,
            advertised_routes=[prefix.cidr for prefix in args.gcp_prefixes],
            remote_account_id=settings.aws_account_id,
            stack_type="IPV4_ONLY",
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, additional_secret_outputs=["generatedActivationKey"]
            ),
        )
        self.activation_key = pulumi.Output.secret(transport.generated_activation_key)
        self.transport_name = transport.name
        self.dx_gateway_id = dx_gateway.id
        self.tunnels = []
        self.capacity = {
            "kind": "interconnect",
            "bandwidth": settings.bandwidth,
            "aggregateGbps": bandwidth_gbps(settings.bandwidth),
            **({"targetGbps": args.link.target_gbps} if args.link.target_gbps is not None else {}),
        }
        self.register_outputs(
            {
                "transitGatewayId": self.transit_gateway_id,
                "directConnectGatewayId": self.dx_gateway_id,
                "transport": self.transport_name,
                "activationKey": self.activation_key,
            }
        )

    def exports(self) -> dict[str, Any]:
        """The link's stack outputs; the activation key stays secret."""
        return {
            "transitGatewayId": self.transit_gateway_id,
            "tunnels": self.tunnels,
            "linkCapacity": self.capacity,
            "directConnectGatewayId": self.dx_gateway_id,
            "interconnectTransport": self.transport_name,
            "interconnectActivationKey": self.activation_key,
        }
