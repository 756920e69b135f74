"""The pack as a whole: unique names, anchors in every description, a level and a severity, at least
40 mandatory rules, real Pulumi type tokens, each rule in the module its id names, and a pack entry
point that registers them all. Also the one runner of the rule test modules' cases, with the check
that each rule has a passing and a failing one among the cases of its own module."""

from __future__ import annotations

import re
import runpy
from pathlib import Path
from typing import Any

import pytest
from crossmesh_policy import POLICIES, CrossmeshResourcePolicy
from pulumi_policy import EnforcementLevel

from tests.support.policy_cases import (
    BY_NAME,
    AnyCase,
    Baseline,
    Case,
    cases_by_module,
    module_of,
    rule_modules,
)

PROJECT = Path(__file__).resolve().parents[2]
CASES_BY_MODULE = cases_by_module()
ALL_CASES: list[AnyCase] = [case for cases in CASES_BY_MODULE.values() for case in cases]
# Ids name the test module's rule module as its file names it (`x` rules live in cross_cloud.py).
MODULE_OF_SEGMENT = {"x": "cross_cloud"}


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_case(case: AnyCase) -> None:
    case.verify()


def test_names_are_unique_xc_ids() -> None:
    names = [policy.name for policy in POLICIES]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"xc-[a-z0-9]+(-[a-z0-9]+)+", name) for name in names)


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_description_names_every_anchor(policy: Any) -> None:
    assert policy.anchors, policy.name
    assert f"Anchors: {' / '.join(policy.anchors)}." in policy.description


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_policy_has_a_level_and_a_severity(policy: Any) -> None:
    assert policy.enforcement_level in (EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY)
    assert policy.severity is not None


def test_the_pack_holds_at_least_forty_mandatory_policies() -> None:
    mandatory = [p for p in POLICIES if p.enforcement_level == EnforcementLevel.MANDATORY]
    assert len(mandatory) >= 40


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_policy_has_a_passing_and_a_failing_case_in_its_module_s_tests(policy: Any) -> None:
    cases = CASES_BY_MODULE[module_of(policy)]
    verdicts = {case.fails for case in cases if not isinstance(case, Baseline) and case.policy == policy.name}
    assert verdicts == {True, False}, f"{policy.name}: verdicts covered {verdicts}"


@pytest.mark.parametrize("module", rule_modules())
def test_a_rule_test_module_judges_only_its_own_rules(module: str) -> None:
    strangers = {
        case.policy
        for case in CASES_BY_MODULE[module]
        if not isinstance(case, Baseline) and module_of(BY_NAME[case.policy]) != module
    }
    assert not strangers, f"test_{module}.py holds cases of {sorted(strangers)}"


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_each_rule_lives_in_the_module_its_id_names(policy: Any) -> None:
    segment = policy.name.split("-")[1]
    assert module_of(policy) == MODULE_OF_SEGMENT.get(segment, segment)


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_each_check_is_named_after_its_rule(policy: Any) -> None:
    assert policy.check.__name__ == policy.name.split("-", 2)[2].replace("-", "_")


def _sdk_root() -> Path:
    import pulumi_aws

    return Path(pulumi_aws.__file__).resolve().parent.parent


TOKENS = sorted(
    {
        token
        for policy in POLICIES
        for token in policy.resource_types
        if "*" not in token and token.split(":")[0] in ("aws", "gcp", "tls", "random", "kubernetes")
    }
)


@pytest.mark.parametrize("token", TOKENS)
def test_resource_types_are_tokens_the_provider_sdks_register(token: str) -> None:
    package, module, _ = token.split(":")
    directory = module.split("/")[0] if "/" in module and package != "kubernetes" else ""
    sdk = _sdk_root() / f"pulumi_{package}"
    if package == "kubernetes":
        group, version = module.split("/")
        sdk = sdk / ("core" if group == "core" else group.split(".")[0]) / version
    elif directory and directory != "index":
        sdk = sdk / directory
    assert any(f"'{token}'" in path.read_text() for path in sdk.glob("*.py")), token


