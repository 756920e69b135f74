"""The generated parts of docs/cost.md (a table of the shipped stacks) and of the README (the dev
stack's estimate): `crossmesh cost-docs` rewrites them, a test fails when either is stale."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from offline.commands.cost_summary import plan_estimate, render_estimate
from offline.cost import Amount, Estimate
from offline.cost_rules import SECTIONS, Kind
from offline.record import Plan

COST_DOC = Path("docs/cost.md")
README = Path("README.md")
TABLE_START = "<!-- crossmesh cost-docs: the shipped stacks, generated, do not edit -->"
TABLE_END = "<!-- end of the shipped stacks -->"
README_START = "<!-- crossmesh cost-docs: the dev stack's estimate, generated, do not edit -->"
README_END = "<!-- end of the dev stack's estimate -->"
README_STACK = "dev"


def stacks_table(plans: Mapping[str, Plan]) -> str:
    """One row per stack: the fixed part by section and in all, at desired and at max nodes, the
    link traffic and traces at the stack's usage figures, and the total."""
    estimates = {stack: plan_estimate(plan)[0] for stack, plan in sorted(plans.items())}
    sections = [name for name in SECTIONS if any(name in e.sections() for e in estimates.values())]
    header = [
        "stack",
        *sections,
        "fixed, desired nodes",
        "fixed, max nodes",
        "link traffic (GB a month)",
        "traces (millions a month)",
        "total, desired nodes",
    ]
    rows = [
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * (len(header) - 1),
    ]
    for stack, estimate in estimates.items():
        rows.append("| " + " | ".join([stack, *_row(estimate, sections)]) + " |")
    return "\n".join([TABLE_START, *rows, TABLE_END])


def _row(estimate: Estimate, sections: list[str]) -> list[str]:
    by_section = estimate.sections()
    fixed, total = estimate.total([Kind.FIXED]), estimate.total()
    floor = "" if estimate.complete else " (floor)"
    usage = estimate.usage
    return [
        *(_varying(by_section[name]) if name in by_section else "-" for name in sections),
        _dollars(fixed.desired),
        _dollars(fixed.at_max),
        f"{_dollars(estimate.total([Kind.LINK_TRAFFIC]).desired)} ({usage.cross_cloud_gb_per_month:,.0f})",
        f"{_dollars(estimate.total([Kind.TRACES]).desired)} ({usage.traces_millions_per_month:g})",
        f"{_dollars(total.desired)}{floor}",
    ]


def _varying(amount: Amount) -> str:
    at_max = f" (max {_dollars(amount.at_max)})" if amount.varies else ""
    return f"{_dollars(amount.desired)}{at_max}"


def readme_block(plan: Plan) -> str:
    estimate, stated = plan_estimate(plan)
    body = render_estimate(estimate, stated, detail=False)
    return "\n".join([README_START, "```text", *body, "```", README_END])


def replace_block(text: str, start: str, end: str, block: str) -> str:
    head, tail = text.index(start), text.index(end) + len(end)
    return text[:head] + block + text[tail:]


def rendered(project_dir: Path, plans: Mapping[str, Plan]) -> dict[Path, str]:
    """docs/cost.md and the README as they should be."""
    doc = (project_dir / COST_DOC).read_text()
    readme = (project_dir / README).read_text()
    return {
        COST_DOC: replace_block(doc, TABLE_START, TABLE_END, stacks_table(plans)),
        README: replace_block(readme, README_START, README_END, readme_block(plans[README_STACK])),
    }


def _dollars(amount: float) -> str:
    return f"${amount:,.2f}"
