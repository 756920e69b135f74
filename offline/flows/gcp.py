"""The Google Cloud side of the plan as a network: networks and their subnets, firewall rules in priority
order (the rules GKE creates itself included, from offline/data/network_facts.json), GKE clusters and
their nodes, Cloud NAT, and the private DNS zones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from offline.flows.facts import default_source, facts
from offline.flows.plan import Plan, get, items, last_segment
from offline.flows.ranges import ANYWHERE, Net, net, nets, text, uncovered
from offline.flows.verdict import Verdict
from offline.planned import PlannedResource

NETWORK = "gcp:compute/network:Network"
SUBNETWORK = "gcp:compute/subnetwork:Subnetwork"
FIREWALL = "gcp:compute/firewall:Firewall"
ROUTE = "gcp:compute/route:Route"
ROUTER_NAT = "gcp:compute/routerNat:RouterNat"
ROUTER = "gcp:compute/router:Router"
GKE_CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
PEERING_ROUTES = "gcp:compute/networkPeeringRoutesConfig:NetworkPeeringRoutesConfig"
MANAGED_ZONE = "gcp:dns/managedZone:ManagedZone"

IMPLIED_PRIORITY = 65535


@dataclass(frozen=True)
class Target:
    """Instances a firewall rule can apply to: by network tag or service account."""

    label: str
    tags: frozenset[str]
    service_accounts: frozenset[str] = frozenset()
    cluster: str | None = None
    """The GKE cluster the instances are the nodes of; GKE's own rules target them so."""


@dataclass(frozen=True)
class FirewallRule:
    origin: str
    network: str
    direction: str
    priority: int
    deny: bool
    protocols: tuple[tuple[str, tuple[tuple[int, int], ...]], ...]
    """(protocol, port ranges); no ranges is every port."""
    sources: tuple[Net, ...] = ()
    destinations: tuple[Net, ...] = ()
    target_tags: frozenset[str] = frozenset()
    target_accounts: frozenset[str] = frozenset()
    target_cluster: str | None = None

    def applies_to(self, target: Target) -> bool:
        if self.target_cluster is not None:
            return self.target_cluster == target.cluster
        if not self.target_tags and not self.target_accounts:
            return True
        return bool(self.target_tags & target.tags or self.target_accounts & target.service_accounts)

    def matches(self, protocol: str, port: int | None) -> bool:
        for name, ranges in self.protocols:
            if name == "all" or (name == protocol and (port is None or not ranges)):
                return True
            if name == protocol and port is not None and any(low <= port <= high for low, high in ranges):
                return True
        return False


@dataclass
class Network:
    name: str
    label: str
    global_routing: bool
    default_internet_route: bool
    subnets: list[Subnetwork] = field(default_factory=list)


@dataclass(frozen=True)
class Subnetwork:
    name: str
    network: str
    region: str
    primary: Net
    secondary: tuple[tuple[str, Net], ...]
    private_google_access: bool

    def secondary_range(self, name: str | None) -> Net | None:
        return next((cidr for range_name, cidr in self.secondary if range_name == name), None)


@dataclass
class GkeCluster:
    key: str
    name: str
    label: str
    network: str
    subnetwork: Subnetwork | None
    region: str
    master: Net | None
    pods: Net | None
    services: Net | None
    nodes: Target
    authorized: list[Net] | None
    """None: no authorized networks config, so any address that reaches an endpoint is admitted."""
    public_cidrs_access: bool
    global_access: bool
    dns_endpoint_external: bool
    private_endpoint_only: bool
    exports_custom_routes: bool

    @property
    def node_ranges(self) -> list[Net]:
        return [r for r in (self.subnetwork.primary if self.subnetwork else None, self.pods) if r is not None]


