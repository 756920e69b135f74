"""The link between the clouds as routing: the transit gateway's attachments, route tables, associations
and propagations; the BGP sessions over the VPN tunnels (each AWS tunnel paired with the Cloud Router
interface and peer in its inside /30); what each side advertises and so what the other learns; and the
interconnect transport with its Direct Connect gateway."""

from __future__ import annotations

from dataclasses import dataclass, field

from offline.flows.aws import VPC, AwsNetwork, Subnet
from offline.flows.gcp import ROUTER, GcpNetwork
from offline.flows.plan import Plan, get, items, last_segment
from offline.flows.ranges import Net, covered, net, nets, text, uncovered
from offline.flows.verdict import Verdict
from offline.planned import PlannedResource

TRANSIT_GATEWAY = "aws:ec2transitgateway/transitGateway:TransitGateway"
TGW_ROUTE_TABLE = "aws:ec2transitgateway/routeTable:RouteTable"
TGW_ASSOCIATION = "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation"
TGW_PROPAGATION = "aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation"
TGW_ROUTE = "aws:ec2transitgateway/route:Route"
VPC_ATTACHMENT = "aws:ec2transitgateway/vpcAttachment:VpcAttachment"
VPN_CONNECTION = "aws:ec2/vpnConnection:VpnConnection"
CUSTOMER_GATEWAY = "aws:ec2/customerGateway:CustomerGateway"
DX_ASSOCIATION = "aws:directconnect/gatewayAssociation:GatewayAssociation"
ROUTER_INTERFACE = "gcp:compute/routerInterface:RouterInterface"
ROUTER_PEER = "gcp:compute/routerPeer:RouterPeer"
VPN_TUNNEL = "gcp:compute/vPNTunnel:VPNTunnel"
TRANSPORT = "gcp:networkconnectivity/transport:Transport"
ATTACHMENT_TYPES = (VPC_ATTACHMENT, VPN_CONNECTION, DX_ASSOCIATION)
DEFAULT_AMAZON_ASN = 64512


@dataclass
class Attachment:
    key: str
    label: str
    kind: str
    """vpc, vpn or dx."""
    tgw: str
    subnets: list[Subnet] = field(default_factory=list)
    vpc_ranges: list[Net] = field(default_factory=list)
    allowed_prefixes: list[Net] = field(default_factory=list)
    """dx: what the Direct Connect gateway advertises to Google."""


@dataclass(frozen=True)
class Check:
    """One step of a BGP session's setup, as the session flows report it."""

    step: str
    where: str
    ok: bool
    detail: str


@dataclass
class Session:
    """One VPN tunnel's BGP session: the AWS tunnel and the GCP objects in its inside /30."""

    inside: Net
    attachment: str
    label: str
    router: str | None
    network: str | None
    peer: PlannedResource | None
    checks: list[Check]

    @property
    def up(self) -> bool:
        return all(check.ok for check in self.checks)


@dataclass
class RouteTable:
    key: str
    label: str
    associations: set[str] = field(default_factory=set)
    propagations: set[str] = field(default_factory=set)
    static: list[tuple[Net, str | None, str]] = field(default_factory=list)
    """(destination, attachment or None for a blackhole, origin)."""


