"""`crossmesh check --format`: the pack's findings where reviewers look for them.

- `sarif`: SARIF 2.1.0 as GitHub code scanning reads it. One rule per policy (its anchors in the help
  text; the severity as `defaultConfiguration.level` and as the `security-severity` GitHub ranks alerts
  by); one result per violation with the rule id, the message, the resource's URN as a logical location,
  and the stack file as the physical location: the line of the config key that decides the rule where
  one does (CONFIG_KEYS), else line 1. A mandatory violation is an `error` whatever its severity, since
  it fails the preview.
- `junit`: one test case per (rule, resource) checked, a resource rule on each resource of its types and
  a stack rule once on the stack; each violation is a failure whose type is its enforcement level.
- `github`: one workflow command (`::error` for mandatory, `::warning` for advisory violations) per
  violation, at the same file and line as in SARIF; the job summary is a Markdown table of the counts
  and the mandatory violations.
- `json`: the results object `--json FILE` has always written; `text`: what a terminal shows.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from crossmesh_policy import PACK_NAME, CrossmeshPolicy, CrossmeshResourcePolicy
from pulumi_policy import EnforcementLevel

from offline.artefacts import CHECKS as ARTEFACT_CHECKS
from offline.artefacts.plan_view import HELM_RELEASE, NOT_OBJECTS
from offline.commands import check, flows
from offline.commands.check import STACK_TYPE, PlannedResource, PlannedStack, Violation, results_json

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL_NAME = "crossmesh"
TOOL_URI = "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/"
# GitHub ranks an alert by its rule's security-severity: 9.0 and above critical, 7.0 high, 4.0 medium,
# 0.1 low (docs.github.com, "SARIF support for code scanning").
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "none": "note"}

# The stack config key (below `crossmesh:`) whose value decides whether a rule passes, for the rules
# that one key decides; a violation of any other rule points at the stack file's first line.
CONFIG_KEYS = {
    "xc-eks-no-open-public-cidr": "clusters.eks.publicAccessCidrs",
    "xc-eks-public-endpoint-disabled": "clusters.eks.publicAccessCidrs",
    "xc-eks-supported-version": "clusters.eks.version",
    "xc-gke-master-authorized-networks": "clusters.gke.masterAuthorizedCidrs",
    "xc-gke-private-endpoint": "clusters.gke.masterAuthorizedCidrs",
    "xc-gke-release-channel": "clusters.gke.releaseChannel",
    "xc-vpn-asn-ranges": "link.awsAsn",
    "xc-vpn-asn-pairing": "link.gcpAsn",
    "xc-vpn-ha-topology": "link.tunnelGroups",
    "xc-x-cidr-no-overlap": "aws.vpcCidr",
    "xc-pki-key-strength": "mesh.ca.keyAlgorithm",
    "xc-pki-validity-bounds": "mesh.ca.intermediateValidityDays",
    "xc-pki-early-renewal": "mesh.ca.earlyRenewalDays",
    "xc-pki-renewal-process": "mesh.ca",
    "xc-appmesh-eol": "mesh.engines.aws",
    "xc-aws-log-retention": "link.logRetentionDays",
    "xc-istio-authz-safe-patterns": "services",
    "xc-istio-no-wildcard-hosts": "services",
}


Checked = Callable[[PlannedStack], list[PlannedResource]]
"""The resources a rule checks; a rule of the whole stack checks none of them one by one."""


@dataclass(frozen=True)
class Rule:
    """A rule the report names: a policy of the pack, or an upstream artefact check."""

    id: str
    description: str
    summary: str
    anchors: tuple[str, ...]
    severity: str
    level: EnforcementLevel
    checked: Checked | None

    @property
    def enabled(self) -> bool:
        return self.level != EnforcementLevel.DISABLED


def _of_types(policy: CrossmeshResourcePolicy) -> Checked:
    def checked(planned: PlannedStack) -> list[PlannedResource]:
        return [r for r in planned.resources if policy.applies_to(r.type)]

    return checked


def pack_rule(policy: CrossmeshPolicy, level: EnforcementLevel) -> Rule:
    checked = _of_types(policy) if isinstance(policy, CrossmeshResourcePolicy) else None
    return Rule(
        id=policy.name,
        description=policy.description,
        summary=policy.description.split(" Anchors: ")[0],
        anchors=tuple(policy.anchors),
        severity=policy.severity.value if policy.severity else "none",
        level=level,
        checked=checked,
    )


def _releases(planned: PlannedStack) -> list[PlannedResource]:
    return [r for r in planned.resources if r.type == HELM_RELEASE]


def _objects(planned: PlannedStack) -> list[PlannedResource]:
    """Kubernetes objects, as offline/artefacts/plan_view.py tells them from releases and providers."""
    return [
        r
        for r in planned.resources
        if r.type.startswith("kubernetes:") and not r.type.startswith(NOT_OBJECTS)
    ]


# The upstream artefact checks (offline/artefacts/) report beside the pack, as mandatory and high.
ARTEFACT_CHECKED: dict[str, Checked] = {
    "chart-version-published": _releases,
    "helm-values-known": _releases,
    "kubernetes-object-schema": _objects,
}


def artefact_rules() -> list[Rule]:
    return [
        Rule(
            id=check_id,
            description=f"Upstream artefact check: {description}",
            summary=description,
            anchors=("recorded upstream data, docs/upstream-data.md",),
            severity="high",
            level=EnforcementLevel.MANDATORY,
            checked=ARTEFACT_CHECKED[check_id],
        )
        for check_id, description in ARTEFACT_CHECKS.items()
    ]


# The reachability check over the plan (offline/flows/): one rule of the whole stack, mandatory and high.
FLOWS_RULE = Rule(
    id=flows.RULE,
    description=flows.DESCRIPTION,
    summary=flows.DESCRIPTION,
    anchors=("docs/flows.md",),
    severity="high",
    level=EnforcementLevel.MANDATORY,
    checked=None,
)


@dataclass(frozen=True)
class Location:
    path: str
    line: int


@dataclass(frozen=True)
class ReportContext:
    """What every report is made of: the plan checked, the pack, its levels after pack config, the
    violations, and the directory holding the stack file."""

    planned: PlannedStack
    policies: Sequence[CrossmeshPolicy]
    levels: Mapping[str, EnforcementLevel]
    violations: Sequence[Violation]
    project_dir: Path
    # The reachability check's table for the text report and its flows for the JSON one (docs/flows.md).
    flows_text: str = ""
    flows_json: Any = None

    @property
    def stack_file(self) -> str:
        return f"Pulumi.{self.planned.stack}.yaml"

    @cached_property
    def config_lines(self) -> dict[str, int]:
        """The 1-based line of each config key path in the stack file (see key_lines)."""
        path = self.project_dir / self.stack_file
        if not path.is_file():
            return {}
        project = self.planned.project
        return key_lines(path.read_text(), f"{project}:")

    def location(self, violation: Violation) -> Location:
        key = CONFIG_KEYS.get(violation.policy)
        line = 1
        if key:
            parts = key.split(".")
            # The deepest part of the path the file sets: where the value is, or where it would go.
            for depth in range(len(parts), 0, -1):
                found = self.config_lines.get(".".join(parts[:depth]))
                if found:
                    line = found
                    break
        return Location(self.stack_file, line)

    @cached_property
    def rules(self) -> list[Rule]:
        """The pack's policies at their levels after pack config, then the upstream artefact checks."""
        return [pack_rule(p, self.levels[p.name]) for p in self.policies] + artefact_rules() + [FLOWS_RULE]

    @property
    def enabled(self) -> list[Rule]:
        return [rule for rule in self.rules if rule.enabled]


