"""Creation order the clouds require, read from the stack's dependency graph: a resource waits for all
it depends on, and for its provider and what the provider waits for. Pulumi creates independent
resources at once, so whatever a cloud needs to exist first must be a dependency, or the first
`pulumi up` fails where a second one would pass."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from crossmesh_policy.kit import MANDATORY, Config, StackView, as_list, get, known, stack_rule

GKE = "gcp:container/cluster:Cluster"
NAMESPACE = "kubernetes:core/v1:Namespace"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
# Every GCP IAM member, binding and policy resource (project, service account, bucket, ...).
GCP_IAM = "gcp:*/iAM*"
CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"

# A Workload Identity principal: serviceAccount:<project>.svc.id.goog[<namespace>/<service account>].
WORKLOAD_IDENTITY = re.compile(r"serviceAccount:([a-z][-a-z0-9.:]*\.svc\.id\.goog)\[[^\]]*\]")

# Who installs the definitions of an API group when no CustomResourceDefinition of the stack does: a
# chart (Istio's base chart, the App Mesh controller's) or the cluster itself (GKE's managed collection
# for Managed Service for Prometheus). Pack config `crdSources` adds to it.
CRD_SOURCES: Mapping[str, Sequence[str]] = {
    "istio.io": ("chart:base",),
    "appmesh.k8s.aws": ("chart:appmesh-controller",),
    "monitoring.googleapis.com": (f"type:{GKE}",),
}


class Waits:
    """What each resource of the stack waits for: its dependencies and its provider's, transitively."""

    def __init__(self, stack: StackView) -> None:
        self._by_urn = {r.urn: r for r in stack.resources}
        self._found: dict[str, frozenset[str]] = {}

    def of(self, resource: PolicyResource) -> frozenset[str]:
        """The URNs `resource` waits for."""
        if resource.urn in self._found:
            return self._found[resource.urn]
        self._found[resource.urn] = frozenset()  # a cycle, which Pulumi refuses anyway, ends here
        direct = list(resource.dependencies)
        if resource.provider is not None and resource.provider.urn in self._by_urn:
            direct.append(self._by_urn[resource.provider.urn])
        waits: set[str] = set()
        for dependency in direct:
            waits.add(dependency.urn)
            waits |= self.of(self._by_urn.get(dependency.urn, dependency))
        self._found[resource.urn] = frozenset(waits)
        return self._found[resource.urn]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key in list(value):
            yield from _strings(known(value, key))
    elif isinstance(value, Sequence):
        for item in value:
            yield from _strings(item)