def test_policies_main_registers_every_policy_in_one_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    registered: dict[str, Any] = {}
    monkeypatch.setattr("pulumi_policy.PolicyPack", lambda **kwargs: registered.update(kwargs))
    runpy.run_path(str(PROJECT / "policies" / "__main__.py"), run_name="__main__")
    assert registered["name"] == "crossmesh"
    assert [p.name for p in registered["policies"]] == [p.name for p in POLICIES]
    assert registered["readme"] == (PROJECT / "policies" / "README.md").read_text()


def test_pack_requirements_pin_the_locked_sdk_versions() -> None:
    lock = (PROJECT / "uv.lock").read_text()
    for line in (PROJECT / "policies" / "requirements.txt").read_text().split():
        name, version = line.split("==")
        assert f'name = "{name}"\nversion = "{version}"' in lock, line


def test_pack_is_a_python_policy_pack() -> None:
    import yaml

    manifest = yaml.safe_load((PROJECT / "policies" / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"


def test_rules_import_only_pulumi_policy_and_the_standard_library() -> None:
    import sys

    allowed = {"pulumi_policy", "crossmesh_policy", "__future__"} | set(sys.stdlib_module_names)
    for path in (PROJECT / "policies" / "crossmesh_policy").glob("*.py"):
        for match in re.finditer(
            r"^(?:from|import) ([a-zA-Z_][a-zA-Z0-9_]*)", path.read_text(), re.MULTILINE
        ):
            assert match.group(1) in allowed, f"{path.name} imports {match.group(1)}"


def test_every_resource_policy_can_be_asked_which_types_it_covers() -> None:
    assert all(p.resource_types for p in POLICIES)
    assert all(
        p.applies_to(t)
        for p in POLICIES
        if isinstance(p, CrossmeshResourcePolicy)
        for t in p.resource_types
        if "*" not in t
    )


FREE_FORM = {"tags", "labels", "resourceLabels", "defaultLabels", "matchLabels", "annotations"}


def _wire_names(token: str) -> set[str]:
    """Every wire (camelCase) name the SDK module of a resource type declares: its resource file's
    getters plus the module's input types."""
    package, module, _ = token.split(":")
    directory = _sdk_root() / f"pulumi_{package}"
    if module.split("/")[0] != "index":
        directory = directory / module.split("/")[0]
    files = [p for p in directory.glob("*.py") if f"'{token}'" in p.read_text()]
    files.append(directory / "_inputs.py")
    names: set[str] = set()
    for path in files:
        text = path.read_text()
        names.update(re.findall(r'@pulumi\.getter\(name="([A-Za-z0-9]+)"\)', text))
        names.update(re.findall(r"@pulumi\.getter\n\s+def ([a-z0-9]+)\(", text))
    return names


def _keys(value: Any, path: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((f"{path}.{key}" if path else key, key))
            if key not in FREE_FORM:
                found.extend(_keys(item, f"{path}.{key}" if path else key))
    elif isinstance(value, list):
        for item in value:
            found.extend(_keys(item, path))
    return found


BAG_CASES = [case for case in ALL_CASES if isinstance(case, Case | Baseline)]


@pytest.mark.parametrize(
    "token",
    sorted(
        {
            c.resource_type
            for c in BAG_CASES
            if c.resource_type.split(":")[0] in ("aws", "gcp", "tls", "random")
        }
    ),
)
def test_case_bags_use_the_provider_s_wire_names(token: str) -> None:
    names = _wire_names(token) | {"id"}
    unknown = {
        path
        for case in BAG_CASES
        if case.resource_type == token
        for path, key in _keys(case.props)
        if key not in names
    }
    assert not unknown, f"{token}: not in the SDK schema: {sorted(unknown)}"


def test_policy_reference_is_fresh() -> None:
    from offline.commands.policy_reference import REFERENCE_PATH, render_policy_reference

    assert (PROJECT / REFERENCE_PATH).read_text() == render_policy_reference(), "run `crossmesh policy-docs`"


def test_policy_reference_lists_every_rule_with_its_anchors() -> None:
    from offline.commands.policy_reference import render_policy_reference

    reference = render_policy_reference()
    for policy in POLICIES:
        assert f"| `{policy.name}` |" in reference
        assert " / ".join(policy.anchors) in reference
