"""`crossmesh audit`: Checkov's findings on a plan beside the pack's, joined by the anchors that link
them.

The plan (run now from a stack file, or a saved contract) is converted to a Terraform plan in JSON and
Kubernetes manifests (offline/terraform_plan.py), Checkov runs on them offline (`--skip-download`, no
platform key, no network), and every Checkov check is matched with the pack's rules that cite it:

- agree: both fail the resource;
- Checkov only: Checkov fails a resource that no rule citing the check fails (or no rule cites it);
- pack only: a rule fails a resource on which Checkov passes every check the rule cites.

A disagreement listed in offline/data/checkov_disagreements.json is known, with its reason (the
generated policies/README.md lists them); any other is new, and makes the answer no (exit 1).
Inputs are masked as in a saved plan before they are written for Checkov, so no secret reaches a file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml
from crossmesh_policy import POLICIES, CrossmeshPolicy

from offline.commands.check import PlannedStack, Violation, run_policies
from offline.terraform_names import terraform_types
from offline.terraform_plan import Converted, convert, resources_of

DISAGREEMENTS_PATH = Path("offline") / "data" / "checkov_disagreements.json"
FRAMEWORKS = ("terraform_plan", "kubernetes")
CHECKOV_TIMEOUT_SECONDS = 600
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"})
"""Kinds whose pod template Checkov also judges as a Pod of its own."""


class CheckovUnavailable(RuntimeError):
    """Checkov is not installed where the command can run it."""


class CheckovFailed(RuntimeError):
    """Checkov ran but gave no report."""


@dataclass(frozen=True)
class CheckovResult:
    check: str
    name: str
    passed: bool
    resource: str
    """Checkov's resource id: Terraform address or Kubernetes Kind.namespace.name."""
    urn: str | None


@dataclass(frozen=True)
class Finding:
    """One row of the audit: a check and a resource on which the two tools were compared."""

    verdict: str
    """"agree", "checkov-only" or "pack-only"."""
    check: str
    rules: tuple[str, ...]
    resource: str
    urn: str | None
    message: str
    known: str | None = None
    """The listed reason when this disagreement is known."""


def checkov_command() -> list[str]:
    """The checkov executable beside this Python (the project's environment), else on PATH."""
    beside = Path(sys.executable).with_name("checkov")
    found = str(beside) if beside.exists() else shutil.which("checkov")
    if not found:
        raise CheckovUnavailable(
            "Checkov is not installed: `make audit` installs it (uv sync --group audit) and runs this"
        )
    return [found]


def write_inputs(converted: Converted, directory: Path) -> list[Path]:
    """The files Checkov reads: the Terraform plan and one manifest per Kubernetes object."""
    files = [directory / "tfplan.json"]
    files[0].write_text(json.dumps(converted.terraform_plan, indent=1))
    manifests = directory / "kubernetes"
    manifests.mkdir()
    for index, manifest in enumerate(converted.manifests):
        path = manifests / f"{index:04d}-{manifest['kind'].lower()}.yaml"
        path.write_text(yaml.safe_dump(manifest, sort_keys=False))
        files.append(path)
    return files


def run_checkov(converted: Converted) -> list[CheckovResult]:
    """Checkov's verdicts on every converted resource, offline."""
    with tempfile.TemporaryDirectory(prefix="crossmesh-audit-") as temporary:
        files = write_inputs(converted, Path(temporary))
        command = [
            *checkov_command(),
            "--skip-download",
            "--compact",
            "--output",
            "json",
            "--framework",
            *FRAMEWORKS,
            *(argument for path in files for argument in ("--file", str(path))),
        ]
        environment = {**os.environ, "BC_API_KEY": "", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=CHECKOV_TIMEOUT_SECONDS,
            env=environment,
            check=False,
        )
    try:
        reports = json.loads(completed.stdout)
    except json.JSONDecodeError as err:
        raise CheckovFailed(
            f"Checkov exited {completed.returncode} without a JSON report: {completed.stderr.strip()[-400:]}"
        ) from err
    return parse_reports(reports, converted.addresses)


def parse_reports(reports: Any, addresses: Mapping[str, str]) -> list[CheckovResult]:
    results = []
    for report in reports if isinstance(reports, list) else [reports]:
        if not isinstance(report, Mapping) or "results" not in report:
            continue
        for key, passed in (("passed_checks", True), ("failed_checks", False)):
            for item in report["results"].get(key, []):
                resource = str(item.get("resource", ""))
                results.append(
                    CheckovResult(
                        check=str(item["check_id"]),
                        name=str(item.get("check_name", "")),
                        passed=passed,
                        resource=resource,
                        urn=_urn_of(resource, addresses),
                    )
                )
    return results


def _urn_of(resource: str, addresses: Mapping[str, str]) -> str | None:
    """The URN behind a Checkov resource id; a Pod Checkov derives from a workload maps to it. Its id
    is `Pod.<namespace>.<workload>`, followed by the template's labels when the template has them."""
    if resource in addresses:
        return addresses[resource]
    candidates = [
        key
        for key in addresses
        if key.split(".", 1)[0] in WORKLOAD_KINDS
        and (resource.endswith(key.split(".", 1)[-1]) or resource.startswith(f"Pod.{key.split('.', 1)[-1]}."))
    ]
    return addresses[candidates[0]] if len(candidates) == 1 else None


