"""What the artefact checks need of a plan: its Helm releases, its Kubernetes objects, and for each the
cluster that runs it and the Kubernetes minors that cluster may run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from offline.artefacts import data
from offline.planned import PlannedResource

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
GKE_CLUSTER = "gcp:container/cluster:Cluster"
# Kubernetes resources that are not objects of the API: a release, a chart, manifests, a provider.
NOT_OBJECTS = ("kubernetes:helm.sh/", "kubernetes:yaml", "kubernetes:kustomize", "pulumi:providers:")


@dataclass(frozen=True)
class Cluster:
    """A cluster of the plan: its resource, and the minors its objects must be valid on."""

    resource: PlannedResource | None
    minors: tuple[str, ...]
    problem: str | None = None  # why the minors are unknown


class PlanView:
    """The plan's resources, looked up by URN, with the cluster of each provider worked out once."""

    def __init__(self, resources: Sequence[PlannedResource]) -> None:
        self.resources = resources
        self._by_urn = {r.urn: r for r in resources}
        self._clusters: dict[str, Cluster] = {}

    def by_urn(self, urn: str | None) -> PlannedResource | None:
        if urn is None:
            return None
        # A provider reference is `urn::id` under `pulumi preview`, the URN alone in an offline plan.
        return self._by_urn.get(urn) or self._by_urn.get(urn.rsplit("::", 1)[0])

    def releases(self) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == HELM_RELEASE]

    def objects(self) -> list[PlannedResource]:
        return [
            r
            for r in self.resources
            if r.type.startswith("kubernetes:") and not r.type.startswith(NOT_OBJECTS)
        ]

    def releases_beside(self, resource: PlannedResource) -> list[PlannedResource]:
        """The Helm releases installed into the cluster `resource` goes to."""
        return [r for r in self.releases() if self._same_cluster(r, resource)]

    def _same_cluster(self, one: PlannedResource, other: PlannedResource) -> bool:
        return one.provider is not None and self.by_urn(one.provider) is self.by_urn(other.provider)

    def cluster_of(self, resource: PlannedResource) -> Cluster:
        """The cluster behind the Kubernetes provider `resource` uses: the one EKS or GKE cluster in
        the nearest component above the provider that holds one."""
        provider = self.by_urn(resource.provider)
        if provider is None:
            return Cluster(None, (), f"its Kubernetes provider {resource.provider!r} is not in the plan")
        if provider.urn not in self._clusters:
            self._clusters[provider.urn] = self._find_cluster(provider)
        return self._clusters[provider.urn]

    def _find_cluster(self, provider: PlannedResource) -> Cluster:
        clusters = [r for r in self.resources if r.type in (EKS_CLUSTER, GKE_CLUSTER)]
        for ancestor in self._ancestors(provider):
            inside = [c for c in clusters if ancestor in self._ancestors(c)]
            if len(inside) == 1:
                return _cluster(inside[0])
        return Cluster(None, (), f"no EKS or GKE cluster shares a component with provider {provider.name}")

    def _ancestors(self, resource: PlannedResource) -> list[str]:
        chain = []
        parent = resource.parent
        while parent is not None:
            chain.append(parent)
            found = self.by_urn(parent)
            parent = found.parent if found is not None else None
        return chain


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()))


def _cluster(resource: PlannedResource) -> Cluster:
    inputs = resource.inputs
    if resource.type == EKS_CLUSTER:
        version = inputs.get("version")
        if not isinstance(version, str):
            return Cluster(resource, (), "the EKS cluster names no Kubernetes version")
        return Cluster(resource, (".".join(str(p) for p in _minor(version)),))
    # A GKE cluster on a release channel moves through the minors GKE offers, so its objects must be
    # valid on each of them at or above minMasterVersion.
    offered = data.gke_versions()["offered_minors"]
    floor = inputs.get("minMasterVersion")
    minors = tuple(m for m in offered if not isinstance(floor, str) or _minor(m) >= _minor(floor))
    return Cluster(resource, minors)


def enabled(inputs: Mapping[str, Any], dotted: str) -> bool:
    """Whether the input at a dotted path is true."""
    value: Any = inputs
    for key in dotted.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return value is True
