"""EksAutoscaler on the shipped plans, and its specs: the autoscaler keeps the EKS nodes within
clusters.eks.nodes, with a role of its own, from a pinned chart, at the cluster's minor."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from components.clusters import autoscaler_specs
from components.clusters.autoscaler_specs import ScaledGroup
from offline.artefacts.chart_values import values_problems
from offline.artefacts.pins import pin_problem
from offline.record import Plan, Registration
from tests.support.plans import STACKS, stack_config
from tests.support.resource_tree import policy_document
from tests.support.types import (
    EKS_CLUSTER,
    EKS_NODE_GROUP,
    HELM_RELEASE,
    IAM_OIDC_PROVIDER,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    KUBERNETES_PROVIDER,
)

CLUSTER_ARN = "arn:aws:eks:us-east-1:111122223333:cluster/cm-dev-eks"


def chart_of(plan: Plan) -> Registration:
    return plan.one(HELM_RELEASE, "eks-autoscaler-chart")


def group_names(plan: Plan) -> list[str]:
    (group,) = plan.of_type(EKS_NODE_GROUP)
    return [asg["name"] for resource in group.outputs["resources"] for asg in resource["autoscalingGroups"]]


@pytest.mark.parametrize("stack", STACKS)
def test_the_autoscaler_keeps_the_node_group_within_the_configured_bounds(
    plan_of: Callable[..., Plan], stack: str
) -> None:
    plan = plan_of(stack)
    nodes = stack_config(stack, "clusters")["eks"].get("nodes", {"min": 2, "max": 6})
    values = chart_of(plan).plain_inputs["values"]
    assert values["autoscalingGroups"] == [
        {"name": name, "minSize": nodes["min"], "maxSize": nodes["max"]} for name in group_names(plan)
    ]
    assert len(values["autoscalingGroups"]) == 1
    assert values["extraArgs"]["enforce-node-group-min-size"] == "true"
    # Pods with an Istio sidecar have emptyDir volumes; they must not pin their nodes.
    assert values["extraArgs"]["skip-nodes-with-local-storage"] == "false"


def test_the_chart_is_pinned_published_in_kube_system_and_its_values_are_the_charts(dev_plan: Plan) -> None:
    chart = chart_of(dev_plan)
    inputs = chart.plain_inputs
    assert (inputs["chart"], inputs["version"], inputs["namespace"]) == (
        "cluster-autoscaler",
        "9.59.0",
        "kube-system",
    )
    assert pin_problem(inputs) is None
    assert values_problems("cluster-autoscaler", "9.59.0", inputs["values"]) == []
    assert chart.provider == dev_plan.one(KUBERNETES_PROVIDER, "eks-k8s").urn


@pytest.mark.parametrize(("version", "tag"), [("1.33", "v1.33.6"), ("1.34", "v1.34.5"), ("1.35", "v1.35.2")])
def test_the_autoscaler_runs_the_release_of_the_clusters_minor(version: str, tag: str) -> None:
    values = autoscaler_specs.autoscaler_values(
        region="us-east-1",
        role_arn="arn:aws:iam::111122223333:role/ca",
        groups=[],
        version=str(autoscaler_specs.autoscaler_version(version)),
    )
    assert values["image"] == {"tag": tag}


def test_the_dev_plan_runs_the_release_of_its_minor_with_its_region(dev_plan: Plan) -> None:
    values = chart_of(dev_plan).plain_inputs["values"]
    minor = stack_config("dev", "clusters")["eks"]["version"]
    assert values["image"]["tag"] == f"v{autoscaler_specs.autoscaler_version(minor)}"
    # The pod cannot reach the instance metadata service to learn its region.
    assert values["awsRegion"] == dev_plan.one("pulumi:providers:aws").inputs["region"] == "us-east-1"


def test_a_minor_with_no_recorded_release_has_none() -> None:
    assert autoscaler_specs.autoscaler_version("1.29") is None
    assert autoscaler_specs.recorded_minors()[0] == "1.31"


def test_the_autoscaler_has_an_irsa_role_for_its_service_account_only(dev_plan: Plan) -> None:
    role = dev_plan.one(IAM_ROLE, "eks-autoscaler-irsa")
    oidc = dev_plan.one(IAM_OIDC_PROVIDER)
    issuer = oidc.inputs["url"].removeprefix("https://")
    (statement,) = policy_document(role, "assumeRolePolicy")["Statement"]
    assert statement["Principal"] == {"Federated": oidc.outputs["arn"]}
    assert statement["Condition"]["StringEquals"][f"{issuer}:sub"] == (
        "system:serviceaccount:kube-system:cluster-autoscaler"
    )
    values = chart_of(dev_plan).plain_inputs["values"]
    assert values["rbac"]["serviceAccount"] == {
        "name": "cluster-autoscaler",
        "annotations": {"eks.amazonaws.com/role-arn": role.outputs["arn"]},
    }
    # It can scale from its first run: the grant exists before the chart.
    grant = dev_plan.one(IAM_ROLE_POLICY, "eks-autoscaler-scaling")
    assert grant.urn in chart_of(dev_plan).dependencies


def test_the_autoscaler_may_scale_only_this_clusters_groups(dev_plan: Plan) -> None:
    grant = dev_plan.one(IAM_ROLE_POLICY, "eks-autoscaler-scaling")
    cluster = dev_plan.one(EKS_CLUSTER)
    statements = {s["Sid"]: s for s in policy_document(grant, "policy")["Statement"]}
    scale = statements["ScaleThisClustersGroups"]
    assert scale["Action"] == [
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
    ]
    assert scale["Resource"] == [
        f"arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/{name}"
        for name in group_names(dev_plan)
    ]
    assert scale["Condition"] == {"Null": {"aws:ResourceTag/k8s.io/cluster-autoscaler/cm-dev-eks": "false"}}
    assert statements["DescribeNodeGroups"]["Resource"] == cluster.outputs["arn"].replace(
        ":cluster/cm-dev-eks", ":nodegroup/cm-dev-eks/*"
    )
    # Only reads on '*'.
    assert all(
        action.split(":")[1].startswith(("Describe", "Get")) for action in statements["Discover"]["Action"]
    )


def test_the_policy_names_each_group_it_is_given() -> None:
    document = json.loads(
        autoscaler_specs.autoscaler_policy("c", "arn:aws-cn:eks:cn-north-1:1:cluster/c", ["a", "b"])
    )
    scale = document["Statement"][2]
    assert scale["Resource"] == [
        "arn:aws-cn:autoscaling:cn-north-1:1:autoScalingGroup:*:autoScalingGroupName/a",
        "arn:aws-cn:autoscaling:cn-north-1:1:autoScalingGroup:*:autoScalingGroupName/b",
    ]
    assert document["Statement"][1]["Resource"] == "arn:aws-cn:eks:cn-north-1:1:nodegroup/c/*"


def test_every_group_gets_its_bounds() -> None:
    values = autoscaler_specs.autoscaler_values(
        region="eu-west-1",
        role_arn="arn:aws:iam::1:role/r",
        groups=[ScaledGroup("old", 2, 6), ScaledGroup("new", 3, 9)],
        version="1.34.5",
    )
    assert values["autoscalingGroups"] == [
        {"name": "old", "minSize": 2, "maxSize": 6},
        {"name": "new", "minSize": 3, "maxSize": 9},
    ]
