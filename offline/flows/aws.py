"""The AWS side of the plan as a network: the VPC's subnets and route tables, security groups with their
rules (the EKS cluster security group and the rules the AWS cloud provider writes for load balancers
included, from offline/data/network_facts.json), and where the flows start and end: the EKS control
plane's and nodes' network interfaces, the Route 53 Resolver endpoint."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from offline.flows.facts import default_source
from offline.flows.plan import Plan, get, items
from offline.flows.ranges import ANYWHERE, Net, covered, net, nets, text, uncovered
from offline.flows.verdict import Verdict
from offline.planned import PlannedResource

VPC = "aws:ec2/vpc:Vpc"
VPC_CIDR = "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
RESOLVER_ENDPOINT = "aws:route53/resolverEndpoint:ResolverEndpoint"
TRANSIT_GATEWAY = "aws:ec2transitgateway/transitGateway:TransitGateway"

_PROTOCOLS = {"-1": "all", "all": "all", "6": "tcp", "tcp": "tcp", "17": "udp", "udp": "udp", "1": "icmp"}
_ROUTE_TARGETS = (
    ("transitGatewayId", "tgw"),
    ("natGatewayId", "nat"),
    ("gatewayId", "igw"),
    ("vpcEndpointId", "endpoint"),
    ("vpcPeeringConnectionId", "peering"),
    ("networkInterfaceId", "interface"),
)


@dataclass(frozen=True)
class NodePort:
    """The node port a Kubernetes Service gives one of its ports: known only once the Service exists."""

    service: str
    port: int

    def __str__(self) -> str:
        return f"the node port of {self.service}:{self.port}"


Port = int | NodePort


@dataclass(frozen=True)
class SgRule:
    origin: str
    protocol: str
    low: int | None = None
    high: int | None = None
    cidrs: tuple[Net, ...] = ()
    groups: tuple[str, ...] = ()
    node_port: NodePort | None = None

    def matches(self, protocol: str, port: Port | None) -> bool:
        if self.protocol == "all":
            return True
        if self.protocol != protocol:
            return False
        if port is None or (self.low is None and self.node_port is None):
            return True
        if isinstance(port, NodePort):
            # The cloud provider's own rule, or a rule that opens the whole node port range.
            return self.node_port == port or (
                self.low is not None and self.low <= 30000 and (self.high or 0) >= 32767
            )
        return self.low is not None and self.high is not None and self.low <= port <= self.high


@dataclass
class SecurityGroup:
    key: str
    label: str
    ingress: list[SgRule] = field(default_factory=list)
    egress: list[SgRule] = field(default_factory=list)


@dataclass(frozen=True)
class Route:
    destination: Net
    target: str
    """local, tgw, nat, igw, endpoint, peering, interface or blackhole."""
    target_key: str | None
    origin: str


@dataclass
class RouteTable:
    key: str
    label: str
    routes: list[Route] = field(default_factory=list)


@dataclass(frozen=True)
class Subnet:
    key: str
    label: str
    cidr: Net
    zone: str
    vpc: str
    tags: tuple[tuple[str, str], ...] = ()

    def tagged(self, key: str) -> bool:
        return any(tag == key for tag, _ in self.tags)


@dataclass
class Vpc:
    key: str
    label: str
    cidrs: list[Net]


@dataclass(frozen=True)
class Interfaces:
    """Network interfaces a flow leaves from or arrives at: in these subnets, in these groups."""

    label: str
    subnets: tuple[Subnet, ...]
    groups: tuple[SecurityGroup, ...]

    @property
    def ranges(self) -> list[Net]:
        return [subnet.cidr for subnet in self.subnets]


@dataclass
class EksCluster:
    key: str
    label: str
    cluster_group: SecurityGroup
    control_plane: Interfaces
    nodes: Interfaces
    private_endpoint: bool
    public_endpoint: bool
    public_cidrs: list[Net]


class AwsNetwork:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.vpcs = {vpc.urn: self._vpc(vpc) for vpc in plan.of_type(VPC)}
        for association in plan.of_type(VPC_CIDR):
            vpc = plan.referenced(association, association.inputs.get("vpcId"), VPC)
            block = net(association.inputs.get("cidrBlock"))
            if vpc is not None and block is not None and vpc.urn in self.vpcs:
                self.vpcs[vpc.urn].cidrs.append(block)
        self.subnets = {subnet.urn: self._subnet(subnet) for subnet in plan.of_type(SUBNET)}
        self.nat_subnets = {
            nat.urn: plan.referenced(nat, nat.inputs.get("subnetId"), SUBNET)
            for nat in plan.of_type(NAT_GATEWAY)
        }
        self.tables = {table.urn: self._table(table) for table in plan.of_type(ROUTE_TABLE)}
        self._table_of: dict[str, str] = {}
        for association in plan.of_type(ROUTE_TABLE_ASSOCIATION):
            subnet = plan.referenced(association, association.inputs.get("subnetId"), SUBNET)
            table = plan.referenced(association, association.inputs.get("routeTableId"), ROUTE_TABLE)
            if subnet is not None and table is not None:
                self._table_of[subnet.urn] = table.urn
        self.groups = {group.urn: self._group(group) for group in plan.of_type(SECURITY_GROUP)}
        self._add_rules()
        self.eks = {cluster.urn: self._eks(cluster) for cluster in plan.of_type(EKS_CLUSTER)}

    # --- reading the plan ----------------------------------------------------------------------------

    def _vpc(self, resource: PlannedResource) -> Vpc:
        return Vpc(resource.urn, f"VPC {resource.name}", nets([resource.inputs.get("cidrBlock")]))

    def _subnet(self, resource: PlannedResource) -> Subnet:
        vpc = self.plan.referenced(resource, resource.inputs.get("vpcId"), VPC)
        cidr = net(resource.inputs.get("cidrBlock")) or ANYWHERE
        tags = tuple(sorted((str(k), str(v)) for k, v in dict(resource.inputs.get("tags") or {}).items()))
        zone = str(resource.inputs.get("availabilityZone") or resource.inputs.get("availabilityZoneId") or "")
        return Subnet(resource.urn, f"subnet {resource.name}", cidr, zone, vpc.urn if vpc else "", tags)

    def _table(self, resource: PlannedResource) -> RouteTable:
        table = RouteTable(resource.urn, f"route table {resource.name}")
        vpc = self.plan.referenced(resource, resource.inputs.get("vpcId"), VPC)
        for cidr in self.vpcs[vpc.urn].cidrs if vpc is not None and vpc.urn in self.vpcs else []:
            table.routes.append(Route(cidr, "local", None, "the VPC's local route"))
        for inline in items(resource.inputs.get("routes")):
            self._add_route(table, inline, resource, f"{resource.name} (inline)")
        for route in self.plan.of_type(ROUTE):
            owner = self.plan.referenced(route, route.inputs.get("routeTableId"), ROUTE_TABLE)
            if owner is not None and owner.urn == resource.urn:
                self._add_route(table, route.inputs, route, f"route {route.name}")
        return table

    def _add_route(self, table: RouteTable, inputs: object, owner: PlannedResource, origin: str) -> None:
        destination = net(get(inputs, "destinationCidrBlock") or get(inputs, "cidrBlock"))
        if destination is None:
            return
        for key, kind in _ROUTE_TARGETS:
            value = get(inputs, key)
            if value:
                types = {"tgw": (TRANSIT_GATEWAY,), "nat": (NAT_GATEWAY,), "igw": (INTERNET_GATEWAY,)}.get(
                    kind, ()
                )
                target = self.plan.referenced(owner, value, *types) if types else None
                table.routes.append(Route(destination, kind, target.urn if target else str(value), origin))
                return
        table.routes.append(Route(destination, "blackhole", None, origin))

    def _group(self, resource: PlannedResource) -> SecurityGroup:
        name = resource.inputs.get("name") or resource.name
        group = SecurityGroup(resource.urn, f"security group {name}")
        for direction in ("ingress", "egress"):
            for inline in items(resource.inputs.get(direction)):
                referenced = [
                    found.urn
                    for found in self.plan.referenced_all(
                        resource, items(get(inline, "securityGroups")), SECURITY_GROUP
                    )
                ]
                if get(inline, "self"):
                    referenced.append(resource.urn)
                getattr(group, direction).append(
                    _rule(
                        f"{name} (inline)",
                        get(inline, "protocol"),
                        get(inline, "fromPort"),
                        get(inline, "toPort"),
                        nets(items(get(inline, "cidrBlocks"))),
                        referenced,
                    )
                )
        return group

    def _add_rules(self) -> None:
        plan = self.plan
        for kind, direction in ((SG_INGRESS, "ingress"), (SG_EGRESS, "egress")):
            for resource in plan.of_type(kind):
                inputs = resource.inputs
                owner = plan.find(inputs.get("securityGroupId"), SECURITY_GROUP)
                if owner is None:
                    candidates = plan.dependencies(resource, SECURITY_GROUP)
                    owner = candidates[0] if len(candidates) == 1 else None
                if owner is None or owner.urn not in self.groups:
                    continue
                other = plan.find(inputs.get("referencedSecurityGroupId"), SECURITY_GROUP)
                getattr(self.groups[owner.urn], direction).append(
                    _rule(
                        f"rule {resource.name}",
                        inputs.get("ipProtocol"),
                        inputs.get("fromPort"),
                        inputs.get("toPort"),
                        nets([inputs.get("cidrIpv4")]),
                        [other.urn] if other is not None else [],
                    )
                )
        for resource in plan.of_type(SG_RULE):
            inputs = resource.inputs
            owner = plan.referenced(resource, inputs.get("securityGroupId"), SECURITY_GROUP)
            if owner is None or owner.urn not in self.groups:
                continue
            other = plan.find(inputs.get("sourceSecurityGroupId"), SECURITY_GROUP)
            referenced = [other.urn] if other is not None else []
            if inputs.get("self"):
                referenced.append(owner.urn)
            direction = "egress" if inputs.get("type") == "egress" else "ingress"
            getattr(self.groups[owner.urn], direction).append(
                _rule(
                    f"rule {resource.name}",
                    inputs.get("protocol"),
                    inputs.get("fromPort"),
                    inputs.get("toPort"),
                    nets(items(inputs.get("cidrBlocks"))),
                    referenced,
                )
            )

    def _eks(self, resource: PlannedResource) -> EksCluster:
        """The cluster security group EKS creates (not in any plan), the control plane's interfaces in it
        and in vpcConfig's groups, and the nodes' interfaces in their launch template's groups."""
        plan = self.plan
        name = resource.inputs.get("name") or resource.name
        cluster_group = SecurityGroup(
            f"eks-cluster-sg:{resource.urn}",
            f"EKS cluster security group of {name}",
            ingress=[
                SgRule(
                    "EKS's default rule: all from the group itself",
                    "all",
                    groups=(f"eks-cluster-sg:{resource.urn}",),
                )
            ],
            egress=[
                SgRule("EKS's default rule: all to 0.0.0.0/0", "all", cidrs=(ANYWHERE,)),
                SgRule(
                    "EKS's default rule: all to the group itself",
                    "all",
                    groups=(f"eks-cluster-sg:{resource.urn}",),
                ),
            ],
        )
        vpc_config = get(resource.inputs, "vpcConfig", {})
        subnets = self.subnets_of(resource, items(get(vpc_config, "subnetIds")))
        groups = [
            self.groups[g.urn]
            for g in plan.referenced_all(resource, items(get(vpc_config, "securityGroupIds")), SECURITY_GROUP)
        ]
        control_plane = Interfaces(
            f"the EKS control plane of {name}", tuple(subnets), (cluster_group, *groups)
        )
        node_subnets: list[Subnet] = []
        node_groups: list[SecurityGroup] = []
        for node_group in plan.of_type(NODE_GROUP):
            if plan.referenced(node_group, node_group.inputs.get("clusterName"), EKS_CLUSTER) is not resource:
                continue
            node_subnets += self.subnets_of(node_group, items(node_group.inputs.get("subnetIds")))
            template = plan.referenced(
                node_group, get(node_group.inputs, "launchTemplate.id"), LAUNCH_TEMPLATE
            )
            node_groups += self._template_groups(template, resource, cluster_group)
        nodes = Interfaces(
            f"the EKS nodes of {name}",
            tuple(dict.fromkeys(node_subnets)),
            tuple({g.key: g for g in node_groups}.values()),
        )
        return EksCluster(
            resource.urn,
            f"EKS cluster {name}",
            cluster_group,
            control_plane,
            nodes,
            private_endpoint=get(vpc_config, "endpointPrivateAccess") is True,
            public_endpoint=get(vpc_config, "endpointPublicAccess", True) is not False,
            public_cidrs=nets(items(get(vpc_config, "publicAccessCidrs"))) or [ANYWHERE],
        )

    def _template_groups(
        self, template: PlannedResource | None, cluster: PlannedResource, cluster_group: SecurityGroup
    ) -> list[SecurityGroup]:
        """A launch template's groups; a value that is no planned group's ID is the cluster security group,
        when the template takes it from the cluster. Without groups in the template EKS adds its own."""
        if template is None or not items(template.inputs.get("vpcSecurityGroupIds")):
            return [cluster_group]
        values = items(template.inputs.get("vpcSecurityGroupIds"))
        found = self.plan.referenced_all(template, values, SECURITY_GROUP)
        groups = [self.groups[group.urn] for group in found]
        if len(found) < len(values) and cluster.urn in template.dependencies:
            groups.insert(0, cluster_group)
        return groups

    def subnets_of(self, owner: PlannedResource, values: Iterable[object]) -> list[Subnet]:
        found = self.plan.referenced_all(owner, values, SUBNET)
        return [self.subnets[subnet.urn] for subnet in found if subnet.urn in self.subnets]

    # --- what the network does -----------------------------------------------------------------------

    def vpc_of(self, subnet: Subnet) -> Vpc | None:
        return self.vpcs.get(subnet.vpc)

    def table_of(self, subnet: Subnet) -> RouteTable:
        """The subnet's route table; without an association, the VPC's main table (its local route)."""
        key = self._table_of.get(subnet.key)
        if key is not None and key in self.tables:
            return self.tables[key]
        vpc = self.vpcs.get(subnet.vpc)
        main = RouteTable(f"main:{subnet.vpc}", f"the main route table of {vpc.label if vpc else 'the VPC'}")
        main.routes = [
            Route(cidr, "local", None, "the VPC's local route") for cidr in (vpc.cidrs if vpc else [])
        ]
        return main

    def resolver_endpoints(self) -> list[tuple[PlannedResource, Interfaces]]:
        found = []
        for endpoint in self.plan.of_type(RESOLVER_ENDPOINT):
            if str(endpoint.inputs.get("direction", "")).upper() != "INBOUND":
                continue
            subnets = self.subnets_of(
                endpoint, [get(address, "subnetId") for address in items(endpoint.inputs.get("ipAddresses"))]
            )
            groups = [
                self.groups[g.urn]
                for g in self.plan.referenced_all(
                    endpoint, items(endpoint.inputs.get("securityGroupIds")), SECURITY_GROUP
                )
            ]
            found.append(
                (
                    endpoint,
                    Interfaces(
                        f"the Route 53 Resolver endpoint {endpoint.name}", tuple(subnets), tuple(groups)
                    ),
                )
            )
        return found

    def internal_load_balancer_subnets(self, vpc_key: str) -> list[Subnet]:
        """Where the AWS cloud provider puts an internal load balancer: the VPC's subnets tagged for it."""
        return [
            s
            for s in self.subnets.values()
            if s.vpc == vpc_key and s.tagged("kubernetes.io/role/internal-elb")
        ]

    def open_node_ports(
        self, cluster: EksCluster, service: str, ports: Sequence[int], sources: list[Net] | None
    ) -> None:
        """The rules the AWS cloud provider adds to the nodes' cluster-tagged group for an NLB Service."""
        ranges = sources or [default_source("aws_nlb_from_the_cloud_provider")]
        for port in ports:
            cluster.cluster_group.ingress.append(
                SgRule(
                    f"the AWS cloud provider's rule for {service} (loadBalancerSourceRanges)",
                    "tcp",
                    cidrs=tuple(ranges),
                    node_port=NodePort(service, port),
                )
            )


