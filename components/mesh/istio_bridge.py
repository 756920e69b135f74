"""IstioBridge: the GKE half of the bridge between Istio on GKE and App Mesh on EKS.

For App Mesh callers: the Istio ingress gateway chart on an internal load balancer at a reserved
address, its certificate from the GKE intermediate (the gateway's SPIFFE URI, a DNS SAN per service)
with the shared root as client CA, a Gateway with one MUTUAL server per called service (only its App
Mesh callers' SANs accepted), a route from the gateway to each service and a policy letting the gateway
through the service's deny-by-default namespace. For GKE callers of App Mesh services: a ServiceEntry
per service on the VirtualGateway's NLB, and per calling workload a client certificate (its own SPIFFE
URI, from the GKE intermediate) with a DestinationRule that originates MUTUAL TLS with it.

The specs come from components.mesh.bridge_specs; see its docstring for the whole path of a call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.config import ServiceConfig, TrafficPolicySpec
from components.mesh import bridge_specs as specs
from components.mesh import istio_specs
from components.mesh.appmesh_specs import gateway_id, spiffe_id
from components.mesh.istio_mesh import ISTIO_SECURITY, IstioMesh
from components.mesh.leaf_certificate import issue_leaf_certificate
from components.mesh.mesh_ca import Intermediate
from components.mesh.traffic_specs import ISTIO_NETWORKING, Localities, service_host


@dataclass(frozen=True)
class IstioBridgeArgs:
    istio: IstioMesh
    """Istio on GKE: its CRDs, istiod and application namespaces come first."""
    intermediate: Intermediate
    """The GKE cluster's intermediate CA: it signs the bridge's certificates on this side."""
    trust_domain: str
    services: Sequence[ServiceConfig]
    policies: Mapping[str, TrafficPolicySpec]
    localities: Localities
    ingress_address: pulumi.Input[str]
    """The reserved internal address of the ingress gateway's load balancer."""
    aws_source_ranges: Sequence[str]
    """AWS ranges allowed on the ingress gateway's load balancer."""
    virtual_gateway_hostname: pulumi.Input[str] | None
    """The App Mesh VirtualGateway's NLB, when GKE services call AWS services."""


