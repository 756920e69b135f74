"""The OpenTelemetry collector both observability components install, each with its cloud's exporter.

A function, not a component: the namespace and release are children of the caller, so their names
and URNs stay those of the component that owns the collector.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.clusters.kube_cluster import KubeCluster
from components.observability import specs


def install_collector(
    cluster: KubeCluster,
    *,
    name: str,
    values: pulumi.Input[Mapping[str, Any]],
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource],
) -> k8s.helm.v3.Release:
    """The collector's namespace and chart. `depends_on` holds the grants that let it export: the pods
    must start able to write, or the first spans are lost."""
    namespace = cluster.namespace(
        resource_name=f"{name}-observability",
        name=specs.COLLECTOR_NAMESPACE,
        labels=specs.collector_namespace_labels(),
        parent=parent,
    )
    return cluster.helm_release(
        resource_name=f"{name}-collector",
        release_name=specs.COLLECTOR_NAME,
        chart=specs.COLLECTOR_CHART,
        version=specs.COLLECTOR_CHART_VERSION,
        repository=specs.COLLECTOR_CHART_REPO,
        namespace=namespace.metadata.name,
        values=values,
        parent=parent,
        depends_on=depends_on,
    )