def _rule(
    origin: str, protocol: object, low: object, high: object, cidrs: list[Net], groups: list[str]
) -> SgRule:
    name = _PROTOCOLS.get(str(protocol).lower(), str(protocol).lower())
    first, last = _int(low), _int(high)
    if (
        name == "all"
        or (first == -1 and last == -1)
        or (name in ("tcp", "udp") and first == 0 and last == 65535)
    ):
        first = last = None
    return SgRule(origin, name, first, last, tuple(cidrs), tuple(groups))


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def admits(
    groups: Sequence[SecurityGroup],
    direction: str,
    peer: Net,
    peer_groups: Sequence[SecurityGroup],
    protocol: str,
    port: Port | None,
) -> Verdict:
    """Whether the union of the groups' rules in `direction` admits the peer's whole range (or its group)."""
    peer_keys = {group.key for group in peer_groups}
    opened_by: list[str] = []
    cidrs: list[Net] = []
    for group in groups:
        for rule in getattr(group, direction):
            if not rule.matches(protocol, port):
                continue
            if peer_keys & set(rule.groups):
                return Verdict(
                    True, f"{group.label}: {rule.origin} admits {_what(protocol, port)} from the group"
                )
            if any(cidr.overlaps(peer) for cidr in rule.cidrs):
                opened_by.append(f"{group.label}: {rule.origin}")
                cidrs += rule.cidrs
    labels = ", ".join(group.label for group in groups) or "no security group"
    if covered(peer, cidrs):
        return Verdict(True, "; ".join(dict.fromkeys(opened_by)))
    side = "from" if direction == "ingress" else "to"
    missing = uncovered(peer, cidrs)
    return Verdict(
        False, f"{labels}: no {direction} rule admits {_what(protocol, port)} {side} {text(missing)}"
    )


