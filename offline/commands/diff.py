"""`crossmesh diff OLD.json NEW.json` and `crossmesh plan --against OLD.json`: what `pulumi up` would do
to go from one plan to the other, protected deletes and critical replacements first.

Three formats: `text` for a terminal (the alarming lines in red when it is one), `json`, and `github`
(workflow commands, plus a Markdown summary for $GITHUB_STEP_SUMMARY or a pull-request comment).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from offline.commands.cost_summary import contract_delta, plan_contract, render_delta
from offline.commands.exit_codes import FAILED_ON, INVALID_INPUT, OK, ExitCode
from offline.cost import CostDelta
from offline.diff import (
    CREATE,
    DELETE,
    DELETE_BLOCKED,
    PROVIDER_CAUSE,
    REPLACE,
    RETAINED,
    UNCHANGED,
    UPDATE,
    Change,
    DiffResult,
    PlanFormatError,
    PlanSnapshot,
    Verdict,
    check_comparable,
    diff_plans,
    plan_snapshot,
)
from offline.plan_file import PlanFileError, load_plan_file, load_plan_stream
from offline.record import Plan

FORMATS = ("text", "json", "github")
FAIL_ON = ("replace", "delete", "refused")
REFUSED = "refused"
SYMBOLS = {CREATE: "+", UPDATE: "~", REPLACE: "+-", DELETE: "-", DELETE_BLOCKED: "-!", RETAINED: "-~"}
SUMMARY_WORDS = {
    CREATE: "to create",
    UPDATE: "to update",
    REPLACE: "to replace",
    DELETE: "to delete",
    DELETE_BLOCKED: "delete blocked by protect",
    RETAINED: "retained",
    UNCHANGED: "unchanged",
}
CHANGES_SHOWN = 12
VALUE_WIDTH = 60
RED, BOLD, RESET = "\033[31m", "\033[1m", "\033[0m"

# The example `crossmesh diff --help` shows (offline/commands/cli.py puts it above the exit codes).
EXAMPLE = """crossmesh diff before.json after.json --fail-on replace
  (before.json, after.json: `crossmesh plan -s dev --json FILE` before and after an edit of Pulumi.dev.yaml)
  crossmesh plan -s dev --against before.json     # plan and diff in one step"""


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of `crossmesh diff`."""
    parser.add_argument("old", metavar="OLD.json", help="the plan before (crossmesh plan --json)")
    parser.add_argument("new", metavar="NEW.json", help="the plan after")
    add_report_options(parser)


def add_against_options(parser: argparse.ArgumentParser) -> None:
    """The arguments `crossmesh plan` takes to diff its plan against a saved one."""
    parser.add_argument(
        "--against",
        metavar="OLD.json",
        help="after planning, print what `pulumi up` would change from this saved plan of the stack",
    )
    parser.add_argument(
        "--fail-on",
        action="append",
        choices=FAIL_ON,
        default=[],
        help="with --against: exit 1 when the diff replaces (or deletes) a resource, or holds a change "
        "the day-2 rules refuse (refused); repeatable",
    )


def add_report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        metavar="FILE",
        nargs="?",
        const="-",
        help="also write the diff as JSON to FILE (`-` or no FILE: standard output)",
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="how to print the diff")
    parser.add_argument(
        "--fail-on",
        action="append",
        choices=FAIL_ON,
        default=[],
        help="exit 1 when the diff replaces (or deletes, protected or not) a resource, or holds a change "
        "the day-2 rules refuse (refused: docs/day2.md); repeatable",
    )


class DiffInputError(Exception):
    """A plan file that cannot be read or compared; the message is the one line to print."""


def load_plan(path: str) -> PlanSnapshot:
    """A saved plan, read and checked as `check --plan` reads one (offline/plan_file.py), then made
    comparable; `-` is standard input."""
    try:
        contract = load_plan_stream(path, sys.stdin.buffer) if path == "-" else load_plan_file(Path(path))
        return plan_snapshot(contract)
    except PlanFileError as err:
        raise DiffInputError(str(err)) from err
    except PlanFormatError as err:
        raise DiffInputError(f"{path}: {err}") from err


def run(args: argparse.Namespace, project_dir: Path) -> int:
    """`crossmesh diff OLD NEW`."""
    try:
        old, new = load_plan(args.old), load_plan(args.new)
        check_comparable(old, new)
    except (DiffInputError, PlanFormatError) as err:
        print(f"error: {err}", file=sys.stderr)
        return INVALID_INPUT
    cost = contract_delta(old.contract, new.contract)
    return report(judged(old, new), args, f"{args.old} -> {args.new}", cost=cost)


def judged(old: PlanSnapshot, new: PlanSnapshot) -> DiffResult:
    """The diff, with what the day-2 rules refuse in it."""
    from offline.day2 import refusals

    result = diff_plans(old, new)
    result.refusals = [refusal.line() for refusal in refusals(old, new, result)]
    return result


def report(
    result: DiffResult,
    args: argparse.Namespace,
    heading: str,
    out: TextIO | None = None,
    cost: CostDelta | None = None,
) -> ExitCode:
    """Print the diff in the chosen format, write --json, and return the exit code --fail-on asks for;
    with `cost`, the monthly cost of the change too."""
    out = out or sys.stdout
    fmt = getattr(args, "format", "text")
    if args.json and args.json != "-":
        Path(args.json).write_text(json.dumps(to_json(result, cost), indent=2) + "\n")
    if fmt == "json" or args.json == "-":
        out.write(json.dumps(to_json(result, cost), indent=2) + "\n")
    elif fmt == "github":
        out.write(workflow_commands(result))
        summary = markdown(result, heading, cost)
        summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary_file:
            with open(summary_file, "a") as stream:
                stream.write(summary)
        else:
            out.write("\n" + summary)
    else:
        out.write(render_text(result, heading, colour=_is_terminal(out), cost=cost))
    failing = [kind for kind in args.fail_on if (result.refusals if kind == REFUSED else result.has(kind))]
    return FAILED_ON if failing else OK


def _is_terminal(out: TextIO) -> bool:
    return out.isatty() and "NO_COLOR" not in os.environ


def summary_line(result: DiffResult) -> str:
    counts = result.counts
    cascades = sum(1 for verdict in result.verdicts if verdict.cascade)
    parts = []
    for kind, words in SUMMARY_WORDS.items():
        part = f"{counts.get(kind, 0)} {words}"
        if kind == REPLACE and cascades:
            part += f" ({cascades} by cascade)"
        parts.append(part)
    return f"{result.stack}: {result.total_changes} changes: " + ", ".join(parts)


def critical_counts(alarming: Sequence[Verdict]) -> str:
    """ "2 critical replaced, 1 protected delete blocked": the alarming changes by kind, zeros left out."""
    counted = [
        (sum(1 for v in alarming if v.kind == REPLACE), "critical replaced"),
        (sum(1 for v in alarming if v.kind == DELETE), "critical deleted"),
        (sum(1 for v in alarming if v.kind == DELETE_BLOCKED), "protected delete blocked"),
    ]
    return ", ".join(f"{count} {words}" for count, words in counted if count)


def _show(value: Any, present: bool = True) -> str:
    if not present:
        return "(absent)"
    text = json.dumps(value) if not isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 3] + '..."'


def change_line(change: Change) -> str:
    sources = ", ".join(change.reads)
    reads = f"  (reads the new {sources})" if change.reads else ""
    if change.secret:
        return f"{change.path}: (secret changed){reads}"
    if change.reads and change.old == change.new:
        return f"{change.path}: {_show(change.old)} -> (what the new {sources} gives it)"
    before, after = _show(change.old, change.present_before), _show(change.new, change.present_after)
    return f"{change.path}: {before} -> {after}{reads}"


def cause_lines(verdict: Verdict) -> list[str]:
    lines = []
    for cause in verdict.causes:
        if cause.path == PROVIDER_CAUSE:
            lines.append(f"replaced: its provider {', '.join(cause.reads)} is replaced [{cause.source}]")
            continue
        cascade = f", as it reads the new {', '.join(cause.reads)}" if cause.reads else ""
        lines.append(f"replaced: {cause.path} {cause.rule}{cascade} [{cause.source}]")
    return lines


def headline(verdict: Verdict) -> str:
    marks = []
    if verdict.critical:
        marks.append("critical")
    if verdict.cascade:
        marks.append("cascade")
    if verdict.protect:
        marks.append("protected")
    mark = f"  [{', '.join(marks)}]" if marks else ""
    return f"{SYMBOLS[verdict.kind]:2} {verdict.kind:8} {verdict.type}  {verdict.name}{mark}"


def render_text(result: DiffResult, heading: str, colour: bool = False, cost: CostDelta | None = None) -> str:
    def paint(text: str, style: str) -> str:
        return f"{style}{text}{RESET}" if colour else text

    lines = [f"crossmesh diff: stack {result.stack} (project {result.project}), {heading}"]
    if result.refusals:
        lines.append(paint(f"Refused by the day-2 rules (docs/day2.md): {len(result.refusals)}", BOLD + RED))
        lines += [paint(f"  {line}", RED) for line in result.refusals]
    alarming = [verdict for verdict in result.verdicts if verdict.alarming]
    if alarming:
        lines.append(paint(f"Critical: {critical_counts(alarming)}", BOLD + RED))
        for verdict in alarming:
            reason = verdict.critical or "protected"
            lines.append(paint(f"  {headline(verdict)}", RED))
            lines.append(f"      {reason}")
    for verdict in result.verdicts:
        lines.append("")
        lines.append(paint(headline(verdict), RED) if verdict.alarming else headline(verdict))
        lines += [f"      {line}" for line in cause_lines(verdict)]
        lines += [f"      {change_line(change)}" for change in verdict.changes[:CHANGES_SHOWN]]
        if len(verdict.changes) > CHANGES_SHOWN:
            lines.append(f"      ... and {len(verdict.changes) - CHANGES_SHOWN} more changed paths")
        lines += [f"      note: {note}" for note in verdict.notes]
    if result.renamed:
        lines.append("")
        lines.append(f"Found under an alias of their old URN (unchanged): {len(result.renamed)}")
        lines += [f"  {verdict.name}: {verdict.renamed_from}" for verdict in result.renamed]
    lines += [f"warning: {warning}" for warning in result.warnings]
    if cost is not None:
        lines += ["", *render_delta(cost)]
    lines.append("")
    summary = summary_line(result)
    lines.append(paint(summary, BOLD + RED) if alarming else summary)
    return "\n".join(lines) + "\n"


def _verdict_json(verdict: Verdict) -> dict[str, Any]:
    return {
        "kind": verdict.kind,
        "urn": verdict.urn,
        "type": verdict.type,
        "name": verdict.name,
        "critical": verdict.critical,
        "cascade": verdict.cascade,
        "protect": verdict.protect,
        "renamedFrom": verdict.renamed_from,
        "causes": [
            {"path": c.path, "rule": c.rule, "source": c.source, "reads": list(c.reads)}
            for c in verdict.causes
        ],
        "changes": [
            {
                "path": c.path,
                "old": "[secret]" if c.secret else c.old,
                "new": "[secret]" if c.secret else c.new,
                "secret": c.secret,
                "reads": list(c.reads),
            }
            for c in verdict.changes
        ],
        "notes": verdict.notes,
    }


def to_json(result: DiffResult, cost: CostDelta | None = None) -> dict[str, Any]:
    document = {
        "project": result.project,
        "stack": result.stack,
        "summary": {**result.counts, "cascade": sum(1 for v in result.verdicts if v.cascade)},
        "critical": [_verdict_json(v) for v in result.verdicts if v.alarming],
        "changes": [_verdict_json(v) for v in result.verdicts],
        "renamed": [{"urn": v.urn, "from": v.renamed_from} for v in result.renamed],
        "warnings": result.warnings,
        "refused": result.refusals,
    }
    if cost is not None:
        document["cost"] = cost.to_json()
    return document


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _why(verdict: Verdict) -> str:
    if verdict.causes:
        cause = verdict.causes[0]
        if cause.path == PROVIDER_CAUSE:
            return f"its provider {', '.join(cause.reads)} is replaced"
        via = f" (reads {', '.join(cause.reads)})" if cause.reads else ""
        more = f" and {len(verdict.causes) - 1} more" if len(verdict.causes) > 1 else ""
        return f"{cause.path} {cause.rule}{via}{more}"
    return "; ".join(verdict.notes) or ""


def workflow_commands(result: DiffResult) -> str:
    """GitHub Actions annotations: an error per alarming change, a warning per other replace or delete."""
    title = _escape_property(f"crossmesh diff ({result.stack})")
    lines = [f"::error title={title}::{_escape_data(line)}" for line in result.refusals]
    for verdict in result.verdicts:
        if verdict.alarming:
            level = "error"
        elif verdict.kind in (REPLACE, DELETE):
            level = "warning"
        else:
            continue
        critical = "critical " if verdict.critical else ""
        message = f"{verdict.kind} of {critical}{verdict.type} {verdict.name}: {_why(verdict)}"
        lines.append(f"::{level} title={title}::{_escape_data(message)}")
    lines.append(f"::notice title={title}::{_escape_data(summary_line(result))}")
    return "\n".join(lines) + "\n"


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(verdicts: Sequence[Verdict], why: Callable[[Verdict], str]) -> list[str]:
    lines = ["| change | type | name | why |", "|---|---|---|---|"]
    lines += [f"| {v.kind} | `{v.type}` | `{v.name}` | {_markdown_cell(why(v))} |" for v in verdicts]
    return lines


def markdown(result: DiffResult, heading: str, cost: CostDelta | None = None) -> str:
    """The diff for $GITHUB_STEP_SUMMARY or a pull-request comment: replacements first."""
    lines = [f"### crossmesh diff: `{result.stack}`", "", f"**{summary_line(result)}**", ""]
    if cost is not None:
        lines += [_markdown_cell(render_delta(cost)[0]), ""]
    if result.refusals:
        lines += [f"#### :no_entry: Refused by the day-2 rules: {len(result.refusals)}", ""]
        lines += [f"- {_markdown_cell(line)}" for line in result.refusals]
        lines.append("")
    alarming = [v for v in result.verdicts if v.alarming]
    if alarming:
        lines += [f"#### :rotating_light: {critical_counts(alarming)}", ""]
        lines += _table(alarming, lambda v: f"{v.critical or 'protected'}: {_why(v)}")
        lines.append("")
    replaced = [v for v in result.verdicts if v.kind == REPLACE and not v.alarming]
    if replaced:
        lines += [f"#### Other replacements: {len(replaced)}", ""]
        lines += _table(replaced, _why)
        lines.append("")
    others = [v for v in result.verdicts if v.kind != REPLACE and not v.alarming]
    if others:
        lines += [f"<details><summary>Other changes: {len(others)}</summary>", ""]
        lines += _table(others, lambda v: ", ".join(change.path for change in v.changes[:5]) or _why(v))
        lines += ["", "</details>", ""]
    lines += [f"<sub>{_markdown_cell(heading)}</sub>", ""]
    return "\n".join(lines)


def saved_plan_of(path: str, stack: str) -> PlanSnapshot | ExitCode:
    """The saved plan `plan --against` compares with, or INVALID_INPUT after saying why not."""
    try:
        saved = load_plan(path)
    except DiffInputError as err:
        print(f"error: {err}", file=sys.stderr)
        return INVALID_INPUT
    if saved.stack != stack:
        print(f"error: {path} is a plan of stack {saved.stack}, not of {stack}", file=sys.stderr)
        return INVALID_INPUT
    return saved


def report_against(saved: PlanSnapshot, plan: Plan, args: argparse.Namespace) -> ExitCode:
    """`plan --against`: the diff from the saved plan to the one just made."""
    contract = plan_contract(plan)
    try:
        result = judged(saved, plan_snapshot(contract))
    except PlanFormatError as err:
        print(f"error: {args.against}: {err}", file=sys.stderr)
        return INVALID_INPUT
    report_args = argparse.Namespace(json=None, format="text", fail_on=args.fail_on)
    cost = contract_delta(saved.contract, contract)
    return report(result, report_args, f"{args.against} -> this plan", cost=cost)
