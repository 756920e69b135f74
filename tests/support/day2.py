"""The day-2 matrix: stack file edits, each planned before and after on the stacks it applies to,
diffed, and judged by the day-2 rules (offline/day2.py).

A case is one change a platform engineer makes to a stack file: a single edit, or the steps of a
procedure (a runbook), each a `pulumi up` of its own. For every step the matrix asserts the verdict:
no critical resource (components/protection_specs.py) is replaced or deleted unless the step says
so, the day-2 rules refuse exactly what the step says they refuse, and nothing else. What each step
does on each stack (the diff's counts and its critical changes) is recorded in
tests/fixtures/day2/<stack>.json, from which docs/day2.md is written; both are refreshed with
`pytest tests/day2 --refresh-day2`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from components.config import ConfigError
from offline.day2 import Refusal, refusals
from offline.diff import (
    CREATE,
    DELETE,
    DELETE_BLOCKED,
    REPLACE,
    RETAINED,
    UPDATE,
    DiffResult,
    Verdict,
    diff_plans,
    plan_snapshot,
)
from tests.support.plans import PROJECT_DIR, planned, planned_against

Config = dict[str, Any]
"""The `crossmesh:` keys of a stack file, without the prefix."""

Edit = Callable[[Config], None]
"""Edits a stack's config in place."""

FIXTURES = PROJECT_DIR / "tests" / "fixtures" / "day2"
DOC = PROJECT_DIR / "docs" / "day2.md"
ALL_STACKS = ("dev", "prod", "legacy")
CRITICAL_KINDS = (REPLACE, DELETE, DELETE_BLOCKED, RETAINED)
COUNTED = (
    (CREATE, "+"),
    (UPDATE, "~"),
    (REPLACE, "+-"),
    (DELETE, "-"),
    (DELETE_BLOCKED, "-!"),
    (RETAINED, "-~"),
)


@dataclass(frozen=True)
class Expect:
    """A critical change a step documents: `kind` is replace, delete (deleted or blocked by protect)
    or retained; `name` a part of the resource name, when the type alone says too little."""

    kind: str
    type: str
    name: str = ""
    stacks: tuple[str, ...] = ALL_STACKS

    def matches(self, verdict: Verdict, stack: str) -> bool:
        kinds = (DELETE, DELETE_BLOCKED) if self.kind == DELETE else (self.kind,)
        return (
            stack in self.stacks
            and verdict.kind in kinds
            and verdict.type == self.type
            and self.name in verdict.name
        )


@dataclass(frozen=True)
class Step:
    change: str
    """The edit, as the table shows it."""
    edit: Edit
    """Edits the stack's config (from the previous step) in place."""
    effect: str
    """What `pulumi up` does, in words."""
    critical: tuple[Expect, ...] = ()
    refused: tuple[str, ...] = ()
    """The day-2 rules that refuse the step."""
    by_hand: str = ""
    """What the procedure does by hand before this step's `pulumi up`."""
    cleared: tuple[str, ...] = ()
    """Kubernetes objects an earlier step retained that `by_hand` deletes ("Namespace appmesh-system",
    "ServiceAccount orders/orders"), so this step may create them again."""


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    steps: tuple[Step, ...]
    stacks: tuple[str, ...] = ALL_STACKS
    procedure: str = ""
    """The document that tells the procedure, when the case has one."""
    issue_case: int | None = None
    """The case number in the day-2 issue; routine changes have none."""
    config_error: str = ""
    """For an edit the program refuses before anything is registered: a part of its message."""
    start: Edit | None = None
    """Where the stack stands before the case (as deployed earlier), when not as its file says."""


@dataclass
class StepResult:
    counts: dict[str, int]
    critical: list[tuple[str, str, str]]
    refused: list[Refusal]
    unexpected: list[str] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return {
            "counts": {symbol: self.counts[kind] for kind, symbol in COUNTED if self.counts.get(kind)},
            "critical": [list(item) for item in self.critical],
            "refused": sorted({refusal.rule for refusal in self.refused}),
        }


def stack_file_config(stack: str) -> Config:
    return copy.deepcopy(_stack_file_config(stack))


@cache
def _stack_file_config(stack: str) -> Config:
    """Read once per process: every step of every case starts from it or compares with it."""
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    return {key.removeprefix("crossmesh:"): value for key, value in document["config"].items()}


def overrides(stack: str, config: Config) -> Config:
    """The top-level keys that differ from the stack file: what the plan is made with."""
    base = _stack_file_config(stack)
    return {key: value for key, value in config.items() if base.get(key) != value}


