"""The flows the design needs, declared from what the plan deploys, each followed hop by hop through the
plan: security groups, firewall rules by priority, route tables of the VPC and the transit gateway,
what each side of the link advertises and learns, load balancers' source ranges. And the exposures:
the mesh's control ports and the API servers reachable from no wider than the peers.

Every flow is followed on every port, both ways where an answer must come back (the firewalls are
stateful, the routes are not). A flow is open when every hop is; the first hop that is not closes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from offline.flows.aws import (
    EksCluster,
    Interfaces,
    NodePort,
    Port,
    Subnet,
    admits,
    default_route,
    routed_to,
    routed_to_internet,
)
from offline.flows.facts import cloud_dns_range, ports
from offline.flows.gcp import GkeCluster, Target
from offline.flows.kube import LoadBalancer
from offline.flows.link import Attachment
from offline.flows.model import Model
from offline.flows.plan import get, items
from offline.flows.ranges import ANYWHERE, Net, covered, net, text
from offline.flows.verdict import Verdict

NEEDED = "needed"
EXPOSURE = "exposure"
STATUS_PORT = 15021


@dataclass(frozen=True)
class Hop:
    step: str
    """What kind of hop: aws-route, tgw-route, gcp-firewall-ingress, lb-source-ranges, ..."""
    where: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Flow:
    id: str
    title: str
    source: str
    destination: str
    protocol: str
    ports: tuple[int, ...]
    purpose: str
    kind: str
    hops: tuple[Hop, ...]

    @property
    def open(self) -> bool:
        return all(hop.ok for hop in self.hops)

    @property
    def closed_at(self) -> Hop | None:
        return next((hop for hop in self.hops if not hop.ok), None)


HopsFor = Callable[[str, int], list[Hop]]


def _flow(
    id: str,
    title: str,
    source: str,
    destination: str,
    protocol: str,
    flow_ports: Sequence[int],
    purpose: str,
    hops_for: HopsFor,
    kind: str = NEEDED,
) -> Flow:
    """The flow's hops on every protocol ("udp+tcp" is both) and port, merged hop by hop: a hop is open
    when it is open on every one."""
    merged: dict[tuple[str, str], list[Verdict]] = {}
    for name in protocol.split("+"):
        for port in flow_ports:
            for hop in hops_for(name, port):
                merged.setdefault((hop.step, hop.where), []).append(Verdict(hop.ok, hop.detail))
    hops = tuple(_hop(step, where, verdicts) for (step, where), verdicts in merged.items())
    return Flow(id, title, source, destination, protocol, tuple(flow_ports), purpose, kind, hops)


def _hop(step: str, where: str, verdicts: Sequence[Verdict]) -> Hop:
    """One hop from the verdicts of its parts: open when every part is, with what opens or closes it."""
    failed = [v.detail for v in verdicts if not v.ok]
    if failed:
        return Hop(step, where, False, "; ".join(dict.fromkeys(failed)))
    return Hop(step, where, True, "; ".join(dict.fromkeys(v.detail for v in verdicts)) or "nothing to check")


# --- one-cloud hops ----------------------------------------------------------------------------------


def _aws_egress(src: Interfaces, destination: Net, protocol: str, port: Port) -> Hop:
    verdict = admits(src.groups, "egress", destination, (), protocol, port)
    return _hop("aws-sg-egress", f"security groups of {src.label}", [verdict])


def _aws_ingress(
    dst: Interfaces, source: Sequence[Net], source_groups: Interfaces | None, protocol: str, port: Port
) -> Hop:
    peer_groups = source_groups.groups if source_groups else ()
    verdicts = [admits(dst.groups, "ingress", cidr, peer_groups, protocol, port) for cidr in source]
    return _hop("aws-sg-ingress", f"security groups of {dst.label}", verdicts)


def _aws_routes(
    model: Model, subnets: Sequence[Subnet], destination: Net | None, target: str, step: str
) -> Hop:
    """Every subnet's table sends `destination` (None: public addresses, by the default route) to `target`."""
    tables = {model.aws.table_of(subnet).key: model.aws.table_of(subnet) for subnet in subnets}
    verdicts = [
        routed_to(table, destination, target)
        if destination is not None
        else routed_to_internet(table, target)
        for table in tables.values()
    ]
    if not tables:
        return Hop(step, "route tables", False, "no subnet to route from")
    return _hop(step, f"route tables of {_subnet_names(subnets)}", verdicts)


