"""EksCluster on the shipped plans: every hardening item, read from what the provider would receive."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from offline.engine import read_stack_file, run_program
from offline.fakes.clusters import addon_version
from offline.record import Plan, Registration, Secret
from tests.support.plans import PROJECT_DIR
from tests.support.resource_tree import dependency_closure, descendants, owning_component, policy_document
from tests.support.types import (
    AWS_LAUNCH_TEMPLATE,
    AWS_SECURITY_GROUP,
    AWS_SG_INGRESS_RULE,
    AWS_SUBNET,
    CLOUDWATCH_LOG_GROUP,
    COMPONENT_AWS_NETWORK,
    COMPONENT_EKS_CLUSTER,
    COMPONENT_PEER_FIREWALLS,
    EKS_ACCESS_ENTRY,
    EKS_ACCESS_POLICY_ASSOCIATION,
    EKS_ADDON,
    EKS_CLUSTER,
    EKS_NODE_GROUP,
    HELM_RELEASE,
    IAM_OIDC_PROVIDER,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_ROLE_POLICY_ATTACHMENT,
    KMS_KEY,
    KUBERNETES_PROVIDER,
)


def cluster_of(plan: Plan) -> Registration:
    return plan.one(EKS_CLUSTER)


NETWORK_FACTS = json.loads((PROJECT_DIR / "offline" / "data" / "network_facts.json").read_text())["facts"]
IRSA = "eks.amazonaws.com/role-arn"


@pytest.mark.parametrize("stack", ["dev", "legacy"])
def test_a_hop_limit_of_one_leaves_every_aws_caller_in_the_cluster_a_way_to_its_credentials(
    plan_of: Callable[..., Plan], stack: str
) -> None:
    # With IMDSv2 and a hop limit of 1 only host-network pods reach the instance metadata service: every
    # workload crossmesh installs that calls AWS runs on the host network or has an IRSA role and its
    # region given, so the nodes keep CIS EKS's hop limit (docs/clusters.md).
    plan = plan_of(stack)
    template = plan.one(AWS_LAUNCH_TEMPLATE).inputs
    assert template["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert template["metadataOptions"]["httpTokens"] == "required"
    (insights,) = [
        a.inputs for a in plan.of_type(EKS_ADDON) if a.inputs["addonName"].startswith("amazon-cloudwatch")
    ]
    assert insights["addonName"] == "amazon-cloudwatch-observability"
    assert insights["serviceAccountRoleArn"]
    assert NETWORK_FACTS["container_insights_host_network"]["host_network"] == [
        "cloudwatch-agent",
        "fluent-bit",
    ]
    region = plan.one("pulumi:providers:aws").inputs["region"]
    eks_provider = plan.one(KUBERNETES_PROVIDER, "eks-k8s").urn
    # Istio's charts call no AWS API; the collector (X-Ray) and the App Mesh controller do.
    aws_charts = [
        r.plain_inputs["values"]
        for r in plan.of_type(HELM_RELEASE)
        if r.provider == eks_provider
        and r.inputs["chart"] in ("opentelemetry-collector", "appmesh-controller")
    ]
    assert len(aws_charts) == 1
    for values in aws_charts:
        assert IRSA in values["serviceAccount"]["annotations"]
        found_region = values.get("region") or values["config"]["exporters"]["awsxray"]["region"]
        assert found_region == region


def test_the_dev_plan_has_one_eks_cluster_named_after_the_stack(dev_plan: Plan) -> None:
    cluster = cluster_of(dev_plan)
    assert cluster.inputs["name"] == "cm-dev-eks"
    assert cluster.inputs["version"] == "1.34"
    assert owning_component(dev_plan, cluster.urn) == COMPONENT_EKS_CLUSTER


def test_secrets_are_envelope_encrypted_with_a_rotating_key_of_the_cluster(dev_plan: Plan) -> None:
    encryption = cluster_of(dev_plan).inputs["encryptionConfig"]
    key = dev_plan.one(KMS_KEY, "eks-secrets-key")
    assert encryption["resources"] == ["secrets"]
    assert encryption["provider"]["keyArn"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30


def test_the_secrets_key_names_only_the_account_as_principal(dev_plan: Plan) -> None:
    policy = policy_document(dev_plan.one(KMS_KEY, "eks-secrets-key"), "policy")
    principals = [statement["Principal"] for statement in policy["Statement"]]
    assert principals == [{"AWS": "arn:aws:iam::123456789012:root"}]


def test_the_cluster_role_may_use_the_secrets_key_and_nothing_else(dev_plan: Plan) -> None:
    inline = dev_plan.one(IAM_ROLE_POLICY, "eks-cluster-secrets-key")
    key_arn = dev_plan.one(KMS_KEY, "eks-secrets-key").outputs["arn"]
    statements = policy_document(inline, "policy")["Statement"]
    assert [statement["Resource"] for statement in statements] == [key_arn]
    assert all(not action.endswith("*") for statement in statements for action in statement["Action"])


def test_all_five_control_plane_log_types_are_enabled(dev_plan: Plan) -> None:
    log_types = cluster_of(dev_plan).inputs["enabledClusterLogTypes"]
    assert sorted(log_types) == sorted(["api", "audit", "authenticator", "controllerManager", "scheduler"])


def test_control_plane_logs_go_to_a_retained_encrypted_group_created_before_the_cluster(
    dev_plan: Plan,
) -> None:
    group = dev_plan.one(CLOUDWATCH_LOG_GROUP, "eks-control-plane-logs")
    logs_key = dev_plan.one(KMS_KEY, "aws-network-logs-key")
    assert group.inputs["name"] == "/aws/eks/cm-dev-eks/cluster"
    assert group.inputs["retentionInDays"] == 365
    assert group.inputs["kmsKeyId"] == logs_key.outputs["arn"]
    assert group.urn in cluster_of(dev_plan).dependencies


def test_the_private_endpoint_is_on_and_the_public_one_is_limited_to_the_configured_cidrs(
    dev_plan: Plan,
) -> None:
    vpc = cluster_of(dev_plan).inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_no_public_cidrs_turns_the_public_endpoint_off(plan_of: Callable[..., Plan]) -> None:
    plan = plan_of("dev", {"clusters": {"eks": {"publicAccessCidrs": []}}})
    vpc = cluster_of(plan).inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc


def test_the_control_plane_sits_in_the_private_subnets(dev_plan: Plan) -> None:
    private = [dev_plan.one(AWS_SUBNET, f"aws-network-private-{i}").id for i in range(3)]
    assert cluster_of(dev_plan).inputs["vpcConfig"]["subnetIds"] == private


def test_access_is_by_access_entries_with_the_deployer_bootstrapped_as_admin(dev_plan: Plan) -> None:
    access = cluster_of(dev_plan).inputs["accessConfig"]
    assert access == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True}


def test_each_configured_admin_role_gets_a_cluster_admin_access_entry(plan_of: Callable[..., Plan]) -> None:
    roles = ["arn:aws:iam::111122223333:role/platform-admin", "arn:aws:iam::111122223333:role/sre"]
    plan = plan_of(
        "dev", {"clusters": {"eks": {"publicAccessCidrs": ["203.0.113.0/24"], "adminRoleArns": roles}}}
    )
    entries = plan.of_type(EKS_ACCESS_ENTRY)
    associations = plan.of_type(EKS_ACCESS_POLICY_ASSOCIATION)
    assert sorted(entry.inputs["principalArn"] for entry in entries) == roles
    assert all(entry.inputs["type"] == "STANDARD" for entry in entries)
    assert sorted(association.inputs["principalArn"] for association in associations) == roles
    for association in associations:
        assert association.inputs["policyArn"] == (
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
        )
        assert association.inputs["accessScope"] == {"type": "cluster"}


def test_the_dev_plan_has_no_access_entries_beyond_the_bootstrap(dev_plan: Plan) -> None:
    assert dev_plan.of_type(EKS_ACCESS_ENTRY) == []


def test_nodes_launch_only_with_imdsv2_and_a_hop_limit_pods_cannot_cross(dev_plan: Plan) -> None:
    metadata = dev_plan.one(AWS_LAUNCH_TEMPLATE).inputs["metadataOptions"]
    assert metadata["httpTokens"] == "required"
    assert metadata["httpPutResponseHopLimit"] == 1
    assert metadata["httpEndpoint"] == "enabled"


def test_node_root_volumes_are_encrypted_gp3_of_the_configured_size(dev_plan: Plan) -> None:
    (mapping,) = dev_plan.one(AWS_LAUNCH_TEMPLATE).inputs["blockDeviceMappings"]
    assert mapping["deviceName"] == "/dev/xvda"
    assert mapping["ebs"]["volumeType"] == "gp3"
    assert mapping["ebs"]["encrypted"] == "true"
    assert mapping["ebs"]["volumeSize"] == 50


def test_nodes_carry_the_cluster_security_group_and_the_mesh_peers_group(dev_plan: Plan) -> None:
    template = dev_plan.one(AWS_LAUNCH_TEMPLATE)
    cluster_sg = cluster_of(dev_plan).outputs["vpcConfig"]["clusterSecurityGroupId"]
    mesh_peers = dev_plan.one(AWS_SECURITY_GROUP, "peer-firewalls-mesh-peers")
    assert template.inputs["vpcSecurityGroupIds"] == [cluster_sg, mesh_peers.id]


def test_the_node_group_runs_the_template_in_the_private_subnets_without_ssh(dev_plan: Plan) -> None:
    group = dev_plan.one(EKS_NODE_GROUP)
    template = dev_plan.one(AWS_LAUNCH_TEMPLATE)
    private = [dev_plan.one(AWS_SUBNET, f"aws-network-private-{i}").id for i in range(3)]
    assert group.inputs["subnetIds"] == private
    assert group.inputs["launchTemplate"] == {"id": template.id, "version": "1"}
    assert "remoteAccess" not in group.inputs
    assert "diskSize" not in group.inputs  # the template owns the disk


def test_node_group_starts_at_the_desired_size_within_fixed_limits_and_takes_the_types(
    plan_of: Callable[..., Plan],
) -> None:
    # nodes.min and nodes.max are the autoscaler's bounds; the group's own limits never change, so no
    # bounds edit ever reaches EKS's UpdateNodegroupConfig (components/clusters/autoscaler_specs.py).
    group = plan_of("prod").one(EKS_NODE_GROUP)
    assert group.inputs["scalingConfig"] == {"minSize": 1, "desiredSize": 6, "maxSize": 450}
    assert group.options["ignoreChanges"] == ["scalingConfig.desiredSize"]
    assert group.inputs["instanceTypes"] == ["m6i.xlarge"]
    assert group.inputs["amiType"] == "AL2023_x86_64_STANDARD"


def test_graviton_instance_types_get_the_arm_ami(plan_of: Callable[..., Plan]) -> None:
    plan = plan_of("dev", {"clusters": {"eks": {"instanceTypes": ["m7g.large", "c7g.large"]}}})
    assert plan.one(EKS_NODE_GROUP).inputs["amiType"] == "AL2023_ARM_64_STANDARD"


def test_the_node_role_has_only_worker_and_image_pull_policies(dev_plan: Plan) -> None:
    node_role = dev_plan.one(IAM_ROLE, "eks-node-role")
    attached = [
        attachment.inputs["policyArn"]
        for attachment in dev_plan.of_type(IAM_ROLE_POLICY_ATTACHMENT)
        if attachment.inputs["role"] == node_role.outputs["name"]
    ]
    assert sorted(attached) == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    ]
    trust = policy_document(node_role, "assumeRolePolicy")["Statement"]
    assert [statement["Principal"] for statement in trust] == [{"Service": "ec2.amazonaws.com"}]


@pytest.mark.parametrize(
    ("addon", "role", "subject", "policy"),
    [
        ("vpc-cni", "eks-vpc-cni-irsa", "system:serviceaccount:kube-system:aws-node", "AmazonEKS_CNI_Policy"),
        (
            "aws-ebs-csi-driver",
            "eks-ebs-csi-irsa",
            "system:serviceaccount:kube-system:ebs-csi-controller-sa",
            "service-role/AmazonEBSCSIDriverPolicy",
        ),
    ],
)
def test_addons_that_call_aws_get_an_irsa_role_for_their_service_account_only(
    dev_plan: Plan, addon: str, role: str, subject: str, policy: str
) -> None:
    registration = dev_plan.one(IAM_ROLE, role)
    oidc = dev_plan.one(IAM_OIDC_PROVIDER)
    issuer = oidc.inputs["url"].removeprefix("https://")
    (statement,) = policy_document(registration, "assumeRolePolicy")["Statement"]
    assert statement["Principal"] == {"Federated": oidc.outputs["arn"]}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"]["StringEquals"] == {
        f"{issuer}:sub": subject,
        f"{issuer}:aud": "sts.amazonaws.com",
    }
    attached = [
        attachment.inputs["policyArn"]
        for attachment in dev_plan.of_type(IAM_ROLE_POLICY_ATTACHMENT)
        if attachment.inputs["role"] == registration.outputs["name"]
    ]
    assert attached == [f"arn:aws:iam::aws:policy/{policy}"]
    assert (
        dev_plan.one(EKS_ADDON, f"eks-{addon}").inputs["serviceAccountRoleArn"]
        == (registration.outputs["arn"])
    )


def test_the_oidc_provider_is_the_clusters_issuer_for_sts(dev_plan: Plan) -> None:
    oidc = dev_plan.one(IAM_OIDC_PROVIDER)
    issuer = cluster_of(dev_plan).outputs["identities"][0]["oidcs"][0]["issuer"]
    assert oidc.inputs["url"] == issuer
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]


def test_the_five_addons_run_the_newest_version_for_the_cluster_version(dev_plan: Plan) -> None:
    eks = dev_plan.one(COMPONENT_EKS_CLUSTER).urn
    addons = {a.inputs["addonName"]: a for a in dev_plan.of_type(EKS_ADDON) if a.parent == eks}
    assert sorted(addons) == sorted(
        ["vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "eks-pod-identity-agent"]
    )
    for name, addon in addons.items():
        expected = addon_version({"addonName": name, "kubernetesVersion": "1.34", "mostRecent": True}, {})
        assert addon.inputs["addonVersion"] == expected["version"]
        assert addon.inputs["clusterName"] == "cm-dev-eks"


def test_cluster_bootstrap_leaves_the_addons_to_the_managed_ones(dev_plan: Plan) -> None:
    assert cluster_of(dev_plan).inputs["bootstrapSelfManagedAddons"] is False


def test_the_vpc_cni_enforces_network_policy(dev_plan: Plan) -> None:
    cni = dev_plan.one(EKS_ADDON, "eks-vpc-cni")
    assert json.loads(cni.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}


def test_networking_addons_precede_the_nodes_and_pod_addons_follow_them(dev_plan: Plan) -> None:
    group = dev_plan.one(EKS_NODE_GROUP)
    for addon in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
        assert dev_plan.one(EKS_ADDON, f"eks-{addon}").urn in group.dependencies
    for addon in ("coredns", "aws-ebs-csi-driver"):
        assert group.urn in dev_plan.one(EKS_ADDON, f"eks-{addon}").dependencies


def test_the_api_accepts_the_gcp_ranges_on_443_on_the_control_plane_only(dev_plan: Plan) -> None:
    group = dev_plan.one(AWS_SECURITY_GROUP, "eks-api-peers")
    rules = [
        rule for rule in dev_plan.of_type(AWS_SG_INGRESS_RULE) if rule.inputs["securityGroupId"] == group.id
    ]
    assert sorted(rule.inputs["cidrIpv4"] for rule in rules) == ["10.20.0.0/20", "10.24.0.0/14"]
    assert all(
        (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (443, 443, "tcp")
        for rule in rules
    )
    assert all(rule.inputs.get("description") for rule in rules)
    assert cluster_of(dev_plan).inputs["vpcConfig"]["securityGroupIds"] == [group.id]
    template = dev_plan.one(AWS_LAUNCH_TEMPLATE)
    assert group.id not in template.inputs["vpcSecurityGroupIds"]


def test_production_protects_the_cluster_and_its_key(plan_of: Callable[..., Plan]) -> None:
    plan = plan_of("prod")
    cluster = cluster_of(plan)
    assert cluster.protect is True
    assert cluster.inputs["deletionProtection"] is True
    assert plan.one(KMS_KEY, "eks-secrets-key").protect is True


def test_development_leaves_the_cluster_deletable(dev_plan: Plan) -> None:
    cluster = cluster_of(dev_plan)
    assert cluster.protect is False
    assert cluster.inputs["deletionProtection"] is False


def test_the_kubernetes_provider_waits_for_nodes_and_dns_and_holds_a_secret_kubeconfig(
    dev_plan: Plan,
) -> None:
    (provider,) = [
        r
        for r in descendants(dev_plan, dev_plan.one(COMPONENT_EKS_CLUSTER).urn)
        if r.type == KUBERNETES_PROVIDER
    ]
    assert isinstance(provider.inputs["kubeconfig"], Secret)
    assert dev_plan.one(EKS_NODE_GROUP).urn in provider.dependencies
    assert dev_plan.one(EKS_ADDON, "eks-coredns").urn in provider.dependencies
    kubeconfig = json.loads(provider.plain_inputs["kubeconfig"])
    cluster = cluster_of(dev_plan)
    assert kubeconfig["clusters"][0]["cluster"] == {
        "server": cluster.outputs["endpoint"],
        "certificate-authority-data": cluster.outputs["certificateAuthority"]["data"],
    }
    exec_ = kubeconfig["users"][0]["user"]["exec"]
    assert exec_["args"][:4] == ["eks", "get-token", "--cluster-name", "cm-dev-eks"]
    assert exec_["args"][4:6] == ["--region", "us-east-1"]
    # Replaced only with the cluster: its ARN and the OIDC issuer EKS draws for each new cluster.
    issuer = cluster.outputs["identities"][0]["oidcs"][0]["issuer"]
    assert provider.inputs["clusterIdentifier"] == f"{cluster.outputs['arn']} {issuer}"
    assert provider.reads["clusterIdentifier"] == [cluster.urn]


def test_the_eks_outputs_are_the_cluster_name_endpoint_and_a_secret_kubeconfig(dev_plan: Plan) -> None:
    cluster = cluster_of(dev_plan)
    assert dev_plan.outputs["eksClusterName"] == "cm-dev-eks"
    assert dev_plan.outputs["eksEndpoint"] == cluster.outputs["endpoint"]
    assert isinstance(dev_plan.outputs["eksKubeconfig"], Secret)


@pytest.mark.parametrize("stack", ["dev", "prod", "legacy"])
def test_the_eks_cluster_depends_on_nothing_but_its_own_cloud_network(
    stack: str, plan_of: Callable[..., Plan]
) -> None:
    plan = plan_of(stack)
    resources = descendants(plan, plan.one(COMPONENT_EKS_CLUSTER).urn)
    owners = {owning_component(plan, urn) for urn in dependency_closure(plan, resources)}
    # The mesh-peers group is AWS-only and depends on the VPC alone, never on the link or GCP.
    assert owners <= {COMPONENT_EKS_CLUSTER, COMPONENT_AWS_NETWORK, COMPONENT_PEER_FIREWALLS}
    assert not any(plan.by_urn(urn).type.startswith("gcp:") for urn in dependency_closure(plan, resources))


def test_no_policy_arn_grants_administrator_access(dev_plan: Plan) -> None:
    arns = [a.inputs["policyArn"] for a in dev_plan.of_type(IAM_ROLE_POLICY_ATTACHMENT)]
    assert not [arn for arn in arns if "AdministratorAccess" in arn or "PowerUser" in arn]


MESH_PEERS_PROGRAM = """
import pulumi
import pulumi_aws as aws

