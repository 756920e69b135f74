"""The cluster autoscaler on EKS: its chart, its release per Kubernetes minor, its IAM policy, its values.

Node bounds mean the same on both clouds: an autoscaler keeps each node group between `nodes.min` and
`nodes.max`, and `nodes.desired` is only the size a group starts with. GKE's autoscaler takes the
bounds from the node pool. On EKS the bounds go to the autoscaler itself, one `--nodes=min:max:<Auto
Scaling group>` per group (the autoscaler uses a group's given bounds over the Auto Scaling group's
own, cluster-autoscaler/cloudprovider/aws/auto_scaling_groups.go), and the managed node group keeps
fixed, wide limits it never needs to change. Changing bounds is then a change of the autoscaler's
arguments, never an UpdateNodegroupConfig, which EKS refuses when the new minimum is above the group's
current size and which sends the desired size Pulumi last recorded, shrinking a group the autoscaler
has grown, without honouring pod disruption budgets (docs/clusters.md, "Node scaling").

Pure: no `pulumi` import.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CHART = "cluster-autoscaler"
CHART_REPO = "https://kubernetes.github.io/autoscaler"
# The chart's templates, not the autoscaler it runs: the image tag is set per Kubernetes minor below.
CHART_VERSION = "9.59.0"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "cluster-autoscaler"
RELEASES_FILE = Path(__file__).resolve().parents[1] / "data" / "cluster_autoscaler.json"

# The managed node group's own limits: the autoscaler's bounds always fall inside them. The maximum is
# EKS's default quota of nodes per managed node group
# (https://docs.aws.amazon.com/eks/latest/userguide/service-quotas.html).
NODE_GROUP_MIN_SIZE = 1
NODE_GROUP_MAX_SIZE = 450

# What the autoscaler reads of the Auto Scaling groups and instance types it may scale
# (cluster-autoscaler/cloudprovider/aws/README.md, "Full Cluster Autoscaler Features Policy").
_DISCOVERY_ACTIONS = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
)
# The tag EKS puts on a managed node group's Auto Scaling group, with the cluster's name after it.
CLUSTER_TAG_PREFIX = "k8s.io/cluster-autoscaler/"
_SCALING_ACTIONS = ("autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup")


@dataclass(frozen=True)
class ScaledGroup:
    """An Auto Scaling group of a managed node group, and the bounds the autoscaler keeps it in."""

    name: str
    min_size: int
    max_size: int


@cache
def _releases() -> Mapping[str, Mapping[str, str]]:
    releases: Mapping[str, Mapping[str, str]] = json.loads(RELEASES_FILE.read_text())["releases"]
    return releases


def recorded_minors() -> list[str]:
    return sorted(_releases(), key=lambda minor: int(minor.split(".")[1]))


def autoscaler_version(kubernetes_minor: str) -> str | None:
    """The autoscaler release for a Kubernetes minor ("1.33" -> "1.33.6"), None when none is recorded:
    the autoscaler's minor follows Kubernetes', and a cluster runs the matching one."""
    release = _releases().get(kubernetes_minor)
    return release["version"] if release else None


def autoscaler_policy(cluster_name: str, cluster_arn: str, group_names: Sequence[str]) -> str:
    """Read what it must; describe this cluster's node groups only; scale and terminate only in the Auto
    Scaling groups of its node groups, and only while EKS tags them as this cluster's (EKS tags every
    managed node group's group for the autoscaler:
    https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html)."""
    node_groups = cluster_arn.replace(f":cluster/{cluster_name}", f":nodegroup/{cluster_name}/*")
    partition, region, account = (
        cluster_arn.split(":")[1],
        cluster_arn.split(":")[3],
        cluster_arn.split(":")[4],
    )
    scaled = [
        f"arn:{partition}:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/{group}"
        for group in group_names
    ]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Discover",
                    "Effect": "Allow",
                    "Action": list(_DISCOVERY_ACTIONS),
                    "Resource": "*",
                },
                {
                    "Sid": "DescribeNodeGroups",
                    "Effect": "Allow",
                    "Action": ["eks:DescribeNodegroup"],
                    "Resource": node_groups,
                },
                {
                    "Sid": "ScaleThisClustersGroups",
                    "Effect": "Allow",
                    "Action": list(_SCALING_ACTIONS),
                    "Resource": scaled,
                    "Condition": {
                        "Null": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "false"}
                    },
                },
            ],
        }
    )


def autoscaler_values(
    *,
    region: str,
    role_arn: str,
    groups: Sequence[ScaledGroup],
    version: str,
) -> dict[str, Any]:
    """The chart's values: AWS, the groups with their bounds, the image of the cluster's minor, IRSA."""
    return {
        "cloudProvider": "aws",
        # The pod cannot reach the instance metadata service (hop limit 1), so it is told its region.
        "awsRegion": region,
        "autoscalingGroups": [
            {"name": group.name, "minSize": group.min_size, "maxSize": group.max_size} for group in groups
        ],
        "image": {"tag": f"v{version}"},
        "rbac": {
            "serviceAccount": {
                "name": SERVICE_ACCOUNT,
                "annotations": {"eks.amazonaws.com/role-arn": role_arn},
            }
        },
        "extraArgs": {
            # A group below its minimum (a raised nodes.min) is grown to it, as GKE's autoscaler does.
            "enforce-node-group-min-size": "true",
            # While new nodes roll in beside old ones (docs/clusters.md), load is spread over both groups.
            "balance-similar-node-groups": "true",
            # Every pod with an Istio sidecar has emptyDir volumes; the default would keep any node
            # running one from ever being scaled down.
            "skip-nodes-with-local-storage": "false",
        },
        "resources": {"requests": {"cpu": "100m", "memory": "300Mi"}, "limits": {"memory": "600Mi"}},
        "containerSecurityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