def _subnet_names(subnets: Sequence[Subnet]) -> str:
    return ", ".join(dict.fromkeys(subnet.label.removeprefix("subnet ") for subnet in subnets))


def _gcp_firewall(
    model: Model, network: str, direction: str, target: Target, peers: Sequence[Net], protocol: str, port: int
) -> Hop:
    verdicts = [model.gcp.firewall(network, direction, target, peer, protocol, port) for peer in peers]
    step = "gcp-firewall-ingress" if direction == "INGRESS" else "gcp-firewall-egress"
    return _hop(
        step,
        f"firewall rules of network {network}, {direction.lower()} for {target.label}",
        verdicts,
    )


# --- across the link ---------------------------------------------------------------------------------


def _zones(model: Model, attachment: Attachment | None, subnets: Sequence[Subnet]) -> Hop:
    """A subnet's traffic enters the TGW only through an attachment subnet in its own zone."""
    if attachment is None:
        return Hop(
            "tgw-attachment-zone",
            "the VPC's TGW attachment",
            False,
            "the VPC is not attached to a transit gateway",
        )
    zones = {subnet.zone for subnet in attachment.subnets}
    missing = sorted({subnet.zone for subnet in subnets} - zones)
    if missing:
        return Hop(
            "tgw-attachment-zone", attachment.label, False, f"no attachment subnet in {', '.join(missing)}"
        )
    return Hop(
        "tgw-attachment-zone", attachment.label, True, f"a subnet in each of {', '.join(sorted(zones))}"
    )


def _tgw_from_link(model: Model, destination: Net, step: str) -> Hop:
    """Every link attachment's table sends `destination` to the VPC (and so advertises it to GCP)."""
    attachments = [
        a
        for a in model.link.link_attachments()
        if a.kind == "dx" or any(s.attachment == a.key and s.up for s in model.link.sessions)
    ]
    if not attachments:
        return Hop(step, "TGW route tables", False, "no link attachment carries traffic")
    verdicts = [model.link.tgw_routes(a, destination, "vpc") for a in attachments]
    return _hop(step, "TGW route tables of the link's attachments", verdicts)


def _tgw_from_vpc(model: Model, attachment: Attachment | None, destination: Net, step: str) -> Hop:
    if attachment is None:
        return Hop(step, "TGW route tables", False, "the VPC is not attached to a transit gateway")
    verdict = model.link.tgw_routes(attachment, destination, "link")
    return _hop(step, f"the TGW route table of {attachment.label}", [verdict])


def _link(model: Model) -> Hop:
    verdict = model.link.up()
    return Hop("link", "the link", verdict.ok, verdict.detail)


def aws_to_gcp(
    model: Model, src: Interfaces, network: str, destination: Net, protocol: str, port: Port
) -> list[Hop]:
    """From AWS interfaces to a GCP range: out of the VPC to the TGW, over the link; the answers back."""
    vpc = src.subnets[0].vpc if src.subnets else ""
    attachment = model.link.vpc_attachment(vpc)
    hops = [
        _aws_egress(src, destination, protocol, port),
        _aws_routes(model, src.subnets, destination, "tgw", "aws-route"),
        _zones(model, attachment, src.subnets),
        _link(model),
        _hop("gcp-advertisement", "the link's GCP side", [model.link.gcp_advertises(network, destination)]),
        _tgw_from_vpc(model, attachment, destination, "tgw-route"),
    ]
    for source in src.ranges:
        hops.append(_hop("gcp-learned-route", f"network {network}", [model.link.gcp_learns(network, source)]))
        hops.append(_tgw_from_link(model, source, "tgw-route-back"))
    return hops


