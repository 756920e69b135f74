"""`crossmesh check` reports the upstream artefact checks beside the pack's rules: mandatory, exit 1
when a stack fails one, named with the resource."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline.commands import check
from offline.commands.cli import main
from offline.commands.exit_codes import MANDATORY_VIOLATION, NO_MANDATORY_VIOLATION
from tests.offline.artefacts.support import contract, one
from tests.support.plans import PROJECT_DIR, STACKS, planned
from tests.support.types import HELM_RELEASE


@pytest.mark.parametrize("stack", STACKS)
def test_no_shipped_stack_fails_an_artefact_check(stack: str) -> None:
    assert check.artefact_violations(check.from_plan(planned(stack))) == []


def test_a_planted_unpublished_chart_and_unknown_value_fail_the_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    saved = contract("dev")
    one(saved, HELM_RELEASE, "istio-aws-istiod")["inputs"]["version"] = "1.30.4"
    one(saved, HELM_RELEASE, "istio-gcp-gateway")["inputs"]["values"]["networkGatway"] = "gcp"
    (tmp_path / "plan.json").write_text(json.dumps(saved))
    code = main(
        [
            "--project-dir",
            str(PROJECT_DIR),
            "check",
            "--plan",
            str(tmp_path / "plan.json"),
            "--json",
            str(tmp_path / "r.json"),
        ]
    )
    out = capsys.readouterr().out
    results = json.loads((tmp_path / "r.json").read_text())
    assert code == MANDATORY_VIOLATION
    assert "[mandatory]  chart-version-published (kubernetes:helm.sh/v3:Release: istio-aws-istiod)" in out
    assert "[mandatory]  helm-values-known (kubernetes:helm.sh/v3:Release: istio-gcp-gateway)" in out
    assert {(v["policy"], v["resourceName"]) for v in results["violations"] if v["level"] == "mandatory"} == {
        ("chart-version-published", "istio-aws-istiod"),
        ("helm-values-known", "istio-gcp-gateway"),
    }
    assert results["passed"] is False


def test_the_unchanged_saved_plan_passes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text(json.dumps(contract("dev")))
    code = main(["--project-dir", str(PROJECT_DIR), "check", "--plan", str(tmp_path / "plan.json")])
    assert code == NO_MANDATORY_VIOLATION, capsys.readouterr().out