@stack_rule(
    id="xc-order-workload-identity-pool",
    anchors=["terraform-google-modules/terraform-google-kubernetes-engine #916", "GKE Workload Identity"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[GCP_IAM, GKE],
)
def workload_identity_pool(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """An IAM binding to a Workload Identity principal (<project>.svc.id.goog[ns/sa]) waits for the GKE
    cluster that creates the pool: the pool exists only once a Workload Identity cluster does, and a
    binding made before fails with "Identity Pool does not exist"."""
    pools = {
        str(get(cluster.props, "workloadIdentityConfig.workloadPool")): cluster
        for cluster in stack.of_type(GKE)
        if get(cluster.props, "workloadIdentityConfig.workloadPool")
    }
    if not pools:
        return
    waits = Waits(stack)
    for resource in stack.of_type(GCP_IAM):
        members = {m.group(1) for text in _strings(resource.props) for m in WORKLOAD_IDENTITY.finditer(text)}
        for pool in sorted(members):
            cluster = pools.get(pool)
            if cluster is not None and cluster.urn not in waits.of(resource):
                yield (
                    f"{resource.name} binds a principal of {pool} without waiting for {cluster.name}, the "
                    "cluster that creates the pool: depend on the cluster, or take the pool from it.",
                    resource.urn,
                )


def api_group(resource_type: str) -> str | None:
    """The API group of a Kubernetes custom object's type token, None for built-in kinds."""
    if not resource_type.startswith("kubernetes:"):
        return None
    group = resource_type.split(":")[1].split("/")[0]
    if "." not in group or group.endswith(".k8s.io") or group in ("helm.sh", "core"):
        return None
    return group


class DefinitionSources:
    """What installs the definitions of an API group, per cluster: the stack's CustomResourceDefinitions,
    the charts known to carry them, the resources known to provide them. Read once per check."""

    def __init__(self, stack: StackView, config: Config) -> None:
        self._stack = stack
        self._known = {**CRD_SOURCES, **dict(config.get("crdSources") or {})}
        self._crds = stack.of_type(CRD)
        self._charts: dict[str, list[PolicyResource]] = {}
        for release in stack.of_type(HELM_RELEASE):
            chart = str(known(release.props, "chart") or "").split("/")[-1]
            self._charts.setdefault(chart, []).append(release)
        self._typed: dict[str, list[PolicyResource]] = {}

    def of(self, obj: PolicyResource, group: str) -> list[PolicyResource]:
        """What installs `group`'s definitions for the cluster `obj` is created in."""

        def same_cluster(resource: PolicyResource) -> bool:
            return (
                obj.provider is None or resource.provider is None or resource.provider.urn == obj.provider.urn
            )

        found = [c for c in self._crds if same_cluster(c) and str(get(c.props, "spec.group", "")) == group]
        for suffix, sources in self._known.items():
            if group != suffix and not group.endswith("." + suffix):
                continue
            for source in as_list(sources):
                kind, _, value = str(source).partition(":")
                if kind == "chart":
                    found += [release for release in self._charts.get(value, []) if same_cluster(release)]
                elif kind == "type":
                    if value not in self._typed:
                        self._typed[value] = self._stack.of_type(value)
                    found += self._typed[value]
        return found


@stack_rule(
    id="xc-order-crds-before-custom-resources",
    anchors=[
        "Kubernetes: a custom object needs its CustomResourceDefinition",
        "pulumi-kubernetes CustomResource",
    ],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=["kubernetes:*", HELM_RELEASE, CRD],
    config={
        "crdSources": {
            "type": "object",
            "description": "API group suffix -> what installs its definitions: 'chart:<name>' or "
            "'type:<token>'",
            "default": {},
        }
    },
)
def crds_before_custom_resources(stack: StackView, config: Config) -> Iterator[tuple[str, str | None]]:
    """A custom object waits for what installs its definition in its cluster (a CustomResourceDefinition,
    the chart that carries it, or the cluster that provides it): the API server refuses an object of an
    unknown kind."""
    waits = Waits(stack)
    definitions = DefinitionSources(stack, config)
    for obj in stack.resources:
        group = api_group(obj.resource_type)
        if group is None:
            continue
        sources = definitions.of(obj, group)
        if not sources:
            continue
        waited = waits.of(obj)
        if not any(source.urn in waited for source in sources):
            names = ", ".join(sorted({source.name for source in sources}))
            yield (
                f"{obj.name} ({group}) does not wait for {names}, which installs the {group} definitions.",
                obj.urn,
            )


def _namespace_of(resource: PolicyResource) -> str | None:
    if resource.resource_type == HELM_RELEASE:
        value = known(resource.props, "namespace")
    else:
        value = get(resource.props, "metadata.namespace") if known(resource.props, "metadata") else None
    return value if isinstance(value, str) and value else None


@stack_rule(
    id="xc-order-namespace-first",
    anchors=["Kubernetes: a namespaced object needs its namespace"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=["kubernetes:*", NAMESPACE],
)
def namespace_first(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """An object in a namespace the stack creates waits for that Namespace: the API server refuses an
    object in a namespace that does not exist yet."""
    namespaces: dict[tuple[str | None, str], PolicyResource] = {}
    for namespace in stack.of_type(NAMESPACE):
        name = get(namespace.props, "metadata.name") if known(namespace.props, "metadata") else None
        if isinstance(name, str):
            namespaces[(namespace.provider.urn if namespace.provider else None, name)] = namespace
    waits = Waits(stack)
    for resource in stack.resources:
        if not resource.resource_type.startswith("kubernetes:") or resource.resource_type == NAMESPACE:
            continue
        name = _namespace_of(resource)
        if name is None:
            continue
        creator = namespaces.get((resource.provider.urn if resource.provider else None, name))
        if creator is not None and creator.urn not in waits.of(resource):
            yield (
                f"{resource.name} is created in namespace {name} without waiting for {creator.name}, "
                "which creates it.",
                resource.urn,
            )