class Link:
    def __init__(self, plan: Plan, aws: AwsNetwork, gcp: GcpNetwork) -> None:
        self.plan, self.aws, self.gcp = plan, aws, gcp
        self.attachments: dict[str, Attachment] = {}
        self._read_attachments()
        self.tables = {
            table.urn: RouteTable(table.urn, f"TGW route table {table.name}")
            for table in plan.of_type(TGW_ROUTE_TABLE)
        }
        self._read_routing()
        self.sessions = [session for vpn in plan.of_type(VPN_CONNECTION) for session in self._sessions(vpn)]
        self.transports = plan.of_type(TRANSPORT)

    # --- reading the plan ----------------------------------------------------------------------------

    def _read_attachments(self) -> None:
        plan = self.plan
        for attachment in plan.of_type(VPC_ATTACHMENT):
            tgw = plan.referenced(attachment, attachment.inputs.get("transitGatewayId"), TRANSIT_GATEWAY)
            vpc = plan.referenced(attachment, attachment.inputs.get("vpcId"), VPC)
            subnets = self.aws.subnets_of(attachment, items(attachment.inputs.get("subnetIds")))
            self.attachments[attachment.urn] = Attachment(
                attachment.urn,
                f"VPC attachment {attachment.name}",
                "vpc",
                tgw.urn if tgw else "",
                subnets=subnets,
                vpc_ranges=list(self.aws.vpcs[vpc.urn].cidrs)
                if vpc is not None and vpc.urn in self.aws.vpcs
                else [],
            )
        for vpn in plan.of_type(VPN_CONNECTION):
            tgw = plan.referenced(vpn, vpn.inputs.get("transitGatewayId"), TRANSIT_GATEWAY)
            self.attachments[vpn.urn] = Attachment(
                vpn.urn, f"VPN connection {vpn.name}", "vpn", tgw.urn if tgw else ""
            )
        for association in plan.of_type(DX_ASSOCIATION):
            tgw = plan.referenced(association, association.inputs.get("associatedGatewayId"), TRANSIT_GATEWAY)
            self.attachments[association.urn] = Attachment(
                association.urn,
                f"Direct Connect association {association.name}",
                "dx",
                tgw.urn if tgw else "",
                allowed_prefixes=nets(items(association.inputs.get("allowedPrefixes"))),
            )

    def _attachment_of(self, resource: PlannedResource) -> str | None:
        """The attachment an association or propagation names: by ID, or the one it depends on (a VPN
        connection's or a Direct Connect association's attachment ID exists only after creation)."""
        found = self.plan.referenced(
            resource, resource.inputs.get("transitGatewayAttachmentId"), *ATTACHMENT_TYPES
        )
        return found.urn if found is not None else None

    def _read_routing(self) -> None:
        plan = self.plan
        for kind, field_name in ((TGW_ASSOCIATION, "associations"), (TGW_PROPAGATION, "propagations")):
            for resource in plan.of_type(kind):
                table = plan.referenced(
                    resource, resource.inputs.get("transitGatewayRouteTableId"), TGW_ROUTE_TABLE
                )
                attachment = self._attachment_of(resource)
                if table is not None and attachment is not None and table.urn in self.tables:
                    getattr(self.tables[table.urn], field_name).add(attachment)
        for route in plan.of_type(TGW_ROUTE):
            table = plan.referenced(route, route.inputs.get("transitGatewayRouteTableId"), TGW_ROUTE_TABLE)
            destination = net(route.inputs.get("destinationCidrBlock"))
            if table is None or destination is None or table.urn not in self.tables:
                continue
            target = None if route.inputs.get("blackhole") is True else self._attachment_of(route)
            self.tables[table.urn].static.append((destination, target, f"static route {route.name}"))

    def _sessions(self, vpn: PlannedResource) -> list[Session]:
        sessions = []
        for number in (1, 2):
            inside = net(vpn.inputs.get(f"tunnel{number}InsideCidr"))
            if inside is None or inside.prefixlen != 30:
                continue
            sessions.append(self._session(vpn, number, inside))
        return sessions

    def _session(self, vpn: PlannedResource, number: int, inside: Net) -> Session:
        """The checks of one tunnel's BGP session: AWS takes the first host of the /30, the Cloud Router
        the second (offline/data/network_facts.json, aws_vpn_inside_addresses)."""
        plan = self.plan
        aws_ip, gcp_ip = (str(host) for host in inside.hosts())
        label = f"tunnel {number} of {vpn.name} ({inside})"
        checks = [
            Check(
                "aws-tunnel",
                f"VPN connection {vpn.name}",
                vpn.inputs.get("staticRoutesOnly") is not True and vpn.urn in self.attachments,
                f"tunnel {number} inside {inside}, BGP routing"
                if vpn.inputs.get("staticRoutesOnly") is not True
                else "static routes only: no BGP",
            )
        ]
        interface = next(
            (
                i
                for i in plan.of_type(ROUTER_INTERFACE)
                if (found := net(i.inputs.get("ipRange"))) is not None and found.overlaps(inside)
            ),
            None,
        )
        peer = next(
            (
                p
                for p in plan.of_type(ROUTER_PEER)
                if (found := net(p.inputs.get("peerIpAddress"))) is not None and found.subnet_of(inside)
            ),
            None,
        )
        speaker = peer or interface
        router = plan.find(speaker.inputs.get("router"), ROUTER) if speaker is not None else None
        checks.append(self._interface_check(interface, gcp_ip, inside))
        checks.append(self._peer_check(peer, interface, vpn, aws_ip, gcp_ip))
        checks.append(self._asn_check(vpn, router))
        associated = any(vpn.urn in table.associations for table in self.tables.values())
        propagated = any(vpn.urn in table.propagations for table in self.tables.values())
        checks.append(
            Check(
                "tgw-attachment",
                f"VPN connection {vpn.name}",
                associated and propagated,
                "associated with and propagating into a TGW route table"
                if associated and propagated
                else (
                    "not associated with a TGW route table"
                    if not associated
                    else "propagates into no TGW route table"
                ),
            )
        )
        network = last_segment(str(router.inputs.get("network", ""))) if router is not None else None
        return Session(inside, vpn.urn, label, router.urn if router else None, network, peer, checks)

    def _interface_check(self, interface: PlannedResource | None, gcp_ip: str, inside: Net) -> Check:
        if interface is None:
            return Check("router-interface", "Cloud Router", False, f"no router interface in {inside}")
        tunnel = self.plan.find(interface.inputs.get("vpnTunnel"), VPN_TUNNEL)
        where = f"router interface {interface.name}"
        if str(interface.inputs.get("ipRange")) != f"{gcp_ip}/30":
            return Check(
                "router-interface",
                where,
                False,
                f"address {interface.inputs.get('ipRange')}, not {gcp_ip}/30",
            )
        if tunnel is None:
            return Check(
                "router-interface",
                where,
                False,
                f"its VPN tunnel {interface.inputs.get('vpnTunnel')} is not in the plan",
            )
        return Check(
            "router-interface", where, True, f"{gcp_ip}/30 on Cloud VPN tunnel {tunnel.inputs.get('name')}"
        )

    def _peer_check(
        self,
        peer: PlannedResource | None,
        interface: PlannedResource | None,
        vpn: PlannedResource,
        aws_ip: str,
        gcp_ip: str,
    ) -> Check:
        if peer is None:
            return Check("router-peer", "Cloud Router", False, f"no BGP peer for {aws_ip}")
        where = f"BGP peer {peer.name}"
        tgw = self.plan.referenced(vpn, vpn.inputs.get("transitGatewayId"), TRANSIT_GATEWAY)
        amazon_asn = int((tgw.inputs.get("amazonSideAsn") if tgw else None) or DEFAULT_AMAZON_ASN)
        problems = []
        if str(peer.inputs.get("peerIpAddress")) != aws_ip:
            problems.append(f"peer address {peer.inputs.get('peerIpAddress')}, not {aws_ip}")
        if str(peer.inputs.get("ipAddress")) != gcp_ip:
            problems.append(f"own address {peer.inputs.get('ipAddress')}, not {gcp_ip}")
        if interface is not None and peer.inputs.get("interface") != interface.inputs.get("name"):
            problems.append(
                f"on interface {peer.inputs.get('interface')}, not {interface.inputs.get('name')}"
            )
        if int(peer.inputs.get("peerAsn") or 0) != amazon_asn:
            problems.append(f"peer ASN {peer.inputs.get('peerAsn')}, the TGW's is {amazon_asn}")
        if peer.inputs.get("enable") is False:
            problems.append("disabled")
        if problems:
            return Check("router-peer", where, False, "; ".join(problems))
        return Check("router-peer", where, True, f"{gcp_ip} to {aws_ip}, AS {amazon_asn}")

    def _asn_check(self, vpn: PlannedResource, router: PlannedResource | None) -> Check:
        gateway = self.plan.referenced(vpn, vpn.inputs.get("customerGatewayId"), CUSTOMER_GATEWAY)
        if gateway is None or router is None:
            return Check(
                "bgp-asn", f"VPN connection {vpn.name}", False, "no customer gateway or Cloud Router to pair"
            )
        declared = gateway.inputs.get("bgpAsnExtended") or gateway.inputs.get("bgpAsn")
        router_asn = get(router.inputs, "bgp.asn")
        where = f"customer gateway {gateway.name}"
        if str(declared) != str(router_asn):
            return Check(
                "bgp-asn",
                where,
                False,
                f"AS {declared}, but Cloud Router {router.inputs.get('name')} is AS {router_asn}",
            )
        return Check("bgp-asn", where, True, f"AS {declared}, the Cloud Router's")

    # --- what the link carries -----------------------------------------------------------------------

    def advertised_by_gcp(self, session: Session) -> list[Net]:
        """What the Cloud Router peer of a session advertises: its own custom ranges, or the router's."""
        peer = session.peer
        router = self.plan.by_urn(session.router)
        if peer is None or router is None:
            return []
        block = peer.inputs if peer.inputs.get("advertiseMode") else get(router.inputs, "bgp", {})
        if str(get(block, "advertiseMode", "DEFAULT")) != "CUSTOM":
            return self.gcp.network_ranges(session.network or "")
        ranges = nets(get(entry, "range") for entry in items(get(block, "advertisedIpRanges")))
        if "ALL_SUBNETS" in items(get(block, "advertisedGroups")):
            ranges += self.gcp.network_ranges(session.network or "")
        return ranges

    def learned_from_gcp(self, attachment: str) -> list[Net]:
        """The routes an attachment propagates into the TGW: a VPN connection, what its live sessions
        learn; a Direct Connect association, what the interconnect transport advertises."""
        found = self.attachments.get(attachment)
        if found is None:
            return []
        if found.kind == "vpc":
            return found.vpc_ranges
        if found.kind == "dx":
            return [
                cidr
                for transport in self.transports
                for cidr in nets(items(transport.inputs.get("advertisedRoutes")))
            ]
        return [
            cidr
            for s in self.sessions
            if s.attachment == attachment and s.up
            for cidr in self.advertised_by_gcp(s)
        ]

    def table_for(self, attachment: str) -> RouteTable | None:
        return next((t for t in self.tables.values() if attachment in t.associations), None)

    def tgw_lookup(self, table: RouteTable, destination: Net) -> list[tuple[Net, str | None, str]]:
        """(piece, attachment or None, origin) for every part of destination, longest prefix first."""
        entries = list(table.static)
        for attachment in sorted(table.propagations):
            entries += [
                (cidr, attachment, f"propagated from {self._label(attachment)}")
                for cidr in self.learned_from_gcp(attachment)
            ]
        return _lookup(entries, destination)

    def _label(self, attachment: str) -> str:
        found = self.attachments.get(attachment)
        return found.label if found else attachment

    def link_attachments(self) -> list[Attachment]:
        return [a for a in self.attachments.values() if a.kind in ("vpn", "dx")]

    def vpc_attachment(self, vpc: str) -> Attachment | None:
        return next(
            (
                a
                for a in self.attachments.values()
                if a.kind == "vpc" and any(s.vpc == vpc for s in a.subnets)
            ),
            None,
        )

    def up(self) -> Verdict:
        """Whether the link can carry anything: a BGP session up, or an interconnect transport paired
        with a Direct Connect association."""
        live = [s for s in self.sessions if s.up]
        if live:
            return Verdict(True, f"{len(live)} of {len(self.sessions)} BGP sessions configured on both ends")
        if self.transports and any(a.kind == "dx" for a in self.attachments.values()):
            return Verdict(True, "the interconnect transport and the Direct Connect association")
        if self.sessions:
            broken = self.sessions[0]
            failed = next(c for c in broken.checks if not c.ok)
            return Verdict(
                False,
                f"no BGP session is configured on both ends "
                f"({broken.label}: {failed.where}: {failed.detail})",
            )
        return Verdict(False, "no VPN tunnel or interconnect transport in the plan")

    def sessions_towards(self, network: str) -> list[Session]:
        return [s for s in self.sessions if s.up and s.network == network]

    def tgw_routes(self, attachment: Attachment, destination: Net, towards: str) -> Verdict:
        """Whether the table associated with `attachment` sends all of destination to an attachment of
        kind `towards` (vpc, or link for vpn and dx)."""
        table = self.table_for(attachment.key)
        if table is None:
            return Verdict(False, f"{attachment.label} is associated with no TGW route table")
        wrong, used = [], []
        for piece, target, origin in self.tgw_lookup(table, destination):
            if target is None:
                wrong.append(f"{piece}: {origin} drops it (blackhole)" if origin else f"{piece}: no route")
                continue
            kind = self.attachments[target].kind if target in self.attachments else None
            if (kind == "vpc") != (towards == "vpc") or kind is None:
                wrong.append(f"{piece}: {origin} sends it to {self._label(target)}")
            else:
                used.append(origin)
        if wrong:
            return Verdict(False, f"{table.label}: {'; '.join(dict.fromkeys(wrong))}")
        return Verdict(True, f"{table.label}: {', '.join(dict.fromkeys(used))}")

    def advertised_to_gcp(self, session_attachment: str) -> list[Net]:
        """What the TGW advertises to a VPN attachment's peer: the associated table's routes (not those
        the attachment itself propagated); a Direct Connect association advertises its allowed prefixes."""
        found = self.attachments.get(session_attachment)
        if found is None:
            return []
        if found.kind == "dx":
            return found.allowed_prefixes
        table = self.table_for(session_attachment)
        if table is None:
            return []
        routes = [
            cidr for cidr, target, _ in table.static if target is not None and target != session_attachment
        ]
        for attachment in sorted(table.propagations - {session_attachment}):
            routes += self.learned_from_gcp(attachment)
        return routes

    def gcp_learns(self, network: str, destination: Net) -> Verdict:
        """Whether the GCP network has a route to `destination` learned over the link."""
        learned: list[Net] = []
        via = []
        for session in self.sessions_towards(network):
            ranges = self.advertised_to_gcp(session.attachment)
            if any(cidr.overlaps(destination) for cidr in ranges):
                via.append(session.label)
            learned += ranges
        for transport in self.transports:
            if last_segment(str(transport.inputs.get("network", ""))) == network:
                for attachment in self.link_attachments():
                    if attachment.kind == "dx":
                        learned += attachment.allowed_prefixes
                        via.append(attachment.label)
        if covered(destination, learned):
            return Verdict(True, f"learned over {', '.join(dict.fromkeys(via))}")
        return Verdict(
            False,
            f"network {network} learns no route to {text(uncovered(destination, learned))} over the link "
            f"(it learns {text(sorted(set(learned)))})",
        )

    def gcp_advertises(self, network: str, destination: Net) -> Verdict:
        """Whether the link's GCP side advertises `destination` (so AWS learns it)."""
        advertised: list[Net] = []
        via = []
        for session in self.sessions_towards(network):
            ranges = self.advertised_by_gcp(session)
            if any(cidr.overlaps(destination) for cidr in ranges) and session.peer is not None:
                via.append(f"BGP peer {session.peer.name}")
            advertised += ranges
        for transport in self.transports:
            if last_segment(str(transport.inputs.get("network", ""))) == network:
                ranges = nets(items(transport.inputs.get("advertisedRoutes")))
                if any(cidr.overlaps(destination) for cidr in ranges):
                    via.append(f"transport {transport.name}")
                advertised += ranges
        if covered(destination, advertised):
            return Verdict(True, f"advertised by {', '.join(dict.fromkeys(via))}")
        return Verdict(
            False,
            f"no BGP peer or transport of network {network} advertises "
            f"{text(uncovered(destination, advertised))}",
        )


def _lookup(
    entries: list[tuple[Net, str | None, str]], destination: Net
) -> list[tuple[Net, str | None, str]]:
    """Longest prefix match for every part of destination; equal routes (ECMP over several tunnels)
    are named together, static before propagated."""
    inside = [e for e in entries if e[0] != destination and e[0].subnet_of(destination)]
    if not inside or destination.prefixlen >= 32:
        covering = [e for e in entries if destination.subnet_of(e[0])]
        if not covering:
            return [(destination, None, "")]
        longest = max(e[0].prefixlen for e in covering)
        best = [e for e in covering if e[0].prefixlen == longest]
        return [(destination, best[0][1], ", ".join(dict.fromkeys(e[2] for e in best)))]
    first, second = destination.subnets(prefixlen_diff=1)
    return [*_lookup(entries, first), *_lookup(entries, second)]
