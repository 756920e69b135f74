"""The pure parts of the EKS cluster: node architecture and the IAM documents."""

from __future__ import annotations

import json

import pytest

from components.clusters.eks_specs import (
    admin_entry_key,
    ami_type_for,
    architecture_of,
    cluster_key_use_policy,
    irsa_trust_policy,
    node_group_shape,
    service_trust_policy,
)


@pytest.mark.parametrize(
    ("instance_type", "architecture"),
    [
        ("m6i.large", "x86_64"),
        ("m7i-flex.xlarge", "x86_64"),
        ("c6in.2xlarge", "x86_64"),
        ("g5.xlarge", "x86_64"),
        ("g4ad.xlarge", "x86_64"),
        ("t3a.medium", "x86_64"),
        ("m7g.large", "arm64"),
        ("c6gn.xlarge", "arm64"),
        ("r8g.medium", "arm64"),
        ("t4g.small", "arm64"),
        ("x2gd.large", "arm64"),
        ("im4gn.large", "arm64"),
        ("g5g.xlarge", "arm64"),
        ("a1.large", "arm64"),
    ],
)
def test_architecture_follows_the_graviton_attribute_of_the_family(
    instance_type: str, architecture: str
) -> None:
    assert architecture_of(instance_type) == architecture


@pytest.mark.parametrize("word", ["large", "m6i", "M6I.LARGE", "6i.large", ""])
def test_words_that_are_not_instance_types_are_refused(word: str) -> None:
    with pytest.raises(ValueError, match="is not an EC2 instance type"):
        architecture_of(word)


def test_one_architecture_picks_its_al2023_ami_and_two_are_refused() -> None:
    assert ami_type_for(["m6i.large", "c6i.large"]) == "AL2023_x86_64_STANDARD"
    assert ami_type_for(["m7g.large"]) == "AL2023_ARM_64_STANDARD"
    with pytest.raises(ValueError, match="mix architectures"):
        ami_type_for(["m6i.large", "m7g.large"])


def test_irsa_trust_names_one_service_account_and_the_sts_audience() -> None:
    provider = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
    document = json.loads(
        irsa_trust_policy(
            provider, "https://oidc.eks.us-east-1.amazonaws.com/id/ABC", "kube-system", "aws-node"
        )
    )
    (statement,) = document["Statement"]
    assert statement["Principal"] == {"Federated": provider}
    assert statement["Condition"] == {
        "StringEquals": {
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:kube-system:aws-node",
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
        }
    }


def test_only_the_eks_service_may_tag_its_sessions() -> None:
    eks = json.loads(service_trust_policy("eks.amazonaws.com"))["Statement"][0]["Action"]
    ec2 = json.loads(service_trust_policy("ec2.amazonaws.com"))["Statement"][0]["Action"]
    assert eks == ["sts:AssumeRole", "sts:TagSession"]
    assert ec2 == ["sts:AssumeRole"]


def test_the_cluster_key_policy_is_scoped_to_one_key() -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/abc"
    (statement,) = json.loads(cluster_key_use_policy(key))["Statement"]
    assert statement["Resource"] == key
    assert "kms:*" not in statement["Action"]


def test_an_admin_entry_is_keyed_by_the_roles_account_and_name_not_its_path() -> None:
    assert admin_entry_key("arn:aws:iam::111122223333:role/platform-admin") == "111122223333-platform-admin"
    assert admin_entry_key("arn:aws:iam::111122223333:role/teams/ops/admin") == "111122223333-admin"
    assert admin_entry_key("arn:aws-us-gov:iam::111122223333:role/admin") == "111122223333-admin"


def test_a_node_group_is_named_by_the_set_of_its_instance_types_not_their_order() -> None:
    first = node_group_shape(["m6i.large", "m5.large"], 3)
    assert first.instance_types == ("m5.large", "m6i.large")
    assert node_group_shape(["m5.large", "m6i.large", "m5.large"], 3).key == first.key
    assert node_group_shape(["m6i.xlarge"], 3).key != node_group_shape(["m6i.large"], 3).key
    # Another zone count is another subnet list, which a group cannot change either.
    assert node_group_shape(["m6i.large", "m5.large"], 2).key != first.key
    graviton = node_group_shape(["m7g.large"], 3)
    assert graviton.ami_type == "AL2023_ARM_64_STANDARD" and len(graviton.key) == 8
