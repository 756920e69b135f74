"""`crossmesh plan` and `crossmesh config-docs` as a user runs them: exit codes, output, the JSON file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from offline.commands.cli import main
from offline.commands.exit_codes import CURRENT, INVALID_INPUT, OK, PROGRAM_ERROR
from tests.support.plans import PROJECT_DIR


def _project_copy(tmp_path: Path, stack_text: str) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    (tmp_path / "components").symlink_to(PROJECT_DIR / "components")
    (tmp_path / "Pulumi.dev.yaml").write_text(stack_text)
    return tmp_path


def test_plan_prints_the_summary_and_writes_the_contract(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "plan.json"
    assert main(["--project-dir", str(PROJECT_DIR), "plan", "--stack", "dev", "--json", str(out_file)]) == OK
    printed = capsys.readouterr().out
    assert "crossmesh plan: stack dev (project crossmesh)" in printed
    assert (
        "aws-network (crossmesh:aws:AwsNetwork)" in printed
        and "gcp-network (crossmesh:gcp:GcpNetwork)" in printed
    )
    contract = json.loads(out_file.read_text())
    assert contract["stack"] == "dev" and contract["resources"]
    managed = [
        r for r in contract["resources"] if r["custom"] and not r["type"].startswith("pulumi:providers:")
    ]
    assert f"  {len(managed)} resources in " in printed
    fixed = contract["cost"]["totals"]["fixed"]
    assert f"  fixed: ${fixed['desired']:,.2f} at desired nodes, ${fixed['max']:,.2f} at max" in printed


def test_bad_stack_file_exits_2_with_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    text = text.replace("azCount: 3", "azCont: 3").replace("awsAsn: 64512", "awsAsn: 65535")
    project = _project_copy(tmp_path, text)
    assert main(["--project-dir", str(project), "plan"]) == INVALID_INPUT
    captured = capsys.readouterr()
    errors = captured.err.splitlines()
    assert errors[0].startswith("error: invalid configuration in Pulumi.dev.yaml")
    assert "error: Pulumi.dev.yaml:8:5: crossmesh:aws.azCont: unknown key; did you mean 'azCount'?" in (
        line[: len("error: Pulumi.dev.yaml:8:5: crossmesh:aws.azCont: unknown key; did you mean 'azCount'?")]
        for line in errors
    )
    assert any(
        line.startswith("error: Pulumi.dev.yaml:19:5: crossmesh:link.awsAsn:") and "65535" in line
        for line in errors
    )
    assert "Traceback" not in captured.err and captured.out == ""


def test_overlapping_ranges_exit_2_naming_both_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        (PROJECT_DIR / "Pulumi.dev.yaml")
        .read_text()
        .replace("podsCidr: 10.24.0.0/14", "podsCidr: 10.8.0.0/14")
    )
    assert main(["--project-dir", str(_project_copy(tmp_path, text)), "plan"]) == INVALID_INPUT
    errors = capsys.readouterr().err
    assert "crossmesh:gcp.podsCidr: '10.8.0.0/14' overlaps crossmesh:aws.vpcCidr" in errors


def test_unknown_stack_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project-dir", str(PROJECT_DIR), "plan", "--stack", "staging"]) == INVALID_INPUT
    assert "no stack file Pulumi.staging.yaml" in capsys.readouterr().err


def test_program_error_exits_3_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project_copy(tmp_path, (PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    (project / "__main__.py").write_text("raise RuntimeError('boom')\n")
    assert main(["--project-dir", str(project), "plan"]) == PROGRAM_ERROR
    err = capsys.readouterr().err
    assert "error: the program failed: RuntimeError: boom" in err and "Traceback" not in err


def test_config_docs_check_passes_on_the_committed_reference() -> None:
    assert main(["--project-dir", str(PROJECT_DIR), "config-docs", "--check"]) == CURRENT