def gcp_to_aws(
    model: Model,
    network: str,
    sources: Sequence[Net],
    target: Target | None,
    dst_subnets: Sequence[Subnet],
    destination: Net,
    protocol: str,
    port: int,
) -> list[Hop]:
    """From GCP ranges to an AWS range: over the link into the VPC; the answers back (the ingress
    checks at the destination are the caller's)."""
    vpc = dst_subnets[0].vpc if dst_subnets else ""
    attachment = model.link.vpc_attachment(vpc)
    hops = []
    if target is not None:
        hops.append(_gcp_firewall(model, network, "EGRESS", target, [destination], protocol, port))
    hops += [
        _link(model),
        _hop("gcp-learned-route", f"network {network}", [model.link.gcp_learns(network, destination)]),
        _tgw_from_link(model, destination, "tgw-route"),
        _zones(model, attachment, dst_subnets),
    ]
    for source in sources:
        hops.append(_aws_routes(model, dst_subnets, source, "tgw", "aws-route-back"))
        hops.append(
            _hop("gcp-advertisement", "the link's GCP side", [model.link.gcp_advertises(network, source)])
        )
        hops.append(_tgw_from_vpc(model, attachment, source, "tgw-route-back"))
    return hops


# --- the declaration ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topology:
    eks: EksCluster | None
    gke: GkeCluster | None
    istio: frozenset[str]
    """The clouds whose cluster runs istiod."""
    app_mesh: bool


def topology(model: Model) -> Topology:
    eks = next(iter(model.aws.eks.values()), None)
    gke = next(iter(model.gcp.clusters), None)
    istio = frozenset(
        cloud
        for cloud, cluster in (("aws", eks.key if eks else None), ("gcp", gke.key if gke else None))
        if cluster is not None and model.kube.runs("istiod", cluster)
    )
    app_mesh = eks is not None and model.kube.runs("appmesh-controller", eks.key)
    return Topology(eks, gke, istio, app_mesh)


def needed(model: Model) -> list[Flow]:
    shape = topology(model)
    flows: list[Flow] = []
    if shape.gke is not None:
        flows.append(_gke_control_plane(model, shape))
    if shape.eks is not None:
        flows.append(_eks_control_plane(model, shape))
    if shape.eks is not None and shape.gke is not None:
        if shape.istio == {"aws", "gcp"}:
            flows += [
                _gke_istiod_to_eks_api(model, shape.eks, shape.gke),
                _eks_istiod_to_gke_api(model, shape.eks, shape.gke),
            ]
        flows.append(_dns_forwarding(model, shape.gke))
        flows += _load_balancer_flows(model, shape, shape.eks, shape.gke)
    flows += _collector_flows(model, shape)
    flows += _bgp_flows(model)
    return flows


def _gke_control_plane(model: Model, shape: Topology) -> Flow:
    gke = shape.gke
    assert gke is not None
    webhook = ports("istio_webhook_port_on_private_gke") if "gcp" in shape.istio else ()
    flow_ports = sorted({*ports("gke_control_plane_to_nodes"), *webhook})
    source = [gke.master] if gke.master else []
    return _flow(
        "gke-control-plane-to-nodes",
        "GKE control plane -> GKE nodes",
        f"the control plane of {gke.name} ({text(source)})",
        gke.nodes.label,
        "tcp",
        flow_ports,
        "kubelet (10250), the API server's proxy (443), istiod's injection and validation webhooks (15017)",
        lambda protocol, port: [
            _gcp_firewall(model, gke.network, "INGRESS", gke.nodes, source, protocol, port)
        ],
    )


def _eks_control_plane(model: Model, shape: Topology) -> Flow:
    eks = shape.eks
    assert eks is not None
    webhooks = [
        *(ports("mesh_control_ports")[1:] if "aws" in shape.istio else ()),
        *(ports("appmesh_controller_webhook_port") if shape.app_mesh else ()),
    ]
    return _flow(
        "eks-control-plane-to-nodes",
        "EKS control plane -> EKS nodes",
        eks.control_plane.label,
        eks.nodes.label,
        "tcp",
        sorted({10250, *webhooks}),
        "kubelet (10250) and the mesh's admission webhooks (istiod 15017, the App Mesh controller 9443)",
        # The control plane's own egress is the cluster group's, which EKS keeps (it re-creates the
        # group's rules when they are removed): only the nodes' side can close this flow.
        lambda protocol, port: [
            _aws_ingress(eks.nodes, eks.control_plane.ranges, eks.control_plane, protocol, port)
        ],
    )


def _one(ranges: Sequence[Net]) -> Net:
    return ranges[0] if ranges else ANYWHERE


