"""The estimate as `crossmesh plan` prints and writes it, the cost of a change as text, the generated
docs, and what the estimate adds to a plan's time."""

from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
import time
from pathlib import Path

import pytest
import yaml

from offline.commands import cli
from offline.commands.cli import main
from offline.commands.cost_docs import COST_DOC, README, rendered
from offline.commands.cost_summary import (
    contract_delta,
    fold_names,
    plan_contract,
    plan_estimate,
    render_delta,
    render_estimate,
)
from offline.commands.exit_codes import CURRENT, STALE
from offline.commands.summary import render_summary
from offline.cost import estimate
from offline.cost_rules import Kind
from offline.record import Plan
from tests.support.plans import PROJECT_DIR, STACKS, planned

ESTIMATE_BUDGET_SECONDS = 0.1


def _cost_section(plan: Plan) -> list[str]:
    text = render_summary(plan).splitlines()
    start = text.index(next(line for line in text if line.startswith("Monthly cost, estimated")))
    return text[start : text.index("", start)]


def test_the_plan_prints_each_fixed_line_with_its_arithmetic_and_its_resources() -> None:
    lines = _cost_section(planned("dev"))
    assert lines[1].startswith("  total: $") and lines[2].startswith("  fixed: $")
    nat = next(line for line in lines if "NAT gateways:" in line)
    assert re.search(
        r"\$98\.55  NAT gateways: 3 x 730 h x \$0\.045/hour  \[aws-network-nat-\{0,1,2\}\]$", nat
    )
    nodes = next(line for line in lines if "EKS nodes, m6i.large" in line)
    # An unverified price is marked, and a node line gives its figure at max nodes too: the cluster
    # autoscaler's bound (nodes.max), not the wide limit of the managed node group itself.
    assert re.search(
        r"3 \(max 6\) x 730 h x \$0\.096/hour\*; at max \$420\.48  \[eks-nodes-[0-9a-f]{8}\]$", nodes
    )
    assert any("(cost.crossCloudGbPerMonth, the default)" in line for line in lines)
    assert any(line.startswith("  metered, not in the total") for line in lines)


def test_a_figure_the_stack_file_sets_is_not_called_the_default() -> None:
    plan = planned("dev", {"cost": {"crossCloudGbPerMonth": 4000}})
    lines = _cost_section(plan)
    assert any(
        "for 4,000 GB a month across the link, half each way (cost.crossCloudGbPerMonth)" in line
        for line in lines
    )


def test_a_floor_and_an_unknown_price_are_said_in_the_total_and_below() -> None:
    lines = _cost_section(planned("prod"))
    assert lines[1].endswith("(a floor: see the lower bounds and unknown prices below)")
    assert any(
        line.startswith("  lower bound: Site-to-Site VPN connections, large tunnels") for line in lines
    )


def test_the_plan_contract_carries_the_same_estimate() -> None:
    plan = planned("dev")
    contract = json.loads(json.dumps(plan_contract(plan)))
    cost, (result, _) = contract["cost"], plan_estimate(plan)
    assert cost["totals"]["fixed"] == result.total([Kind.FIXED]).to_json()
    assert cost["totals"]["total"] == result.total().to_json() and cost["totals"]["complete"]
    assert cost["sections"] == {name: amount.to_json() for name, amount in result.sections().items()}
    urns = {resource["urn"] for resource in contract["resources"]}
    counted = {urn for line in cost["lines"] for urn in line["resources"]}
    free = {resource["urn"] for resource in cost["free"]}
    assert counted | free == {r["urn"] for r in contract["resources"] if r["custom"]} and counted <= urns
    assert cost["usage"] == {
        "crossCloudGbPerMonth": 1000.0,
        "tracesMillionsPerMonth": 1.0,
        "spansPerTrace": 4,
    }


def test_the_cost_of_a_change_names_each_line_that_moves() -> None:
    before = plan_contract(planned("dev"))
    after = copy.deepcopy(before)
    (pool,) = [r for r in after["resources"] if r["type"] == "gcp:container/nodePool:NodePool"]
    pool["inputs"]["nodeConfig"]["machineType"] = "e2-standard-8"
    text = render_delta(contract_delta(before, after))
    assert text[0].startswith("Monthly cost of this change, estimated: +$330.56 at desired nodes")
    assert any("GKE nodes, e2-standard-8: 0 -> 3" in line and "+$661.12" in line for line in text)
    assert any("GKE nodes, e2-standard-4: 3 -> 0" in line and "-$330.56" in line for line in text)


def test_no_change_says_so() -> None:
    contract = plan_contract(planned("dev"))
    assert render_delta(contract_delta(contract, contract))[-1] == "      no line of the estimate changes"


