"""docs/day2.md's table of changes, rendered from the matrix's cases and their records."""

from __future__ import annotations

from typing import Any

from offline.diff import DELETE, DELETE_BLOCKED, REPLACE, RETAINED
from tests.day2.cases import CASES
from tests.support.day2 import ALL_STACKS, DOC, Case, Step, recorded, write_record

START = "<!-- day-2 matrix: generated from tests/day2/ by `pytest tests/day2 --refresh-day2`; do not edit -->"
END = "<!-- end of day-2 matrix -->"
KIND_WORDS = {
    REPLACE: "replaced",
    DELETE: "deleted",
    DELETE_BLOCKED: "delete blocked by protect",
    RETAINED: "retained",
}


def is_routine(case: Case) -> bool:
    return case.issue_case is None and len(case.steps) == 1 and not case.steps[0].critical


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _counts(record: dict[str, Any]) -> str:
    if record.get("refusedByConfig"):
        return "refused by the program"
    counts = record.get("counts") or {}
    return " ".join(f"{symbol}{count}" for symbol, count in counts.items()) or "no change"


def _critical(record: dict[str, Any]) -> str:
    by_kind: dict[str, list[str]] = {}
    for kind, _type, name in record.get("critical") or []:
        by_kind.setdefault(kind, []).append(f"`{name}`")
    return "; ".join(f"{KIND_WORDS[kind]}: {', '.join(names)}" for kind, names in by_kind.items()) or "none"


def _verdict(case: Case, step: Step) -> str:
    if case.config_error:
        return "refused before anything is registered"
    if step.refused:
        return "refused by `crossmesh check --against` (" + ", ".join(f"`{r}`" for r in step.refused) + ")"
    if any(expect.kind in (REPLACE, DELETE) for expect in step.critical):
        return "safe as a step of its procedure"
    return "safe"


def _link(path: str) -> str:
    target = path.removeprefix("docs/")
    target = target.removeprefix("day2.md")
    return f"[{path}]({target})"


def render() -> str:
    records = {stack: recorded(stack) for stack in ALL_STACKS}
    lines = [START, "", "### Routine changes", ""]
    lines += ["| change | edit | what `pulumi up` does | " + " | ".join(ALL_STACKS) + " |"]
    lines += ["|---|---|---|" + "---|" * len(ALL_STACKS)]
    for case in CASES:
        if not is_routine(case):
            continue
        step = case.steps[0]
        cells = [
            _counts(records[stack][case.id][0]) if stack in case.stacks and case.id in records[stack] else "-"
            for stack in ALL_STACKS
        ]
        title = f"{case.title} ({_link(case.procedure)})" if case.procedure else case.title
        lines.append(
            f"| {_cell(title)} | `{_cell(step.change)}` | {_cell(step.effect)} | " + " | ".join(cells) + " |"
        )
    for case in CASES:
        if is_routine(case):
            continue
        lines += ["", f"### {case.title}", ""]
        if case.procedure:
            lines += [f"Procedure: {_link(case.procedure)}. Stacks: {', '.join(case.stacks)}.", ""]
        else:
            lines += [f"Stacks: {', '.join(case.stacks)}.", ""]
        lines += ["| step | edit | what `pulumi up` does | verdict |", "|---|---|---|---|"]
        for number, step in enumerate(case.steps, start=1):
            effect = f"{step.effect} (before it, by hand: {step.by_hand})" if step.by_hand else step.effect
            lines.append(
                f"| {number} | `{_cell(step.change)}` | {_cell(effect)} | {_cell(_verdict(case, step))} |"
            )
        lines += ["", "| stack | step | changes | critical resources |", "|---|---|---|---|"]
        for stack in case.stacks:
            for number, record in enumerate(records[stack].get(case.id, []), start=1):
                lines.append(f"| {stack} | {number} | {_counts(record)} | {_cell(_critical(record))} |")
    lines += ["", END]
    return "\n".join(lines)


def current_block(text: str) -> str:
    return text[text.index(START) : text.index(END) + len(END)]


def write_doc() -> None:
    """Drop the records of cases no longer on a stack, then rewrite the doc's block."""
    for stack in ALL_STACKS:
        current = {case.id for case in CASES if stack in case.stacks}
        write_record(stack, {key: value for key, value in recorded(stack).items() if key in current})
    text = DOC.read_text()
    DOC.write_text(text.replace(current_block(text), render()))