def _gke_istiod_to_eks_api(model: Model, eks: EksCluster, gke: GkeCluster) -> Flow:
    sources = gke.node_ranges
    destinations = eks.control_plane.ranges

    def hops(protocol: str, port: int) -> list[Hop]:
        found = [
            Hop(
                "eks-private-endpoint",
                eks.label,
                eks.private_endpoint,
                "private endpoint access on"
                if eks.private_endpoint
                else "private endpoint access is off: only the public endpoint answers",
            )
        ]
        for destination in destinations:
            found += gcp_to_aws(
                model,
                gke.network,
                sources,
                gke.nodes,
                list(eks.control_plane.subnets),
                destination,
                protocol,
                port,
            )
        found.append(_aws_ingress(eks.control_plane, sources, None, protocol, port))
        # Last: the endpoint's name must resolve to these addresses, through the DNS flow over the link.
        found.append(_dns_hop(model, gke))
        return found

    return _flow(
        "gke-istiod-to-eks-api",
        "istiod on GKE -> EKS API server",
        f"GKE nodes and pods ({text(sources)})",
        f"{eks.control_plane.label} ({text(destinations)})",
        "tcp",
        [443],
        "the GKE istiod watches the EKS cluster's endpoints (its remote secret), by the endpoint's name",
        hops,
    )


def _dns_hop(model: Model, gke: GkeCluster) -> Hop:
    flow = _dns_forwarding(model, gke)
    closed = flow.closed_at
    if closed is None:
        return Hop(
            "dns", "the EKS endpoint's name from GKE", True, "resolves privately: flow dns-forwarding is open"
        )
    return Hop(
        "dns",
        "the EKS endpoint's name from GKE",
        False,
        f"flow dns-forwarding is closed at {closed.step} ({closed.where})",
    )


def _eks_istiod_to_gke_api(model: Model, eks: EksCluster, gke: GkeCluster) -> Flow:
    destination = gke.master or ANYWHERE

    def hops(protocol: str, port: int) -> list[Hop]:
        found = aws_to_gcp(model, eks.nodes, gke.network, destination, protocol, port)
        found.append(
            Hop(
                "gke-control-plane-routes",
                f"the peering of {gke.name}'s control plane",
                gke.exports_custom_routes,
                "the network exports its custom routes to the control plane"
                if gke.exports_custom_routes
                else "the network does not export its custom routes: the control plane has no route back "
                "to AWS",
            )
        )
        allowed = gke.authorized
        missing = [] if allowed is None else [r for r in eks.nodes.ranges if not covered(r, allowed)]
        found.append(
            Hop(
                "gke-authorized-networks",
                gke.label,
                not missing,
                f"authorized networks admit {text(eks.nodes.ranges)}"
                if not missing
                else f"authorized networks do not admit {text(missing)}",
            )
        )
        routers = [model.plan.by_urn(session.router) for session in model.link.sessions]
        link_regions = {str(router.inputs.get("region")) for router in routers if router is not None}
        far = sorted(r for r in link_regions if r and r != gke.region)
        if far and not gke.global_access:
            found.append(
                Hop(
                    "gke-global-access",
                    gke.label,
                    False,
                    f"the link ends in {', '.join(far)}, and the private endpoint has no global access",
                )
            )
        return found

    return _flow(
        "eks-istiod-to-gke-api",
        "istiod on EKS -> GKE API server",
        f"{eks.nodes.label} ({text(eks.nodes.ranges)})",
        f"the private endpoint of {gke.name} ({destination})",
        "tcp",
        [443],
        "the EKS istiod watches the GKE cluster's endpoints (its remote secret), at the private endpoint's "
        "address",
        hops,
    )


def _dns_forwarding(model: Model, gke: GkeCluster) -> Flow:
    dns = cloud_dns_range()
    endpoints = model.aws.resolver_endpoints()
    endpoint = endpoints[0][1] if endpoints else None

    def hops(protocol: str, port: int) -> list[Hop]:
        found = [_zone_hop(model, gke, endpoint)]
        if endpoint is None:
            return found
        for destination in endpoint.ranges:
            found += gcp_to_aws(
                model, gke.network, [dns], None, list(endpoint.subnets), destination, protocol, port
            )
        found.append(_aws_ingress(endpoint, [dns], None, protocol, port))
        return found

    return _flow(
        "dns-forwarding",
        "Cloud DNS forwarding -> Route 53 inbound endpoint, and back",
        f"Cloud DNS forwarding ({dns})",
        endpoint.label if endpoint else "a Route 53 Resolver inbound endpoint",
        "udp+tcp",
        [53],
        f"GKE resolves EKS endpoint names through the AWS VPC's resolver; the answers go back to {dns}",
        hops,
    )


