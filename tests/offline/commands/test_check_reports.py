"""`crossmesh check --format sarif|junit|github`: SARIF valid against the 2.1.0 schema and shaped as
GitHub code scanning reads it, JUnit with one case per (rule, resource) checked, workflow commands and
a job summary; each pointing at the stack file line of the config key that decides the rule."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from crossmesh_policy import POLICIES, CrossmeshResourcePolicy
from pulumi_policy import EnforcementLevel

from offline.artefacts import CHECKS as ARTEFACT_CHECKS
from offline.commands import check, flows
from offline.commands.check_reports import (
    CONFIG_KEYS,
    SECURITY_SEVERITY,
    ReportContext,
    github_commands,
    github_summary,
    junit,
    key_lines,
    sarif,
)
from offline.commands.cli import main
from offline.commands.exit_codes import INVALID_INPUT, MANDATORY_VIOLATION, NO_MANDATORY_VIOLATION
from tests.support.plans import PROJECT_DIR, planned
from tests.support.types import EKS_CLUSTER, HELM_RELEASE

SCHEMA_FILE = PROJECT_DIR / "tests" / "fixtures" / "sarif-schema-2.1.0.json"
OPEN_CIDR = "0.0.0.0/0"


@pytest.fixture(autouse=True, scope="module")
def _runtime_config_restored() -> Iterator[None]:
    """Planning in-process leaves the stack's config in the Pulumi runtime's globals."""
    from pulumi.runtime import config as runtime_config

    before = dict(runtime_config.CONFIG.get())
    yield
    runtime_config.set_all_config(before, [])


@cache
def _schema() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SCHEMA_FILE.read_text())
    assert document["source"]["repository"] == "github.com/oasis-tcs/sarif-spec"
    schema: dict[str, Any] = document["schema"]
    return schema


def _dev_with_open_api() -> check.PlannedStack:
    """The dev plan with the EKS API open to the world (a mandatory, critical violation of the pack) and
    an Istio chart version no repository publishes (a violation of an upstream artefact check)."""
    contract = json.loads(json.dumps(planned("dev").to_contract()))
    for resource in contract["resources"]:
        if resource["type"] == EKS_CLUSTER:
            resource["inputs"]["vpcConfig"]["publicAccessCidrs"] = [OPEN_CIDR]
        if resource["type"] == HELM_RELEASE and resource["name"] == "istio-aws-base":
            resource["inputs"]["version"] = "0.0.1"
    return check.from_contract(contract)


def _context(planned_stack: check.PlannedStack) -> ReportContext:
    """The report of a plan as `crossmesh check` makes it: the pack's violations and the artefact checks'."""
    violations = check.run_policies(planned_stack, POLICIES) + check.artefact_violations(planned_stack)
    return ReportContext(planned_stack, POLICIES, check.levels(POLICIES, {}), violations, PROJECT_DIR)


RULE_IDS = [policy.name for policy in POLICIES] + list(ARTEFACT_CHECKS) + [flows.RULE]


@cache
def _open_api_context() -> ReportContext:
    return _context(_dev_with_open_api())


def _line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def test_sarif_is_valid_sarif_2_1_0() -> None:
    log = sarif(_open_api_context())
    jsonschema.Draft4Validator(_schema()).validate(log)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1


def test_the_schema_check_catches_a_malformed_log() -> None:
    log = sarif(_open_api_context())
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(_schema()).validate(log)


def test_one_rule_per_policy_and_artefact_check_with_its_anchors_and_severity() -> None:
    (run,) = sarif(_open_api_context())["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == RULE_IDS
    for rule in rules[len(POLICIES) :]:
        assert rule["properties"]["security-severity"] == SECURITY_SEVERITY["high"]
        assert "docs/upstream-data.md" in rule["help"]["text"] or rule["id"] == flows.RULE
    for rule, policy in zip(rules, POLICIES, strict=False):
        for anchor in policy.anchors:
            assert anchor in rule["help"]["text"] and anchor in rule["help"]["markdown"]
        severity = policy.severity.value if policy.severity else "none"
        assert rule["properties"].get("security-severity") == SECURITY_SEVERITY.get(severity)
        expected = {"critical": "error", "high": "error", "medium": "warning"}.get(severity, "note")
        assert rule["defaultConfiguration"]["level"] == expected


def test_one_result_per_violation_at_the_config_key_that_decides_it() -> None:
    context = _open_api_context()
    (run,) = sarif(context)["runs"]
    assert len(run["results"]) == len(context.violations)
    (open_api,) = [r for r in run["results"] if r["ruleId"] == "xc-eks-no-open-public-cidr"]
    assert open_api["level"] == "error"
    assert run["tool"]["driver"]["rules"][open_api["ruleIndex"]]["id"] == "xc-eks-no-open-public-cidr"
    (location,) = open_api["locations"]
    eks = next(r for r in context.planned.resources if r.type == EKS_CLUSTER)
    assert location["logicalLocations"][0]["fullyQualifiedName"] == eks.urn
    physical = location["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "Pulumi.dev.yaml"
    stack_text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    assert physical["region"]["startLine"] == _line_of(stack_text, "publicAccessCidrs:")
    # A rule no config key decides points at the top of the stack file; advisories are never errors.
    (binauthz,) = [r for r in run["results"] if r["ruleId"] == "xc-gke-binauthz"]
    assert binauthz["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert binauthz["level"] == "note"
    assert run["automationDetails"]["id"] == "crossmesh-check/dev/"
    (unpublished,) = [r for r in run["results"] if r["ruleId"] == "chart-version-published"]
    assert unpublished["level"] == "error" and "0.0.1" in unpublished["message"]["text"]
    assert RULE_IDS[unpublished["ruleIndex"]] == "chart-version-published"
    fingerprints = [r["partialFingerprints"]["crossmeshViolation/v1"] for r in run["results"]]
    assert len(set(fingerprints)) == len(fingerprints)


def test_every_config_key_named_exists_in_the_schema_and_every_rule_in_the_pack() -> None:
    reference = (PROJECT_DIR / "docs" / "configuration.md").read_text()
    names = {policy.name for policy in POLICIES}
    for rule, key in CONFIG_KEYS.items():
        assert rule in names
        assert f"`{key}" in reference or f"## `crossmesh:{key}`" in reference, key


def test_key_lines_reads_nested_keys_and_an_unset_key_falls_back_to_its_parent() -> None:
    text = "config:\n  crossmesh:clusters:\n    eks:\n      version: '1.33'\n  crossmesh:mesh: {}\n"
    assert key_lines(text, "crossmesh:") == {
        "clusters": 2,
        "clusters.eks": 3,
        "clusters.eks.version": 4,
        "mesh": 5,
    }
    planned_stack = check.PlannedStack("crossmesh", "dev", (), {})
    violation = check.Violation("xc-pki-renewal-process", "advisory", "medium", "", "m", None, None, None)
    context = ReportContext(planned_stack, POLICIES, {}, [violation], PROJECT_DIR)
    stack_text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    assert "  ca:" not in stack_text, "the dev stack sets mesh.ca; pick another unset key"
    assert context.location(violation).line == _line_of(stack_text, "crossmesh:mesh:")


def test_junit_has_one_case_per_rule_and_resource_checked_and_fails_the_violations() -> None:
    context = _open_api_context()
    suites = ElementTree.fromstring(junit(context))
    by_rule = {suite.get("name"): suite for suite in suites}
    assert list(by_rule) == RULE_IDS
    objects = [
        r for r in context.planned.resources if r.type.startswith("kubernetes:") and "helm" not in r.type
    ]
    objects = [r for r in objects if not r.type.startswith(("kubernetes:yaml", "pulumi:providers:"))]
    assert len(by_rule["kubernetes-object-schema"].findall("testcase")) == len(objects) > 0
    for policy in POLICIES:
        cases = by_rule[policy.name].findall("testcase")
        if isinstance(policy, CrossmeshResourcePolicy):
            checked = [r for r in context.planned.resources if policy.applies_to(r.type)]
            assert len(cases) == len(checked), policy.name
        else:
            assert len(cases) >= 1
    assert suites.get("tests") == str(sum(len(suite.findall("testcase")) for suite in suites))
    failed = [
        (s.get("name"), c) for s in suites for c in s.findall("testcase") if c.find("failure") is not None
    ]
    assert len(failed) == int(suites.get("failures") or 0) == len(context.violations)
    assert {name for name, _ in failed} >= {"xc-eks-no-open-public-cidr", "chart-version-published"}
    (open_api,) = [c for name, c in failed if name == "xc-eks-no-open-public-cidr"]
    failure = open_api.find("failure")
    assert failure is not None and failure.get("type") == "mandatory"
    assert OPEN_CIDR in (failure.get("message") or "")


def test_disabled_rules_have_no_test_cases_and_no_enabled_sarif_rule() -> None:
    planned_stack = _dev_with_open_api()
    pack_config = {"xc-eks-no-open-public-cidr": "disabled"}
    violations = check.run_policies(planned_stack, POLICIES, pack_config)
    levels = check.levels(POLICIES, pack_config)
    context = ReportContext(planned_stack, POLICIES, levels, violations, PROJECT_DIR)
    names = {suite.get("name") for suite in ElementTree.fromstring(junit(context))}
    assert "xc-eks-no-open-public-cidr" not in names and len(names) == len(RULE_IDS) - 1
    (run,) = sarif(context)["runs"]
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "xc-eks-no-open-public-cidr")
    assert rule["defaultConfiguration"]["enabled"] is False
    assert levels["xc-eks-no-open-public-cidr"] == EnforcementLevel.DISABLED


def test_github_commands_annotate_the_stack_file_and_escape_what_the_runner_parses() -> None:
    context = _open_api_context()
    lines = github_commands(context).splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert len(commands) == len(context.violations)
    stack_text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    (open_api,) = [line for line in commands if "xc-eks-no-open-public-cidr" in line]
    assert open_api.startswith(
        f"::error file=Pulumi.dev.yaml,line={_line_of(stack_text, 'publicAccessCidrs:')},"
    )
    assert "title=xc-eks-no-open-public-cidr (mandatory%2C critical)::" in open_api
    assert all(line.startswith("::warning ") for line in commands if "(advisory" in line)
    mandatory = sum(1 for v in context.violations if v.level == "mandatory")
    assert mandatory > 1 and f"{len(context.violations) - mandatory} advisory violations" in lines[-1]
    assert lines[-1].startswith(f"crossmesh check dev: {mandatory} mandatory, ")


def test_the_job_summary_counts_and_lists_the_mandatory_violations() -> None:
    summary = github_summary(_open_api_context())
    assert "fails: mandatory rules broken" in summary
    assert f"| {len(RULE_IDS)} | " in summary
    mandatory_rows = [line for line in summary.splitlines() if line.startswith("| `")]
    mandatory = [v.policy for v in _open_api_context().violations if v.level == "mandatory"]
    assert [row.split("`")[1] for row in mandatory_rows] == mandatory
    assert {"xc-eks-no-open-public-cidr", "chart-version-published"} <= set(mandatory)
    passing = github_summary(_context(check.from_plan(planned("dev"))))
    assert "passes every mandatory rule" in passing and "| `xc-" not in passing


def _saved_open_api_plan(tmp_path: Path) -> Path:
    contract = json.loads(json.dumps(planned("dev").to_contract()))
    for resource in contract["resources"]:
        if resource["type"] == EKS_CLUSTER:
            resource["inputs"]["vpcConfig"]["publicAccessCidrs"] = [OPEN_CIDR]
    saved = tmp_path / "dev.json"
    saved.write_text(json.dumps(contract))
    return saved


def test_the_command_prints_sarif_alone_on_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = _saved_open_api_plan(tmp_path)
    code = main(["-C", str(PROJECT_DIR), "check", "--plan", str(saved), "--format", "sarif"])
    out = capsys.readouterr().out
    assert code == MANDATORY_VIOLATION
    jsonschema.Draft4Validator(_schema()).validate(json.loads(out))


def test_output_file_gets_the_report_and_stdout_the_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = _saved_open_api_plan(tmp_path)
    report = tmp_path / "dev.xml"
    argv = [
        "check",
        "-C",
        str(PROJECT_DIR),
        "--plan",
        str(saved),
        "--format",
        "junit",
        "--output",
        str(report),
    ]
    assert main(argv) == MANDATORY_VIOLATION
    assert ElementTree.parse(report).getroot().tag == "testsuites"
    assert "[mandatory]  xc-eks-no-open-public-cidr" in capsys.readouterr().out


def test_json_file_is_an_alias_and_dash_is_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = _saved_open_api_plan(tmp_path)
    assert main(["-C", str(PROJECT_DIR), "check", "--plan", str(saved), "--json", "-"]) == MANDATORY_VIOLATION
    results = json.loads(capsys.readouterr().out)
    assert "xc-eks-no-open-public-cidr" in {v["policy"] for v in results["violations"]}
    assert results["mandatory"] >= 1 and results["flows"]
    argv = ["-C", str(PROJECT_DIR), "check", "--plan", str(saved), "--json", "r.json", "--format", "sarif"]
    assert main(argv) == INVALID_INPUT
    assert "--json FILE is --format json --output FILE" in capsys.readouterr().err


def test_github_format_appends_the_job_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    saved = tmp_path / "dev.json"
    saved.write_text(json.dumps(planned("dev").to_contract()))
    assert main(["-C", str(PROJECT_DIR), "check", "--plan", str(saved), "--format", "github"]) == (
        NO_MANDATORY_VIOLATION
    )
    assert capsys.readouterr().out.count("::warning ") >= 1
    written = summary.read_text()
    assert written.startswith("earlier step\n### crossmesh check: stack `dev` passes every mandatory rule")
    assert os.environ["GITHUB_STEP_SUMMARY"] == str(summary)


def test_a_closed_flow_is_a_sarif_result_of_the_flows_rule_on_the_stack() -> None:
    planned_stack = check.from_plan(planned("dev"))
    closed = check.Violation(
        flows.RULE, "mandatory", "high", flows.DESCRIPTION, "15012 closed", None, None, None
    )
    context = ReportContext(planned_stack, POLICIES, check.levels(POLICIES, {}), [closed], PROJECT_DIR)
    (result,) = sarif(context)["runs"][0]["results"]
    assert RULE_IDS[result["ruleIndex"]] == flows.RULE and result["level"] == "error"
    assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == planned_stack.stack_urn
    jsonschema.Draft4Validator(_schema()).validate(sarif(context))