from components.network.aws_network import AwsNetwork, AwsNetworkArgs
from components.config import load_config, read_stack_config
from components.clusters.eks_cluster import EksCluster, EksClusterArgs

config = load_config(read_stack_config())
in_aws = pulumi.ResourceOptions(providers={"aws": aws.Provider("aws", region=config.aws.region)})
network = AwsNetwork("net", AwsNetworkArgs(config=config.aws, name_prefix="cm-t"), opts=in_aws)
EksCluster(
    "eks",
    EksClusterArgs(
        config=config.clusters.eks,
        network=network,
        region=config.aws.region,
        service_cidr=config.aws.service_cidr,
        name_prefix="cm-t",
        api_peer_cidrs=[config.gcp.pods_cidr],
        node_security_group_ids=["sg-0mesh0peers0000001"],
    ),
    opts=in_aws,
)
"""


def test_extra_node_security_groups_join_the_cluster_group_on_the_nodes(tmp_path: Path) -> None:
    project, config, secret_keys = read_stack_file(PROJECT_DIR, "dev")
    (tmp_path / "__main__.py").write_text(MESH_PEERS_PROGRAM)
    plan = run_program(tmp_path, project, "dev", config, secret_keys)
    cluster_sg = plan.one(EKS_CLUSTER).outputs["vpcConfig"]["clusterSecurityGroupId"]
    template = plan.one(AWS_LAUNCH_TEMPLATE)
    assert template.inputs["vpcSecurityGroupIds"] == [cluster_sg, "sg-0mesh0peers0000001"]