def _rules_citing(policies: Sequence[CrossmeshPolicy]) -> dict[str, list[str]]:
    citing: dict[str, list[str]] = {}
    for policy in policies:
        for anchor in policy.anchors:
            citing.setdefault(anchor, []).append(policy.name)
    return citing


def compare(
    checkov: Sequence[CheckovResult],
    violations: Sequence[Violation],
    policies: Sequence[CrossmeshPolicy] = POLICIES,
    known: Sequence[Mapping[str, Any]] = (),
) -> list[Finding]:
    """Both tools' verdicts, resource by resource, joined by the pack's anchors."""
    citing = _rules_citing(policies)
    failed_by = {(v.policy, v.urn) for v in violations}
    findings: list[Finding] = []
    for result in checkov:
        if result.passed:
            continue
        rules = tuple(citing.get(result.check, ()))
        agreeing = [rule for rule in rules if (rule, result.urn) in failed_by]
        verdict = "agree" if agreeing else "checkov-only"
        findings.append(Finding(verdict, result.check, rules, result.resource, result.urn, result.name))
    evaluated: dict[tuple[str, str | None], CheckovResult] = {(r.check, r.urn): r for r in checkov if r.urn}
    anchors_of = {policy.name: policy.anchors for policy in policies}
    for violation in violations:
        judged = [
            evaluated[(anchor, violation.urn)]
            for anchor in anchors_of.get(violation.policy, ())
            if (anchor, violation.urn) in evaluated
        ]
        if judged and all(r.passed for r in judged):
            findings.append(
                Finding(
                    "pack-only",
                    "/".join(r.check for r in judged),
                    (violation.policy,),
                    judged[0].resource,
                    violation.urn,
                    violation.message,
                )
            )
    return [_with_reason(finding, known) for finding in findings]


def _with_reason(finding: Finding, known: Sequence[Mapping[str, Any]]) -> Finding:
    if finding.verdict == "agree":
        return finding
    for entry in known:
        if (
            entry.get("verdict") == finding.verdict
            and entry["check"] in finding.check.split("/")
            and fnmatchcase(finding.resource, str(entry.get("resource", "*")))
        ):
            return Finding(**{**asdict(finding), "known": str(entry["reason"])})
    return finding


def load_disagreements(project_dir: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads((project_dir / DISAGREEMENTS_PATH).read_text())[
        "disagreements"
    ]
    return entries


def audit(
    planned: PlannedStack, masked: PlannedStack, project_dir: Path
) -> tuple[list[Finding], Converted, list[CheckovResult]]:
    """Both tools on one plan: the pack on `planned` (as a preview sees it), Checkov on `masked`."""
    converted = convert(resources_of(masked.resources), terraform_types(project_dir))
    checkov = run_checkov(converted)
    violations = run_policies(planned)
    return compare(checkov, violations, POLICIES, load_disagreements(project_dir)), converted, checkov


def new_disagreements(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.verdict != "agree" and f.known is None]


# --- reports ---------------------------------------------------------------------------------------


def render_text(findings: Sequence[Finding], converted: Converted, checked: int) -> str:
    lines = [f"Checkov beside the pack: {checked} Checkov verdicts on converted resources"]
    if converted.not_converted:
        skipped = ", ".join(f"{t} ({n})" for t, n in sorted(converted.not_converted.items()))
        lines.append(f"not converted (no Terraform or manifest form): {skipped}")
    for verdict, title in (
        ("agree", "Both fail"),
        ("checkov-only", "Checkov fails, the pack passes"),
        ("pack-only", "The pack fails, Checkov passes"),
    ):
        group = [f for f in findings if f.verdict == verdict]
        lines += ["", f"{title} ({len(group)})"]
        for finding in sorted(group, key=lambda f: (f.check, f.resource)):
            rules = ", ".join(finding.rules) or "no rule cites it"
            lines.append(f"    {finding.check}  {finding.resource}  [{rules}]")
            lines.append(f"        {finding.message}")
            if verdict != "agree":
                lines.append(
                    f"        known: {finding.known}" if finding.known else "        NEW disagreement"
                )
    new = new_disagreements(findings)
    lines += ["", f"{len(new)} new disagreement(s)"]
    return "\n".join(lines) + "\n"


def render_json(findings: Sequence[Finding], converted: Converted, checked: int) -> str:
    document = {
        "checkovVerdicts": checked,
        "notConverted": converted.not_converted,
        "findings": [asdict(f) for f in findings],
        "newDisagreements": len(new_disagreements(findings)),
    }
    return json.dumps(document, indent=2) + "\n"


def render_sarif(findings: Sequence[Finding]) -> str:
    """SARIF 2.1.0: one result per finding; new disagreements are errors, known ones notes."""
    checks = sorted({f.check for f in findings})
    results = []
    for finding in findings:
        level = "note" if finding.verdict == "agree" or finding.known else "error"
        text = f"{finding.verdict}: {finding.message}" + (
            f" (known: {finding.known})" if finding.known else ""
        )
        results.append(
            {
                "ruleId": finding.check,
                "level": level,
                "message": {"text": text},
                "locations": [
                    {
                        "logicalLocations": [
                            {"fullyQualifiedName": finding.urn or finding.resource, "kind": "resource"}
                        ]
                    }
                ],
                "properties": {"verdict": finding.verdict, "rules": list(finding.rules)},
            }
        )
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "crossmesh audit",
                        "informationUri": "https://www.checkov.io/",
                        "rules": [{"id": check} for check in checks],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"