def key_lines(stack_text: str, namespace: str) -> dict[str, int]:
    """{"clusters.eks.publicAccessCidrs": line, ...}: every mapping key under `config:` of a stack file,
    the project's namespace taken off the top-level keys, with the line it is on."""
    lines: dict[str, int] = {}
    try:
        document = yaml.compose(stack_text)
    except yaml.YAMLError:
        return lines
    if not isinstance(document, yaml.MappingNode):
        return lines
    for key, value in document.value:
        if key.value == "config" and isinstance(value, yaml.MappingNode):
            for top, node in value.value:
                name = str(top.value).removeprefix(namespace)
                lines[name] = top.start_mark.line + 1
                _nested_lines(node, name, lines)
    return lines


def _nested_lines(node: yaml.Node, prefix: str, lines: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = f"{prefix}.{key.value}"
            lines[path] = key.start_mark.line + 1
            _nested_lines(value, path, lines)


def render(report_format: str, context: ReportContext) -> str:
    if report_format == "sarif":
        return json.dumps(sarif(context), indent=2) + "\n"
    if report_format == "junit":
        return junit(context)
    if report_format == "github":
        return github_commands(context)
    if report_format == "json":
        results = results_json(context.violations, context.planned, len(context.policies))
        if context.flows_json is not None:
            results["flows"] = context.flows_json
        return json.dumps(results, indent=2) + "\n"
    return check.render(context.violations, context.planned, len(context.policies)) + context.flows_text


def sarif(context: ReportContext) -> dict[str, Any]:
    rules = [_sarif_rule(rule) for rule in context.rules]
    index = {rule.id: position for position, rule in enumerate(context.rules)}
    results = [_sarif_result(v, index[v.policy], context) for v in context.violations]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "informationUri": TOOL_URI,
                        "fullName": f"crossmesh check: CrossGuard policy pack {PACK_NAME}",
                        "rules": rules,
                    }
                },
                # One category per stack, so that each stack's upload replaces only its own alerts.
                "automationDetails": {"id": f"crossmesh-check/{context.planned.stack}/"},
                "results": results,
            }
        ],
    }


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    anchors = " / ".join(rule.anchors)
    level = rule.level.value
    help_text = (
        f"{rule.summary}\n\nEnforcement: {level}. Severity: {rule.severity}.\n"
        f"The same rule in other tools: {anchors}."
    )
    help_markdown = (
        f"{rule.summary}\n\n| enforcement | severity | the same rule in other tools |\n"
        f"|---|---|---|\n| {level} | {rule.severity} | {anchors} |\n"
    )
    properties: dict[str, Any] = {"tags": ["security", "crossguard", *rule.anchors], "precision": "high"}
    if rule.severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[rule.severity]
    return {
        "id": rule.id,
        "name": "".join(part.title() for part in rule.id.split("-")),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.description},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": SARIF_LEVEL[rule.severity], "enabled": rule.enabled},
        "properties": properties,
    }


