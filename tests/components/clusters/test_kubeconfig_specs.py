"""Kubeconfigs: exec-plugin authentication only, and secret wherever they travel."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.clusters.kubeconfig_specs import (
    EXEC_API_VERSION,
    eks_cluster_identifier,
    eks_kubeconfig,
    gke_cluster_identifier,
    gke_kubeconfig,
    render,
)
from offline.record import Plan, Secret, mask
from tests.support.types import KUBERNETES_PROVIDER

# Anything that would make a kubeconfig carry a credential of its own.
STATIC_CREDENTIAL_KEYS = {
    "token",
    "tokenFile",
    "client-certificate-data",
    "client-key-data",
    "password",
    "username",
}

names = st.from_regex(r"[a-z][a-z0-9-]{0,38}[a-z0-9]", fullmatch=True)
endpoints = st.from_regex(r"[0-9A-F]{32}\.gr7\.[a-z]{2}-[a-z]+-\d\.eks\.amazonaws\.com", fullmatch=True)
ca_data = st.binary(min_size=1, max_size=64).map(lambda raw: raw.hex())


def user_of(kubeconfig: dict[str, Any]) -> dict[str, Any]:
    (user,) = kubeconfig["users"]
    result: dict[str, Any] = user["user"]
    return result


def test_eks_kubeconfig_gets_a_token_from_the_aws_cli_for_that_cluster_and_region() -> None:
    config = eks_kubeconfig("cm-dev-eks", "https://ABC.gr7.us-east-1.eks.amazonaws.com", "Q0E=", "us-east-1")
    exec_ = user_of(config)["exec"]
    assert exec_["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert exec_["command"] == "aws"
    assert exec_["args"] == [
        "eks",
        "get-token",
        "--cluster-name",
        "cm-dev-eks",
        "--region",
        "us-east-1",
        "--output",
        "json",
    ]
    assert config["clusters"][0]["cluster"] == {
        "server": "https://ABC.gr7.us-east-1.eks.amazonaws.com",
        "certificate-authority-data": "Q0E=",
    }


def test_gke_kubeconfig_uses_the_gke_auth_plugin_and_https_on_the_bare_address() -> None:
    config = gke_kubeconfig("gke_p_r_c", "172.16.0.2", "Q0E=")
    exec_ = user_of(config)["exec"]
    assert exec_["apiVersion"] == EXEC_API_VERSION
    assert exec_["command"] == "gke-gcloud-auth-plugin"
    assert exec_["provideClusterInfo"] is True
    assert config["clusters"][0]["cluster"]["server"] == "https://172.16.0.2"


def test_gke_kubeconfig_does_not_double_the_scheme() -> None:
    config = gke_kubeconfig("c", "https://172.16.0.2", "Q0E=")
    assert config["clusters"][0]["cluster"]["server"] == "https://172.16.0.2"


@given(names, endpoints, ca_data, st.sampled_from(["us-east-1", "eu-west-2", "us-gov-west-1"]))
def test_eks_kubeconfigs_round_trip_with_one_consistent_context_and_no_static_credential(
    name: str, endpoint: str, ca: str, region: str
) -> None:
    config = eks_kubeconfig(name, f"https://{endpoint}", ca, region)
    parsed = json.loads(render(config))
    assert parsed == config
    assert_one_consistent_context(parsed, name)
    assert STATIC_CREDENTIAL_KEYS.isdisjoint(user_of(parsed))


@given(names, st.ip_addresses(v=4).map(str), ca_data)
def test_gke_kubeconfigs_round_trip_with_one_consistent_context_and_no_static_credential(
    name: str, address: str, ca: str
) -> None:
    parsed = json.loads(render(gke_kubeconfig(name, address, ca)))
    assert_one_consistent_context(parsed, name)
    assert parsed["clusters"][0]["cluster"]["server"] == f"https://{address}"
    assert STATIC_CREDENTIAL_KEYS.isdisjoint(user_of(parsed))


def assert_one_consistent_context(config: dict[str, Any], name: str) -> None:
    (context,) = config["contexts"]
    assert config["current-context"] == context["name"] == name
    assert context["context"] == {
        "cluster": config["clusters"][0]["name"],
        "user": config["users"][0]["name"],
    }


def test_rendering_is_stable_so_unchanged_clusters_show_no_diff() -> None:
    first = render(eks_kubeconfig("c", "https://e", "Q0E=", "us-east-1"))
    second = render(eks_kubeconfig("c", "https://e", "Q0E=", "us-east-1"))
    assert first == second


def test_a_cluster_identifier_changes_with_the_cluster_and_nothing_the_kubeconfig_holds() -> None:
    arn = "arn:aws:eks:us-east-1:123456789012:cluster/cm-dev-eks"
    first = eks_cluster_identifier(arn, "https://oidc.eks.us-east-1.amazonaws.com/id/AAAA")
    again = eks_cluster_identifier(arn, "https://oidc.eks.us-east-1.amazonaws.com/id/BBBB")
    assert first != again and arn in first
    cluster_id = "projects/p/locations/us-east4/clusters/cm-dev-gke"
    assert gke_cluster_identifier(cluster_id, "gke-1.us-east4.gke.goog") != gke_cluster_identifier(
        cluster_id, "gke-2.us-east4.gke.goog"
    )
    assert gke_cluster_identifier(cluster_id, "") == cluster_id


@pytest.mark.parametrize("stack", ["dev", "prod", "legacy"])
def test_every_kubernetes_provider_gets_its_kubeconfig_as_a_secret(stack: str, plan_of: Any) -> None:
    plan: Plan = plan_of(stack)
    providers = [r for r in plan.resources if r.type == KUBERNETES_PROVIDER]
    assert len(providers) == 2
    assert all(isinstance(provider.inputs["kubeconfig"], Secret) for provider in providers)
    assert all(provider.inputs["clusterIdentifier"] for provider in providers)


@pytest.mark.parametrize("stack", ["dev", "prod", "legacy"])
def test_kubeconfig_stack_outputs_are_secret(stack: str, plan_of: Any) -> None:
    plan: Plan = plan_of(stack)
    assert isinstance(plan.outputs["eksKubeconfig"], Secret)
    assert isinstance(plan.outputs["gkeKubeconfig"], Secret)


def test_no_kubeconfig_leaves_the_engine_in_the_clear(dev_plan: Plan) -> None:
    contract = json.dumps(dev_plan.to_contract())
    assert EXEC_API_VERSION not in contract
    assert "gke-gcloud-auth-plugin" not in contract
    assert "get-token" not in json.dumps(mask(dev_plan.outputs))
