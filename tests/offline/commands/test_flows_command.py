"""The reachability check in the `crossmesh` command: `check` prints every flow and fails on a closed
one, naming the hop; `flow-docs` keeps docs/flows.md the table of the dev plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline.commands import flows
from offline.commands.check import from_plan
from offline.commands.cli import main
from offline.commands.exit_codes import CURRENT, MANDATORY_VIOLATION, NO_MANDATORY_VIOLATION, STALE
from tests.support.plans import PROJECT_DIR, planned


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--project-dir", str(PROJECT_DIR), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def saved(tmp_path: Path, contract: dict[str, object]) -> str:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(contract))
    return str(path)


def test_check_lists_every_flow_of_a_saved_plan_and_passes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(
        capsys,
        "check",
        "--plan",
        saved(tmp_path, planned("dev").to_contract()),
        "--json",
        str(tmp_path / "r.json"),
    )
    assert code == NO_MANDATORY_VIOLATION
    assert "Flows (docs/flows.md): 17 of 17 open or within the peers" in out
    assert "open    gke-control-plane-to-nodes" in out
    results = json.loads((tmp_path / "r.json").read_text())
    assert {flow["id"] for flow in results["flows"]} >= {"dns-forwarding", "eks-api-exposure"}
    assert all(flow["open"] for flow in results["flows"])


def test_a_closed_flow_is_a_mandatory_finding_naming_the_hop(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    contract = planned("dev").to_contract()
    contract["resources"] = [r for r in contract["resources"] if r["name"] != "gke-control-plane-webhooks"]
    code, out, _ = run(
        capsys, "check", "--plan", saved(tmp_path, contract), "--json", str(tmp_path / "r.json")
    )
    assert code == MANDATORY_VIOLATION
    assert "CLOSED  gke-control-plane-to-nodes" in out
    assert "at gcp-firewall-ingress: firewall rules of network cm-dev-vpc" in out
    assert "no rule admits tcp/15017 from 172.16.0.0/28" in out
    results = json.loads((tmp_path / "r.json").read_text())
    (violation,) = [v for v in results["violations"] if v["policy"] == flows.RULE]
    assert violation["level"] == "mandatory"
    assert violation["message"].startswith(
        "GKE control plane -> GKE nodes (tcp 443, 10250, 15017) is closed at"
    )


def test_the_flow_table_in_the_docs_is_the_dev_plans() -> None:
    text = (PROJECT_DIR / flows.DOCS_PATH).read_text()
    assert text == flows.render_docs(from_plan(planned("dev")))
    assert "| `gke-control-plane-to-nodes` |" in text and "| `gcp-firewall-ingress` |" in text


def test_flow_docs_check_reports_a_stale_page(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("offline.engine.plan_stack", lambda _dir, stack, overrides=None, **_: planned(stack))
    assert main(["--project-dir", str(PROJECT_DIR), "flow-docs", "--check"]) == CURRENT
    (tmp_path / "Pulumi.yaml").write_text("name: crossmesh\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / flows.DOCS_PATH).write_text("old\n")
    assert main(["--project-dir", str(tmp_path), "flow-docs", "--check"]) == STALE
    assert "docs/flows.md is stale" in capsys.readouterr().err
    assert main(["--project-dir", str(tmp_path), "flow-docs"]) == CURRENT
    assert (tmp_path / flows.DOCS_PATH).read_text() == flows.render_docs(from_plan(planned("dev")))