def _sarif_result(violation: Violation, rule_index: int, context: ReportContext) -> dict[str, Any]:
    location = context.location(violation)
    urn = violation.urn or context.planned.stack_urn
    target = violation.resource_name or f"{context.planned.project}-{context.planned.stack}"
    # Mandatory fails the preview: an error. Advisory never does: at most a warning.
    level = SARIF_LEVEL[violation.severity]
    if violation.level == "mandatory":
        level = "error"
    elif level == "error":
        level = "warning"
    fingerprint = hashlib.sha256(f"{violation.policy}\0{urn}\0{violation.message}".encode()).hexdigest()
    return {
        "ruleId": violation.policy,
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": f"{violation.message} ({violation.resource_type or STACK_TYPE} {target})"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": location.path, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": location.line},
                },
                "logicalLocations": [
                    {"name": target, "fullyQualifiedName": urn, "kind": "resource"},
                ],
            }
        ],
        "partialFingerprints": {"crossmeshViolation/v1": fingerprint},
        "properties": {"enforcementLevel": violation.level, "resourceType": violation.resource_type},
    }


def junit(context: ReportContext) -> str:
    """One <testsuite> per enabled rule, one <testcase> per (rule, resource) it checked."""
    planned = context.planned
    stack_name = f"{planned.project}-{planned.stack}"
    by_urn = {r.urn: r for r in planned.resources}
    failures: dict[tuple[str, str], list[Violation]] = {}
    for violation in context.violations:
        failures.setdefault((violation.policy, violation.urn or planned.stack_urn), []).append(violation)
    suites = ElementTree.Element("testsuites", name=f"crossmesh check {planned.stack}")
    total_tests = total_failures = 0
    for rule in context.enabled:
        if rule.checked is None:
            checked = [(planned.stack_urn, STACK_TYPE, stack_name)]
        else:
            checked = [(r.urn, r.type, r.name) for r in rule.checked(planned)]
        # A stack rule may name the resources it found at fault: each is a test case of its own.
        named = {urn for rule_id, urn in failures if rule_id == rule.id} - {urn for urn, _, _ in checked}
        checked += [(urn, by_urn[urn].type, by_urn[urn].name) for urn in sorted(named) if urn in by_urn]
        suite = ElementTree.SubElement(suites, "testsuite", name=rule.id)
        suite_failures = 0
        for urn, resource_type, name in checked:
            case = ElementTree.SubElement(
                suite, "testcase", name=f"{resource_type} {name}", classname=rule.id
            )
            found = failures.get((rule.id, urn), [])
            if found:
                suite_failures += 1
                failure = ElementTree.SubElement(
                    case, "failure", message="; ".join(v.message for v in found), type=found[0].level
                )
                failure.text = f"{rule.summary}\n{urn}\n" + "\n".join(v.message for v in found)
        suite.set("tests", str(len(checked)))
        suite.set("failures", str(suite_failures))
        total_tests += len(checked)
        total_failures += suite_failures
    suites.set("tests", str(total_tests))
    suites.set("failures", str(total_failures))
    ElementTree.indent(suites)
    return XML_DECLARATION + ElementTree.tostring(suites, encoding="unicode") + "\n"