class GcpNetwork:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.networks = {n.inputs.get("name") or n.name: self._network(n) for n in plan.of_type(NETWORK)}
        self.subnets = [self._subnet(s) for s in plan.of_type(SUBNETWORK)]
        for subnet in self.subnets:
            if subnet.network in self.networks:
                self.networks[subnet.network].subnets.append(subnet)
        for route in plan.of_type(ROUTE):
            network = last_segment(str(route.inputs.get("network", "")))
            default = route.inputs.get("destRange") == "0.0.0.0/0" and route.inputs.get("nextHopGateway")
            if network in self.networks and default:
                self.networks[network].default_internet_route = True
        self.rules = [self._rule(rule) for rule in plan.of_type(FIREWALL)]
        self.clusters = [self._cluster(cluster) for cluster in plan.of_type(GKE_CLUSTER)]
        for cluster in self.clusters:
            self._add_control_plane_rule(cluster)

    # --- reading the plan ----------------------------------------------------------------------------

    def _network(self, resource: PlannedResource) -> Network:
        name = str(resource.inputs.get("name") or resource.name)
        return Network(
            name,
            f"network {name}",
            global_routing=str(resource.inputs.get("routingMode", "REGIONAL")) == "GLOBAL",
            default_internet_route=resource.inputs.get("deleteDefaultRoutesOnCreate") is not True,
        )

    def _subnet(self, resource: PlannedResource) -> Subnetwork:
        inputs = resource.inputs
        secondary = tuple(
            (str(get(r, "rangeName")), found)
            for r in items(inputs.get("secondaryIpRanges"))
            if (found := net(get(r, "ipCidrRange"))) is not None
        )
        return Subnetwork(
            str(inputs.get("name") or resource.name),
            last_segment(str(inputs.get("network", ""))),
            str(inputs.get("region", "")),
            net(inputs.get("ipCidrRange")) or ANYWHERE,
            secondary,
            inputs.get("privateIpGoogleAccess") is True,
        )

    def _rule(self, resource: PlannedResource) -> FirewallRule:
        inputs = resource.inputs
        deny = bool(items(inputs.get("denies")))
        entries = items(inputs.get("denies")) if deny else items(inputs.get("allows"))
        protocols = tuple(
            (str(get(entry, "protocol", "")).lower(), tuple(_port_ranges(items(get(entry, "ports")))))
            for entry in entries
        )
        disabled = inputs.get("disabled") is True
        return FirewallRule(
            f"firewall rule {inputs.get('name') or resource.name}",
            last_segment(str(inputs.get("network", ""))),
            "DISABLED" if disabled else str(inputs.get("direction", "INGRESS")),
            int(inputs.get("priority", 1000)),
            deny,
            protocols,
            tuple(nets(items(inputs.get("sourceRanges")))),
            tuple(nets(items(inputs.get("destinationRanges")))),
            frozenset(str(tag) for tag in items(inputs.get("targetTags"))),
            frozenset(str(account) for account in items(inputs.get("targetServiceAccounts"))),
        )

    def _cluster(self, resource: PlannedResource) -> GkeCluster:
        inputs = resource.inputs
        name = str(inputs.get("name") or resource.name)
        subnet_name = last_segment(str(inputs.get("subnetwork", "")))
        subnet = next((s for s in self.subnets if s.name == subnet_name), None)
        policy = get(inputs, "ipAllocationPolicy", {})
        pods = net(get(policy, "clusterIpv4CidrBlock")) or (
            subnet.secondary_range(get(policy, "clusterSecondaryRangeName")) if subnet else None
        )
        services = net(get(policy, "servicesIpv4CidrBlock")) or (
            subnet.secondary_range(get(policy, "servicesSecondaryRangeName")) if subnet else None
        )
        tags: set[str] = set()
        accounts: set[str] = set()
        for pool in self.plan.of_type(NODE_POOL):
            if last_segment(str(pool.inputs.get("cluster", ""))) == name:
                tags.update(str(tag) for tag in items(get(pool.inputs, "nodeConfig.tags")))
                if get(pool.inputs, "nodeConfig.serviceAccount"):
                    accounts.add(str(get(pool.inputs, "nodeConfig.serviceAccount")))
        network = last_segment(str(inputs.get("network", "")))
        authorized_config = inputs.get("masterAuthorizedNetworksConfig")
        private = get(inputs, "privateClusterConfig", {})
        exports = any(
            last_segment(str(p.inputs.get("network", ""))) == network
            and p.inputs.get("exportCustomRoutes") is True
            for p in self.plan.of_type(PEERING_ROUTES)
            if resource.urn in p.dependencies
        )
        return GkeCluster(
            resource.urn,
            name,
            f"GKE cluster {name}",
            network,
            subnet,
            str(inputs.get("location", subnet.region if subnet else "")),
            net(get(private, "masterIpv4CidrBlock")),
            pods,
            services,
            Target(f"the GKE nodes of {name}", frozenset(tags), frozenset(accounts), cluster=resource.urn),
            None
            if authorized_config is None
            else nets(get(block, "cidrBlock") for block in items(get(authorized_config, "cidrBlocks"))),
            get(authorized_config, "gcpPublicCidrsAccessEnabled") is True,
            get(private, "masterGlobalAccessConfig.enabled") is True,
            get(inputs, "controlPlaneEndpointsConfig.dnsEndpointConfig.allowExternalTraffic") is True,
            get(private, "enablePrivateEndpoint") is True,
            exports,
        )

    def _add_control_plane_rule(self, cluster: GkeCluster) -> None:
        """The rule GKE creates for a private cluster: its control plane to its nodes on 443 and 10250."""
        if cluster.master is None:
            return
        fact = facts()["gke_control_plane_to_nodes"]
        self.rules.append(
            FirewallRule(
                f"GKE's own rule for {cluster.name} (control plane to nodes)",
                cluster.network,
                "INGRESS",
                int(fact["priority"]),
                False,
                (("tcp", tuple((port, port) for port in fact["ports"])),),
                sources=(cluster.master,),
                target_cluster=cluster.key,
            )
        )

    def add_load_balancer_rule(
        self, cluster: GkeCluster, service: str, ports: Sequence[int], sources: list[Net] | None
    ) -> None:
        """The rule GKE writes for an internal passthrough load balancer Service."""
        fact = facts()["gke_internal_load_balancer"]
        self.rules.append(
            FirewallRule(
                f"GKE's rule for {service} (loadBalancerSourceRanges)",
                cluster.network,
                "INGRESS",
                int(fact["priority"]),
                False,
                (("tcp", tuple((port, port) for port in ports)),),
                sources=tuple(sources or [default_source("gke_internal_load_balancer")]),
                target_cluster=cluster.key,
            )
        )

    # --- what the network does -----------------------------------------------------------------------

    def firewall(
        self, network: str, direction: str, target: Target, peer: Net, protocol: str, port: int | None
    ) -> Verdict:
        """The verdict of the network's rules on traffic between `target` and `peer` (the source of an
        ingress, the destination of an egress): by priority, a deny first at equal priority, then the
        implied rules (deny ingress, allow egress)."""
        rules = sorted(
            (
                rule
                for rule in self.rules
                if rule.network == network
                and rule.direction == direction
                and rule.applies_to(target)
                and rule.matches(protocol, port)
            ),
            key=lambda rule: (rule.priority, not rule.deny),
        )
        remaining = [peer]
        opened: list[str] = []
        for rule in rules:
            ranges = rule.sources if direction == "INGRESS" else (rule.destinations or (ANYWHERE,))
            hit = [piece for piece in remaining if any(piece.overlaps(cidr) for cidr in ranges)]
            if not hit:
                continue
            if rule.deny:
                return Verdict(
                    False,
                    f"{rule.origin} (priority {rule.priority}) denies {protocol}/{port} for {text(hit)}",
                )
            opened.append(f"{rule.origin} (priority {rule.priority})")
            remaining = [left for piece in remaining for left in uncovered(piece, ranges)]
            if not remaining:
                return Verdict(True, "; ".join(opened))
        if direction == "EGRESS":
            return Verdict(
                True, "; ".join([*opened, f"the implied egress rule (priority {IMPLIED_PRIORITY})"])
            )
        return Verdict(
            False,
            f"no rule admits {protocol}/{port} from {text(remaining)} to {target.label}: the implied deny",
        )

    def network_ranges(self, network: str) -> list[Net]:
        found = self.networks.get(network)
        if found is None:
            return []
        return [r for s in found.subnets for r in (s.primary, *(cidr for _, cidr in s.secondary))]

    def nat_covers(self, subnet: Subnetwork, source: Net) -> bool:
        """Whether a Cloud NAT gateway translates `source` (a range of the subnet) to the internet."""
        for nat in self.plan.of_type(ROUTER_NAT):
            mode = nat.inputs.get("sourceSubnetworkIpRangesToNat", "")
            if mode == "ALL_SUBNETWORKS_ALL_IP_RANGES" or (
                mode == "ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES" and source == subnet.primary
            ):
                return True
            for entry in items(nat.inputs.get("subnetworks")):
                if last_segment(str(get(entry, "name", ""))) != subnet.name:
                    continue
                nat_ranges = [str(r) for r in items(get(entry, "sourceIpRangesToNats"))]
                if "ALL_IP_RANGES" in nat_ranges:
                    return True
                if "PRIMARY_IP_RANGE" in nat_ranges and source == subnet.primary:
                    return True
                names = [str(n) for n in items(get(entry, "secondaryIpRangeNames"))]
                if any(subnet.secondary_range(n) == source for n in names):
                    return True
        return False

    def private_zones(self) -> list[PlannedResource]:
        return [
            z
            for z in self.plan.of_type(MANAGED_ZONE)
            if str(z.inputs.get("visibility", "public")) == "private"
        ]


def _port_ranges(ports: list[object]) -> list[tuple[int, int]]:
    found = []
    for port in ports:
        low, _, high = str(port).partition("-")
        if low.isdigit() and (high or low).isdigit():
            found.append((int(low), int(high or low)))
    return found