def step_configs(case: Case, stack: str) -> list[Config]:
    """The config before the case and after each of its steps."""
    configs = [stack_file_config(stack)]
    if case.start is not None:
        case.start(configs[0])
    for step in case.steps:
        config = copy.deepcopy(configs[-1])
        step.edit(config)
        configs.append(config)
    return configs


def judge(case: Case, stack: str) -> list[StepResult]:
    """Every step of the case on the stack, planned against the one before and judged. A Kubernetes
    object retained by a step and declared again by a later one would fail to be created: it exists
    (pulumi-kubernetes answers AlreadyExists), unless the procedure deleted it by hand in between."""
    configs = step_configs(case, stack)
    before = planned(stack, overrides(stack, configs[0]))
    results = []
    retained: dict[str, str] = {}
    for step, config in zip(case.steps, configs[1:], strict=True):
        # A single step is planned as `plan --against` plans it, which shares the plan with tests that
        # plan the same edit that way (tests/components/clusters/test_day2_clusters.py).
        if len(case.steps) == 1:
            after = planned_against(stack, overrides(stack, config), overrides(stack, configs[0]))
        else:
            after = planned(stack, overrides(stack, config))
        old, new = plan_snapshot(before.to_contract()), plan_snapshot(after.to_contract())
        diff = diff_plans(old, new)
        result = _result(step, stack, diff, refusals(old, new, diff))
        for name in step.cleared:
            retained = {key: value for key, value in retained.items() if not _cleared_by(name, key)}
        kept = {
            identity: v.name
            for v in diff.verdicts
            if v.kind == RETAINED and (identity := kubernetes_identity(v.type, old.by_urn[v.urn].inputs))
        }
        for verdict in diff.verdicts:
            created = verdict.kind == CREATE
            identity = kubernetes_identity(verdict.type, new.by_urn[verdict.urn].inputs) if created else ""
            if identity and identity in (retained | kept):
                result.unexpected.append(
                    f"create {verdict.type} {verdict.name}: {identity} exists, retained by "
                    f"{(retained | kept)[identity]}; delete it by hand first (Step.cleared)"
                )
        retained |= kept
        results.append(result)
        before = after
    return results


def _cleared_by(cleared: str, identity: str) -> bool:
    """Whether deleting `cleared` by hand deletes the object: itself, or, for a namespace, anything in it."""
    if identity == cleared:
        return True
    kind, _, name = cleared.partition(" ")
    return kind == "Namespace" and identity.split(" ", 1)[1].startswith(f"{name}/")


def kubernetes_identity(type_token: str, inputs: Mapping[str, Any]) -> str:
    """ "Kind namespace/name" of a Kubernetes object ("Kind name" when cluster-scoped); empty for other
    resources."""
    metadata = inputs.get("metadata")
    if not type_token.startswith("kubernetes:") or not isinstance(metadata, Mapping):
        return ""
    name, namespace = metadata.get("name"), metadata.get("namespace")
    if not isinstance(name, str):
        return ""
    kind = type_token.rsplit(":", 1)[1]
    return f"{kind} {namespace}/{name}" if isinstance(namespace, str) else f"{kind} {name}"


def _result(step: Step, stack: str, diff: DiffResult, refused: list[Refusal]) -> StepResult:
    critical = [v for v in diff.verdicts if v.critical and v.kind in CRITICAL_KINDS]
    result = StepResult(
        counts=dict(diff.counts),
        critical=sorted((v.kind, v.type, v.name) for v in critical),
        refused=refused,
    )
    for verdict in critical:
        if not any(expect.matches(verdict, stack) for expect in step.critical):
            result.unexpected.append(f"{verdict.kind} {verdict.type} {verdict.name}: {verdict.critical}")
    for expect in step.critical:
        if stack in expect.stacks and not any(expect.matches(v, stack) for v in critical):
            result.unexpected.append(f"expected {expect.kind} {expect.type} {expect.name}: not in the diff")
    return result


def refused_by_config(case: Case, stack: str) -> str:
    """The program's refusal of the case's edit: ConfigError's message."""
    config = step_configs(case, stack)[1]
    try:
        planned(stack, overrides(stack, config))
    except ConfigError as err:
        return str(err)
    raise AssertionError(f"{case.id} on {stack} was planned; the program should have refused it")


def fixture(stack: str) -> Path:
    return FIXTURES / f"{stack}.json"


def recorded(stack: str) -> dict[str, Any]:
    path = fixture(stack)
    return json.loads(path.read_text()) if path.is_file() else {}


def write_record(stack: str, records: Mapping[str, Any]) -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    fixture(stack).write_text(json.dumps(dict(sorted(records.items())), indent=1) + "\n")