def _zone_hop(model: Model, gke: GkeCluster, endpoint: Interfaces | None) -> Hop:
    """A private forwarding zone for the EKS endpoints' domain, visible to the GKE network, whose targets
    are the inbound endpoint's addresses."""
    zones = [
        z
        for z in model.gcp.private_zones()
        if str(z.inputs.get("dnsName", "")).endswith("eks.amazonaws.com.")
        and any(
            str(get(n, "networkUrl", "")).rstrip("/").endswith(f"/{gke.network}")
            for n in items(get(z.inputs, "privateVisibilityConfig.networks"))
        )
    ]
    if not zones:
        return Hop(
            "dns-zone",
            f"network {gke.network}",
            False,
            "no private forwarding zone for eks.amazonaws.com. is visible to it",
        )
    zone = zones[0]
    targets = [
        net(get(t, "ipv4Address")) for t in items(get(zone.inputs, "forwardingConfig.targetNameServers"))
    ]
    where = f"Cloud DNS zone {zone.inputs.get('name') or zone.name}"
    if endpoint is None:
        return Hop("dns-zone", where, False, "no Route 53 Resolver inbound endpoint to forward to")
    outside = [str(t) for t in targets if t is None or not covered(t, endpoint.ranges)]
    if not targets or outside:
        return Hop(
            "dns-zone",
            where,
            False,
            f"forwards to {', '.join(outside) or 'nothing'}, not the inbound endpoint's subnets",
        )
    return Hop(
        "dns-zone", where, True, f"forwards {zone.inputs.get('dnsName')} to {text([t for t in targets if t])}"
    )


def _load_balancer_flows(model: Model, shape: Topology, eks: EksCluster, gke: GkeCluster) -> list[Flow]:
    """Each internal load balancer is called from the other cloud on its traffic ports; an east-west
    gateway only by Istio sidecars, so only when the other cloud runs Istio."""
    flows = []
    for balancer in model.kube.load_balancers:
        traffic = tuple(p for p in balancer.ports if p not in (STATUS_PORT, *ports("mesh_control_ports")))
        callers = "gcp" if balancer.cloud == "aws" else "aws"
        if not traffic or not balancer.internal or (balancer.east_west and callers not in shape.istio):
            continue
        if balancer.cloud == "gcp" and balancer.cluster == gke.key:
            flows.append(_to_gke_load_balancer(model, eks, gke, balancer, traffic))
        elif balancer.cloud == "aws" and balancer.cluster == eks.key:
            flows.append(_to_eks_load_balancer(model, eks, gke, balancer, traffic))
    return flows


def _lb_hop(balancer: LoadBalancer, sources: Sequence[Net]) -> Hop:
    ranges = list(balancer.source_ranges) if balancer.source_ranges is not None else [ANYWHERE]
    missing = [s for s in sources if not covered(s, ranges)]
    if missing:
        return Hop(
            "lb-source-ranges",
            balancer.label,
            False,
            f"loadBalancerSourceRanges {text(ranges)} leave out {text(missing)}",
        )
    said = text(ranges) if balancer.source_ranges is not None else "none set: the cloud admits 0.0.0.0/0"
    return Hop("lb-source-ranges", balancer.label, True, f"loadBalancerSourceRanges {said}")


def _to_gke_load_balancer(
    model: Model, eks: EksCluster, gke: GkeCluster, balancer: LoadBalancer, traffic: tuple[int, ...]
) -> Flow:
    subnet = gke.subnetwork.primary if gke.subnetwork else ANYWHERE
    name = "east-west gateway" if balancer.east_west else balancer.label

    def hops(protocol: str, port: int) -> list[Hop]:
        found = aws_to_gcp(model, eks.nodes, gke.network, subnet, protocol, port)
        found.append(_lb_hop(balancer, eks.nodes.ranges))
        found.append(
            _gcp_firewall(model, gke.network, "INGRESS", gke.nodes, eks.nodes.ranges, protocol, port)
        )
        return found

    return _flow(
        "eks-to-gke-east-west" if balancer.east_west else f"eks-to-gke-{_slug(balancer.label)}",
        f"EKS sidecars -> GKE {name}",
        f"{eks.nodes.label} ({text(eks.nodes.ranges)})",
        f"the internal load balancer of {balancer.label}, in {subnet}",
        "tcp",
        traffic,
        "cross-network mTLS into the GKE cluster (AUTO_PASSTHROUGH)"
        if balancer.east_west
        else "calls into the GKE cluster",
        hops,
    )


