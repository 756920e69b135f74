"""`crossmesh plan --against`: real edits of the dev stack file, planned against the plan before them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from offline import engine
from offline.commands.cli import main
from offline.commands.exit_codes import FAILED_ON
from offline.diff import REPLACE, DiffResult, diff_plans, plan_snapshot
from offline.engine import plan_stack
from offline.record import Plan
from tests.support.plans import PROJECT_DIR, planned, planned_against, stack_config
from tests.support.types import AWS_VPN_CONNECTION, GCP_EXTERNAL_VPN_GATEWAY, GCP_VPN_TUNNEL


def large_tunnels() -> dict[str, Any]:
    link = stack_config("dev", "link")
    link["tunnelBandwidth"] = "large"
    return {"link": link}


def diff_from_dev(plan: Plan) -> DiffResult:
    return diff_plans(plan_snapshot(planned("dev").to_contract()), plan_snapshot(plan.to_contract()))


def by_type(result: DiffResult, type_token: str) -> list[Any]:
    return [verdict for verdict in result.verdicts if verdict.type == type_token]


def test_larger_tunnels_replace_the_connections_and_by_cascade_the_gateway_and_every_tunnel() -> None:
    result = diff_from_dev(planned_against("dev", large_tunnels()))
    connections = by_type(result, AWS_VPN_CONNECTION)
    assert len(connections) == 2
    for connection in connections:
        assert connection.kind == REPLACE and not connection.cascade and connection.critical
        assert [cause.path for cause in connection.causes] == ["tunnelBandwidth"]
    [gateway] = by_type(result, GCP_EXTERNAL_VPN_GATEWAY)
    assert gateway.kind == REPLACE and gateway.cascade and gateway.critical
    assert set(gateway.causes[0].reads) == {connection.name for connection in connections}
    tunnels = by_type(result, GCP_VPN_TUNNEL)
    assert len(tunnels) == 4
    assert all(tunnel.kind == REPLACE and tunnel.cascade for tunnel in tunnels)
    assert all(tunnel.causes[0].reads == (gateway.name,) for tunnel in tunnels)
    assert {verdict.name for verdict in result.verdicts if verdict.alarming} == {
        *(connection.name for connection in connections),
        gateway.name,
    }


def test_a_replaced_resource_gets_new_fake_values_and_nothing_else_does() -> None:
    before = {resource.urn: resource for resource in planned("dev").resources}
    after = planned_against("dev", large_tunnels())
    replaced = {verdict.urn for verdict in diff_from_dev(after).verdicts if verdict.kind == REPLACE}
    assert {resource.urn for resource in after.resources if resource.generation == 1} == replaced
    for resource in after.resources:
        if resource.custom and resource.urn in replaced and resource.type == AWS_VPN_CONNECTION:
            assert resource.id != before[resource.urn].id
            assert resource.outputs["tunnel1Address"] != before[resource.urn].outputs["tunnel1Address"]
        elif resource.custom and resource.urn not in replaced:
            assert resource.id == before[resource.urn].id, resource.name


def test_the_next_plan_keeps_the_generations_and_so_the_values_a_replacement_gave() -> None:
    first = planned_against("dev", large_tunnels())
    again = plan_stack(PROJECT_DIR, "dev", large_tunnels(), against=plan_snapshot(first.to_contract()))
    result = diff_plans(plan_snapshot(first.to_contract()), plan_snapshot(again.to_contract()))
    assert result.total_changes == 0
    assert again.to_contract() == first.to_contract()
    assert {resource.generation for resource in again.resources} == {0, 1}


def test_adding_a_service_creates_and_updates_but_replaces_and_deletes_nothing() -> None:
    services = stack_config("dev", "services")
    services.append(
        {"name": "search", "cloud": "gcp", "namespace": "shop", "port": 8080, "callers": ["frontend"]}
    )
    result = diff_from_dev(planned_against("dev", {"services": services}))
    assert result.counts["create"] > 0
    assert not result.has("replace") and not result.has("delete"), [
        (v.kind, v.name) for v in result.verdicts if v.kind != "create"
    ]


def test_plan_against_prints_the_diff_and_fails_on_replace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = tmp_path / "a.json"
    saved.write_text(json.dumps(planned("dev").to_contract()))
    edited = planned_against("dev", large_tunnels())
    monkeypatch.setattr(engine, "plan_stack", lambda project_dir, stack, against=None: edited)
    argv = ["--project-dir", str(PROJECT_DIR), "plan", "--stack", "dev", "--against", str(saved)]
    assert main([*argv, "--fail-on", "replace"]) == FAILED_ON
    out = capsys.readouterr().out
    diff_text = out[out.index("crossmesh diff: stack dev") :]
    assert diff_text.splitlines()[1] == "Critical: 3 critical replaced"
    assert "replaced: tunnelBandwidth forces replacement" in diff_text
    assert "replaced: peerExternalGateway forces replacement, as it reads the new link-0-aws" in diff_text
    # Then what the change costs: large tunnels have no published price, only the standard one as a floor.
    cost = next(line for line in diff_text.splitlines() if line.startswith("Monthly cost of this change"))
    assert cost.startswith("Monthly cost of this change, estimated: $0.00 at desired nodes")
    assert cost.endswith("a floor: a price on one side or the other is unknown or a lower bound")
    assert diff_text.splitlines()[-1].startswith("dev: 24 changes")
    assert main(argv) == 0
    capsys.readouterr()


def test_plan_against_a_plan_of_another_stack_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "prod.json"
    saved.write_text(json.dumps({"project": "crossmesh", "stack": "prod", "resources": []}))
    argv = ["--project-dir", str(PROJECT_DIR), "plan", "--stack", "dev", "--against", str(saved)]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"error: {saved} is a plan of stack prod, not of dev\n"


def test_two_plans_made_apart_diff_to_the_same_verdicts_as_plan_against() -> None:
    apart = {
        (verdict.name, verdict.kind) for verdict in diff_from_dev(planned("dev", large_tunnels())).verdicts
    }
    against = {
        (verdict.name, verdict.kind)
        for verdict in diff_from_dev(planned_against("dev", large_tunnels())).verdicts
    }
    assert apart == against and len(against) == 24


def test_fail_on_without_against_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project-dir", str(PROJECT_DIR), "plan", "--stack", "dev", "--fail-on", "replace"]) == 2
    assert capsys.readouterr().err.startswith("error: --fail-on needs --against OLD.json")