class IstioBridge(pulumi.ComponentResource):
    certificate_expiries: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: IstioBridgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crossmesh:istio:IstioBridge", name, None, opts)
        self._name = name
        self._args = args
        self._cluster = args.istio.cluster
        # Istio objects need istiod (its CRDs and validating webhook); objects in application
        # namespaces take the namespace from IstioMesh's resource, so they follow it.
        self._after_istiod: list[pulumi.Resource] = [args.istio.istiod]
        self._in_cluster = pulumi.ResourceOptions(
            parent=self, provider=self._cluster.provider, depends_on=[args.istio.istiod]
        )
        self.certificate_expiries = {}
        td = args.trust_domain
        cloud_of = {s.name: s.cloud for s in args.services}
        by_name = {s.name: s for s in args.services}

        called_from_aws = {
            s.name: (
                s,
                [spiffe_id(td, by_name[c].namespace, c) for c in s.callers if cloud_of[c] == "aws"],
            )
            for s in args.services
            if s.cloud == "gcp" and any(cloud_of[c] == "aws" for c in s.callers)
        }
        if called_from_aws:
            self._ingress(called_from_aws)

        called_on_aws = [
            s for s in args.services if s.cloud == "aws" and any(cloud_of[c] == "gcp" for c in s.callers)
        ]
        if called_on_aws:
            if args.virtual_gateway_hostname is None:
                raise ValueError(
                    "GKE services call App Mesh services, but no VirtualGateway hostname was given"
                )
            self._egress(called_on_aws, by_name, args.virtual_gateway_hostname)

        self.register_outputs({"certificateExpiries": self.certificate_expiries})

    def _ingress(self, called: dict[str, tuple[ServiceConfig, list[str]]]) -> None:
        args = self._args
        system = args.istio.system_namespace
        credential = self._credential(
            "ingress",
            specs.INGRESS_CREDENTIAL,
            system,
            uris=[specs.ingress_gateway_id(args.trust_domain)],
            dns_names=[service_host(service) for service, _ in called.values()],
        )
        release = self._cluster.helm_release(
            resource_name=f"{self._name}-ingress",
            release_name=specs.INGRESS_GATEWAY,
            chart="gateway",
            version=istio_specs.ISTIO_VERSION,
            repository=istio_specs.ISTIO_CHART_REPO,
            namespace=system,
            values=pulumi.Output.from_input(args.ingress_address).apply(
                lambda address: specs.ingress_gateway_values(address, args.aws_source_ranges)
            ),
            parent=self,
            depends_on=self._after_istiod,
        )
        # The Gateway's servers need the gateway's pods and the credential they serve.
        self._cluster.custom_object(
            resource_name=f"{self._name}-ingress-gateway",
            api_version=ISTIO_NETWORKING,
            kind="Gateway",
            name=specs.INGRESS_GATEWAY,
            namespace=system,
            spec=specs.ingress_gateway_spec(called),
            parent=self,
            depends_on=[*self._after_istiod, release, credential],
        )
        for service, _ in called.values():
            self._cluster.custom_object(
                resource_name=f"{self._name}-{service.name}-from-appmesh",
                api_version=ISTIO_NETWORKING,
                kind="VirtualService",
                name=f"{service.name}-from-appmesh",
                namespace=system,
                spec=specs.ingress_route_spec(service),
                parent=self,
                depends_on=self._after_istiod,
            )
            self._cluster.custom_object(
                resource_name=f"{self._name}-{service.name}-from-bridge",
                api_version=ISTIO_SECURITY,
                kind="AuthorizationPolicy",
                name=f"{service.name}-from-bridge",
                namespace=args.istio.app_namespaces[service.namespace],
                spec=specs.ingress_allowed_spec(service, args.trust_domain),
                parent=self,
                depends_on=self._after_istiod,
            )

    def _egress(
        self,
        called: list[ServiceConfig],
        by_name: dict[str, ServiceConfig],
        gateway_hostname: pulumi.Input[str],
    ) -> None:
        args = self._args
        gateway_ids = [gateway_id(args.trust_domain)]
        issued: set[str] = set()
        addresses = specs.service_entry_addresses([service_host(s) for s in called])
        for service in called:
            self._cluster.custom_object(
                resource_name=f"{self._name}-{service.name}-appmesh-entry",
                api_version=ISTIO_NETWORKING,
                kind="ServiceEntry",
                name=f"{service.name}-appmesh",
                namespace=args.istio.system_namespace,
                spec=pulumi.Output.from_input(gateway_hostname).apply(
                    _entry_spec(service, addresses[service_host(service)])
                ),
                parent=self,
                depends_on=self._after_istiod,
            )
            for caller in (by_name[c] for c in service.callers if by_name[c].cloud == "gcp"):
                if caller.name not in issued:
                    issued.add(caller.name)
                    self._credential(
                        caller.name,
                        specs.client_credential_name(caller),
                        args.istio.app_namespaces[caller.namespace],
                        uris=[spiffe_id(args.trust_domain, caller.namespace, caller.name)],
                        dns_names=[service_host(caller)],
                    )
                self._cluster.custom_object(
                    resource_name=f"{self._name}-{service.name}-from-{caller.name}",
                    api_version=ISTIO_NETWORKING,
                    kind="DestinationRule",
                    name=f"{service.name}-appmesh-from-{caller.name}",
                    namespace=args.istio.app_namespaces[caller.namespace],
                    spec=specs.appmesh_destination_rule_spec(
                        service, caller, args.policies[service.name], args.localities, gateway_ids
                    ),
                    parent=self,
                    depends_on=self._after_istiod,
                )

    def _credential(
        self,
        purpose: str,
        secret_name: str,
        namespace: pulumi.Input[str],
        uris: list[str],
        dns_names: list[str],
    ) -> k8s.core.v1.Secret:
        """A key and certificate from the GKE intermediate in Istio's credential format: tls.crt (with
        the intermediate), tls.key, and ca.crt, every root the mesh trusts, to verify the other side."""
        leaf = issue_leaf_certificate(
            f"{self._name}-{purpose}",
            self._args.intermediate,
            organization="crossmesh bridge",
            uris=uris,
            dns_names=dns_names,
            parent=self,
        )
        self.certificate_expiries[purpose] = leaf.validity_end_time
        data = leaf.secret_files(chain="tls.crt", key="tls.key", trust_bundle="ca.crt")
        return k8s.core.v1.Secret(
            f"{self._name}-{purpose}-credential",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=secret_name, namespace=namespace),
            type="Opaque",
            string_data=data,
            opts=self._in_cluster,
        )


def _entry_spec(service: ServiceConfig, address: str) -> Callable[[str], dict[str, Any]]:
    """The ServiceEntry spec of `service` once the gateway's hostname is known."""
    return lambda hostname: specs.service_entry_spec(service, hostname, address)
