"""EksCluster: a hardened EKS cluster built from raw aws.eks resources, and a Kubernetes provider for it.

Raw resources rather than the pulumi-eks component, which needs invokes and Node.js that the offline
engine cannot serve (docs/clusters.md, "Why raw EKS resources"). What a security review looks for,
and where it is:
- secrets envelope-encrypted with a rotating KMS key of its own (CIS EKS 5.3.1);
- all five control-plane log types into a retained, KMS-encrypted log group that exists before the
  cluster, so EKS does not create an unencrypted one that never expires (CIS EKS 2.1.1);
- private endpoint on; the public endpoint only for the configured CIDRs, off when there are none
  (CIS EKS 5.4.1/5.4.2). Off means Pulumi must run inside the network (pulumi-eks #1133);
- authentication mode API: access entries, no aws-auth ConfigMap. The identity that runs `pulumi up`
  becomes admin at creation (bootstrapClusterCreatorAdminPermissions), config adminRoleArns get
  explicit entries;
- one managed node group in the private subnets, named by what it cannot change so that new instance
  types roll onto a new group (docs/adr/0012-node-bounds-in-the-autoscaler.md), launched from a
  template that requires IMDSv2 with a hop limit of 1: a pod that is not on the host network cannot
  reach the instance metadata service, so it cannot take the node role's credentials. The price:
  every add-on that calls AWS from a pod network needs its own role (IRSA or EKS Pod Identity) and
  cannot discover its region or VPC from IMDS. Here the VPC CNI, the EBS CSI controller and the
  cluster autoscaler get IRSA roles; the CNI, kube-proxy and the Pod Identity agent run on the host
  network and are unaffected;
- the GCP ranges reach the API on 443 through a security group of its own attached to the
  control-plane ENIs only (vpcConfig.securityGroupIds), so the nodes, which share the EKS cluster
  security group, gain no exposure to the other cloud from it;
- encrypted gp3 root volumes, no SSH access (no remote_access, no key pair);
- an IAM OIDC provider for IRSA, and the managed add-ons at the newest version for the cluster's
  Kubernetes version.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.clusters import autoscaler_specs, eks_specs
from components.clusters.kube_cluster import KubeCluster
from components.clusters.kubeconfig_specs import eks_cluster_identifier, eks_kubeconfig, render
from components.config import EksConfig
from components.network.aws_network import AwsNetwork
from components.network.aws_specs import partition_of

# Add-ons the nodes need to become Ready are created before the node group; the others schedule pods
# and are created after it, or they would wait on an empty cluster.
ADDONS_BEFORE_NODES = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
ADDONS_AFTER_NODES = ("coredns", "aws-ebs-csi-driver")
ROOT_DEVICE = "/dev/xvda"  # the root volume of the AL2023 EKS-optimized AMIs


@dataclass(frozen=True)
class EksIdentity:
    """What components in AWS need of the cluster: its name and version, and IRSA's OIDC provider."""

    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    kubernetes_version: pulumi.Output[str]
    node_group: pulumi.Resource
    """Add-ons that schedule pods wait for it."""
    autoscaling_group_names: pulumi.Output[list[str]]
    """The Auto Scaling groups of the managed node group, which the cluster autoscaler scales."""

    def irsa_trust_policy(self, namespace: str, service_account: str) -> pulumi.Output[str]:
        """Trust for one service account of this cluster (eks_specs.irsa_trust_policy)."""
        return pulumi.Output.all(self.oidc_provider_arn, self.oidc_issuer).apply(
            lambda values: eks_specs.irsa_trust_policy(values[0], values[1], namespace, service_account)
        )


@dataclass(frozen=True)
class EksClusterArgs:
    config: EksConfig
    network: AwsNetwork
    region: str
    service_cidr: str
    name_prefix: str
    api_peer_cidrs: Sequence[str]
    """Ranges across the link allowed to the API on 443 (the GKE side's istiod reads this API)."""
    node_security_group_ids: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    """Security groups the nodes get besides the cluster security group (e.g. the mesh peers group)."""
    protect: bool = False
    mesh_network: str = "aws"


class EksCluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    """The API server URL. Inside the VPC (and through a resolver over the link) it resolves privately."""
    ca_data: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    """Secret."""
    provider: k8s.Provider
    kube: KubeCluster
    identity: EksIdentity

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crossmesh:aws:EksCluster", name, None, opts)
        self._name, self._args = name, args
        self._cluster_name = f"{args.name_prefix}-eks"
        self._partition = partition_of(args.region)
        self._child = pulumi.ResourceOptions(parent=self)

        secrets_key = self._build_secrets_key()
        self.cluster = self._build_control_plane(secrets_key)
        self._build_admin_access()
        addon_roles = self._build_addon_roles()
        self.node_group, after_nodes = self._build_nodes(addon_roles)
        self._build_access(after_nodes)

        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "endpoint": self.endpoint,
                "clusterSecurityGroupId": self.cluster_security_group_id,
                "oidcProviderArn": self.oidc_provider_arn,
                "nodeRoleArn": self.node_role_arn,
                "kubeconfig": self.kubeconfig,
            }
        )

    def _build_secrets_key(self) -> aws.kms.Key:
        """The KMS key of the secrets' envelope encryption, rotating, administered by the account only."""
        name, cluster_name, partition = self._name, self._cluster_name, self._partition
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        secrets_key = aws.kms.Key(
            f"{name}-secrets-key",
            description=f"{cluster_name}: Kubernetes secrets envelope encryption",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=identity.account_id.apply(
                lambda account: eks_specs.secrets_key_policy(account, partition)
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=self._args.protect),
        )
        aws.kms.Alias(
            f"{name}-secrets-key",
            name=f"alias/{cluster_name}-secrets",
            target_key_id=secrets_key.key_id,
            opts=self._child,
        )
        return secrets_key

    def _build_cluster_role(self, secrets_key: aws.kms.Key) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        """The control plane's role and its grants: the managed cluster policy and use of the secrets key."""
        cluster_role, attachments = self._service_role(
            "cluster", "eks.amazonaws.com", "EKS control plane", eks_specs.CLUSTER_POLICIES
        )
        key_use = aws.iam.RolePolicy(
            f"{self._name}-cluster-secrets-key",
            role=cluster_role.id,
            policy=secrets_key.arn.apply(eks_specs.cluster_key_use_policy),
            opts=self._child,
        )
        return cluster_role, [*attachments, key_use]

    def _service_role(
        self, purpose: str, service: str, description: str, managed_policies: Sequence[str]
    ) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        """A role an AWS service assumes for the cluster, with AWS managed policies attached."""
        role = aws.iam.Role(
            f"{self._name}-{purpose}-role",
            description=f"{self._cluster_name}: {description}",
            assume_role_policy=eks_specs.service_trust_policy(service),
            opts=self._child,
        )
        attachments: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(
                f"{self._name}-{purpose}-{policy.lower()}",
                role=role.name,
                policy_arn=eks_specs.managed_policy_arn(self._partition, policy),
                opts=self._child,
            )
            for policy in managed_policies
        ]
        return role, attachments

    def _build_api_peers(self) -> aws.ec2.SecurityGroup:
        """The API is reachable over the link from the GCP ranges only, and only on the control-plane
        ENIs: this group is attached to them alone, not to the nodes."""
        name, cluster_name, args = self._name, self._cluster_name, self._args
        api_peers = aws.ec2.SecurityGroup(
            f"{name}-api-peers",
            description=f"{cluster_name}: Kubernetes API from the GCP side over the link",
            vpc_id=args.network.vpc_id,
            tags={"Name": f"{cluster_name}-api-peers"},
            opts=self._child,
        )
        for index, cidr in enumerate(args.api_peer_cidrs):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-api-from-peer-{index}",
                security_group_id=api_peers.id,
                description=f"Kubernetes API from {cidr} (GCP, over the link)",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_ipv4=cidr,
                opts=self._child,
            )
        return api_peers

    def _build_control_plane(self, secrets_key: aws.kms.Key) -> aws.eks.Cluster:
        """The cluster, after its role's grants and its control-plane log group."""
        name, cluster_name, args = self._name, self._cluster_name, self._args
        config = args.config
        cluster_role, cluster_grants = self._build_cluster_role(secrets_key)

        # EKS writes to exactly this name; creating it first is what makes it encrypted and retained.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=f"/aws/eks/{cluster_name}/cluster",
            retention_in_days=config.log_retention_days,
            kms_key_id=args.network.logs_key_arn,
            opts=self._child,
        )

        api_peers = self._build_api_peers()

        public_cidrs = list(config.public_access_cidrs)
        cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            version=config.version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=args.network.private_subnet_ids,
                security_group_ids=[api_peers.id],
                endpoint_private_access=True,
                endpoint_public_access=bool(public_cidrs),
                public_access_cidrs=public_cidrs or None,
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=True
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=secrets_key.arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(eks_specs.CONTROL_PLANE_LOG_TYPES),
            kubernetes_network_config=aws.eks.ClusterKubernetesNetworkConfigArgs(
                ip_family="ipv4", service_ipv4_cidr=args.service_cidr
            ),
            # The managed add-ons below replace the self-managed defaults EKS would otherwise install.
            bootstrap_self_managed_addons=False,
            # Standard support only: a version past it is upgraded, never silently billed as extended.
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            deletion_protection=args.protect,
            tags={"Name": cluster_name},
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, depends_on=[log_group, *cluster_grants]
            ),
        )
        self.cluster_name = cluster.name
        self.endpoint = cluster.endpoint
        self.ca_data = cluster.certificate_authority.data
        self.cluster_security_group_id = cluster.vpc_config.cluster_security_group_id
        self.oidc_issuer = cluster.identities.apply(_oidc_issuer)
        return cluster

    def _build_admin_access(self) -> None:
        """An access entry with cluster admin for every configured admin role, named after the role:
        adding, removing or moving one role leaves the others' entries alone."""
        admin = eks_specs.access_policy_arn(self._partition, eks_specs.CLUSTER_ADMIN_ACCESS_POLICY)
        for index, role_arn in enumerate(self._args.config.admin_role_arns):
            resource_name = f"{self._name}-admin-{eks_specs.admin_entry_key(role_arn)}"
            # Entries were once named by list position; a stack deployed then keeps its entries when
            # it takes this version with its list as it was (docs/clusters.md, "Who is admin").
            keyed = pulumi.ResourceOptions(
                parent=self, aliases=[pulumi.Alias(name=f"{self._name}-admin-{index}")]
            )
            entry = aws.eks.AccessEntry(
                resource_name,
                cluster_name=self.cluster.name,
                principal_arn=role_arn,
                type="STANDARD",
                opts=keyed,
            )
            aws.eks.AccessPolicyAssociation(
                resource_name,
                cluster_name=self.cluster.name,
                principal_arn=entry.principal_arn,
                policy_arn=admin,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=keyed,
            )

    def _build_addon_roles(self) -> dict[str, pulumi.Output[str]]:
        """The OIDC provider for IRSA, and the roles of the add-ons that call AWS from pods, by add-on."""
        name = self._name
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=self.oidc_issuer,
            client_id_lists=["sts.amazonaws.com"],
            opts=self._child,
        )
        self.oidc_provider_arn = oidc.arn
        cni_role = self._irsa_role(name, "vpc-cni", oidc, eks_specs.CNI_SERVICE_ACCOUNT, eks_specs.CNI_POLICY)
        ebs_role = self._irsa_role(
            name, "ebs-csi", oidc, eks_specs.EBS_CSI_SERVICE_ACCOUNT, eks_specs.EBS_CSI_POLICY
        )
        return {"vpc-cni": cni_role.arn, "aws-ebs-csi-driver": ebs_role.arn}

    def _build_nodes(
        self, addon_roles: dict[str, pulumi.Output[str]]
    ) -> tuple[aws.eks.NodeGroup, list[aws.eks.Addon]]:
        """The node role, the add-ons nodes need to become Ready, the launch template, the managed node
        group, then the add-ons that schedule pods. Returns the group and those last add-ons."""
        name, cluster, config = self._name, self.cluster, self._args.config
        # The CNI policy is IRSA's, not the nodes'.
        node_role, node_grants = self._service_role(
            "node", "ec2.amazonaws.com", "managed node group instances", eks_specs.NODE_POLICIES
        )
        self.node_role_arn = node_role.arn
        addon_config = {
            # Network policy enforcement by the VPC CNI, the counterpart of Dataplane V2 on GKE:
            # https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html
            "vpc-cni": json.dumps({"enableNetworkPolicy": "true"}),
        }
        before_nodes = [
            self._addon(name, addon, cluster, addon_roles.get(addon), addon_config.get(addon), [])
            for addon in ADDONS_BEFORE_NODES
        ]

        launch_template = self._build_launch_template()
        shape = eks_specs.node_group_shape(config.instance_types, len(self._args.network.private_subnet_ids))
        node_group = aws.eks.NodeGroup(
            # A new shape is a new group: created, and Ready, before Pulumi deletes the old one at the end
            # of the update (EKS drains its nodes). Auto-named, so two groups never share a name.
            f"{name}-nodes-{shape.key}",
            cluster_name=cluster.name,
            version=cluster.version,
            node_role_arn=node_role.arn,
            subnet_ids=self._args.network.private_subnet_ids,
            ami_type=shape.ami_type,
            capacity_type=shape.capacity_type,
            instance_types=list(shape.instance_types),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=launch_template.id, version=launch_template.latest_version.apply(str)
            ),
            # Fixed, wide limits: nodes.min and nodes.max are the cluster autoscaler's (EksAutoscaler).
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=autoscaler_specs.NODE_GROUP_MIN_SIZE,
                desired_size=config.nodes.desired,
                max_size=autoscaler_specs.NODE_GROUP_MAX_SIZE,
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=33),
            node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*node_grants, *before_nodes],
                # nodes.desired is the size a group starts with; from then on the autoscaler sets it.
                ignore_changes=["scalingConfig.desiredSize"],
                # The group was named "<name>-nodes" before groups were named by their shape: a stack
                # deployed then keeps its group (docs/clusters.md, "Node scaling").
                aliases=[pulumi.Alias(name=f"{name}-nodes")],
            ),
        )
        after_nodes = [
            self._addon(name, addon, cluster, addon_roles.get(addon), None, [node_group])
            for addon in ADDONS_AFTER_NODES
        ]
        return node_group, after_nodes

    def _build_launch_template(self) -> aws.ec2.LaunchTemplate:
        """IMDSv2 with a hop limit of 1, an encrypted gp3 root volume, the cluster's security groups."""
        name, cluster_name, config = self._name, self._cluster_name, self._args.config
        return aws.ec2.LaunchTemplate(
            f"{name}-nodes",
            name_prefix=f"{cluster_name}-nodes-",
            description=f"{cluster_name}: managed node group (IMDSv2 only, encrypted gp3 root)",
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=ROOT_DEVICE,
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=config.disk_size_gb,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            # With security groups in the template EKS adds none of its own, so the cluster group
            # (node <-> control plane) is listed here explicitly.
            vpc_security_group_ids=[self.cluster_security_group_id, *self._args.node_security_group_ids],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type=kind, tags={"Name": f"{cluster_name}-node"}
                )
                for kind in ("instance", "volume")
            ],
            opts=self._child,
        )

    def _build_access(self, after_nodes: list[aws.eks.Addon]) -> None:
        """The kubeconfig, the Kubernetes provider, and the handles other components take."""
        cluster, args = self.cluster, self._args
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(cluster.name, cluster.endpoint, self.ca_data).apply(
                lambda values: render(eks_kubeconfig(values[0], values[1], values[2], args.region))
            )
        )
        # Anything deployed through this provider waits for nodes and DNS to be up. It is replaced,
        # and every object on it with it, only when the cluster is (kubeconfig_specs).
        self.provider = k8s.Provider(
            f"{self._name}-k8s",
            kubeconfig=self.kubeconfig,
            cluster_identifier=pulumi.Output.all(cluster.arn, self.oidc_issuer).apply(
                lambda values: eks_cluster_identifier(values[0], values[1])
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.node_group, *after_nodes]),
        )
        self.kube = KubeCluster(
            cloud="aws",
            mesh_cluster_name=self._cluster_name,
            mesh_network=args.mesh_network,
            endpoint=self.endpoint,
            ca_data=self.ca_data,
            provider=self.provider,
        )
        self.identity = EksIdentity(
            cluster_name=self.cluster_name,
            cluster_arn=cluster.arn,
            oidc_provider_arn=self.oidc_provider_arn,
            oidc_issuer=self.oidc_issuer,
            kubernetes_version=cluster.version,
            node_group=self.node_group,
            autoscaling_group_names=self.node_group.resources.apply(_autoscaling_group_names),
        )

    def _irsa_role(
        self,
        name: str,
        purpose: str,
        oidc: aws.iam.OpenIdConnectProvider,
        subject: tuple[str, str],
        policy: str,
    ) -> aws.iam.Role:
        namespace, service_account = subject
        role = aws.iam.Role(
            f"{name}-{purpose}-irsa",
            description=f"{self._cluster_name}: {namespace}/{service_account} through IRSA",
            assume_role_policy=pulumi.Output.all(oidc.arn, oidc.url).apply(
                lambda values: eks_specs.irsa_trust_policy(values[0], values[1], namespace, service_account)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-{purpose}-irsa",
            role=role.name,
            policy_arn=eks_specs.managed_policy_arn(self._partition, policy),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role

    def _addon(
        self,
        name: str,
        addon: str,
        cluster: aws.eks.Cluster,
        role_arn: pulumi.Output[str] | None,
        configuration: str | None,
        depends_on: list[pulumi.Resource],
    ) -> aws.eks.Addon:
        version = aws.eks.get_addon_version_output(
            addon_name=addon,
            kubernetes_version=cluster.version,
            most_recent=True,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        return aws.eks.Addon(
            f"{name}-{addon}",
            cluster_name=cluster.name,
            addon_name=addon,
            addon_version=version.version,
            service_account_role_arn=role_arn,
            configuration_values=configuration,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )


def _autoscaling_group_names(resources: Sequence[aws.eks.outputs.NodeGroupResource]) -> list[str]:
    return [group.name for resource in resources for group in resource.autoscaling_groups or [] if group.name]


def _oidc_issuer(identities: Sequence[aws.eks.outputs.ClusterIdentity]) -> str:
    """The cluster's OIDC issuer URL; EKS always sets one."""
    for identity in identities:
        for oidc in identity.oidcs or []:
            if oidc.issuer:
                return oidc.issuer
    raise pulumi.RunError("the EKS cluster reported no OIDC issuer")
