"""AppMesh: AWS App Mesh on EKS, the legacy engine of the AWS side, bridged to Istio on GKE.

AWS App Mesh reached end of support on 2026-09-30: after that date AWS no longer gives access to the
App Mesh console or App Mesh resources (banner of
https://docs.aws.amazon.com/app-mesh/latest/userguide/what-is-app-mesh.html). This component exists
for estates still described that way and for the move to Istio (docs/runbooks/move-off-app-mesh.md); it
warns on every run.

In order: the controller's IRSA role (only this mesh's objects and this Cloud Map namespace), the
controller chart with its CRDs, the Mesh (egress DROP_ALL), the Cloud Map private DNS namespace on
the VPC; per AWS service its namespace, its Envoy's IRSA role and ServiceAccount, a certificate from
the EKS intermediate (SPIFFE URI and Cloud Map DNS SANs) in a Secret that Envoy mounts, and its
VirtualNode (listener STRICT, clients verified against the root, exact SANs), VirtualRouter with its
route, and VirtualService. The bridge: a virtual node for the Istio ingress gateway on GKE (its
internal address registered in Cloud Map) with a router per GKE service that AWS services call; and
for GKE callers a VirtualGateway on an internal NLB with a GatewayRoute per called AWS service.

Certificates are files: Envoy reads them at start and never again (aws-app-mesh-roadmap #245, #483),
and pulumi-tls reissues them only when `pulumi up` runs inside the early-renewal window
(pulumi-tls #39). After a `pulumi up` that reissued any (their end dates in `certificate_expiries`
move), restart the workloads that mount them before the old ones expire (docs/appmesh.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.clusters.eks_cluster import EksIdentity
from components.clusters.kube_cluster import KubeCluster
from components.config import ServiceConfig, TrafficPolicySpec
from components.mesh import appmesh_specs as specs
from components.mesh.bridge_specs import ingress_gateway_id
from components.mesh.leaf_certificate import issue_leaf_certificate
from components.mesh.mesh_ca import Intermediate
from components.mesh.traffic_specs import service_host
from components.network.aws_specs import partition_of

END_OF_SUPPORT = "2026-09-30"
EOL_WARNING = (
    f"AWS App Mesh reached end of support on {END_OF_SUPPORT}: AWS no longer gives access to App Mesh "
    "resources or its console. crossmesh:mesh.engines.aws is 'appmesh'; move this stack to Istio on EKS "
    "(docs/runbooks/move-off-app-mesh.md)."
)


@dataclass(frozen=True)
class AppMeshArgs:
    cluster: KubeCluster
    eks: EksIdentity
    aws_region: str
    aws_vpc_id: pulumi.Output[str]
    intermediate: Intermediate
    """The EKS cluster's intermediate CA: it signs every App Mesh certificate."""
    mesh_id: str
    trust_domain: str
    services: Sequence[ServiceConfig]
    """Every service of both clouds; the AWS ones run in App Mesh, the GCP ones are bridged."""
    policies: Mapping[str, TrafficPolicySpec]
    gke_ingress_address: pulumi.Input[str]
    """The internal address of the Istio ingress gateway on GKE that App Mesh callers reach."""
    gke_source_ranges: Sequence[str]
    """GKE address ranges allowed on the VirtualGateway's load balancer."""
    envoy_digest: str
    """sha256 digest of the pinned Envoy release (mesh.appmeshEnvoyDigest)."""
    tracing: bool = True
    sampling_percent: float = 1.0


