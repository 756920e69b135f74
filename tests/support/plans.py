"""Plans of the shipped stack files, computed once per test process.

The Pulumi SDK keeps its runtime state in globals, so plans run one after another; caching them keeps
the suite fast however many tests read the same plan.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from offline.diff import plan_snapshot
from offline.engine import plan_stack
from offline.record import Plan

PROJECT_DIR = Path(__file__).resolve().parents[2]
STACKS = sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in PROJECT_DIR.glob("Pulumi.*.yaml"))


@cache
def _cached_plan(stack: str, overrides_json: str) -> Plan:
    overrides: Mapping[str, Any] = json.loads(overrides_json)
    return plan_stack(PROJECT_DIR, stack, overrides)


def planned(stack: str, overrides: Mapping[str, Any] | None = None) -> Plan:
    """The plan of a shipped stack file, with whole top-level keys replaced by `overrides`."""
    return _cached_plan(stack, json.dumps(overrides or {}, sort_keys=True))


@cache
def _cached_plan_against(stack: str, overrides_json: str, before_json: str) -> Plan:
    before = planned(stack, json.loads(before_json)).to_contract()
    return plan_stack(PROJECT_DIR, stack, json.loads(overrides_json), against=plan_snapshot(before))


def planned_against(
    stack: str, overrides: Mapping[str, Any] | None = None, before: Mapping[str, Any] | None = None
) -> Plan:
    """The plan of a stack file with `overrides`, made against the plan with `before` overrides, as
    `crossmesh plan --against` makes it."""
    return _cached_plan_against(
        stack, json.dumps(overrides or {}, sort_keys=True), json.dumps(before or {}, sort_keys=True)
    )


def stack_config(stack: str, key: str) -> Any:
    """One top-level key of a shipped stack file, to edit and pass as an override."""
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    return copy.deepcopy(document["config"][f"crossmesh:{key}"])
