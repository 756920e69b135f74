"""VpnLink: AWS Site-to-Site VPN on a Transit Gateway <-> GCP HA VPN with Cloud Router BGP.

Each tunnel group follows Google's "Create HA VPN connections between Google Cloud and AWS"
(https://cloud.google.com/network-connectivity/docs/vpn/tutorials/create-ha-vpn-connections-google-cloud-aws):
one HA VPN gateway -> two customer gateways (one per HA VPN interface) -> two VPN connections on the
TGW (four AWS outside IPs) -> one FOUR_IPS_REDUNDANCY external VPN gateway -> four tunnels -> four
Cloud Router interfaces and BGP peers. The Outputs carry each cloud's values into the other, so the
engine builds in that order and nothing else waits across clouds.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
import pulumi_random as random

from components.config import LinkConfig
from components.link.specs import (
    PSK_SPEC,
    GcpPrefix,
    TunnelAddresses,
    customer_gateway_asn,
    group_tunnels,
    link_capacity,
    mixed_capacity,
)
from components.link.transit_hub import TransitHub

# One IKE proposal on both ends. Google: "you must use the IKEv2 protocol and select only one IKE
# cipher set": AWS's default list of transforms makes an IKE SA payload large enough to fragment,
# and Cloud VPN drops fragmented IKE packets (tutorial above). AES-256 / SHA2-256 / DH group 14 is
# in both clouds' supported lists
# (https://cloud.google.com/network-connectivity/docs/vpn/concepts/supported-ike-ciphers,
# https://docs.aws.amazon.com/vpn/latest/s2svpn/VPNTunnels.html).
AWS_ENCRYPTION = "AES256"
AWS_INTEGRITY = "SHA2-256"
AWS_DH_GROUP = 14
GCP_ENCRYPTION = "AES-CBC-256"
GCP_INTEGRITY = "HMAC-SHA2-256-128"
GCP_PRF = "PRF-HMAC-SHA2-256"
GCP_DH_GROUP = "Group-14"

# AWS restarts IKE after 30 s without a DPD reply (the shortest it allows), so a tunnel that lost
# its peer comes back by itself rather than waiting for Cloud VPN to initiate.
DPD_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class VpnLinkArgs:
    link: LinkConfig
    name_prefix: str
    protect: bool
    # AWS side (AwsNetwork)
    hub: TransitHub
    """The AWS end, shared by both kinds of link; this link attaches to it."""
    aws_logs_key_arn: pulumi.Input[str]
    # GCP side (GcpNetwork)
    gcp_region: str
    gcp_network_self_link: pulumi.Input[str]
    gcp_router_name: pulumi.Input[str]
    gcp_prefixes: Sequence[GcpPrefix]
    """Subnet, pods, GKE control plane and the Cloud DNS forwarding source: routed by the VPC,
    advertised by the peers."""


@dataclass(frozen=True)
class TunnelEnds:
    """The resources that name one tunnel in each cloud's metrics, for the link's alarms."""

    group: int
    tunnel: int
    aws_vpn_id: pulumi.Output[str]
    aws_outside_ip: pulumi.Output[str]
    gcp_tunnel_name: pulumi.Output[str]
    gcp_bgp_peer_name: pulumi.Output[str]
    """The Cloud Router peer of the tunnel's BGP session: the label of its BGP metrics."""


@dataclass(frozen=True)
class _AwsConnections:
    """The two VPN connections of a tunnel group, read per tunnel."""

    connections: Sequence[aws.ec2.VpnConnection]

    def vpn_id(self, tunnel: TunnelAddresses) -> pulumi.Output[str]:
        return self.connections[tunnel.connection].id

    def output(self, tunnel: TunnelAddresses, field: str) -> pulumi.Output[Any]:
        """An AWS output of this tunnel: its connection's tunnel1_<field> or tunnel2_<field>."""
        value: pulumi.Output[Any] = getattr(
            self.connections[tunnel.connection], f"tunnel{tunnel.aws_tunnel_number}_{field}"
        )
        return value

    def outside_ip(self, tunnel: TunnelAddresses) -> pulumi.Output[str]:
        return self.output(tunnel, "address")

    def aws_inside_ip(self, tunnel: TunnelAddresses) -> pulumi.Output[str]:
        return self.output(tunnel, "vgw_inside_address")

    def gcp_inside_ip(self, tunnel: TunnelAddresses) -> pulumi.Output[str]:
        return self.output(tunnel, "cgw_inside_address")

    def aws_asn(self, tunnel: TunnelAddresses) -> pulumi.Output[int]:
        return self.output(tunnel, "bgp_asn").apply(int)