def _to_eks_load_balancer(
    model: Model, eks: EksCluster, gke: GkeCluster, balancer: LoadBalancer, traffic: tuple[int, ...]
) -> Flow:
    vpc = eks.nodes.subnets[0].vpc if eks.nodes.subnets else ""
    lb_subnets = model.aws.internal_load_balancer_subnets(vpc)
    sources = gke.node_ranges
    name = "east-west gateway" if balancer.east_west else balancer.label

    def hops(protocol: str, port: int) -> list[Hop]:
        found: list[Hop] = []
        if not lb_subnets:
            found.append(
                Hop(
                    "lb-subnets",
                    f"VPC of {eks.label}",
                    False,
                    "no subnet tagged kubernetes.io/role/internal-elb",
                )
            )
        for subnet in lb_subnets:
            found += gcp_to_aws(model, gke.network, sources, gke.nodes, [subnet], subnet.cidr, protocol, port)
        found.append(_lb_hop(balancer, sources))
        found.append(_aws_ingress(eks.nodes, sources, None, protocol, NodePort(balancer.label, port)))
        for source in sources:
            found.append(_aws_routes(model, eks.nodes.subnets, source, "tgw", "aws-route-back"))
        return found

    return _flow(
        "gke-to-eks-east-west" if balancer.east_west else f"gke-to-eks-{_slug(balancer.label)}",
        f"GKE sidecars -> EKS {name}",
        f"GKE nodes and pods ({text(sources)})",
        f"the internal NLB of {balancer.label}, in {text([s.cidr for s in lb_subnets])}, to the nodes' "
        "node ports",
        "tcp",
        traffic,
        "cross-network mTLS into the EKS cluster (AUTO_PASSTHROUGH)"
        if balancer.east_west
        else "calls into the EKS cluster",
        hops,
    )


def _slug(label: str) -> str:
    return "-".join(label.lower().replace("service of helm release", "").split())


def _collector_flows(model: Model, shape: Topology) -> list[Flow]:
    flows = []
    if shape.eks is not None and model.kube.runs("opentelemetry-collector", shape.eks.key):
        eks = shape.eks
        flows.append(
            _flow(
                "eks-collector-to-xray",
                "OpenTelemetry collector on EKS -> AWS X-Ray",
                f"{eks.nodes.label} ({text(eks.nodes.ranges)})",
                "the X-Ray endpoint of the region (public)",
                "tcp",
                [443],
                "spans from the EKS sidecars to X-Ray",
                lambda protocol, port: [
                    _aws_egress(eks.nodes, ANYWHERE, protocol, port),
                    _aws_routes(model, eks.nodes.subnets, None, "nat", "aws-route"),
                    _nat_hop(model, eks),
                ],
            )
        )
    if shape.gke is not None and model.kube.runs("opentelemetry-collector", shape.gke.key):
        gke = shape.gke
        flows.append(
            _flow(
                "gke-collector-to-cloud-trace",
                "OpenTelemetry collector on GKE -> Cloud Trace",
                f"GKE pods ({text([gke.pods] if gke.pods else [])})",
                "cloudtrace.googleapis.com (Google APIs)",
                "tcp",
                [443],
                "spans from the GKE sidecars to Cloud Trace",
                lambda protocol, port: [
                    _gcp_firewall(model, gke.network, "EGRESS", gke.nodes, [ANYWHERE], protocol, port),
                    _google_access_hop(model, gke),
                ],
            )
        )
    return flows


def _nat_hop(model: Model, eks: EksCluster) -> Hop:
    """Each node subnet's NAT gateway sits in a subnet whose default route is an internet gateway."""
    verdicts = []
    for subnet in eks.nodes.subnets:
        default = default_route(model.aws.table_of(subnet))
        if default is None or default.target != "nat" or default.target_key is None:
            continue
        nat_subnet = model.aws.nat_subnets.get(default.target_key)
        if nat_subnet is None or nat_subnet.urn not in model.aws.subnets:
            verdicts.append(Verdict(False, f"{default.origin}: its NAT gateway is in no planned subnet"))
            continue
        verdicts.append(routed_to_internet(model.aws.table_of(model.aws.subnets[nat_subnet.urn]), "igw"))
    return _hop("nat-to-internet", "the NAT gateways of the node subnets", verdicts)


