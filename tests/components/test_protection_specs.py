"""The one definition of critical resources, what the program protects and retains from it, and the
docs that list it."""

from __future__ import annotations

import re

import pytest

from components.clusters.namespace_specs import POLICY_NAME
from components.protection_specs import CRITICAL, critical_of, critical_reason, protection
from offline.record import Registration
from tests.support.plans import PROJECT_DIR, STACKS, planned, stack_config
from tests.support.types import (
    COMPONENT_APP_MESH,
    EKS_CLUSTER,
    ISSUED_CERTIFICATE,
    ISTIO_AUTHORIZATION_POLICY,
    K8S_NAMESPACE,
    K8S_NETWORK_POLICY,
    K8S_SERVICE_ACCOUNT,
    KMS_KEY,
    TLS_PRIVATE_KEY,
    TLS_SELF_SIGNED_CERT,
)

DOCS = PROJECT_DIR / "docs" / "diff.md"
README = PROJECT_DIR / "README.md"
README_START = "<!-- what protect covers: from components/protection_specs.py -->"
README_END = "<!-- end of what protect covers -->"


def test_a_ca_certificate_is_critical_and_a_workload_certificate_is_not() -> None:
    assert critical_reason(ISSUED_CERTIFICATE, {"isCaCertificate": True})
    assert critical_reason(ISSUED_CERTIFICATE, {"isCaCertificate": False}) is None
    assert critical_reason(ISSUED_CERTIFICATE, {}) is None
    # The SDK's argument classes name the input in Python, as a resource transformation sees it.
    assert critical_reason(ISSUED_CERTIFICATE, {"is_ca_certificate": True})


def test_every_resource_of_a_critical_type_without_condition_is_critical() -> None:
    assert critical_reason(EKS_CLUSTER, {}) == CRITICAL[EKS_CLUSTER].reason
    assert critical_reason(K8S_NAMESPACE, {"metadata": {"name": "shop"}})
    assert critical_reason(TLS_PRIVATE_KEY, {}) is None


def test_protection_follows_the_stack_and_retention_does_not() -> None:
    assert protection(EKS_CLUSTER, {}, stack_protects=True) == (True, False)
    assert protection(EKS_CLUSTER, {}, stack_protects=False) == (False, False)
    assert protection(K8S_NAMESPACE, {}, stack_protects=False) == (False, True)
    assert protection(KMS_KEY, {}, stack_protects=True) == (True, True)
    # An intermediate renews by replacement: critical in the diff, never protected.
    assert protection(ISSUED_CERTIFICATE, {"isCaCertificate": True}, True) == (False, False)


@pytest.mark.parametrize("stack", STACKS)
def test_the_program_protects_and_retains_exactly_what_the_definition_says(stack: str) -> None:
    plan = planned(stack)
    protects = bool(stack_config(stack, "protect"))
    protected_keys: set[str] = set()
    for resource in plan.resources:
        wanted = protection(resource.type, resource.plain_inputs, protects)
        if wanted.retain_on_delete or not kept_by_its_component(resource):
            assert resource.retain_on_delete == wanted.retain_on_delete, resource.name
        if wanted.protect:
            assert resource.protect, resource.name
            protected_keys.update(urn for urn in resource.dependencies if TLS_PRIVATE_KEY in urn)
    for resource in plan.resources:
        if resource.protect and critical_of(resource.type, resource.plain_inputs) is None:
            # The one protected resource outside the definition: the key a protected root reads.
            assert resource.type == TLS_PRIVATE_KEY and resource.urn in protected_keys, resource.name


def kept_by_its_component(resource: Registration) -> bool:
    """Retained outside the definition, by the component that declares it: an App Mesh workload's
    ServiceAccount (workloads run as it under either engine), and a namespace's private-ingress
    NetworkPolicy and deny-by-default AuthorizationPolicy (a namespace left to its owners stays
    closed)."""
    if resource.type == K8S_SERVICE_ACCOUNT:
        return COMPONENT_APP_MESH in resource.urn
    if resource.type == K8S_NETWORK_POLICY:
        return resource.name.endswith(f"-{POLICY_NAME}")
    return resource.type == ISTIO_AUTHORIZATION_POLICY and resource.name.endswith("-allow-nothing")


def test_app_mesh_retains_the_accounts_its_workloads_run_as() -> None:
    accounts = {r.name: r.retain_on_delete for r in planned("legacy").of_type(K8S_SERVICE_ACCOUNT)}
    assert accounts["appmesh-orders-account"] is True
    assert accounts["appmesh-crossmesh-bridge-account"] is False


def test_prod_protects_the_network_the_logs_key_the_namespaces_and_the_root() -> None:
    protected = {(r.type, r.name) for r in planned("prod").resources if r.protect}
    names = {name for _, name in protected}
    assert {"aws-network-vpc", "aws-network-logs-key"} <= names
    assert sum(1 for kind, _ in protected if kind == K8S_NAMESPACE) >= 4
    assert (TLS_SELF_SIGNED_CERT, "mesh-ca-root") in protected


def test_the_docs_list_exactly_the_critical_types() -> None:
    text = DOCS.read_text()
    listed = text[text.index("<!-- critical types") : text.index("<!-- end of critical types -->")]
    assert set(re.findall(r"`([\w.-]+:[\w./-]+:\w+)`", listed)) == set(CRITICAL)


def readme_block() -> str:
    """What the README says `protect` covers, rendered from the definition."""
    groups: dict[str, list[str]] = {}
    for type_token, critical in CRITICAL.items():
        if critical.protect:
            condition = f" (when `{critical.only_if[0]}`)" if critical.only_if else ""
            groups.setdefault(critical.group, []).append(f"`{type_token}`{condition}")
    lines = [README_START, "With `crossmesh:protect: true` (`Pulumi.prod.yaml`) these are protected:", ""]
    lines += [f"- {group}: {', '.join(types)}" for group, types in groups.items()]
    retained = [f"`{t}`" for t, c in CRITICAL.items() if c.retain]
    unprotected = [f"`{t}`" for t, c in CRITICAL.items() if not c.protect]
    lines += [
        "",
        f"Retained on delete in every stack, because deleting them loses data: {', '.join(retained)}.",
        "Critical in the diff but not protected, as routine changes replace them or they hold nothing "
        f"in a cloud: {', '.join(unprotected)}.",
        README_END,
    ]
    return "\n".join(lines)


def test_the_readme_lists_what_protect_covers_from_the_definition() -> None:
    text = README.read_text()
    start, end = text.index(README_START), text.index(README_END) + len(README_END)
    assert text[start:end] == readme_block(), "README block is stale; expected:\n" + readme_block()
