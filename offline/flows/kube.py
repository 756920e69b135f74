"""What runs in the clusters, as far as the network cares: which cluster each Kubernetes provider deploys
to, which mesh each cluster runs, its load balancer Services (written as Services or as a Helm chart's
`service` values) with their ports and source ranges, and whether it runs a trace collector."""

from __future__ import annotations

from dataclasses import dataclass

from offline.flows.aws import EKS_CLUSTER
from offline.flows.facts import ports
from offline.flows.gcp import GKE_CLUSTER
from offline.flows.plan import Plan, get, items
from offline.flows.ranges import Net, nets
from offline.planned import PlannedResource

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
K8S_SERVICE = "kubernetes:core/v1:Service"
K8S_PROVIDER = "pulumi:providers:kubernetes"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"
AWS_NLB_TYPE = "service.beta.kubernetes.io/aws-load-balancer-type"
AWS_INTERNAL = "service.beta.kubernetes.io/aws-load-balancer-internal"
GKE_LB_TYPE = "networking.gke.io/load-balancer-type"


@dataclass(frozen=True)
class LoadBalancer:
    """A Service of type LoadBalancer: who asked for it and what the cloud will make of it."""

    label: str
    cloud: str
    cluster: str
    """The URN of the EKS or GKE cluster whose provider deploys it."""
    ports: tuple[int, ...]
    source_ranges: tuple[Net, ...] | None
    """None: the Service sets none, and the cloud admits 0.0.0.0/0."""
    internal: bool
    east_west: bool
    """Istio's network gateway (the gateway chart with networkGateway set)."""


class Kube:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.clusters = {provider.urn: self._cluster_of(provider) for provider in plan.of_type(K8S_PROVIDER)}
        self.load_balancers = [
            lb for lb in (self._load_balancer(r) for r in plan.of_type(HELM_RELEASE, K8S_SERVICE)) if lb
        ]

    def _cluster_of(self, provider: PlannedResource) -> str | None:
        """The cluster a Kubernetes provider deploys to: the one it waits for, directly or through the
        node group or pool it waits for."""
        for dependency in self.plan.dependencies(provider):
            if dependency.type in (EKS_CLUSTER, GKE_CLUSTER):
                return dependency.urn
            if dependency.type in (EKS_NODE_GROUP, GKE_NODE_POOL):
                for owner in self.plan.dependencies(dependency, EKS_CLUSTER, GKE_CLUSTER):
                    return owner.urn
        return None

    def cluster_of(self, resource: PlannedResource) -> str | None:
        return self.clusters.get(resource.provider or "")

    def releases(self, chart: str) -> list[PlannedResource]:
        return [
            r
            for r in self.plan.of_type(HELM_RELEASE)
            if str(r.inputs.get("chart", "")).split("/")[-1] == chart
        ]

    def runs(self, chart: str, cluster: str) -> bool:
        return any(self.cluster_of(release) == cluster for release in self.releases(chart))

    def _load_balancer(self, resource: PlannedResource) -> LoadBalancer | None:
        cluster = self.cluster_of(resource)
        if cluster is None:
            return None
        if resource.type == HELM_RELEASE:
            values = get(resource.inputs, "values", {})
            service = get(values, "service", {})
            annotations = dict(get(service, "annotations", {}) or {})
            network_gateway = bool(get(values, "networkGateway"))
            if network_gateway:
                port_list = ports("istio_network_gateway_ports")
            else:
                port_list = tuple(
                    int(p["port"]) for p in items(get(service, "ports")) if get(p, "port") is not None
                )
            label = f"Service of Helm release {resource.name}"
        else:
            service = get(resource.inputs, "spec", {})
            annotations = dict(get(resource.inputs, "metadata.annotations", {}) or {})
            network_gateway = False
            port_list = tuple(
                int(p["port"]) for p in items(get(service, "ports")) if get(p, "port") is not None
            )
            label = f"Service {get(resource.inputs, 'metadata.name') or resource.name}"
        if get(service, "type") != "LoadBalancer":
            return None
        cluster_type = self.plan.by_urn(cluster)
        cloud = "aws" if cluster_type is not None and cluster_type.type == EKS_CLUSTER else "gcp"
        if cloud == "aws":
            internal = str(annotations.get(AWS_INTERNAL, "false")).lower() not in ("", "false")
        else:
            internal = str(annotations.get(GKE_LB_TYPE, "")).lower() == "internal"
        ranges = items(get(service, "loadBalancerSourceRanges"))
        return LoadBalancer(
            label,
            cloud,
            cluster,
            tuple(sorted(set(port_list))),
            tuple(nets(ranges)) if ranges else None,
            internal,
            network_gateway,
        )
