"""Plans of the shipped stack files, computed once per test process.

The Pulumi SDK keeps its runtime state in globals, so plans run one after another; caching them keeps
the suite fast however many tests read the same plan.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

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
