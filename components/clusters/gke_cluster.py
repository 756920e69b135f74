"""GkeCluster: a hardened regional GKE Standard cluster, and a Kubernetes provider for it.

What a security review looks for (CIS GKE section 5), and where it is:
- regional, VPC-native on GcpNetwork's secondary ranges, private nodes (no external IPs);
- the control plane: its IP endpoints accept only authorized networks, enforced on the private
  endpoint too (`privateEndpointEnforcementEnabled`), and the AWS VPC is one of them so the EKS side's
  istiod can read this API over the link. Global access on the private endpoint: the VPC routes
  globally, so a tunnel or Interconnect attachment in another region still reaches it. The control
  plane lives in `masterCidr` (VPC Network Peering with Google's project): GcpNetwork advertises that
  range to AWS, and the peering exports our custom routes so the control plane has a route back to
  AWS. The DNS-based endpoint (IAM-authorized, reachable from anywhere Google APIs are) is left
  closed to user traffic: every client here comes through the IP endpoints and authorized networks.
  https://cloud.google.com/kubernetes-engine/docs/concepts/network-isolation
  With no configured admin CIDRs the public endpoint is off and Pulumi must run inside the network.
- Workload Identity and the GKE metadata server on nodes; Dataplane V2, whose network policy
  enforcement is built in (the `networkPolicy` block must stay unset with ADVANCED_DATAPATH); a release
  channel; shielded nodes with secure boot and integrity monitoring; COS with containerd;
- a dedicated node service account with only the roles node logging and monitoring and image pulls
  need; Kubernetes secrets encrypted at the application layer with a Cloud KMS key that rotates;
- system and workload logging, system monitoring and Managed Service for Prometheus;
- the default node pool removed, one separate autoscaled pool with auto-repair and auto-upgrade.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.clusters.kube_cluster import KubeCluster
from components.clusters.kubeconfig_specs import gke_cluster_identifier, gke_kubeconfig, render
from components.config import GkeConfig
from components.network.gcp_network import GcpNetwork

# Google's least-privilege set for a node service account:
# https://cloud.google.com/kubernetes-engine/docs/how-to/hardening-your-cluster#use_least_privilege_sa
NODE_ROLES = (
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/artifactregistry.reader",
)
# Access is governed by IAM; the scope only stops being a second, coarser gate.
NODE_OAUTH_SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
SECRETS_KEY_ROTATION = "7776000s"  # 90 days
KMS_ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
ACCOUNT_ID_MAX = 30  # service account IDs are 6-30 characters


@dataclass(frozen=True)
class GkeClusterArgs:
    config: GkeConfig
    network: GcpNetwork
    project: str
    master_cidr: str
    name_prefix: str
    api_peer_cidrs: Sequence[str]
    """Ranges across the link allowed to the control plane (the EKS side's istiod reads this API)."""
    node_tag: str
    """Network tag of every node: the target of the firewall rules that let the other cloud in."""
    control_plane_webhook_ports: Sequence[int] = ()
    """Pod ports of admission webhooks the control plane must reach (istiod: 15017). A private cluster's
    control plane reaches the nodes on 443 and 10250 only."""
    protect: bool = False
    managed_prometheus: bool = True
    mesh_network: str = "gcp"
    labels: Mapping[str, str] = field(default_factory=dict)


class GkeCluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    """The API server URL Pulumi uses: the public endpoint, or the private one when it is off."""
    private_endpoint: pulumi.Output[str]
    """The API server URL on the control plane's private address, reachable over the link."""
    ca_data: pulumi.Output[str]
    node_service_account_email: pulumi.Output[str]
    node_tag: str
    workload_pool: pulumi.Output[str]
    """The project's Workload Identity pool, read from the cluster: the pool exists only once a cluster
    with Workload Identity does, so an IAM binding that names it must wait for the cluster
    (terraform-google-modules/terraform-google-kubernetes-engine #916)."""
    kubeconfig: pulumi.Output[str]
    """Secret."""
    provider: k8s.Provider
    kube: KubeCluster

    def __init__(self, name: str, args: GkeClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crossmesh:gcp:GkeCluster", name, None, opts)
        self._name, self._args = name, args
        self._cluster_name = f"{args.name_prefix}-gke"
        self._region = args.network.region
        self._child = pulumi.ResourceOptions(parent=self)
        self.node_tag = args.node_tag

        node_account, node_grants = self._build_node_account()
        secrets_key, key_grant = self._build_secrets_key()
        self.cluster = self._build_control_plane(node_account, secrets_key, [key_grant, *node_grants])
        self._build_control_plane_routes()
        self._build_webhook_firewall()
        self.node_pool = self._build_node_pool(node_account)
        self._build_access()

        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "endpoint": self.endpoint,
                "privateEndpoint": self.private_endpoint,
                "nodeServiceAccount": self.node_service_account_email,
                "kubeconfig": self.kubeconfig,
            }
        )

    def _build_node_account(self) -> tuple[gcp.serviceaccount.Account, list[gcp.projects.IAMMember]]:
        """The nodes' own service account with only the roles logging, monitoring and pulls need."""
        name, args = self._name, self._args
        node_account = gcp.serviceaccount.Account(
            f"{name}-nodes",
            account_id=node_account_id(args.name_prefix),
            display_name=f"{self._cluster_name} nodes",
            description="GKE nodes: logs, metrics, image pulls; nothing else",
            project=args.project,
            opts=self._child,
        )
        node_grants = [
            gcp.projects.IAMMember(
                f"{name}-nodes-{role.removeprefix('roles/').replace('.', '-').lower()}",
                project=args.project,
                role=role,
                member=node_account.member,
                opts=self._child,
            )
            for role in NODE_ROLES
        ]
        self.node_service_account_email = node_account.email
        return node_account, node_grants

    def _build_secrets_key(self) -> tuple[gcp.kms.CryptoKey, gcp.kms.CryptoKeyIAMMember]:
        """The Cloud KMS key of application-layer secrets encryption, and the GKE agent's use of it."""
        name, args = self._name, self._args
        protected = pulumi.ResourceOptions(parent=self, protect=args.protect)
        project = gcp.organizations.get_project_output(
            project_id=args.project, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        # Cloud KMS never deletes a key ring or a key, so a fixed name would collide when a destroyed
        # stack is brought up again: the ring is auto-named (with a random suffix) instead.
        key_ring = gcp.kms.KeyRing(
            f"{name}-keys", location=self._region, project=args.project, opts=protected
        )
        secrets_key = gcp.kms.CryptoKey(
            f"{name}-secrets-key",
            name="gke-secrets",
            key_ring=key_ring.id,
            purpose="ENCRYPT_DECRYPT",
            rotation_period=SECRETS_KEY_ROTATION,
            labels=dict(args.labels),
            opts=protected,
        )
        # The GKE service agent encrypts and decrypts with the key on the cluster's behalf:
        # https://cloud.google.com/kubernetes-engine/docs/how-to/encrypting-secrets
        key_grant = gcp.kms.CryptoKeyIAMMember(
            f"{name}-secrets-key-gke-agent",
            crypto_key_id=secrets_key.id,
            role=KMS_ENCRYPTER_DECRYPTER,
            member=project.number.apply(
                lambda number: (
                    f"serviceAccount:service-{number}@container-engine-robot.iam.gserviceaccount.com"
                )
            ),
            opts=self._child,
        )
        return secrets_key, key_grant

    def _build_control_plane(
        self,
        node_account: gcp.serviceaccount.Account,
        secrets_key: gcp.kms.CryptoKey,
        after: list[pulumi.Resource],
    ) -> gcp.container.Cluster:
        """The regional cluster: private nodes, authorized networks on both endpoints, Workload Identity,
        Dataplane V2, encrypted secrets; its default pool removed at creation."""
        name, args, cluster_name, network = self._name, self._args, self._cluster_name, self._args.network
        config = args.config
        admin_cidrs = list(config.master_authorized_cidrs)
        shielded = gcp.container.ClusterNodeConfigShieldedInstanceConfigArgs(
            enable_secure_boot=True, enable_integrity_monitoring=True
        )
        return gcp.container.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            project=args.project,
            location=self._region,
            description="crossmesh: GKE half of the cross-cloud mesh",
            network=network.network_self_link,
            subnetwork=network.subnet_self_link,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=network.pods_range_name,
                services_secondary_range_name=network.services_range_name,
            ),
            private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True,
                enable_private_endpoint=not admin_cidrs,
                master_ipv4_cidr_block=args.master_cidr,
                master_global_access_config=gcp.container.ClusterPrivateClusterConfigMasterGlobalAccessConfigArgs(
                    enabled=True
                ),
            ),
            master_authorized_networks_config=gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=self._authorized_networks(),
                gcp_public_cidrs_access_enabled=False,
                private_endpoint_enforcement_enabled=True,
            ),
            control_plane_endpoints_config=gcp.container.ClusterControlPlaneEndpointsConfigArgs(
                dns_endpoint_config=gcp.container.ClusterControlPlaneEndpointsConfigDnsEndpointConfigArgs(
                    allow_external_traffic=False
                ),
                ip_endpoints_config=gcp.container.ClusterControlPlaneEndpointsConfigIpEndpointsConfigArgs(
                    enabled=True
                ),
            ),
            master_auth=gcp.container.ClusterMasterAuthArgs(
                client_certificate_config=gcp.container.ClusterMasterAuthClientCertificateConfigArgs(
                    issue_client_certificate=False
                )
            ),
            enable_legacy_abac=False,
            enable_kubernetes_alpha=False,
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
                workload_pool=f"{args.project}.svc.id.goog"
            ),
            datapath_provider="ADVANCED_DATAPATH",
            # Dataplane V2 enforces NetworkPolicy itself; GKE requires the Calico add-on's block to say
            # disabled with it. Written out so readers and scanners (Checkov CKV_GCP_12) see the pairing.
            network_policy=gcp.container.ClusterNetworkPolicyArgs(enabled=False),
            release_channel=gcp.container.ClusterReleaseChannelArgs(channel=config.release_channel),
            min_master_version=config.min_master_version,
            enable_shielded_nodes=True,
            database_encryption=gcp.container.ClusterDatabaseEncryptionArgs(
                state="ENCRYPTED", key_name=secrets_key.id
            ),
            logging_service="logging.googleapis.com/kubernetes",
            logging_config=gcp.container.ClusterLoggingConfigArgs(
                enable_components=["SYSTEM_COMPONENTS", "APISERVER", "WORKLOADS"]
            ),
            monitoring_service="monitoring.googleapis.com/kubernetes",
            monitoring_config=gcp.container.ClusterMonitoringConfigArgs(
                enable_components=["SYSTEM_COMPONENTS"],
                managed_prometheus=gcp.container.ClusterMonitoringConfigManagedPrometheusArgs(
                    enabled=args.managed_prometheus
                ),
            ),
            addons_config=gcp.container.ClusterAddonsConfigArgs(
                http_load_balancing=gcp.container.ClusterAddonsConfigHttpLoadBalancingArgs(disabled=False),
                horizontal_pod_autoscaling=gcp.container.ClusterAddonsConfigHorizontalPodAutoscalingArgs(
                    disabled=False
                ),
            ),
            # The default pool exists for a moment at creation; it runs as the node account too, so
            # the Compute Engine default account is never used (and may be disabled by org policy).
            remove_default_node_pool=True,
            initial_node_count=1,
            node_config=gcp.container.ClusterNodeConfigArgs(
                service_account=node_account.email,
                oauth_scopes=NODE_OAUTH_SCOPES,
                shielded_instance_config=shielded,
                workload_metadata_config=gcp.container.ClusterNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA"
                ),
            ),
            resource_labels=dict(args.labels),
            deletion_protection=args.protect,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=after),
        )

    def _authorized_networks(
        self,
    ) -> list[gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs]:
        """The AWS ranges over the link, then the configured admin ranges."""
        args = self._args
        admin_cidrs = args.config.master_authorized_cidrs
        return [
            *(
                gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                    cidr_block=cidr, display_name=f"aws-over-link-{index}"
                )
                for index, cidr in enumerate(args.api_peer_cidrs)
            ),
            *(
                gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                    cidr_block=cidr, display_name=f"admin-{index}"
                )
                for index, cidr in enumerate(admin_cidrs)
            ),
        ]

    def _build_control_plane_routes(self) -> None:
        """The control plane's VPC learns our dynamic routes (the AWS prefixes from BGP) through the
        peering only if we export them; without this it cannot answer the EKS side.
        https://cloud.google.com/kubernetes-engine/docs/how-to/legacy/network-isolation"""
        gcp.compute.NetworkPeeringRoutesConfig(
            f"{self._name}-control-plane-routes",
            project=self._args.project,
            network=self._args.network.network_name,
            peering=self.cluster.private_cluster_config.peering_name,
            export_custom_routes=True,
            import_custom_routes=False,
            opts=self._child,
        )

    def _build_webhook_firewall(self) -> None:
        """GKE opens only 443 and 10250 from a private cluster's control plane to its nodes; an
        admission webhook served on another pod port needs a rule of its own, or the API server cannot
        call it and, with `failurePolicy: Fail`, refuses every pod it should inject. Cloud Service Mesh's
        "Open ports on a private cluster" asks for exactly this: TCP 15017 from the control-plane range
        to the nodes (https://cloud.google.com/service-mesh/docs/private-cluster-open-port)."""
        args = self._args
        ports = sorted(set(args.control_plane_webhook_ports))
        if not ports:
            return
        gcp.compute.Firewall(
            f"{self._name}-control-plane-webhooks",
            name=f"{self._cluster_name}-webhooks",
            project=args.project,
            network=args.network.network_self_link,
            direction="INGRESS",
            priority=1000,
            source_ranges=[args.master_cidr],
            target_tags=[self.node_tag],
            allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[str(port) for port in ports])],
            log_config=gcp.compute.FirewallLogConfigArgs(metadata="INCLUDE_ALL_METADATA"),
            description=f"{self._cluster_name}: the control plane calls admission webhooks on the pods",
            opts=self._child,
        )

    def _build_node_pool(self, node_account: gcp.serviceaccount.Account) -> gcp.container.NodePool:
        """The one autoscaled pool: COS, shielded, the GKE metadata server, auto-repair and upgrade."""
        name, args, cluster_name, config = self._name, self._args, self._cluster_name, self._args.config
        scaling = config.nodes
        return gcp.container.NodePool(
            f"{name}-nodes",
            name=f"{cluster_name}-nodes",
            project=args.project,
            location=self._region,
            cluster=self.cluster.name,
            initial_node_count=scaling.desired,
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                min_node_count=scaling.min, max_node_count=scaling.max, location_policy="BALANCED"
            ),
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
            upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(
                strategy="SURGE", max_surge=1, max_unavailable=0
            ),
            node_config=gcp.container.NodePoolNodeConfigArgs(
                machine_type=config.machine_type,
                disk_size_gb=config.disk_size_gb,
                disk_type="pd-balanced",
                image_type="COS_CONTAINERD",
                service_account=node_account.email,
                oauth_scopes=NODE_OAUTH_SCOPES,
                shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA"
                ),
                metadata={"disable-legacy-endpoints": "true"},
                tags=[self.node_tag],
                resource_labels=dict(args.labels),
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                # nodes.desired is the size the pool starts with (per zone); from then on the autoscaler
                # sets the count, between the bounds above, which change in place.
                ignore_changes=["initialNodeCount"],
            ),
        )

    def _build_access(self) -> None:
        """The endpoints, the kubeconfig, the Kubernetes provider and the mesh's handle of the cluster."""
        args = self._args
        self.cluster_name = self.cluster.name
        self.workload_pool = self.cluster.workload_identity_config.apply(_workload_pool)
        self.ca_data = self.cluster.master_auth.cluster_ca_certificate
        self.endpoint = self.cluster.endpoint.apply(lambda address: f"https://{address}")
        self.private_endpoint = self.cluster.private_cluster_config.apply(
            lambda private: f"https://{private.private_endpoint}"
        )

        context = f"gke_{args.project}_{self._region}_{self._cluster_name}"
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(self.endpoint, self.ca_data).apply(
                lambda values: render(gke_kubeconfig(context, values[0], values[1]))
            )
        )
        # Replaced, and every object on it with it, only when the cluster is: not when the kubeconfig
        # moves to the private endpoint (kubeconfig_specs).
        self.provider = k8s.Provider(
            f"{self._name}-k8s",
            kubeconfig=self.kubeconfig,
            cluster_identifier=pulumi.Output.all(
                self.cluster.id, self.cluster.control_plane_endpoints_config.apply(_dns_endpoint)
            ).apply(lambda values: gke_cluster_identifier(values[0], values[1])),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.node_pool]),
        )
        self.kube = KubeCluster(
            cloud="gcp",
            mesh_cluster_name=self._cluster_name,
            mesh_network=args.mesh_network,
            # The other cluster's istiod reaches this API over the link, on the private address.
            endpoint=self.private_endpoint,
            ca_data=self.ca_data,
            provider=self.provider,
        )


def _workload_pool(config: gcp.container.outputs.ClusterWorkloadIdentityConfig | None) -> str:
    if config is None or not config.workload_pool:
        raise pulumi.RunError("the GKE cluster reported no Workload Identity pool")
    return config.workload_pool


def _dns_endpoint(config: gcp.container.outputs.ClusterControlPlaneEndpointsConfig | None) -> str:
    dns = config.dns_endpoint_config if config is not None else None
    return (dns.endpoint if dns is not None else None) or ""


def node_account_id(prefix: str) -> str:
    """The node service account ID: '<prefix>-gke-nodes', or a shortened, hashed form past 30 characters."""
    wanted = f"{prefix}-gke-nodes"
    if len(wanted) <= ACCOUNT_ID_MAX:
        return wanted
    suffix = hashlib.sha256(prefix.encode()).hexdigest()[:6]
    head = prefix[: ACCOUNT_ID_MAX - len("-gke-") - len(suffix)].rstrip("-")
    return f"{head}-gke-{suffix}"
