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
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.clusters.kube_cluster import KubeCluster
from components.config import DEFAULT_REVISION, IstioConfig, ServiceConfig, TrafficPolicySpec
from components.mesh import istio_specs as specs
from components.mesh.mesh_ca import Intermediate
from components.mesh.namespace_owners import NamespaceOwner, aliases_of
from components.mesh.traffic_specs import (
    ISTIO_NETWORKING,
    Localities,
    destination_rule_spec,
    virtual_service_spec,
)

ISTIO_SECURITY = "security.istio.io/v1"


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
    peer_ranges: Sequence[str]
    """The other cloud's node and pod ranges: the only sources the east-west gateway's load balancer
    admits. Without them the cloud opens the gateway's ports (15012 and 15017 among them) to 0.0.0.0/0."""
    istio: IstioConfig = field(default_factory=IstioConfig)
    """The istiod revisions, the one the namespaces follow, the one the gateways run."""
    trust_domain_aliases: tuple[str, ...] = ()
    """Earlier trust domains whose identities still count as this one's (mesh.trustDomainAliases)."""
    extension_providers: tuple[Mapping[str, Any], ...] = ()
    """meshConfig.extensionProviders, e.g. the observability tracer and access log."""
    bridged: frozenset[str] = frozenset()
    """Services of the other cloud reached through a gateway bridge (App Mesh on EKS): the bridge owns
    their DestinationRules, which originate its TLS instead of ISTIO_MUTUAL."""
    namespace_owners: tuple[NamespaceOwner, ...] = ()
    """Other components that declare this cluster's application namespaces when it runs another
    engine: the namespaces answer to their URNs, so a change of engine updates them in place."""


