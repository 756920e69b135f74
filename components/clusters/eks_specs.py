"""Pure pieces of the EKS cluster: IAM documents, managed policy names and node architecture.

Nothing here touches Pulumi, so each document can be tested as plain JSON.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from components.network.aws_specs import key_administration_statement

# Every control-plane log type EKS offers (CIS EKS 2.1.1, Checkov CKV_AWS_37):
# https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")

# AWS managed policies, by role. The CNI policy is not on the node role: the VPC CNI gets it through
# IRSA, so no pod on a node inherits it (https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html).
CLUSTER_POLICIES = ("AmazonEKSClusterPolicy",)
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")
CNI_POLICY = "AmazonEKS_CNI_Policy"
EBS_CSI_POLICY = "service-role/AmazonEBSCSIDriverPolicy"
CLUSTER_ADMIN_ACCESS_POLICY = "AmazonEKSClusterAdminPolicy"

# The service accounts the add-ons run as (their IRSA subjects).
CNI_SERVICE_ACCOUNT = ("kube-system", "aws-node")
EBS_CSI_SERVICE_ACCOUNT = ("kube-system", "ebs-csi-controller-sa")

Architecture = Literal["x86_64", "arm64"]
# AL2023 is the supported EKS-optimized AMI family from 1.33 on (AL2 AMIs end with 1.32):
# https://docs.aws.amazon.com/eks/latest/userguide/eks-ami-deprecation-faqs.html
AMI_TYPES: dict[Architecture, str] = {"x86_64": "AL2023_x86_64_STANDARD", "arm64": "AL2023_ARM_64_STANDARD"}

_INSTANCE_TYPE = re.compile(r"^(?P<family>[a-z]+)(?P<generation>\d+)(?P<attributes>[a-z-]*)\.[a-z0-9]+$")


def admin_entry_key(role_arn: str) -> str:
    """What names a role's access entry: its account and role name, so that the entry of a role stays
    the same resource wherever the role sits in the list (an ARN's path is not part of the role's
    identity: role names are unique in an account)."""
    account = role_arn.split(":")[4]
    role_name = role_arn.rsplit("/", 1)[-1]
    return f"{account}-{role_name}"


@dataclass(frozen=True)
class NodeGroupShape:
    """What a managed node group cannot change once created, as the config sets it: its instance types,
    AMI type and capacity type, and its subnets, one per zone (aws_eks_node_group: instance_types,
    ami_type, capacity_type, subnet_ids ForceNew)."""

    instance_types: tuple[str, ...]
    """Sorted: the order a list was written in carries no meaning here."""
    ami_type: str
    zone_count: int
    """The group spans the private subnet of each zone; another count is another subnet list. Which zone
    a subnet is in is the subnet's own (a zone moved replaces the subnet, and so the group too)."""
    capacity_type: str = "ON_DEMAND"

    @property
    def key(self) -> str:
        """Names the group: a new shape is a new group, created beside the old one before it goes."""
        canonical = json.dumps(
            [self.ami_type, self.capacity_type, list(self.instance_types), self.zone_count],
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:8]


def node_group_shape(instance_types: Sequence[str], zone_count: int) -> NodeGroupShape:
    types = tuple(sorted(set(instance_types)))
    return NodeGroupShape(instance_types=types, ami_type=ami_type_for(types), zone_count=zone_count)


def managed_policy_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


def access_policy_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:eks::aws:cluster-access-policy/{name}"


def service_trust_policy(service: str) -> str:
    """Trust for an AWS service principal. EKS also tags the sessions it opens (sts:TagSession)."""
    actions = ["sts:AssumeRole", "sts:TagSession"] if service == "eks.amazonaws.com" else ["sts:AssumeRole"]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": actions}],
        }
    )


def irsa_trust_policy(provider_arn: str, issuer_url: str, namespace: str, service_account: str) -> str:
    """Trust for one Kubernetes service account of one cluster, and for the STS audience only.

    https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
    """
    issuer = issuer_url.removeprefix("https://")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                            f"{issuer}:aud": "sts.amazonaws.com",
                        }
                    },
                }
            ],
        }
    )


def secrets_key_policy(account_id: str, partition: str) -> str:
    """The account administers the key through IAM; no other principal is named and none is '*'."""
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [key_administration_statement(account_id, partition)]}
    )


def cluster_key_use_policy(key_arn: str) -> str:
    """What the cluster role needs of the secrets key for envelope encryption, on that key only.

    https://docs.aws.amazon.com/eks/latest/userguide/enable-kms.html
    """
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "SecretsEnvelopeEncryption",
                    "Effect": "Allow",
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                    "Resource": key_arn,
                }
            ],
        }
    )


def architecture_of(instance_type: str) -> Architecture:
    """The CPU architecture of an EC2 instance type: Graviton families carry a 'g' attribute (m7g, c6gn)."""
    match = _INSTANCE_TYPE.match(instance_type)
    if match is None:
        raise ValueError(f"'{instance_type}' is not an EC2 instance type such as m6i.large")
    if match["family"] == "a" or "g" in match["attributes"]:
        return "arm64"
    return "x86_64"


def ami_type_for(instance_types: Sequence[str]) -> str:
    """The EKS AMI type for a node group; every instance type must share one architecture."""
    architectures = {architecture_of(instance_type) for instance_type in instance_types}
    if len(architectures) != 1:
        raise ValueError(f"instance types {list(instance_types)} mix architectures {sorted(architectures)}")
    return AMI_TYPES[architectures.pop()]
