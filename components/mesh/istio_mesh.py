"""IstioMesh: Istio on one cluster as a primary of the multi-primary, multi-network mesh.

In order: `istio-system` labelled with the cluster's network; the plug-in CA secret `cacerts` from the
cluster's intermediate (istiod reads it only at start, so it comes first); the base, istiod and
east-west gateway charts of one pinned Istio release; the cross-network Gateway; mesh-wide STRICT
mTLS; per application namespace sidecar injection and deny-by-default, then ALLOW policies for each
local service's declared callers; a DestinationRule and VirtualService for every service of the mesh
(sidecars apply them on the calling side, so both clusters hold the same ones). IstioPeering wires
two of them together.

Sources: https://istio.io/latest/docs/tasks/security/cert-management/plugin-ca-cert/,
https://istio.io/latest/docs/setup/install/multicluster/multi-primary_multi-network/.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.clusters.kube_cluster import HELM_RELEASE_TIMEOUT_SECONDS, KubeCluster
from components.config import ServiceConfig, TrafficPolicySpec
from components.mesh import istio_specs as specs
from components.mesh.mesh_ca import Intermediate
from components.mesh.traffic_specs import (
    ISTIO_NETWORKING,
    Localities,
    destination_rule_spec,
    virtual_service_spec,
)

ISTIO_SECURITY = "security.istio.io/v1"
# Helm waits this long for each release's workloads to be ready (seconds).


@dataclass(frozen=True)
class IstioMeshArgs:
    cluster: KubeCluster
    intermediate: Intermediate
    mesh_id: str
    trust_domain: str
    services: Sequence[ServiceConfig]
    """Every service of the mesh; those of this cluster's cloud get their ALLOW policies here."""
    policies: Mapping[str, TrafficPolicySpec]
    """The effective traffic policy of each service, by name."""
    localities: Localities
    istio_version: str = specs.ISTIO_VERSION
    extension_providers: tuple[Mapping[str, Any], ...] = ()
    """meshConfig.extensionProviders, e.g. the observability tracer and access log."""
    bridged: frozenset[str] = frozenset()
    """Services of the other cloud reached through a gateway bridge (App Mesh on EKS): the bridge owns
    their DestinationRules, which originate its TLS instead of ISTIO_MUTUAL."""


