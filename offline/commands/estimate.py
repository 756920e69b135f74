"""How long a first `pulumi up` of a plan will take: the critical path through its dependency graph.

Pulumi creates a resource as soon as everything it depends on exists, so the wall time of a first
deploy is the longest chain of dependencies, each link weighted by how long the cloud takes to create
that resource. The weights are typical creation times, not guarantees; the table says where a figure
comes from. Components take no time of their own: a dependency on a component is a dependency on
everything inside it. Providers are created instantly but wait for their own inputs (a Kubernetes
provider waits for its cluster).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from graphlib import TopologicalSorter

from offline.record import Plan, Registration

EKS_API = "https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html"
EKS_ROADMAP = "https://github.com/aws/containers-roadmap/issues/1227"
ESTIMATE = "crossmesh estimate from observed deploys"


@dataclass(frozen=True)
class CreationTime:
    seconds: int
    source: str


# Typical creation times by type token. Types not listed take DEFAULT_SECONDS (an API call and the
# engine's bookkeeping).
CREATION_TIMES: Mapping[str, CreationTime] = {
    # "In most cases, it takes several minutes to create a cluster"; AWS tracked ~15 min averages in
    # 2021 and has cut them since.
    "aws:eks/cluster:Cluster": CreationTime(600, f"{EKS_API}; {EKS_ROADMAP}"),
    "aws:eks/nodeGroup:NodeGroup": CreationTime(240, ESTIMATE),
    "aws:eks/addon:Addon": CreationTime(90, ESTIMATE),
    "aws:ec2/natGateway:NatGateway": CreationTime(120, ESTIMATE),
    "aws:ec2transitgateway/transitGateway:TransitGateway": CreationTime(150, ESTIMATE),
    "aws:ec2transitgateway/vpcAttachment:VpcAttachment": CreationTime(90, ESTIMATE),
    "aws:ec2/vpnConnection:VpnConnection": CreationTime(300, ESTIMATE),
    "aws:directconnect/gateway:Gateway": CreationTime(60, ESTIMATE),
    "aws:directconnect/gatewayAssociation:GatewayAssociation": CreationTime(600, ESTIMATE),
    "aws:kms/key:Key": CreationTime(10, ESTIMATE),
    "aws:iam/role:Role": CreationTime(5, ESTIMATE),
    "gcp:container/cluster:Cluster": CreationTime(600, ESTIMATE),
    "gcp:container/nodePool:NodePool": CreationTime(300, ESTIMATE),
    "gcp:compute/network:Network": CreationTime(30, ESTIMATE),
    "gcp:compute/subnetwork:Subnetwork": CreationTime(30, ESTIMATE),
    "gcp:compute/haVpnGateway:HaVpnGateway": CreationTime(30, ESTIMATE),
    "gcp:compute/vPNTunnel:VPNTunnel": CreationTime(30, ESTIMATE),
    "gcp:compute/router:Router": CreationTime(20, ESTIMATE),
    "gcp:compute/routerInterface:RouterInterface": CreationTime(15, ESTIMATE),
    "gcp:compute/routerPeer:RouterPeer": CreationTime(20, ESTIMATE),
    "gcp:compute/routerNat:RouterNat": CreationTime(20, ESTIMATE),
    "gcp:networkconnectivity/transport:Transport": CreationTime(600, ESTIMATE),
    "gcp:projects/iAMMember:IAMMember": CreationTime(10, ESTIMATE),
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": CreationTime(10, ESTIMATE),
    # Cloud Map creates the namespace's Route 53 private hosted zone as an asynchronous operation.
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": CreationTime(90, ESTIMATE),
    # A Helm release waits for its workloads to become ready (istiod, gateways, collectors).
    "kubernetes:helm.sh/v3:Release": CreationTime(120, ESTIMATE),
}
DEFAULT_SECONDS = 5

# Orderings that carry no data but that the clouds require: (dependent type, dependency type) -> why.
# An explicit depends_on outside this table is a choice of the program, not a constraint of the cloud.
REQUIRED_ORDERINGS: Mapping[tuple[str, str], str] = {
    (
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/internetGateway:InternetGateway",
    ): "a public NAT gateway needs the VPC's internet gateway attached",
    (
        "aws:ec2/route:Route",
        "aws:ec2transitgateway/vpcAttachment:VpcAttachment",
    ): "AWS refuses a route to a transit gateway the VPC is not attached to",
    (
        "aws:eks/cluster:Cluster",
        "aws:cloudwatch/logGroup:LogGroup",
    ): "EKS creates an unencrypted, unretained log group unless ours exists first",
    ("aws:eks/cluster:Cluster", "aws:iam/rolePolicy:RolePolicy"): "the cluster role needs its permissions",
    (
        "aws:eks/cluster:Cluster",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    ): "the cluster role needs its permissions",
    (
        "aws:eks/nodeGroup:NodeGroup",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    ): "nodes cannot join without their role's policies",
    (
        "aws:eks/nodeGroup:NodeGroup",
        "aws:eks/addon:Addon",
    ): "nodes need the CNI and kube-proxy to become Ready",
    ("aws:eks/addon:Addon", "aws:eks/nodeGroup:NodeGroup"): "CoreDNS and the CSI driver schedule on nodes",
    (
        "gcp:container/cluster:Cluster",
        "gcp:projects/iAMMember:IAMMember",
    ): "the node service account needs its roles before nodes boot",
    (
        "gcp:container/cluster:Cluster",
        "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
    ): "GKE's service agent must be able to use the secrets key at creation",
    (
        "kubernetes:core/v1:Secret",
        "kubernetes:core/v1:ServiceAccount",
    ): "a service-account token secret needs its account",
    ("pulumi:providers:kubernetes", "aws:eks/nodeGroup:NodeGroup"): "workloads need nodes to run on",
    ("pulumi:providers:kubernetes", "aws:eks/addon:Addon"): "workloads need cluster DNS and storage",
    ("pulumi:providers:kubernetes", "gcp:container/nodePool:NodePool"): "workloads need nodes to run on",
    ("kubernetes:helm.sh/v3:Release", "kubernetes:core/v1:Namespace"): "the release installs into it",
    ("kubernetes:helm.sh/v3:Release", "kubernetes:core/v1:Secret"): "istiod reads cacerts only at start",
    (
        "kubernetes:helm.sh/v3:Release",
        "kubernetes:helm.sh/v3:Release",
    ): "istiod needs base's CRDs; gateways need istiod's injector",
    (
        "kubernetes:apps/v1:Deployment",
        "kubernetes:appmesh.k8s.aws/v1beta2:VirtualGateway",
    ): "App Mesh's webhook configures a gateway pod only if its VirtualGateway exists",
}
# Every App Mesh object but the Mesh: the webhook refuses an object whose namespace no Mesh selects,
# and the controller looks the Cloud Map namespace up by name.
APPMESH_PREFIX = "kubernetes:appmesh.k8s.aws/"
APPMESH_PREREQUISITES = frozenset(
    {
        "kubernetes:appmesh.k8s.aws/v1beta2:Mesh",
        "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace",
    }
)
MESH_CRD_PREFIXES = (
    "kubernetes:networking.istio.io/",
    "kubernetes:security.istio.io/",
    "kubernetes:telemetry.istio.io/",
    APPMESH_PREFIX,
)


@dataclass(frozen=True)
class DeployEstimate:
    critical_path: tuple[str, ...]
    """URNs of the chain that dominates, first created first."""
    critical_seconds: int
    total_seconds: int
    """The sum over all resources: the wall time if nothing ran in parallel."""
    resource_count: int

    @property
    def parallelism(self) -> float:
        return self.total_seconds / self.critical_seconds if self.critical_seconds else 1.0


def creation_seconds(resource: Registration) -> int:
    if not resource.custom or resource.type.startswith("pulumi:providers:"):
        return 0
    known = CREATION_TIMES.get(resource.type)
    return known.seconds if known else DEFAULT_SECONDS


def estimate_deploy(plan: Plan, *, required_only: bool = False) -> DeployEstimate:
    """The critical path of the plan; with required_only, only the edges the clouds impose.

    Required edges carry an output into an input, or are orderings in REQUIRED_ORDERINGS. The required
    path is the longest chain that must be serial; the full one adds every other explicit
    depends_on, so the difference is what the program serialises by its own choice.
    """
    edges = dependency_edges(plan, required_only=required_only)
    finish: dict[str, int] = {}
    previous: dict[str, str | None] = {}
    by_urn = {resource.urn: resource for resource in plan.resources}
    for urn in TopologicalSorter(edges).static_order():
        if urn not in by_urn:
            continue
        before = max(edges.get(urn, ()), key=lambda dep: finish.get(dep, 0), default=None)
        start = finish.get(before, 0) if before else 0
        finish[urn] = start + creation_seconds(by_urn[urn])
        previous[urn] = before
    if not finish:
        return DeployEstimate((), 0, 0, 0)
    last: str | None = max(finish, key=lambda urn: finish[urn])
    chain: list[str] = []
    while last is not None:
        if creation_seconds(by_urn[last]) > 0:
            chain.append(last)
        last = previous.get(last)
    managed = [r for r in plan.resources if creation_seconds(r) > 0]
    return DeployEstimate(
        critical_path=tuple(reversed(chain)),
        critical_seconds=max(finish.values()),
        total_seconds=sum(creation_seconds(r) for r in managed),
        resource_count=len(managed),
    )


def dependency_edges(plan: Plan, *, required_only: bool = False) -> dict[str, set[str]]:
    """For each resource, the resources that must exist before it is created."""
    descendants = _custom_descendants(plan.resources)
    types = {resource.urn: resource.type for resource in plan.resources}
    edges: dict[str, set[str]] = {}
    for resource in plan.resources:
        direct = set(resource.dependencies)
        if required_only:
            direct = set(resource.data_dependencies) | {
                urn
                for urn in resource.dependencies
                if is_required_ordering(resource.type, types.get(urn, ""))
            }
        if resource.provider:
            direct.add(resource.provider)
        expanded: set[str] = set()
        for urn in direct:
            expanded |= descendants.get(urn, {urn})
        expanded.discard(resource.urn)
        edges[resource.urn] = expanded
    return edges


def is_required_ordering(dependent_type: str, dependency_type: str) -> bool:
    if (dependent_type, dependency_type) in REQUIRED_ORDERINGS:
        return True
    # Istio's custom resources need base's CRDs and istiod's validating webhook.
    if dependent_type.startswith(APPMESH_PREFIX) and dependency_type in APPMESH_PREREQUISITES:
        return True
    return dependent_type.startswith(MESH_CRD_PREFIXES) and dependency_type == "kubernetes:helm.sh/v3:Release"


def _custom_descendants(resources: Iterable[Registration]) -> dict[str, set[str]]:
    """For each component, every custom resource below it at any depth."""
    resources = list(resources)
    children: dict[str, list[Registration]] = {}
    for resource in resources:
        if resource.parent:
            children.setdefault(resource.parent, []).append(resource)

    def below(urn: str) -> set[str]:
        found: set[str] = set()
        for child in children.get(urn, []):
            found |= {child.urn} if child.custom else below(child.urn)
        return found

    return {resource.urn: below(resource.urn) for resource in resources if not resource.custom}


def format_minutes(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"
