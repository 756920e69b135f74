"""CrossMesh: the root component that wires both clouds together, in the one-way order of data.

config -> networks -> link / clusters -> CA -> meshes -> services -> observability. Each part gets
what it needs as typed arguments; nothing below reads pulumi.Config.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
import pulumi_random as random
import pulumi_tls as tls

from components.clusters.eks_autoscaler import EksAutoscaler, EksAutoscalerArgs
from components.clusters.eks_cluster import EksCluster, EksClusterArgs
from components.clusters.gke_cluster import GkeCluster, GkeClusterArgs
from components.config import StackConfig, TrafficPolicySpec
from components.link.interconnect_link import InterconnectLink, InterconnectLinkArgs
from components.link.peer_firewalls import PeerFirewalls, PeerFirewallsArgs
from components.link.specs import gcp_prefixes
from components.link.transit_hub import TransitHub, TransitHubArgs
from components.link.vpn_link import VpnLink, VpnLinkArgs
from components.mesh import bridge_specs, istio_specs
from components.mesh.app_mesh import AppMesh, AppMeshArgs
from components.mesh.certificate_specs import HOURS_PER_DAY, MESH_CLUSTERS, overdue_lead_hours
from components.mesh.istio_bridge import IstioBridge, IstioBridgeArgs
from components.mesh.istio_mesh import IstioMesh, IstioMeshArgs
from components.mesh.istio_peering import IstioPeering, IstioPeeringArgs
from components.mesh.leaf_certificate import LEAF_RENEWAL_DAYS
from components.mesh.mesh_ca import MeshCA, MeshCAArgs
from components.mesh.namespace_owners import NamespaceOwner
from components.mesh.traffic_specs import Localities, service_catalogue
from components.network.aws_network import AwsNetwork, AwsNetworkArgs
from components.network.cross_cloud_dns import CrossCloudDns, CrossCloudDnsArgs
from components.network.gcp_network import GcpNetwork, GcpNetworkArgs
from components.observability import specs as observability_specs
from components.observability.aws_observability import (
    AwsObservability,
    AwsObservabilityArgs,
    AwsTunnel,
)
from components.observability.certificate_alarm import (
    CertificateAlarm,
    CertificateAlarmArgs,
    WatchedCertificate,
)
from components.observability.gcp_observability import GcpObservability, GcpObservabilityArgs, GcpTunnel
from components.protection import keep_critical

# The App Mesh component's name: part of the URNs of the EKS namespaces it declares.
APPMESH = "appmesh"

# The type of the link component ("link") that parented the Transit Gateway hub, per link kind, before
# CrossMesh built the hub for both kinds.
FORMER_HUB_PARENT_TYPES = {
    "vpn": "crossmesh:link:CrossCloudLink",
    "interconnect": "crossmesh:link:InterconnectLink",
}


@dataclass(frozen=True)
class CrossMeshArgs:
    config: StackConfig
    stack: str


class CrossMesh(pulumi.ComponentResource):
    def __init__(self, name: str, args: CrossMeshArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        config = args.config
        # Every resource below is protected and retained as components/protection_specs.py says.
        critical = pulumi.ResourceOptions(transformations=[keep_critical(config.protect)])
        super().__init__(
            "crossmesh:index:CrossMesh", name, None, pulumi.ResourceOptions.merge(opts, critical)
        )
        prefix = f"cm-{args.stack}"
        self.aws_region = config.aws.region
        self.gcp_project = config.gcp.project
        labels = {"crossmesh-stack": args.stack, "managed-by": "pulumi"}

        in_clouds = self._build_providers(config, args.stack, labels)

        self.aws_network = AwsNetwork(
            "aws-network",
            AwsNetworkArgs(config=config.aws, name_prefix=prefix, protect=config.protect),
            opts=in_clouds,
        )
        # What AWS routes to the link and the link advertises: the GCP ranges reachable from outside.
        self.gcp_prefixes = gcp_prefixes(config.gcp.subnet_cidr, config.gcp.pods_cidr, config.gcp.master_cidr)
        self.gcp_network = GcpNetwork(
            "gcp-network",
            GcpNetworkArgs(
                config=config.gcp,
                router_asn=config.link.gcp_asn,
                name_prefix=prefix,
                advertised=self.gcp_prefixes,
            ),
            opts=in_clouds,
        )

        self._build_link(config, prefix, in_clouds)

        # GKE resolves EKS API names through the AWS VPC resolver over the link. Only the networks feed
        # it; nothing reads it but the stack outputs, so neither cluster waits for it.
        self.cross_cloud_dns = CrossCloudDns(
            "dns",
            CrossCloudDnsArgs(
                name_prefix=prefix,
                aws_region=config.aws.region,
                aws_vpc_id=self.aws_network.vpc_id,
                aws_private_subnet_ids=self.aws_network.private_subnet_ids,
                gcp_network_self_link=self.gcp_network.network_self_link,
            ),
            opts=in_clouds,
        )

        self._build_clusters(config, prefix, labels, in_clouds)

        self._build_meshes(config, prefix, in_clouds)
        self.services = service_catalogue(config)

        self._build_observability(config, prefix, in_clouds)
        self._watch_certificates(config, prefix, in_clouds)

        self.register_outputs(self.exports())

    def _build_providers(
        self, config: StackConfig, stack: str, labels: dict[str, str]
    ) -> pulumi.ResourceOptions:
        """One explicit provider per cloud and library; the options that place a component in them."""
        # Explicit providers: the region and project come from the validated config, not from
        # ambient provider config, so a stack file is the single source of truth.
        self.aws_provider = aws.Provider(
            "aws",
            aws.ProviderArgs(
                region=config.aws.region,
                default_tags=aws.ProviderDefaultTagsArgs(
                    tags={"crossmesh:stack": stack, "managed-by": "pulumi"}
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.gcp_provider = gcp.Provider(
            "gcp",
            gcp.ProviderArgs(project=config.gcp.project, region=config.gcp.region, default_labels=labels),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Explicit too, so that every resource of the plan names its provider (the VPN keys use it).
        self.random_provider = random.Provider("random", opts=pulumi.ResourceOptions(parent=self))
        self.tls_provider = tls.Provider("tls", opts=pulumi.ResourceOptions(parent=self))
        return pulumi.ResourceOptions(
            parent=self,
            providers={
                "aws": self.aws_provider,
                "gcp": self.gcp_provider,
                "random": self.random_provider,
                "tls": self.tls_provider,
            },
        )

    def _build_link(self, config: StackConfig, prefix: str, in_clouds: pulumi.ResourceOptions) -> None:
        # The link: the one place where each cloud's network outputs flow into the other.
        prefixes = self.gcp_prefixes
        # The AWS end is the same whichever way the link reaches Google Cloud. The hub used to be the
        # link component's child: the alias keeps deployed stacks' hub and its children (aliases pass
        # to children) from being replaced for the move.
        former_parent = pulumi.resource.create_urn(
            "link", FORMER_HUB_PARENT_TYPES[config.link.kind], parent=self
        )
        hub = TransitHub(
            "link-hub",
            TransitHubArgs(
                name_prefix=prefix,
                amazon_side_asn=config.link.aws_asn,
                vpc_id=self.aws_network.vpc_id,
                private_subnet_ids=self.aws_network.private_subnet_ids,
                private_route_table_ids=self.aws_network.private_route_table_ids,
                gcp_prefixes=prefixes,
                protect=config.protect,
            ),
            opts=pulumi.ResourceOptions.merge(
                in_clouds, pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=former_parent)])
            ),
        )
        self.link: VpnLink | InterconnectLink
        if config.link.kind == "vpn":
            self.link = VpnLink(
                "link",
                VpnLinkArgs(
                    link=config.link,
                    name_prefix=prefix,
                    protect=config.protect,
                    hub=hub,
                    aws_logs_key_arn=self.aws_network.logs_key_arn,
                    gcp_region=self.gcp_network.region,
                    gcp_network_self_link=self.gcp_network.network_self_link,
                    gcp_router_name=self.gcp_network.router_name,
                    gcp_prefixes=prefixes,
                ),
                opts=in_clouds,
            )
        else:
            self.link = InterconnectLink(
                "link",
                InterconnectLinkArgs(
                    link=config.link,
                    name_prefix=prefix,
                    protect=config.protect,
                    hub=hub,
                    aws_vpc_cidr=self.aws_network.vpc_cidr,
                    gcp_project=config.gcp.project,
                    gcp_region=self.gcp_network.region,
                    gcp_network_self_link=self.gcp_network.network_self_link,
                    gcp_prefixes=prefixes,
                ),
                opts=in_clouds,
            )
        self.peer_firewalls = PeerFirewalls(
            "peer-firewalls",
            PeerFirewallsArgs(
                name_prefix=prefix,
                aws_vpc_id=self.aws_network.vpc_id,
                aws_vpc_cidr=self.aws_network.vpc_cidr,
                gcp_network_self_link=self.gcp_network.network_self_link,
                gcp_source_ranges=(config.gcp.subnet_cidr, config.gcp.pods_cidr),
                # Istio sidecars on EKS call the GKE east-west gateway; App Mesh calls the bridge's ingress.
                gcp_load_balancer_ports=(
                    (istio_specs.CROSS_NETWORK_PORT,)
                    if config.mesh.engines.aws == "istio"
                    else (bridge_specs.INGRESS_PORT,)
                ),
            ),
            opts=in_clouds,
        )

    def _build_clusters(
        self, config: StackConfig, prefix: str, labels: dict[str, str], in_clouds: pulumi.ResourceOptions
    ) -> None:
        # The clusters take only their own cloud's network and the other cloud's address ranges
        # (static config), never the link or each other, so the engine creates both in parallel
        # with the link.
        gcp_ranges = [config.gcp.subnet_cidr, config.gcp.pods_cidr]
        self.eks = EksCluster(
            "eks",
            EksClusterArgs(
                config=config.clusters.eks,
                network=self.aws_network,
                region=config.aws.region,
                service_cidr=config.aws.service_cidr,
                name_prefix=prefix,
                api_peer_cidrs=gcp_ranges,
                node_security_group_ids=[self.peer_firewalls.node_security_group_id],
                protect=config.protect,
            ),
            opts=in_clouds,
        )
        # Keeps the EKS nodes between nodes.min and nodes.max, as GKE's own autoscaler does its pool's.
        self.eks_autoscaler = EksAutoscaler(
            "eks-autoscaler",
            EksAutoscalerArgs(
                cluster=self.eks.kube,
                identity=self.eks.identity,
                region=config.aws.region,
                kubernetes_version=config.clusters.eks.version,
                nodes=config.clusters.eks.nodes,
                name_prefix=prefix,
            ),
            opts=in_clouds,
        )
        self.gke = GkeCluster(
            "gke",
            GkeClusterArgs(
                config=config.clusters.gke,
                network=self.gcp_network,
                project=config.gcp.project,
                master_cidr=config.gcp.master_cidr,
                name_prefix=prefix,
                api_peer_cidrs=[config.aws.vpc_cidr],
                node_tag=self.peer_firewalls.gke_node_tag,
                # GKE always runs Istio: istiod's webhooks listen on the pods' 15017.
                control_plane_webhook_ports=(istio_specs.WEBHOOK_PORT,),
                protect=config.protect,
                managed_prometheus=config.observability.managed_prometheus,
                labels=labels,
            ),
            opts=in_clouds,
        )

    def _build_meshes(self, config: StackConfig, prefix: str, in_clouds: pulumi.ResourceOptions) -> None:
        # One root for the mesh, one intermediate per cloud's cluster (App Mesh's file certs included).
        self.mesh_ca = MeshCA(
            "mesh-ca",
            MeshCAArgs(
                ca=config.mesh.ca,
                mesh_id=config.mesh.mesh_id,
                trust_domain=config.mesh.trust_domain,
                clusters=MESH_CLUSTERS,
                protect=config.protect,
            ),
            opts=in_clouds,
        )

        # Istio on every cluster whose engine is istio (App Mesh on EKS is a separate component).
        policies = {service.name: config.effective_policy(service) for service in config.services}
        localities = Localities(aws_region=config.aws.region, gcp_region=config.gcp.region)
        engines = {"aws": config.mesh.engines.aws, "gcp": config.mesh.engines.gcp}
        # Services in an App Mesh cluster are reached from Istio through the bridge, not ISTIO_MUTUAL.
        bridged = frozenset(s.name for s in config.services if engines[s.cloud] == "appmesh")
        # Each east-west gateway's load balancer admits the other cloud's node and pod ranges only.
        peer_ranges = {"aws": [config.gcp.subnet_cidr, config.gcp.pods_cidr], "gcp": [config.aws.vpc_cidr]}
        self.istio: dict[str, IstioMesh] = {}
        for cluster in (self.eks.kube, self.gke.kube):
            if engines[cluster.cloud] != "istio":
                continue
            self.istio[cluster.cloud] = IstioMesh(
                f"istio-{cluster.cloud}",
                IstioMeshArgs(
                    cluster=cluster,
                    intermediate=self.mesh_ca.intermediates[cluster.cloud],
                    mesh_id=config.mesh.mesh_id,
                    trust_domain=config.mesh.trust_domain,
                    services=config.services,
                    policies=policies,
                    localities=localities,
                    istio=config.mesh.istio,
                    trust_domain_aliases=tuple(config.mesh.trust_domain_aliases),
                    bridged=bridged,
                    peer_ranges=peer_ranges[cluster.cloud],
                    extension_providers=tuple(observability_specs.extension_providers()),
                    namespace_owners=self._other_engines(cluster.cloud, "istio"),
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        if len(self.istio) == 2:
            IstioPeering(
                "istio-peering",
                IstioPeeringArgs(first=self.istio["aws"], second=self.istio["gcp"]),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.appmesh: AppMesh | None = None
        if engines["aws"] == "appmesh":
            self.appmesh = self._appmesh_bridged_to_istio(config, policies, localities, prefix, in_clouds)

    def _other_engines(self, cloud: str, engine: str) -> tuple[NamespaceOwner, ...]:
        """The components of the other engines that may declare this cluster's application namespaces:
        App Mesh and Istio on EKS take them over from each other (components/mesh/namespace_owners.py)."""
        if cloud != "aws":
            return ()
        if engine == "istio":
            return (
                AppMesh.namespace_owner(
                    APPMESH, pulumi.resource.create_urn(APPMESH, AppMesh.TYPE, parent=self)
                ),
            )
        istio = f"istio-{cloud}"
        return (
            IstioMesh.namespace_owner(istio, pulumi.resource.create_urn(istio, IstioMesh.TYPE, parent=self)),
        )

    def _build_observability(
        self, config: StackConfig, prefix: str, in_clouds: pulumi.ResourceOptions
    ) -> None:
        # Observability per cloud, after the meshes. Each side gets only its own cloud's resources:
        # the AWS alarms name the AWS tunnel ends, the GCP policies the GCP ones.
        ends = self.link.tunnel_ends if isinstance(self.link, VpnLink) else []
        istiod = {cloud: mesh.istiod for cloud, mesh in self.istio.items()}
        self.aws_observability = AwsObservability(
            "aws-observability",
            AwsObservabilityArgs(
                config=config.observability,
                name_prefix=prefix,
                region=config.aws.region,
                cluster=self.eks.kube,
                eks=self.eks.identity,
                logs_key_arn=self.aws_network.logs_key_arn,
                log_retention_days=config.clusters.eks.log_retention_days,
                mesh_engine=config.mesh.engines.aws,
                istiod=istiod.get("aws"),
                remote_mesh_cluster=self.gke.kube.mesh_cluster_name,
                tunnels=[
                    AwsTunnel(label=f"{e.group}-{e.tunnel}", vpn_id=e.aws_vpn_id, outside_ip=e.aws_outside_ip)
                    for e in ends
                ],
            ),
            opts=in_clouds,
        )
        self.gcp_observability = GcpObservability(
            "gcp-observability",
            GcpObservabilityArgs(
                config=config.observability,
                name_prefix=prefix,
                project=config.gcp.project,
                cluster=self.gke.kube,
                workload_pool=self.gke.workload_pool,
                istiod=istiod["gcp"],
                remote_mesh_cluster=self.eks.kube.mesh_cluster_name,
                remote_runs_istio="aws" in self.istio,
                tunnels=[
                    GcpTunnel(
                        label=f"{e.group}-{e.tunnel}",
                        tunnel_name=e.gcp_tunnel_name,
                        bgp_peer_name=e.gcp_bgp_peer_name,
                    )
                    for e in ends
                ],
            ),
            opts=in_clouds,
        )

    def _watch_certificates(
        self, config: StackConfig, prefix: str, in_clouds: pulumi.ResourceOptions
    ) -> None:
        """The renewal alarm over every certificate the stack renews, and the roots' rotation."""
        self.certificate_alarm: CertificateAlarm | None = None
        if not config.observability.alarms:
            return
        ca = config.mesh.ca
        watched = {
            key: WatchedCertificate(expiry, lead_hours=ca.root_early_renewal_days * HOURS_PER_DAY)
            for key, expiry in self.mesh_ca.expiries.items()
            if key.startswith("root-g")
        }
        for cluster in MESH_CLUSTERS:
            watched[f"intermediate-{cluster}"] = WatchedCertificate(
                self.mesh_ca.expiries[cluster], overdue_lead_hours(ca.early_renewal_days * HOURS_PER_DAY)
            )
        leaves: dict[str, pulumi.Output[str]] = {}
        if self.appmesh is not None:
            leaves |= {f"appmesh-{name}": end for name, end in self.appmesh.certificate_expiries.items()}
            leaves |= {f"bridge-{name}": end for name, end in self.istio_bridge.certificate_expiries.items()}
        for label, expiry in leaves.items():
            watched[label] = WatchedCertificate(expiry, overdue_lead_hours(LEAF_RENEWAL_DAYS * HOURS_PER_DAY))
        self.certificate_alarm = CertificateAlarm(
            "certificate-alarm",
            CertificateAlarmArgs(
                name_prefix=prefix,
                namespace=self.aws_observability.metrics_namespace,
                certificates=watched,
                alarm_actions=[config.observability.sns_topic_arn]
                if config.observability.sns_topic_arn
                else [],
            ),
            opts=in_clouds,
        )

    def _appmesh_bridged_to_istio(
        self,
        config: StackConfig,
        policies: dict[str, TrafficPolicySpec],
        localities: Localities,
        prefix: str,
        in_clouds: pulumi.ResourceOptions,
    ) -> AppMesh:
        """App Mesh on EKS and the bridge to Istio on GKE: the one place where the two sides meet.

        The GKE ingress gateway's internal address is reserved first, so that Cloud Map on AWS and the
        load balancer on GKE both take it from the same resource; the VirtualGateway's NLB hostname
        flows the other way, into the GKE ServiceEntries.
        """
        envoy_digest = config.mesh.appmesh_envoy_digest
        if envoy_digest is None:  # the config rules require it with App Mesh; this keeps the type exact
            raise ValueError("mesh.appmeshEnvoyDigest is required with engines.aws 'appmesh'")
        address = gcp.compute.Address(
            "appmesh-bridge-ingress",
            name=f"{prefix}-appmesh-bridge-ingress",
            description="Istio ingress gateway for App Mesh callers (internal load balancer)",
            address_type="INTERNAL",
            address=bridge_specs.ingress_address(config.gcp.subnet_cidr),
            subnetwork=self.gcp_network.subnet_self_link,
            region=config.gcp.region,
            opts=in_clouds,
        )
        appmesh = AppMesh(
            APPMESH,
            AppMeshArgs(
                cluster=self.eks.kube,
                eks=self.eks.identity,
                aws_region=config.aws.region,
                aws_vpc_id=self.aws_network.vpc_id,
                intermediate=self.mesh_ca.intermediates["aws"],
                mesh_id=config.mesh.mesh_id,
                trust_domain=config.mesh.trust_domain,
                services=config.services,
                policies=policies,
                gke_ingress_address=address.address,
                gke_source_ranges=[config.gcp.subnet_cidr, config.gcp.pods_cidr],
                envoy_digest=envoy_digest,
                tracing=config.observability.tracing,
                sampling_percent=config.observability.sampling_percent,
                controller_version=config.mesh.appmesh_controller_version,
                namespace_owners=self._other_engines("aws", "appmesh"),
            ),
            opts=in_clouds,
        )
        self.istio_bridge = IstioBridge(
            "istio-bridge",
            IstioBridgeArgs(
                istio=self.istio["gcp"],
                intermediate=self.mesh_ca.intermediates["gcp"],
                trust_domain=config.mesh.trust_domain,
                services=config.services,
                policies=policies,
                localities=localities,
                ingress_address=address.address,
                aws_source_ranges=[config.aws.vpc_cidr],
                virtual_gateway_hostname=appmesh.virtual_gateway_hostname,
            ),
            opts=in_clouds,
        )
        return appmesh

    def exports(self) -> dict[str, Any]:
        """The stack outputs, by name; secret values stay secret Outputs."""
        return {
            "awsRegion": self.aws_region,
            "awsVpcId": self.aws_network.vpc_id,
            "awsAvailabilityZoneIds": self.aws_network.availability_zone_ids,
            "gcpProject": self.gcp_project,
            "gcpRegion": self.gcp_network.region,
            "gcpRouter": self.gcp_network.router_name,
            "gcpNetwork": self.gcp_network.network_self_link,
            "services": self.services,
            "eksClusterName": self.eks.cluster_name,
            "eksEndpoint": self.eks.endpoint,
            "eksKubeconfig": self.eks.kubeconfig,
            "gkeClusterName": self.gke.cluster_name,
            "gkeEndpoint": self.gke.endpoint,
            "gkePrivateEndpoint": self.gke.private_endpoint,
            "gkeKubeconfig": self.gke.kubeconfig,
            **self.link.exports(),
            **self.cross_cloud_dns.exports(),
            "meshRootCertPem": self.mesh_ca.root_cert_pem,
            "meshTrustBundlePem": self.mesh_ca.trust_bundle_pem,
            "tunnelAlarms": self.aws_observability.tunnel_alarm_names,
            "cloudWatchDashboard": self.aws_observability.dashboard_name,
            "monitoringDashboard": self.gcp_observability.dashboard_id,
            "meshCaExpiry": self.mesh_ca.expiries,
            **self._appmesh_exports(),
            **({"certificateRenewalAlarm": alarm.alarm_name} if (alarm := self.certificate_alarm) else {}),
        }

    def _appmesh_exports(self) -> dict[str, Any]:
        if self.appmesh is None:
            return {}
        return {
            "appMeshSecretMounts": self.appmesh.secret_mounts,
            "appMeshCertificateExpiry": self.appmesh.certificate_expiries,
            "appMeshVirtualGateway": self.appmesh.virtual_gateway_hostname,
        }