class IstioMesh(pulumi.ComponentResource):
    cluster: KubeCluster
    system_namespace: pulumi.Output[str]
    app_namespaces: dict[str, pulumi.Output[str]]
    """The application namespaces, by name, once created with injection on."""
    istiod: k8s.helm.v3.Release

    def __init__(self, name: str, args: IstioMeshArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crossmesh:istio:IstioMesh", name, None, opts)
        self.cluster = cluster = args.cluster
        self._name = name
        self._in_cluster = pulumi.ResourceOptions(parent=self, provider=cluster.provider)

        namespace = k8s.core.v1.Namespace(
            f"{name}-istio-system",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=specs.ISTIO_NAMESPACE, labels={specs.NETWORK_LABEL: cluster.mesh_network}
            ),
            opts=self._in_cluster,
        )
        self.system_namespace = namespace.metadata.name
        cacerts = self._cacerts(args.intermediate)

        base = self._release("istio-base", "base", {}, args.istio_version, [namespace])
        self.istiod = self._release(
            "istiod",
            "istiod",
            pulumi.Output.all(args.intermediate.chain_pem, args.intermediate.trust_bundle_pem).apply(
                lambda pems: specs.istiod_values(
                    args.mesh_id,
                    cluster.mesh_cluster_name,
                    cluster.mesh_network,
                    args.trust_domain,
                    specs.ca_fingerprint(pems[0], pems[1]),
                    args.extension_providers,
                )
            ),
            args.istio_version,
            [base, cacerts],
        )
        self._release(
            specs.EAST_WEST_GATEWAY,
            "gateway",
            specs.east_west_gateway_values(cluster.cloud, cluster.mesh_network),
            args.istio_version,
            [self.istiod],
        )

        # Istio objects need the CRDs (base) and istiod's validating webhook to be serving.
        self._custom(
            "cross-network-gateway",
            ISTIO_NETWORKING,
            "Gateway",
            self.system_namespace,
            specs.cross_network_gateway_spec(),
        )
        self._custom(
            "default",
            ISTIO_SECURITY,
            "PeerAuthentication",
            self.system_namespace,
            specs.strict_mtls_spec(),
            resource_name=f"{name}-mesh-strict-mtls",
        )

        by_name = {service.name: service for service in args.services}
        self.app_namespaces = app_namespaces = {
            ns: self._app_namespace(ns) for ns in sorted({service.namespace for service in args.services})
        }
        for service in args.services:
            ns = app_namespaces[service.namespace]
            if service.cloud == cluster.cloud and service.callers:
                callers = [by_name[caller] for caller in service.callers]
                self._custom(
                    f"{service.name}-callers",
                    ISTIO_SECURITY,
                    "AuthorizationPolicy",
                    ns,
                    specs.callers_policy_spec(service, callers, args.trust_domain),
                )
            policy = args.policies[service.name]
            if service.name not in args.bridged:
                self._custom(
                    service.name,
                    ISTIO_NETWORKING,
                    "DestinationRule",
                    ns,
                    destination_rule_spec(service, policy, args.localities),
                    resource_name=f"{name}-{service.name}-dr",
                )
            self._custom(
                service.name,
                ISTIO_NETWORKING,
                "VirtualService",
                ns,
                virtual_service_spec(service, policy),
                resource_name=f"{name}-{service.name}-vs",
            )

        self.register_outputs({"systemNamespace": self.system_namespace, "istiodStatus": self.istiod.status})

    def _cacerts(self, intermediate: Intermediate) -> k8s.core.v1.Secret:
        """root-cert.pem is the trust bundle: every root the mesh trusts, the signing root first.
        In https://github.com/istio/istio: istiod reads root-cert.pem as a file that "may contain
        multiple roots" (pilot/pkg/bootstrap/istio_ca.go) and verifies ca-cert.pem against a pool of
        all of them (security/pkg/pki/util/keycertbundle.go); it hands the whole file to each workload
        as the last element of its CSR response (security/pkg/server/ca/server.go: "we do not want to
        flatten the root cert"), which the workload's agent installs as its trusted CA
        (security/pkg/nodeagent/cache/secretcache.go). istiod's hot reload of cacerts refuses a new
        root-cert.pem unless ISTIO_MULTIROOT_MESH is set, so istiod is restarted instead (see
        istiod_values), and workloads take a new bundle when they restart."""
        data: pulumi.Output[dict[str, str]] = pulumi.Output.secret(
            pulumi.Output.all(
                intermediate.cert_pem,
                intermediate.key_pem,
                intermediate.trust_bundle_pem,
                intermediate.chain_pem,
            ).apply(_cacerts_data)
        )
        return k8s.core.v1.Secret(
            f"{self._name}-cacerts",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="cacerts", namespace=self.system_namespace),
            type="Opaque",
            string_data=data,
            opts=self._in_cluster,
        )

    def _release(
        self,
        release: str,
        chart: str,
        values: pulumi.Input[dict[str, Any]],
        version: str,
        after: list[pulumi.Resource],
    ) -> k8s.helm.v3.Release:
        return k8s.helm.v3.Release(
            f"{self._name}-{chart}",
            k8s.helm.v3.ReleaseArgs(
                name=release,
                chart=chart,
                version=version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=specs.ISTIO_CHART_REPO),
                namespace=specs.ISTIO_NAMESPACE,
                values=values,
                atomic=True,
                cleanup_on_fail=True,
                timeout=HELM_RELEASE_TIMEOUT_SECONDS,
            ),
            opts=pulumi.ResourceOptions.merge(self._in_cluster, pulumi.ResourceOptions(depends_on=after)),
        )

    def _custom(
        self,
        object_name: str,
        api_version: str,
        kind: str,
        namespace: pulumi.Input[str],
        spec: dict[str, Any],
        resource_name: str | None = None,
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            resource_name or f"{self._name}-{object_name}",
            api_version=api_version,
            kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=namespace),
            spec=spec,
            opts=pulumi.ResourceOptions.merge(
                self._in_cluster, pulumi.ResourceOptions(depends_on=[self.istiod])
            ),
        )

    def _app_namespace(self, ns: str) -> pulumi.Output[str]:
        namespace = k8s.core.v1.Namespace(
            f"{self._name}-ns-{ns}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ns, labels={specs.INJECTION_LABEL: "enabled"}),
            opts=self._in_cluster,
        )
        self._custom(
            "allow-nothing",
            ISTIO_SECURITY,
            "AuthorizationPolicy",
            namespace.metadata.name,
            specs.allow_nothing_spec(),
            resource_name=f"{self._name}-{ns}-allow-nothing",
        )
        return namespace.metadata.name


def _cacerts_data(pems: list[str]) -> dict[str, str]:
    return dict(zip(specs.CACERTS_KEYS, pems, strict=True))