def github_commands(context: ReportContext) -> str:
    """Workflow commands GitHub turns into annotations on the stack file in the pull request."""
    lines = []
    for violation in context.violations:
        location = context.location(violation)
        command = "error" if violation.level == "mandatory" else "warning"
        title = f"{violation.policy} ({violation.level}, {violation.severity})"
        target = violation.resource_name and f"{violation.resource_type}: {violation.resource_name}"
        message = f"{violation.message} [{target or 'stack'}]"
        lines.append(
            f"::{command} file={_property(location.path)},line={location.line},"
            f"title={_property(title)}::{_data(message)}"
        )
    mandatory = sum(1 for v in context.violations if v.level == "mandatory")
    lines.append(
        f"crossmesh check {context.planned.stack}: {mandatory} mandatory,"
        f" {len(context.violations) - mandatory} advisory violations"
    )
    return "\n".join(lines) + "\n"


def github_summary(context: ReportContext) -> str:
    """The job summary: counts, then every mandatory violation."""
    planned = context.planned
    mandatory = [v for v in context.violations if v.level == "mandatory"]
    advisory = len(context.violations) - len(mandatory)
    verdict = "fails: mandatory rules broken" if mandatory else "passes every mandatory rule"
    lines = [
        f"### crossmesh check: stack `{planned.stack}` {verdict}",
        "",
        "| rules | resources | mandatory violations | advisory violations |",
        "|---:|---:|---:|---:|",
        f"| {len(context.enabled)} | {len(planned.resources)} | {len(mandatory)} | {advisory} |",
        "",
    ]
    if mandatory:
        lines += ["| rule | severity | resource | message |", "|---|---|---|---|"]
        for v in mandatory:
            target = f"`{v.resource_type}` {v.resource_name}" if v.resource_name else "stack"
            lines.append(f"| `{v.policy}` | {v.severity} | {target} | {_cell(v.message)} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def _data(text: str) -> str:
    """A workflow command's message, escaped as the runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