class VpnLink(pulumi.ComponentResource):
    transit_gateway_id: pulumi.Output[str]
    tunnels: list[pulumi.Output[dict[str, Any]]]
    tunnel_ends: list[TunnelEnds]
    """Per tunnel: group, tunnel, both outside and inside IPs, the inside /30, both ASNs, capacity."""
    capacity: dict[str, float | int | str]

    def __init__(self, name: str, args: VpnLinkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # The type token keeps the class's first name: it is part of every child's URN in deployed stacks.
        super().__init__("crossmesh:link:CrossCloudLink", name, None, opts)
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        self._kept = pulumi.ResourceOptions(parent=self, protect=args.protect)
        # Tunnels, interfaces and peers carry fixed names and Google updates none of their settings in
        # place: a new key means a new tunnel, which can only be created once the old one is gone.
        self._delete_first = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        link = args.link
        groups = dict(link.tunnel_groups_by_id())
        capacity = mixed_capacity(list(groups.values()))
        target = {"targetGbps": link.target_gbps} if link.target_gbps is not None else {}
        self.capacity = {"kind": "vpn", **capacity.as_dict(), **target}
        self._tunnel_gbps = {
            group: link_capacity(1, bandwidth).tunnel_gbps for group, bandwidth in groups.items()
        }

        self.hub = args.hub
        self.transit_gateway_id = self.hub.transit_gateway_id

        tunnel_logs = aws.cloudwatch.LogGroup(
            f"{name}-tunnel-logs",
            name=f"/crossmesh/{args.name_prefix}/vpn-tunnels",
            retention_in_days=link.log_retention_days,
            kms_key_id=args.aws_logs_key_arn,
            opts=self._child,
        )
        self._log_group_arn = tunnel_logs.arn

        self.tunnels = []
        self.tunnel_ends = []
        # Groups by number: each keeps its names and addresses whichever others come and go.
        plan = group_tunnels(list(groups))
        for group, bandwidth in groups.items():
            self._build_group(group, bandwidth, [tunnel for tunnel in plan if tunnel.group == group])

        self.register_outputs(
            {
                "transitGatewayId": self.transit_gateway_id,
                "tunnels": self.tunnels,
                "capacity": self.capacity,
            }
        )

    def exports(self) -> dict[str, Any]:
        """The link's stack outputs: the tunnel table and the modelled capacity."""
        return {
            "transitGatewayId": self.transit_gateway_id,
            "tunnels": self.tunnels,
            "linkCapacity": self.capacity,
        }

    def _build_group(self, group: int, bandwidth: str, tunnels: list[TunnelAddresses]) -> None:
        """One HA VPN gateway, its two VPN connections on the TGW, and the four tunnels between them."""
        args, prefix = self._args, self._args.name_prefix
        label = f"{self._name}-{group}"
        ha_gateway = gcp.compute.HaVpnGateway(
            f"{label}-ha-vpn",
            name=f"{prefix}-ha-vpn-{group}",
            region=args.gcp_region,
            network=args.gcp_network_self_link,
            stack_type="IPV4_ONLY",
            description=f"{prefix}: HA VPN to AWS, group {group}",
            opts=self._kept,
        )
        interface_ips = [
            ha_gateway.vpn_interfaces.apply(functools.partial(_interface_ip, index=index)) for index in (0, 1)
        ]
        psks = self._build_keys(label, tunnels)
        aws_ends = self._build_aws_connections(label, group, bandwidth, tunnels, interface_ips, psks)

        # Interface i is AWS outside IP i: connection 0 tunnel 1, 0/2, 1/1, 1/2 (docs/cross-cloud-link.md).
        # Its addresses cannot change after creation, hence protected with the rest of the group.
        external_gateway = gcp.compute.ExternalVpnGateway(
            f"{label}-aws",
            name=f"{prefix}-aws-{group}",
            redundancy_type="FOUR_IPS_REDUNDANCY",
            description=f"{prefix}: the four AWS tunnel endpoints of group {group}",
            interfaces=[
                gcp.compute.ExternalVpnGatewayInterfaceArgs(
                    id=tunnel.tunnel, ip_address=aws_ends.outside_ip(tunnel)
                )
                for tunnel in tunnels
            ],
            opts=self._kept,
        )
        for tunnel in tunnels:
            self._build_gcp_tunnel(
                label, tunnel, ha_gateway, external_gateway, psks[tunnel.tunnel], aws_ends, interface_ips
            )

    def _build_keys(self, label: str, tunnels: list[TunnelAddresses]) -> list[pulumi.Output[str]]:
        """A pre-shared key per tunnel, by tunnel number."""
        keys = [
            random.RandomPassword(
                f"{label}-psk-{tunnel.tunnel}",
                length=PSK_SPEC.length,
                upper=PSK_SPEC.upper,
                lower=PSK_SPEC.lower,
                numeric=PSK_SPEC.numeric,
                special=PSK_SPEC.special,
                override_special=PSK_SPEC.override_special,
                opts=self._child,
            )
            for tunnel in tunnels
        ]
        # Secret in our hands too, whatever the provider marks: the key reaches both clouds from here.
        return [pulumi.Output.secret(key.result) for key in keys]

    def _build_aws_connections(
        self,
        label: str,
        group: int,
        bandwidth: str,
        tunnels: list[TunnelAddresses],
        interface_ips: list[pulumi.Output[str]],
        psks: list[pulumi.Output[str]],
    ) -> _AwsConnections:
        """Per HA VPN interface, a customer gateway and a VPN connection with two of the group's tunnels,
        attached to the hub."""
        link, prefix = self._args.link, self._args.name_prefix
        cgw_asn = customer_gateway_asn(link.gcp_asn)
        connections = []
        for connection in (0, 1):
            customer_gateway = aws.ec2.CustomerGateway(
                f"{label}-cgw-{connection}",
                type="ipsec.1",
                ip_address=interface_ips[connection],
                device_name=f"{prefix}-ha-vpn-{group}-if{connection}",
                tags={"Name": f"{prefix}-gcp-{group}-{connection}"},
                bgp_asn=cgw_asn.bgp_asn,
                bgp_asn_extended=cgw_asn.bgp_asn_extended,
                opts=self._kept,
            )
            first, second = (tunnel for tunnel in tunnels if tunnel.connection == connection)
            vpn = aws.ec2.VpnConnection(
                f"{label}-vpn-{connection}",
                type="ipsec.1",
                customer_gateway_id=customer_gateway.id,
                transit_gateway_id=self.hub.transit_gateway_id,
                static_routes_only=False,
                # Replaces the connection when it changes: a group's bandwidth changes by a new group
                # beside it (docs/runbooks/change-tunnel-bandwidth.md, refused in place by offline/day2.py).
                tunnel_bandwidth=bandwidth,
                tags={"Name": f"{prefix}-gcp-{group}-{connection}"},
                opts=self._kept,
                **_tunnel_options(1, first, psks[first.tunnel], self._log_group_arn),
                **_tunnel_options(2, second, psks[second.tunnel], self._log_group_arn),
            )
            self.hub.attach(f"vpn-{group}-{connection}", vpn.transit_gateway_attachment_id)
            connections.append(vpn)
        return _AwsConnections(connections)

    def _build_gcp_tunnel(
        self,
        label: str,
        tunnel: TunnelAddresses,
        ha_gateway: gcp.compute.HaVpnGateway,
        external_gateway: gcp.compute.ExternalVpnGateway,
        psk: pulumi.Output[str],
        aws_ends: _AwsConnections,
        interface_ips: list[pulumi.Output[str]],
    ) -> None:
        """The Cloud VPN tunnel to one AWS tunnel, its Cloud Router interface and BGP peer, and the
        tunnel's row in the outputs."""
        args = self._args
        tunnel_name = f"{args.name_prefix}-aws-{tunnel.group}-{tunnel.tunnel}"
        vpn_tunnel = gcp.compute.VPNTunnel(
            f"{label}-tunnel-{tunnel.tunnel}",
            name=tunnel_name,
            region=args.gcp_region,
            vpn_gateway=ha_gateway.id,
            vpn_gateway_interface=tunnel.ha_interface,
            peer_external_gateway=external_gateway.id,
            peer_external_gateway_interface=tunnel.tunnel,
            shared_secret=psk,
            router=args.gcp_router_name,
            ike_version=2,
            cipher_suite=gcp.compute.VPNTunnelCipherSuiteArgs(
                phase1=gcp.compute.VPNTunnelCipherSuitePhase1Args(
                    encryptions=[GCP_ENCRYPTION],
                    integrities=[GCP_INTEGRITY],
                    prves=[GCP_PRF],
                    dhs=[GCP_DH_GROUP],
                ),
                phase2=gcp.compute.VPNTunnelCipherSuitePhase2Args(
                    encryptions=[GCP_ENCRYPTION], integrities=[GCP_INTEGRITY], pfs=[GCP_DH_GROUP]
                ),
            ),
            description=f"{args.name_prefix}: to AWS tunnel {tunnel.inside_cidr}",
            opts=self._delete_first,
        )
        gcp_ip = aws_ends.gcp_inside_ip(tunnel)
        interface = gcp.compute.RouterInterface(
            f"{label}-if-{tunnel.tunnel}",
            name=tunnel_name,
            router=args.gcp_router_name,
            region=args.gcp_region,
            ip_range=gcp_ip.apply(lambda ip: f"{ip}/30"),
            vpn_tunnel=vpn_tunnel.name,
            opts=self._delete_first,
        )
        aws_ip, asn = aws_ends.aws_inside_ip(tunnel), aws_ends.aws_asn(tunnel)
        peer = gcp.compute.RouterPeer(
            f"{label}-peer-{tunnel.tunnel}",
            name=tunnel_name,
            router=args.gcp_router_name,
            region=args.gcp_region,
            interface=interface.name,
            ip_address=gcp_ip,
            peer_ip_address=aws_ip,
            peer_asn=asn,
            # The peer advertises exactly what the VPC routes to the TGW, nothing learned later.
            advertise_mode="CUSTOM",
            advertised_ip_ranges=[
                gcp.compute.RouterPeerAdvertisedIpRangeArgs(range=prefix.cidr) for prefix in args.gcp_prefixes
            ],
            advertised_route_priority=100,
            opts=self._delete_first,
        )
        self.tunnel_ends.append(
            TunnelEnds(
                group=tunnel.group,
                tunnel=tunnel.tunnel,
                aws_vpn_id=aws_ends.vpn_id(tunnel),
                aws_outside_ip=aws_ends.outside_ip(tunnel),
                gcp_tunnel_name=vpn_tunnel.name,
                gcp_bgp_peer_name=peer.name,
            )
        )
        self.tunnels.append(
            pulumi.Output.all(
                aws_outside=aws_ends.outside_ip(tunnel),
                gcp_outside=interface_ips[tunnel.ha_interface],
                aws_inside=aws_ip,
                gcp_inside=gcp_ip,
                aws_asn=asn,
            ).apply(
                functools.partial(_tunnel_row, tunnel, args.link.gcp_asn, self._tunnel_gbps[tunnel.group])
            )
        )


def _tunnel_row(tunnel: TunnelAddresses, gcp_asn: int, gbps: float, values: dict[str, Any]) -> dict[str, Any]:
    """One row of the `tunnels` output, keyed as `crossmesh plan` prints it."""
    return {
        "group": tunnel.group,
        "tunnel": tunnel.tunnel,
        "awsOutsideIp": values["aws_outside"],
        "gcpOutsideIp": values["gcp_outside"],
        "insideCidr": tunnel.inside_cidr,
        "awsInsideIp": values["aws_inside"],
        "gcpInsideIp": values["gcp_inside"],
        "awsAsn": values["aws_asn"],
        "gcpAsn": gcp_asn,
        "capacityGbps": gbps,
    }


def _interface_ip(interfaces: Sequence[Any], index: int) -> str:
    """The public IP of the HA VPN gateway interface with this ID."""
    for interface in interfaces:
        if interface.id == index:
            return str(interface.ip_address)
    raise ValueError(f"the HA VPN gateway has no interface {index}")


def _tunnel_options(
    number: int, tunnel: TunnelAddresses, psk: pulumi.Output[str], log_group_arn: pulumi.Output[str]
) -> dict[str, Any]:
    """The tunnel<number>_* arguments of an AWS VPN connection: inside CIDR, key, one IKEv2 proposal,
    and tunnel and BGP logs into the link's log group."""
    # The SDK types each tunnel's log options apart; their fields are the same.
    log_options_args, cloudwatch_args = {
        1: (
            aws.ec2.VpnConnectionTunnel1LogOptionsArgs,
            aws.ec2.VpnConnectionTunnel1LogOptionsCloudwatchLogOptionsArgs,
        ),
        2: (
            aws.ec2.VpnConnectionTunnel2LogOptionsArgs,
            aws.ec2.VpnConnectionTunnel2LogOptionsCloudwatchLogOptionsArgs,
        ),
    }[number]
    log_options = log_options_args(
        cloudwatch_log_options=cloudwatch_args(
            log_enabled=True,
            log_group_arn=log_group_arn,
            log_output_format="json",
            bgp_log_enabled=True,
            bgp_log_group_arn=log_group_arn,
            bgp_log_output_format="json",
        )
    )
    options: dict[str, Any] = {
        "inside_cidr": tunnel.inside_cidr,
        "preshared_key": psk,
        "ike_versions": ["ikev2"],
        "phase1_encryption_algorithms": [AWS_ENCRYPTION],
        "phase1_integrity_algorithms": [AWS_INTEGRITY],
        "phase1_dh_group_numbers": [AWS_DH_GROUP],
        "phase2_encryption_algorithms": [AWS_ENCRYPTION],
        "phase2_integrity_algorithms": [AWS_INTEGRITY],
        "phase2_dh_group_numbers": [AWS_DH_GROUP],
        "dpd_timeout_action": "restart",
        "dpd_timeout_seconds": DPD_TIMEOUT_SECONDS,
        "log_options": log_options,
    }
    return {f"tunnel{number}_{key}": value for key, value in options.items()}