def _what(protocol: str, port: Port | None) -> str:
    if port is None:
        return protocol
    return f"{protocol}/{port}" if isinstance(port, int) else f"{protocol} on {port}"


def route(table: RouteTable, destination: Net) -> list[tuple[Net, Route | None]]:
    """Longest prefix match for every part of `destination`: more specific routes split it."""
    inside = [
        r for r in table.routes if r.destination != destination and r.destination.subnet_of(destination)
    ]
    if not inside or destination.prefixlen >= 32:
        covering = [r for r in table.routes if destination.subnet_of(r.destination)]
        best = max(covering, key=lambda r: r.destination.prefixlen, default=None)
        return [(destination, best)]
    first, second = destination.subnets(prefixlen_diff=1)
    return [*route(table, first), *route(table, second)]


def routed_to(table: RouteTable, destination: Net, target: str, target_key: str | None = None) -> Verdict:
    """Whether every part of `destination` leaves the table's subnets through `target`."""
    wrong = []
    used = []
    for piece, found in route(table, destination):
        if found is None:
            wrong.append(f"no route to {piece}")
        elif found.target != target or (target_key is not None and found.target_key != target_key):
            wrong.append(f"{piece} goes to {found.target} ({found.origin})")
        else:
            used.append(found.origin)
    if wrong:
        return Verdict(False, f"{table.label}: {'; '.join(dict.fromkeys(wrong))}")
    return Verdict(True, f"{table.label}: {', '.join(dict.fromkeys(used))}")


def default_route(table: RouteTable) -> Route | None:
    """The route public addresses take when nothing more specific claims them (AWS service endpoints)."""
    return next((r for r in table.routes if r.destination.prefixlen == 0), None)


def routed_to_internet(table: RouteTable, target: str) -> Verdict:
    found = default_route(table)
    if found is None:
        return Verdict(False, f"{table.label}: no default route")
    if found.target != target:
        return Verdict(False, f"{table.label}: the default route goes to {found.target} ({found.origin})")
    return Verdict(True, f"{table.label}: {found.origin}")