class AppMesh(pulumi.ComponentResource):
    cloud_map_namespace: str
    controller: k8s.helm.v3.Release
    controller_role_arn: pulumi.Output[str]
    secret_mounts: dict[str, str]
    """Per AWS service, the `appmesh.k8s.aws/secretMounts` annotation its pods need."""
    certificate_expiries: dict[str, pulumi.Output[str]]
    virtual_gateway_hostname: pulumi.Output[str] | None
    """The VirtualGateway's internal NLB, when GKE services call AWS services."""

    def __init__(self, name: str, args: AppMeshArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crossmesh:appmesh:AppMesh", name, None, opts)
        pulumi.log.warn(EOL_WARNING, resource=self)
        self._name = name
        self._args = args
        self._in_aws = pulumi.ResourceOptions(parent=self)
        self._cluster = args.cluster
        self._in_cluster = pulumi.ResourceOptions(parent=self, provider=args.cluster.provider)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self._scope: pulumi.Output[specs.AwsScope] = identity.account_id.apply(
            lambda account: specs.AwsScope(
                partition=partition_of(args.aws_region), region=args.aws_region, account=account
            )
        )
        self.cloud_map_namespace = specs.cloud_map_namespace(args.mesh_id)

        discovery = self._build_control_plane()

        aws_services = [s for s in args.services if s.cloud == "aws"]
        namespaces = sorted({s.namespace for s in aws_services} | {specs.BRIDGE_NAMESPACE})
        self._namespaces = {ns: self._mesh_namespace(ns) for ns in namespaces}
        calls = specs.topology(args.services, args.trust_domain, ingress_gateway_id(args.trust_domain))

        self.secret_mounts = {}
        self.certificate_expiries = {}
        for service in aws_services:
            self._workload(
                service,
                calls.caller_ids[service.name],
                calls.backends[service.name],
                args.policies[service.name],
            )
        if calls.called_on_gke:
            self._gke_ingress(discovery, calls.called_on_gke)
        self.virtual_gateway_hostname = None
        if calls.bridged:
            self.virtual_gateway_hostname = self._virtual_gateway(calls.bridged, calls.gke_caller_ids)

        self.register_outputs(
            {
                "cloudMapNamespace": self.cloud_map_namespace,
                "controllerStatus": self.controller.status,
                "secretMounts": self.secret_mounts,
                "certificateExpiries": self.certificate_expiries,
                "virtualGatewayHostname": self.virtual_gateway_hostname,
            }
        )

    def _build_control_plane(self) -> aws.servicediscovery.PrivateDnsNamespace:
        """The Cloud Map namespace, the controller (its IRSA role, namespace and chart) and the Mesh.
        Returns the Cloud Map namespace."""
        args = self._args
        namespace = aws.servicediscovery.PrivateDnsNamespace(
            f"{self._name}-discovery",
            name=self.cloud_map_namespace,
            vpc=args.aws_vpc_id,
            description=f"App Mesh service discovery of mesh {args.mesh_id}",
            opts=self._in_aws,
        )
        self.controller_role_arn = self._irsa_role(
            "controller",
            specs.CONTROLLER_NAMESPACE,
            specs.CONTROLLER_SERVICE_ACCOUNT,
            pulumi.Output.all(self._scope, namespace.arn, namespace.hosted_zone).apply(
                lambda v: specs.controller_policy(v[0], args.mesh_id, v[1], v[2])
            ),
        )
        system = self._cluster.namespace(
            resource_name=f"{self._name}-system", name=specs.CONTROLLER_NAMESPACE, parent=self
        )
        # The chart brings the App Mesh CRDs with it.
        self.controller = self._cluster.helm_release(
            resource_name=f"{self._name}-controller",
            release_name=specs.CONTROLLER_CHART,
            chart=specs.CONTROLLER_CHART,
            version=specs.CONTROLLER_CHART_VERSION,
            repository=specs.EKS_CHARTS_REPO,
            namespace=system.metadata.name,
            values=pulumi.Output.all(args.eks.cluster_name, self.controller_role_arn).apply(
                lambda v: specs.controller_values(
                    args.aws_region, v[0], v[1], args.tracing, args.sampling_percent, args.envoy_digest
                )
            ),
            skip_crds=False,
            parent=self,
        )
        mesh = self._cluster.custom_object(
            resource_name=f"{self._name}-mesh",
            api_version=specs.APPMESH_API,
            kind="Mesh",
            name=args.mesh_id,
            spec=specs.mesh_spec(args.mesh_id),
            parent=self,
            depends_on=[self.controller],
        )
        # The CRDs and webhook come with the controller; the webhook places an object in the Mesh that
        # selects its namespace, and the controller resolves Cloud Map names, so every App Mesh object
        # but the Mesh waits for all three.
        self._in_mesh: list[pulumi.Resource] = [self.controller, mesh, namespace]
        return namespace

    # --- per service ------------------------------------------------------------------------------------

    def _workload(
        self,
        service: ServiceConfig,
        caller_ids: list[str],
        backends: list[specs.Backend],
        policy: TrafficPolicySpec,
    ) -> None:
        args = self._args
        ns = self._namespaces[service.namespace]
        role_arn = self._irsa_role(
            service.name,
            service.namespace,
            service.name,
            self._scope.apply(
                lambda scope: specs.envoy_policy(
                    scope,
                    args.mesh_id,
                    f"virtualNode/{specs.virtual_node_name(service)}",
                    args.tracing,
                )
            ),
        )
        self._service_account(service.name, ns, role_arn)
        self._certificate(
            service.name,
            ns,
            uris=[specs.workload_id(args.trust_domain, service)],
            dns_names=[specs.discovery_host(service, self.cloud_map_namespace), service_host(service)],
        )
        self.secret_mounts[service.name] = specs.secret_mounts(service.name)
        label = f"{self._name}-{service.name}"
        node = specs.virtual_node_spec(service, policy, self.cloud_map_namespace, caller_ids, backends)
        for resource_name, kind, spec in (
            (label, "VirtualNode", node),
            (f"{label}-router", "VirtualRouter", specs.virtual_router_spec(service, policy)),
            (f"{label}-service", "VirtualService", specs.virtual_service_spec(service)),
        ):
            self._cluster.custom_object(
                resource_name=resource_name,
                api_version=specs.APPMESH_API,
                kind=kind,
                name=service.name,
                namespace=ns,
                spec=spec,
                parent=self,
                depends_on=self._in_mesh,
            )

    # --- the bridge ---------------------------------------------------------------------------------------

    def _gke_ingress(
        self, namespace: aws.servicediscovery.PrivateDnsNamespace, called: list[ServiceConfig]
    ) -> None:
        """The Istio ingress gateway on GKE, registered in Cloud Map, and a router per called service."""
        discovery = aws.servicediscovery.Service(
            f"{self._name}-gke-ingress",
            name=specs.GKE_INGRESS_NODE,
            dns_config=aws.servicediscovery.ServiceDnsConfigArgs(
                namespace_id=namespace.id,
                dns_records=[aws.servicediscovery.ServiceDnsConfigDnsRecordArgs(type="A", ttl=10)],
                routing_policy="MULTIVALUE",
            ),
            opts=self._in_aws,
        )
        aws.servicediscovery.Instance(
            f"{self._name}-gke-ingress",
            instance_id=specs.GKE_INGRESS_NODE,
            service_id=discovery.id,
            attributes={
                "AWS_INSTANCE_IPV4": self._args.gke_ingress_address,
                "AWS_INSTANCE_PORT": str(specs.GKE_INGRESS_PORT),
            },
            opts=self._in_aws,
        )
        bridge_ns = self._namespaces[specs.BRIDGE_NAMESPACE]
        self._cluster.custom_object(
            resource_name=f"{self._name}-{specs.GKE_INGRESS_NODE}",
            api_version=specs.APPMESH_API,
            kind="VirtualNode",
            name=specs.GKE_INGRESS_NODE,
            namespace=bridge_ns,
            spec=specs.gke_ingress_node_spec(self.cloud_map_namespace),
            parent=self,
            depends_on=self._in_mesh,
        )
        for service in called:
            remote = specs.remote_service_name(service)
            policy = self._args.policies[service.name]
            label = f"{self._name}-{remote}"
            for resource_name, kind, spec in (
                (f"{label}-router", "VirtualRouter", specs.remote_virtual_router_spec(service, policy)),
                (f"{label}-service", "VirtualService", specs.remote_virtual_service_spec(service)),
            ):
                self._cluster.custom_object(
                    resource_name=resource_name,
                    api_version=specs.APPMESH_API,
                    kind=kind,
                    name=remote,
                    namespace=bridge_ns,
                    spec=spec,
                    parent=self,
                    depends_on=self._in_mesh,
                )
            self._placeholder(service)

    def _placeholder(self, service: ServiceConfig) -> None:
        """A selector-less Service that makes a GKE service's host resolve on EKS: App Mesh's Envoy
        takes over a call only once the application has resolved its name and connected
        (https://docs.aws.amazon.com/app-mesh/latest/userguide/virtual_services.html)."""
        namespace = self._namespaces.get(service.namespace)
        if namespace is None:
            namespace = self._cluster.namespace(
                resource_name=f"{self._name}-remote-ns-{service.namespace}",
                name=service.namespace,
                parent=self,
            ).metadata.name
            self._namespaces[service.namespace] = namespace
        k8s.core.v1.Service(
            f"{self._name}-{specs.remote_service_name(service)}-placeholder",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=service.name, namespace=namespace, labels={"crossmesh/remote-cloud": service.cloud}
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                ports=[k8s.core.v1.ServicePortArgs(name="http", port=service.port, protocol="TCP")],
            ),
            opts=self._in_cluster,
        )

    def _virtual_gateway(self, bridged: list[ServiceConfig], caller_ids: list[str]) -> pulumi.Output[str]:
        """The App Mesh entry for GKE callers: the VirtualGateway and its routes, Envoy pods and their
        NLB, whose hostname it returns."""
        args = self._args
        ns = self._namespaces[specs.BRIDGE_NAMESPACE]
        name = specs.VIRTUAL_GATEWAY
        role_arn = self._irsa_role(
            "gateway",
            specs.BRIDGE_NAMESPACE,
            name,
            self._scope.apply(
                lambda scope: specs.envoy_policy(
                    scope, args.mesh_id, f"virtualGateway/{name}_{specs.BRIDGE_NAMESPACE}", args.tracing
                )
            ),
        )
        account = self._service_account(name, ns, role_arn)
        secret = self._certificate(
            name,
            ns,
            uris=[specs.gateway_id(args.trust_domain)],
            dns_names=[service_host(s) for s in bridged],
        )
        gateway = self._cluster.custom_object(
            resource_name=f"{self._name}-{name}",
            api_version=specs.APPMESH_API,
            kind="VirtualGateway",
            name=name,
            namespace=ns,
            spec=specs.virtual_gateway_spec(
                args.mesh_id, caller_ids, [specs.workload_id(args.trust_domain, s) for s in bridged]
            ),
            parent=self,
            depends_on=self._in_mesh,
        )
        for service in bridged:
            route = f"{service.name}-{service.namespace}"
            self._cluster.custom_object(
                resource_name=f"{self._name}-{route}-gateway-route",
                api_version=specs.APPMESH_API,
                kind="GatewayRoute",
                name=route,
                namespace=ns,
                spec=specs.gateway_route_spec(service),
                labels={"gateway": name},
                parent=self,
                depends_on=self._in_mesh,
            )
        labels = {"app": name}
        self._gateway_pods(labels, secret, after=[gateway, account])
        return self._gateway_balancer(labels)

    def _gateway_pods(
        self, labels: dict[str, str], secret: k8s.core.v1.Secret, after: list[pulumi.Resource]
    ) -> None:
        """The gateway's Envoy pods, which the controller's webhook completes, and their disruption budget."""
        ns, name = self._namespaces[specs.BRIDGE_NAMESPACE], specs.VIRTUAL_GATEWAY
        admin = k8s.core.v1.ProbeArgs  # Envoy's admin listener answers both probes
        k8s.apps.v1.Deployment(
            f"{self._name}-gateway",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=ns),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=specs.GATEWAY_REPLICAS,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=name,
                        # Envoy talks to App Mesh with IRSA credentials (the EKS webhook mounts their
                        # token itself), never to the Kubernetes API.
                        automount_service_account_token=False,
                        security_context=k8s.core.v1.PodSecurityContextArgs(
                            run_as_non_root=True,
                            run_as_user=specs.ENVOY_UID,
                            run_as_group=specs.ENVOY_UID,
                            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                        ),
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name="envoy",
                                # The controller's webhook adds the Envoy environment; image by digest.
                                image=specs.envoy_image(self._args.envoy_digest),
                                ports=[
                                    k8s.core.v1.ContainerPortArgs(container_port=specs.VIRTUAL_GATEWAY_PORT)
                                ],
                                volume_mounts=[
                                    k8s.core.v1.VolumeMountArgs(
                                        name="mesh-tls", mount_path=specs.CERT_DIR, read_only=True
                                    ),
                                    # Envoy's only writes: its admin access log and hot-restart files.
                                    k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
                                ],
                                security_context=k8s.core.v1.SecurityContextArgs(
                                    allow_privilege_escalation=False,
                                    privileged=False,
                                    read_only_root_filesystem=True,
                                    capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
                                ),
                                resources=k8s.core.v1.ResourceRequirementsArgs(
                                    requests=specs.GATEWAY_RESOURCES["requests"],
                                    limits=specs.GATEWAY_RESOURCES["limits"],
                                ),
                                readiness_probe=admin(
                                    http_get=k8s.core.v1.HTTPGetActionArgs(
                                        path="/ready", port=specs.ENVOY_ADMIN_PORT
                                    ),
                                    period_seconds=5,
                                ),
                                liveness_probe=admin(
                                    tcp_socket=k8s.core.v1.TCPSocketActionArgs(port=specs.ENVOY_ADMIN_PORT),
                                    initial_delay_seconds=10,
                                    period_seconds=10,
                                ),
                            )
                        ],
                        volumes=[
                            k8s.core.v1.VolumeArgs(
                                name="mesh-tls",
                                secret=k8s.core.v1.SecretVolumeSourceArgs(secret_name=secret.metadata.name),
                            ),
                            k8s.core.v1.VolumeArgs(
                                name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(medium="Memory")
                            ),
                        ],
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions.merge(self._in_cluster, pulumi.ResourceOptions(depends_on=after)),
        )
        # Every GKE -> App Mesh call passes here: keep one replica through node drains.
        k8s.policy.v1.PodDisruptionBudget(
            f"{self._name}-gateway",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=ns),
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                min_available=1, selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels)
            ),
            opts=self._in_cluster,
        )

    def _gateway_balancer(self, labels: dict[str, str]) -> pulumi.Output[str]:
        """The internal NLB in front of the gateway's pods, open to the GKE ranges only; its hostname."""
        ns, name = self._namespaces[specs.BRIDGE_NAMESPACE], specs.VIRTUAL_GATEWAY
        balancer = k8s.core.v1.Service(
            f"{self._name}-gateway",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=name, namespace=ns, annotations=specs.gateway_service_annotations()
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="LoadBalancer",
                selector=labels,
                load_balancer_source_ranges=sorted(self._args.gke_source_ranges),
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name="https", port=443, target_port=specs.VIRTUAL_GATEWAY_PORT, protocol="TCP"
                    )
                ],
            ),
            opts=self._in_cluster,
        )
        hostname: pulumi.Output[str] = balancer.status.load_balancer.ingress.apply(_first_hostname)
        return hostname

    # --- building blocks ----------------------------------------------------------------------------------

    def _mesh_namespace(self, ns: str) -> pulumi.Output[str]:
        # Application namespaces hold the teams' workloads: leaving App Mesh (or deleting this
        # component) must never delete them; Istio takes the same namespaces over.
        namespace = self._cluster.namespace(
            resource_name=f"{self._name}-ns-{ns}",
            name=ns,
            labels=specs.namespace_labels(self._args.mesh_id),
            parent=self,
            retain_on_delete=ns != specs.BRIDGE_NAMESPACE,
        )
        return namespace.metadata.name

    def _irsa_role(
        self, purpose: str, namespace: str, service_account: str, policy: pulumi.Input[str]
    ) -> pulumi.Output[str]:
        role = aws.iam.Role(
            f"{self._name}-{purpose}-irsa",
            assume_role_policy=self._args.eks.irsa_trust_policy(namespace, service_account),
            opts=self._in_aws,
        )
        aws.iam.RolePolicy(f"{self._name}-{purpose}-irsa", role=role.id, policy=policy, opts=self._in_aws)
        return role.arn

    def _service_account(
        self, name: str, namespace: pulumi.Output[str], role_arn: pulumi.Output[str]
    ) -> k8s.core.v1.ServiceAccount:
        return k8s.core.v1.ServiceAccount(
            f"{self._name}-{name}-account",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=name, namespace=namespace, annotations={specs.ROLE_ANNOTATION: role_arn}
            ),
            opts=self._in_cluster,
        )

    def _certificate(
        self, name: str, namespace: pulumi.Output[str], uris: list[str], dns_names: list[str]
    ) -> k8s.core.v1.Secret:
        """A key and certificate from the EKS intermediate, in the Secret Envoy mounts at CERT_DIR."""
        leaf = issue_leaf_certificate(
            f"{self._name}-{name}",
            self._args.intermediate,
            organization=f"crossmesh {self._args.mesh_id}",
            uris=uris,
            dns_names=dns_names,
            parent=self,
        )
        self.certificate_expiries[name] = leaf.validity_end_time
        data = leaf.secret_files(
            chain=specs.CERT_CHAIN_KEY, key=specs.PRIVATE_KEY_KEY, trust_bundle=specs.ROOT_KEY
        )
        return k8s.core.v1.Secret(
            f"{self._name}-{name}-tls",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=specs.tls_secret_name(name), namespace=namespace),
            type="Opaque",
            string_data=data,
            opts=self._in_cluster,
        )


def _first_hostname(ingress: Sequence[Any] | None) -> str:
    for entry in ingress or []:
        if entry.hostname:
            return str(entry.hostname)
    raise ValueError("the VirtualGateway's load balancer has no hostname yet")