def _google_access_hop(model: Model, gke: GkeCluster) -> Hop:
    subnet = gke.subnetwork
    network = model.gcp.networks.get(gke.network)
    if subnet is None or network is None:
        return Hop("google-apis", gke.label, False, "no subnet or network in the plan")
    if not network.default_internet_route:
        return Hop(
            "google-apis",
            network.label,
            False,
            "the default route to the internet gateway is deleted: Google APIs are unreachable",
        )
    pods = gke.pods or subnet.primary
    if subnet.private_google_access:
        return Hop("google-apis", f"subnet {subnet.name}", True, "Private Google Access is on")
    if model.gcp.nat_covers(subnet, pods):
        return Hop("google-apis", f"subnet {subnet.name}", True, "Cloud NAT translates the pods range")
    return Hop(
        "google-apis",
        f"subnet {subnet.name}",
        False,
        "neither Private Google Access nor Cloud NAT for the pods range",
    )


def _bgp_flows(model: Model) -> list[Flow]:
    flows = []
    for session in model.link.sessions:
        hops = tuple(Hop(check.step, check.where, check.ok, check.detail) for check in session.checks)
        aws_ip, gcp_ip = (str(host) for host in session.inside.hosts())
        flows.append(
            Flow(
                f"bgp-{session.inside}",
                f"BGP over {session.label}",
                f"the TGW's end {aws_ip}",
                f"the Cloud Router's end {gcp_ip}",
                "tcp",
                (179,),
                "the routes of both clouds, exchanged over the tunnel's inside /30",
                NEEDED,
                hops,
            )
        )
    return flows


# --- exposures ---------------------------------------------------------------------------------------


def exposures(model: Model) -> list[Flow]:
    shape = topology(model)
    gcp_peers = shape.gke.node_ranges if shape.gke else []
    aws_peers = [cidr for vpc in model.aws.vpcs.values() for cidr in vpc.cidrs]
    found = []
    for balancer in model.kube.load_balancers:
        if not balancer.east_west:
            continue
        peers = gcp_peers if balancer.cloud == "aws" else aws_peers
        found.append(_east_west_exposure(model, shape, balancer, peers))
    if shape.eks is not None:
        found.append(_eks_api_exposure(shape.eks, gcp_peers, aws_peers))
    if shape.gke is not None:
        found.append(_gke_api_exposure(shape.gke))
    return found


def _within(ranges: Sequence[Net], allowed: Sequence[Net]) -> list[Net]:
    return [r for r in ranges if not covered(r, allowed)]


def _east_west_exposure(model: Model, shape: Topology, balancer: LoadBalancer, peers: Sequence[Net]) -> Flow:
    control = ports("mesh_control_ports")
    ranges = list(balancer.source_ranges) if balancer.source_ranges is not None else [ANYWHERE]
    wider = _within(ranges, peers)
    hops = [
        Hop(
            "lb-source-ranges",
            balancer.label,
            not wider,
            f"admits {text(ranges)}, within the peer's {text(peers)}"
            if not wider
            else f"admits {text(wider)}, wider than the peer's {text(peers)}"
            + (
                ""
                if balancer.source_ranges is not None
                else " (no loadBalancerSourceRanges: the cloud admits 0.0.0.0/0)"
            ),
        )
    ]
    local: list[Net]
    if balancer.cloud == "aws" and shape.eks is not None:
        local = [cidr for vpc in model.aws.vpcs.values() for cidr in vpc.cidrs]
        hops.append(_sg_exposure(shape.eks.nodes, control, [*peers, *local]))
    elif shape.gke is not None:
        gke = shape.gke
        local = [*gke.node_ranges, *([gke.master] if gke.master else [])]
        hops.append(_firewall_exposure(model, gke, control, [*peers, *local]))
    cloud = "EKS" if balancer.cloud == "aws" else "GKE"
    return Flow(
        f"{balancer.cloud}-east-west-exposure",
        f"{cloud} east-west gateway: istiod's ports reachable only from the peer",
        "anyone",
        f"{balancer.label}, ports {', '.join(map(str, balancer.ports))}",
        "tcp",
        control,
        "15012 (xDS, CA) and 15017 (webhooks) ride on the network gateway's Service: only the peer cloud's "
        "node and pod ranges may reach them",
        EXPOSURE,
        tuple(hops),
    )


