"""Loading a stack's configuration: the `crossmesh:*` keys of the Pulumi runtime, validated as a whole.

`load_config` raises `ConfigError` listing every problem, one line each: the values no field accepts
and, among the keys that did validate, the rules that span fields. The program calls it before it
registers any resource, so a bad stack file never leaves anything half-built.

The one module of the package that imports `pulumi`: `ConfigError` is a `pulumi.RunError`, which
Pulumi reports as a message rather than a traceback, and `read_stack_config` reads the runtime's
config.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pydantic import ValidationError

from components.config.messages import config_key, describe_error, loc_path
from components.config.rules import cross_field_problems
from components.config.schema import NAMESPACE, StackConfig


class ConfigError(pulumi.RunError):
    """Invalid stack configuration. `problems` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid stack configuration:\n" + "\n".join(f"  {line}" for line in self.problems))


def read_stack_config() -> dict[str, Any]:
    """Every `crossmesh:*` key the Pulumi runtime holds, structured values decoded from JSON."""
    from pulumi.runtime import config as runtime_config

    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    raw: dict[str, Any] = {}
    for full_key, value in merged.items():
        namespace, _, key = full_key.partition(":")
        if namespace == NAMESPACE and key:
            raw[key] = _decode(value)
    return raw


def load_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate the raw stack keys; raise ConfigError with every problem found."""
    try:
        config = StackConfig.model_validate(dict(raw))
    except ValidationError as err:
        problems = [describe_error(error) for error in err.errors()]
        raise ConfigError(problems + _cross_field_problems_despite(raw, err)) from None
    problems = cross_field_problems(config)
    if problems:
        raise ConfigError(problems)
    return config


def _cross_field_problems_despite(raw: Mapping[str, Any], err: ValidationError) -> list[str]:
    """Cross-field problems among the keys that did validate, so one run reports everything.

    The bad keys are removed (falling back to their defaults); if the rest validates, its cross-field
    problems are reported, except those naming a removed key, whose value is not the user's.
    """
    locations = [tuple(error["loc"]) for error in err.errors()]
    pruned: Any = json.loads(json.dumps(dict(raw)))
    for loc in locations:
        _remove_at(pruned, loc)
    try:
        partial = StackConfig.model_validate(pruned)
    except ValidationError:
        return []
    removed = [config_key(loc_path(loc)) for loc in locations]
    return [
        problem
        for problem in cross_field_problems(partial)
        if not any(re.search(re.escape(key) + r"\b", problem) for key in removed)
    ]


def _remove_at(document: Any, loc: Sequence[int | str]) -> None:
    """Delete the deepest existing key or item along loc."""
    parent, last = None, None
    node = document
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if not (in_dict or in_list):
            break
        parent, last, node = node, part, node[part]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
    elif isinstance(parent, list) and isinstance(last, int):
        parent[last] = None


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