@pytest.mark.parametrize(
    ("names", "folded"),
    [
        (["a::nat-0", "b::nat-1", "c::nat-2"], "nat-{0,1,2}"),
        (["a::eks-nodes", "b::eks-nodes"], "eks-nodes"),
        (["a::link-0-vpn-0", "a::link-1-vpn-0", "a::link-0-vpn-1"], "link-0-vpn-{0,1}, link-1-vpn-0"),
        (["a::dns-inbound"], "dns-inbound"),
    ],
)
def test_names_differing_only_in_a_trailing_number_are_folded(names: list[str], folded: str) -> None:
    assert fold_names(names) == folded


def test_the_docs_show_the_shipped_stacks_as_they_plan() -> None:
    plans = {stack: planned(stack) for stack in STACKS}
    for path, text in rendered(PROJECT_DIR, plans).items():
        assert (PROJECT_DIR / path).read_text() == text, f"{path} is stale: run `crossmesh cost-docs`"


def test_cost_docs_check_reports_a_stale_file_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "docs").mkdir()
    for stack in STACKS:
        shutil.copy(PROJECT_DIR / f"Pulumi.{stack}.yaml", tmp_path)
    shutil.copy(PROJECT_DIR / README, tmp_path / README)
    stale = (PROJECT_DIR / COST_DOC).read_text().replace("| dev | $", "| dev | $9")
    (tmp_path / COST_DOC).write_text(stale)

    def cached(args: argparse.Namespace, project_dir: Path) -> Plan:
        return planned(args.stack)

    monkeypatch.setattr(cli, "_planned", cached)
    assert main(["--project-dir", str(tmp_path), "cost-docs", "--check"]) == STALE
    assert "docs/cost.md stale" in capsys.readouterr().err and (tmp_path / COST_DOC).read_text() == stale
    assert main(["--project-dir", str(tmp_path), "cost-docs"]) == CURRENT
    assert main(["--project-dir", str(tmp_path), "cost-docs", "--check"]) == CURRENT
    assert (tmp_path / COST_DOC).read_text() == (PROJECT_DIR / COST_DOC).read_text()


def test_the_estimate_adds_under_a_tenth_of_a_second_to_a_plan() -> None:
    """What `crossmesh plan --json` does beyond planning, summarising and writing the contract: price the
    plan and print it, and price the contract it writes."""
    plan = planned("prod")
    contract = plan.to_contract()
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        result, stated = plan_estimate(plan)
        render_estimate(result, stated)
        estimate(contract["resources"], result.usage).to_json()
        timings.append(time.perf_counter() - start)
    assert sorted(timings)[2] < ESTIMATE_BUDGET_SECONDS, timings


def test_the_cost_of_a_change_as_json_gives_both_sides_and_each_moving_line() -> None:
    before = plan_contract(planned("dev"))
    after = copy.deepcopy(before)
    (group,) = [r for r in after["resources"] if r["type"] == "aws:eks/nodeGroup:NodeGroup"]
    group["inputs"]["scalingConfig"]["desiredSize"] = 4
    document = json.loads(json.dumps(contract_delta(before, after).to_json()))
    totals = document["totals"]
    assert totals["delta"] == {"desired": round(730 * 0.096 + 50 * 0.08, 2), "max": 0.0}
    assert totals["before"] == before["cost"]["totals"]["total"] and totals["complete"]
    (nodes, volumes) = document["changes"]
    assert nodes["item"] == "aws.ec2.instance_hour.m6i.large" and volumes["item"] == "aws.ebs.gp3.gb_month"
    assert nodes["quantity"] == {"before": {"desired": 3, "max": 6}, "after": {"desired": 4, "max": 6}}
    assert nodes["monthly"]["delta"] == {"desired": 70.08, "max": 0.0}


def test_crossmesh_diff_ends_with_the_monthly_cost_of_the_change_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    link = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"]["crossmesh:link"]
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(plan_contract(planned("dev"))))
    new.write_text(json.dumps(plan_contract(planned("dev", {"link": {**link, "tunnelGroups": 2}}))))
    assert main(["diff", str(old), str(new)]) == 0
    lines = capsys.readouterr().out.splitlines()
    cost = lines.index(next(line for line in lines if line.startswith("Monthly cost of this change")))
    assert lines[cost].startswith("Monthly cost of this change, estimated: +$321.60 at desired nodes")
    assert any(
        line.endswith("HA VPN tunnels: 4 -> 8  [link-0-tunnel-{0,1,2,3}, link-1-tunnel-{0,1,2,3}]")
        for line in lines[cost:]
    )
    assert lines[-1].startswith("dev: ") and cost < len(lines) - 1
    assert main(["diff", str(old), str(new), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["cost"]["totals"]["delta"] == {"desired": 321.6, "max": 321.6}
    assert main(["diff", str(old), str(new), "--format", "github"]) == 0
    assert "Monthly cost of this change, estimated: +$321.60" in capsys.readouterr().out
