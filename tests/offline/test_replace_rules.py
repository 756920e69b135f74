"""The replacement rules as data: an entry with its source for every type a stack plans, for the SDK
versions installed, and the rules the diff depends on most."""

from __future__ import annotations

import importlib.metadata
import json

import pytest

from offline import paths
from offline.replace_rules import CLOUD_ASSIGNED_FILE, RULES_FILE, rules_by_type
from scripts import refresh_replace_rules as refresh
from tests.support.plans import STACKS, planned
from tests.support.types import (
    AWS_VPN_CONNECTION,
    GCP_EXTERNAL_VPN_GATEWAY,
    K8S_NAMESPACE,
    KUBERNETES_PROVIDER,
)

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
KNOWN_TESTS = {
    "count-changes",
    "presence-changes",
    "from-to",
    "removed",
    "change-except",
    "range-not-within",
    "one-of-changes",
    "map-change-unless-null",
    "kubernetes-cluster",
    "value-to-value",
    "element-removed",
    "output-driven",
    "not-evaluated",
}


@pytest.mark.parametrize("stack", STACKS)
def test_every_type_a_stack_plans_has_replacement_rules(stack: str) -> None:
    planned_types = {resource.type for resource in planned(stack).resources if resource.custom}
    missing = sorted(planned_types - set(rules_by_type()))
    assert not missing, f"no replacement rules for {missing}: add them to {RULES_FILE.name} (scripts/)"
    assigned = json.loads(CLOUD_ASSIGNED_FILE.read_text())["types"]
    assert not sorted(planned_types - set(assigned)), "every planned type lists its cloud-assigned outputs"


def test_every_entry_names_its_source_and_every_condition_a_test_the_diff_knows() -> None:
    data = json.loads(RULES_FILE.read_text())
    assert data["read"] and data["source"]
    for type_token, entry in data["types"].items():
        assert all(entry["source"].get(key) for key in ("repo", "path", "ref")), type_token
        for condition in entry.get("replace_if", ()):
            assert condition["test"]["kind"] in KNOWN_TESTS, (type_token, condition["path"])
        for path in (*entry.get("replace_on", ()), *(c["path"] for c in entry.get("replace_if", ()))):
            paths.parse(path)


@pytest.mark.parametrize("provider", ["aws", "gcp", "kubernetes", "tls", "random"])
def test_the_rules_were_read_for_the_installed_provider_sdk(provider: str) -> None:
    recorded = json.loads(RULES_FILE.read_text())["providers"][provider]["pulumi_package"]
    package, version = recorded.split(" ")
    assert importlib.metadata.version(package) == version, (
        f"{package} {importlib.metadata.version(package)} is installed, the rules were read for {version}:"
        " re-read them (scripts/refresh_replace_rules.py says how)"
    )


def test_a_bandwidth_some_regions_update_in_place_is_recorded_as_a_replacement() -> None:
    assert "tunnelBandwidth" in rules_by_type()[AWS_VPN_CONNECTION].replace_on
    assert "interfaces" in rules_by_type()[GCP_EXTERNAL_VPN_GATEWAY].replace_on


def test_kubernetes_rules_cover_names_releases_and_the_provider_cluster() -> None:
    rules = rules_by_type()
    assert "metadata.name" in rules[K8S_NAMESPACE].replace_on
    assert {"name", "namespace"} <= set(rules[HELM_RELEASE].replace_on)
    provider = rules[KUBERNETES_PROVIDER]
    assert provider.pinned_by == "clusterIdentifier"
    assert {c.path for c in provider.replace_if if c.kind == "kubernetes-cluster"} == {
        "kubeconfig",
        "context",
        "cluster",
    }


def test_the_refresh_check_finds_every_rule_path_among_the_sdk_inputs() -> None:
    assert refresh.problems() == []


@pytest.mark.parametrize(
    ("type_token", "args_class", "an_input"),
    [
        (AWS_VPN_CONNECTION, "VpnConnectionArgs", "tunnelBandwidth"),
        (GCP_EXTERNAL_VPN_GATEWAY, "ExternalVpnGatewayArgs", "interfaces"),
        (K8S_NAMESPACE, "NamespaceArgs", "metadata"),
        (HELM_RELEASE, "ReleaseArgs", "namespace"),
        (KUBERNETES_PROVIDER, "ProviderArgs", "clusterIdentifier"),
        ("random:index/randomPassword:RandomPassword", "RandomPasswordArgs", "overrideSpecial"),
    ],
)
def test_the_refresh_check_reads_the_inputs_of_the_installed_sdk(
    type_token: str, args_class: str, an_input: str
) -> None:
    found = refresh.sdk_args_class(type_token)
    assert found is not None and found.__name__ == args_class
    assert an_input in refresh.sdk_inputs(found)
    assert refresh.sdk_args_class("kubernetes:networking.istio.io/v1:Gateway") is None
