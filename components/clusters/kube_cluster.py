"""KubeCluster: what a mesh needs of a cluster, whichever cloud runs it, and the one way to put charts
and custom objects into it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from components.clusters import namespace_specs

Cloud = Literal["aws", "gcp"]

# How long each Kubernetes operation of a Helm release may take (images pulled, pods Ready, webhooks
# up) before `pulumi up` calls it failed; the same for every chart crossmesh installs.
HELM_RELEASE_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class KubeCluster:
    cloud: Cloud
    # Istio's clusterName and network for this cluster; static so mesh config never waits on a cloud.
    mesh_cluster_name: str
    mesh_network: str
    endpoint: pulumi.Output[str]
    """The API server URL, https://..."""
    ca_data: pulumi.Output[str]
    """Base64 PEM of the API server's CA."""
    provider: k8s.Provider

    def helm_release(
        self,
        *,
        resource_name: str,
        release_name: str,
        chart: str,
        version: str,
        repository: str,
        namespace: pulumi.Input[str],
        values: pulumi.Input[Mapping[str, Any]],
        parent: pulumi.Resource,
        depends_on: Sequence[pulumi.Resource] = (),
        skip_crds: bool | None = None,
    ) -> k8s.helm.v3.Release:
        """A pinned chart from `repository`, installed atomically: the release waits for its resources
        to be ready; a failed first install is purged, a failed upgrade is rolled back (Helm's atomic)
        and the resources it added are deleted (cleanup on fail). `skip_crds` None keeps Helm's
        default, which installs the chart's CRDs."""
        return k8s.helm.v3.Release(
            resource_name,
            k8s.helm.v3.ReleaseArgs(
                name=release_name,
                chart=chart,
                version=version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repository),
                namespace=namespace,
                values=values,
                skip_crds=skip_crds,
                atomic=True,
                cleanup_on_fail=True,
                timeout=HELM_RELEASE_TIMEOUT_SECONDS,
            ),
            opts=self._in_cluster(parent, depends_on),
        )

    def custom_object(
        self,
        *,
        resource_name: str,
        api_version: str,
        kind: str,
        name: str,
        spec: pulumi.Input[Mapping[str, Any]],
        parent: pulumi.Resource,
        namespace: pulumi.Input[str] | None = None,
        labels: Mapping[str, str] | None = None,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> k8s.apiextensions.CustomResource:
        """An object of a custom resource definition (Istio, App Mesh, Managed Prometheus). Whatever
        brings its CRD and admission webhook (a chart, the cluster itself) belongs in `depends_on`."""
        return k8s.apiextensions.CustomResource(
            resource_name,
            api_version=api_version,
            kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=name, namespace=namespace, labels=dict(labels) if labels is not None else None
            ),
            spec=spec,
            opts=self._in_cluster(parent, depends_on),
        )

    def namespace(
        self,
        *,
        resource_name: str,
        name: str,
        parent: pulumi.Resource,
        labels: Mapping[str, str] | None = None,
        retain_on_delete: bool = False,
    ) -> k8s.core.v1.Namespace:
        """A namespace and its NetworkPolicy, which admits ingress from private addresses only
        (namespace_specs). `retain_on_delete` keeps a namespace that holds teams' workloads."""
        namespace = k8s.core.v1.Namespace(
            resource_name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, labels=dict(labels) if labels else None),
            opts=pulumi.ResourceOptions.merge(
                self._in_cluster(parent, ()), pulumi.ResourceOptions(retain_on_delete=retain_on_delete)
            ),
        )
        k8s.networking.v1.NetworkPolicy(
            f"{resource_name}-{namespace_specs.POLICY_NAME}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=namespace_specs.POLICY_NAME, namespace=namespace.metadata.name
            ),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(),
                policy_types=["Ingress"],
                ingress=[
                    k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                        from_=[
                            k8s.networking.v1.NetworkPolicyPeerArgs(
                                ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr)
                            )
                            for cidr in namespace_specs.PRIVATE_RANGES
                        ]
                    )
                ],
            ),
            opts=self._in_cluster(parent, ()),
        )
        return namespace

    def _in_cluster(
        self, parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource]
    ) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=parent, provider=self.provider, depends_on=list(depends_on))