class IstioMesh(pulumi.ComponentResource):
    TYPE = "crossmesh:istio:IstioMesh"
    cluster: KubeCluster
    system_namespace: pulumi.Output[str]
    app_namespaces: dict[str, pulumi.Output[str]]
    """The application namespaces, by name, once created with injection on."""
    istiod: k8s.helm.v3.Release
    """The istiod of the injection revision: what Istio objects wait for (its webhook validates them)."""
    istiods: dict[str, k8s.helm.v3.Release]
    """Every istiod, by revision."""
    istio: IstioConfig

    def __init__(self, name: str, args: IstioMeshArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self.cluster = args.cluster
        self._name = name
        self._in_cluster = pulumi.ResourceOptions(parent=self, provider=args.cluster.provider)

        self._build_control_plane(args)
        self._build_mesh_security()
        self._build_services(args)

        self.register_outputs({"systemNamespace": self.system_namespace, "istiodStatus": self.istiod.status})

    def _build_control_plane(self, args: IstioMeshArgs) -> None:
        """istio-system on the cluster's network, the plug-in CA, then the base, istiod and east-west
        gateway charts in that order."""
        cluster = self.cluster
        namespace = cluster.namespace(
            resource_name=f"{self._name}-istio-system",
            name=specs.ISTIO_NAMESPACE,
            labels={specs.NETWORK_LABEL: cluster.mesh_network},
            parent=self,
        )
        self.system_namespace = namespace.metadata.name
        cacerts = self._cacerts(args.intermediate)

        istio = self.istio = args.istio
        # The CRDs are the newest installed version's: each istiod revision reads the CRDs of its own
        # version or a newer one (https://istio.io/latest/docs/setup/upgrade/helm/).
        base = cluster.helm_release(
            resource_name=f"{self._name}-base",
            release_name="istio-base",
            chart="base",
            version=istio.newest(),
            repository=specs.ISTIO_CHART_REPO,
            namespace=specs.ISTIO_NAMESPACE,
            values=specs.base_values(istio),
            parent=self,
            depends_on=[namespace],
        )
        self.istiods = {
            revision: self._istiod(args, revision, version, [base, cacerts])
            for revision, version in istio.revisions.items()
        }
        self.istiod = self.istiods[istio.injection]
        cluster.helm_release(
            resource_name=f"{self._name}-gateway",
            release_name=specs.EAST_WEST_GATEWAY,
            chart="gateway",
            version=istio.revisions[istio.gateways],
            repository=specs.ISTIO_CHART_REPO,
            namespace=specs.ISTIO_NAMESPACE,
            values={
                **specs.east_west_gateway_values(cluster.cloud, cluster.mesh_network, args.peer_ranges),
                **specs.revision_values(istio.gateways),
            },
            parent=self,
            depends_on=[self.istiods[istio.gateways]],
        )

    def _istiod(
        self, args: IstioMeshArgs, revision: str, version: str, after: list[pulumi.Resource]
    ) -> k8s.helm.v3.Release:
        """One istiod revision: `istiod` without a revision keeps the names every stack started with;
        another is `istiod-<revision>` beside it, sharing cacerts, the remote secrets and the CRDs."""
        cluster = self.cluster
        suffix = "" if revision == DEFAULT_REVISION else f"-{revision}"
        return cluster.helm_release(
            resource_name=f"{self._name}-istiod{suffix}",
            release_name=specs.istiod_release_name(revision),
            chart="istiod",
            version=version,
            repository=specs.ISTIO_CHART_REPO,
            namespace=specs.ISTIO_NAMESPACE,
            values=pulumi.Output.all(args.intermediate.chain_pem, args.intermediate.trust_bundle_pem).apply(
                lambda pems: {
                    **specs.istiod_values(
                        args.mesh_id,
                        cluster.mesh_cluster_name,
                        cluster.mesh_network,
                        args.trust_domain,
                        specs.ca_fingerprint(pems[0], pems[1]),
                        args.extension_providers,
                        args.trust_domain_aliases,
                    ),
                    **specs.revision_values(revision),
                }
            ),
            parent=self,
            depends_on=after,
        )

    def _build_mesh_security(self) -> None:
        """The cross-network Gateway and mesh-wide STRICT mTLS. Istio objects need the CRDs (base) and
        istiod's validating webhook to be serving."""
        self.cluster.custom_object(
            resource_name=f"{self._name}-cross-network-gateway",
            api_version=ISTIO_NETWORKING,
            kind="Gateway",
            name="cross-network-gateway",
            namespace=self.system_namespace,
            spec=specs.cross_network_gateway_spec(),
            parent=self,
            depends_on=[self.istiod],
        )
        self.cluster.custom_object(
            resource_name=f"{self._name}-mesh-strict-mtls",
            api_version=ISTIO_SECURITY,
            kind="PeerAuthentication",
            name="default",
            namespace=self.system_namespace,
            spec=specs.strict_mtls_spec(),
            parent=self,
            depends_on=[self.istiod],
        )

    def _build_services(self, args: IstioMeshArgs) -> None:
        """Each application namespace with injection on and deny-by-default; ALLOW policies for the
        callers of this cluster's services; a DestinationRule and VirtualService for every service."""
        by_name = {service.name: service for service in args.services}
        self.app_namespaces = {
            ns: self._app_namespace(ns, aliases_of(args.namespace_owners, ns))
            for ns in sorted({service.namespace for service in args.services})
        }
        for service in args.services:
            ns = self.app_namespaces[service.namespace]
            if service.cloud == self.cluster.cloud and service.callers:
                callers = [by_name[caller] for caller in service.callers]
                self.cluster.custom_object(
                    resource_name=f"{self._name}-{service.name}-callers",
                    api_version=ISTIO_SECURITY,
                    kind="AuthorizationPolicy",
                    name=f"{service.name}-callers",
                    namespace=ns,
                    spec=specs.callers_policy_spec(service, callers, args.trust_domain),
                    parent=self,
                    depends_on=[self.istiod],
                )
            policy = args.policies[service.name]
            if service.name not in args.bridged:
                self.cluster.custom_object(
                    resource_name=f"{self._name}-{service.name}-dr",
                    api_version=ISTIO_NETWORKING,
                    kind="DestinationRule",
                    name=service.name,
                    namespace=ns,
                    spec=destination_rule_spec(service, policy, args.localities),
                    parent=self,
                    depends_on=[self.istiod],
                )
            self.cluster.custom_object(
                resource_name=f"{self._name}-{service.name}-vs",
                api_version=ISTIO_NETWORKING,
                kind="VirtualService",
                name=service.name,
                namespace=ns,
                spec=virtual_service_spec(service, policy),
                parent=self,
                depends_on=[self.istiod],
            )

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

    @staticmethod
    def namespace_owner(name: str, urn: pulumi.Input[str]) -> NamespaceOwner:
        """How the IstioMesh called `name` names its application namespaces."""
        return NamespaceOwner(urn, (f"{name}-ns-{{namespace}}",))

    def _app_namespace(self, ns: str, aliases: list[pulumi.Alias]) -> pulumi.Output[str]:
        # Retained on delete and, in protected stacks, protected (components/protection_specs.py): the
        # namespace holds the teams' workloads, which crossmesh never deletes.
        namespace = self.cluster.namespace(
            resource_name=f"{self._name}-ns-{ns}",
            name=ns,
            labels=specs.injection_labels(self.istio),
            parent=self,
            aliases=aliases,
        )
        # Retained with the namespace: a namespace left to its owners stays deny-by-default.
        self.cluster.custom_object(
            resource_name=f"{self._name}-{ns}-allow-nothing",
            api_version=ISTIO_SECURITY,
            kind="AuthorizationPolicy",
            name="allow-nothing",
            namespace=namespace.metadata.name,
            spec=specs.allow_nothing_spec(),
            parent=self,
            depends_on=[self.istiod],
            retain_on_delete=True,
        )
        return namespace.metadata.name


def _cacerts_data(pems: list[str]) -> dict[str, str]:
    return dict(zip(specs.CACERTS_KEYS, pems, strict=True))