def _sg_exposure(nodes: Interfaces, control: Sequence[int], allowed: Sequence[Net]) -> Hop:
    wider = []
    for group in nodes.groups:
        for rule in group.ingress:
            if rule.node_port is None and any(rule.matches("tcp", port) for port in control):
                wider += [
                    f"{group.label}: {rule.origin} admits {cidr}" for cidr in _within(rule.cidrs, allowed)
                ]
    if wider:
        return Hop("aws-sg-ingress", f"security groups of {nodes.label}", False, "; ".join(wider))
    return Hop(
        "aws-sg-ingress",
        f"security groups of {nodes.label}",
        True,
        f"no rule admits {', '.join(map(str, control))} from outside {text(allowed)}",
    )


def _firewall_exposure(model: Model, gke: GkeCluster, control: Sequence[int], allowed: Sequence[Net]) -> Hop:
    wider = []
    for rule in model.gcp.rules:
        if (
            rule.network != gke.network
            or rule.direction != "INGRESS"
            or rule.deny
            or not rule.applies_to(gke.nodes)
        ):
            continue
        if any(rule.matches("tcp", port) for port in control):
            wider += [f"{rule.origin} admits {cidr}" for cidr in _within(rule.sources, allowed)]
    if wider:
        return Hop(
            "gcp-firewall-ingress", f"firewall rules of network {gke.network}", False, "; ".join(wider)
        )
    return Hop(
        "gcp-firewall-ingress",
        f"firewall rules of network {gke.network}",
        True,
        f"no rule admits {', '.join(map(str, control))} from outside {text(allowed)}",
    )


def _eks_api_exposure(eks: EksCluster, gcp_peers: Sequence[Net], aws_local: Sequence[Net]) -> Flow:
    allowed = [*gcp_peers, *aws_local]
    hop = _sg_exposure(eks.control_plane, [443], allowed)
    public = eks.public_endpoint
    world = [cidr for cidr in eks.public_cidrs if cidr.prefixlen == 0]
    hops = (
        Hop(hop.step, hop.where, hop.ok, hop.detail),
        Hop(
            "eks-public-endpoint",
            eks.label,
            not (public and world),
            "the public endpoint is off"
            if not public
            else (
                "the public endpoint admits 0.0.0.0/0"
                if world
                else f"the public endpoint admits the operators' {text(eks.public_cidrs)} only"
            ),
        ),
    )
    return Flow(
        "eks-api-exposure",
        "EKS API server reachable only from the peer and the operators",
        "anyone",
        eks.control_plane.label,
        "tcp",
        (443,),
        "over the network only the GKE nodes and pods (and the cluster itself); the public endpoint only "
        "from the configured operator ranges",
        EXPOSURE,
        hops,
    )


def _gke_api_exposure(gke: GkeCluster) -> Flow:
    problems = []
    if gke.authorized is None and not gke.private_endpoint_only:
        problems.append("no authorized networks: the public endpoint admits anyone")
    if gke.public_cidrs_access:
        problems.append("gcpPublicCidrsAccessEnabled admits every Google Cloud public address")
    if any(cidr.prefixlen == 0 for cidr in gke.authorized or []):
        problems.append("an authorized network is 0.0.0.0/0")
    if gke.dns_endpoint_external:
        problems.append("the DNS-based endpoint admits external traffic")
    said = f"authorized networks {text(gke.authorized or [])}"
    hop = Hop("gke-authorized-networks", gke.label, not problems, "; ".join(problems) if problems else said)
    return Flow(
        "gke-api-exposure",
        "GKE API server reachable only from the peer and the operators",
        "anyone",
        f"the control plane of {gke.name}",
        "tcp",
        (443,),
        "authorized networks, enforced on both endpoints: the AWS VPC over the link and the configured "
        "operator ranges",
        EXPOSURE,
        (hop,),
    )


def every_flow(model: Model) -> list[Flow]:
    return [*needed(model), *exposures(model)]
