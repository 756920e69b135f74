"""Table-driven policy tests in the anchors' manner: a compliant baseline property bag per resource
type, and cases that change one field each, with the verdict the anchor reaches.

Policies are called exactly as the CrossGuard analyzer calls them, through ResourceValidationArgs and
StackValidationArgs. Each rule module of the pack (crossmesh_policy/<module>.py) has a test module,
tests/policies/test_<module>.py, that declares CASES (verdicts on its own rules) and BASELINES
(compliant bags, which no rule of the pack may fault); `cases_by_module` gathers them, and the
single runner in test_pack.py runs them all.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crossmesh_policy import (
    POLICIES,
    RULE_MODULES,
    CrossmeshPolicy,
    CrossmeshResourcePolicy,
    CrossmeshStackPolicy,
)
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

BY_NAME: dict[str, CrossmeshPolicy] = {policy.name: policy for policy in POLICIES}
ABSENT = object()
"""Marks a field the case removes, so the provider default applies."""


def options(parent: str | None = None, protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def plain(value: Any) -> Any:
    """value with CrossGuard's proxies turned back into dicts and lists."""
    if isinstance(value, Mapping):
        return {key: plain(value[key]) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [plain(item) for item in value]
    return copy.deepcopy(value)


def as_analyzer_sees(props: Mapping[str, Any]) -> Any:
    """props wrapped as the CrossGuard analyzer wraps them: unknown-checking Mapping and Sequence
    proxies, not dicts and lists."""
    return unknown_checking_proxy(plain(props))


def changed(base: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of base with dotted paths (given with '__' for '.') set, or removed when ABSENT."""
    result: dict[str, Any] = plain(base)
    for dotted, value in changes.items():
        keys = dotted.split("__")
        target = result
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        if value is ABSENT:
            target.pop(keys[-1], None)
        else:
            target[keys[-1]] = value
    return result


def resource_violations(
    policy: CrossmeshPolicy,
    resource_type: str,
    props: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
    provider: PolicyProviderResource | None = None,
) -> list[str]:
    assert isinstance(policy, CrossmeshResourcePolicy), f"{policy.name} is a stack policy"
    found: list[str] = []
    args = ResourceValidationArgs(
        resource_type,
        as_analyzer_sees(props),
        f"urn:pulumi:test::crossmesh::{resource_type}::subject",
        "subject",
        options(),
        provider,
        config,
    )

    def report(message: str, _urn: str | None = None) -> None:
        found.append(message)

    policy.validate(args, report)
    return found


def stack_violations(
    policy: CrossmeshPolicy, resources: Sequence[PolicyResource], config: Mapping[str, Any] | None = None
) -> list[tuple[str, str | None]]:
    assert isinstance(policy, CrossmeshStackPolicy), f"{policy.name} is a resource policy"
    found: list[tuple[str, str | None]] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append((message, urn))

    policy.validate(StackValidationArgs(list(resources), config), report)
    return found


def res(
    resource_type: str,
    name: str,
    props: Mapping[str, Any],
    depends_on: Sequence[PolicyResource] = (),
    provider: PolicyProviderResource | None = None,
    property_dependencies: Mapping[str, Sequence[PolicyResource]] | None = None,
    protect: bool = False,
) -> PolicyResource:
    """A stack resource; its props are what the provider reports (inputs plus id)."""
    return PolicyResource(
        resource_type,
        as_analyzer_sees(props),
        f"urn:pulumi:test::crossmesh::{resource_type}::{name}",
        name,
        options(protect=protect),
        provider,
        None,
        list(depends_on),
        {key: list(value) for key, value in (property_dependencies or {}).items()},
    )


@dataclass(frozen=True)
class Case:
    """One resource bag and the verdict one policy must reach on it."""

    policy: str
    resource_type: str
    props: Mapping[str, Any]
    fails: bool
    label: str
    config: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.policy}:{'fail' if self.fails else 'pass'}:{self.label}"

    def verify(self) -> None:
        found = resource_violations(BY_NAME[self.policy], self.resource_type, self.props, self.config)
        assert bool(found) == self.fails, f"{self}: got {found}"


@dataclass(frozen=True)
class StackCase:
    """A whole stack and the verdict one stack policy must reach on it."""

    policy: str
    resources: Sequence[PolicyResource]
    fails: bool
    label: str
    config: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.policy}:{'fail' if self.fails else 'pass'}:{self.label}"

    def verify(self) -> None:
        found = stack_violations(BY_NAME[self.policy], self.resources, self.config)
        assert bool(found) == self.fails, f"{self}: got {found}"


@dataclass(frozen=True)
class Baseline:
    """A compliant bag: no rule of the pack that covers its type may report anything on it (or, with
    mandatory_only, no mandatory rule: for types an advisory always flags, such as App Mesh meshes)."""

    resource_type: str
    props: Mapping[str, Any]
    label: str = "baseline"
    mandatory_only: bool = False

    def __str__(self) -> str:
        return f"baseline:{self.resource_type}:{self.label}"

    def verify(self) -> None:
        found = baseline_violations(self.resource_type, self.props, self.mandatory_only)
        assert found == [], f"{self}: got {found}"


PolicyCase = Case | StackCase
"""A verdict one rule must reach."""
AnyCase = Case | StackCase | Baseline


def ok(policy: str, resource_type: str, props: Mapping[str, Any], label: str = "baseline", **kw: Any) -> Case:
    return Case(policy, resource_type, props, False, label, **kw)


def bad(policy: str, resource_type: str, props: Mapping[str, Any], label: str, **kw: Any) -> Case:
    return Case(policy, resource_type, props, True, label, **kw)


def policies_for(resource_type: str) -> list[CrossmeshResourcePolicy]:
    return [p for p in POLICIES if isinstance(p, CrossmeshResourcePolicy) and p.applies_to(resource_type)]


def baseline_violations(
    resource_type: str, props: Mapping[str, Any], mandatory_only: bool = False
) -> list[str]:
    """Everything the pack's resource policies report on one bag (a baseline must report nothing)."""
    found: list[str] = []
    for policy in policies_for(resource_type):
        if (
            mandatory_only
            and policy.enforcement_level is not None
            and policy.enforcement_level.value != "mandatory"
        ):
            continue
        found.extend(f"{policy.name}: {m}" for m in resource_violations(policy, resource_type, props))
    return found


def module_of(policy: CrossmeshPolicy) -> str:
    """The rule module a policy is written in: 'eks' for crossmesh_policy.eks."""
    return policy.module.rsplit(".", 1)[-1]


def rule_modules() -> list[str]:
    return [module.__name__.rsplit(".", 1)[-1] for module in RULE_MODULES]


def cases_by_module() -> dict[str, list[AnyCase]]:
    """Every rule test module's CASES and BASELINES, by the rule module it tests. The test modules are
    found by name (tests/policies/test_<module>.py), so a rule module without one fails here."""
    found: dict[str, list[AnyCase]] = {}
    for module in rule_modules():
        tests = importlib.import_module(f"tests.policies.test_{module}")
        found[module] = [*tests.CASES, *tests.BASELINES]
    return found


def all_cases() -> list[AnyCase]:
    return [case for cases in cases_by_module().values() for case in cases]
