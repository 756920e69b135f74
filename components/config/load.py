"""Loading a stack's configuration: the `crossmesh:*` keys of the Pulumi runtime, validated as a whole.

`load_config` raises `ConfigError` listing every problem, one line each: the values no field accepts
and, among the keys that did validate, the rules that span fields, the Kubernetes versions the clouds
no longer offer and a stack name the clouds cannot use. The program calls `load_stack_config` before it
registers any resource, so a bad stack file never leaves anything half-built; it also checks every
other key's namespace and logs the warnings (versions near the end of support) as Pulumi warnings.

The one module of the package that imports `pulumi`: `ConfigError` is a `pulumi.RunError`, which
Pulumi reports as a message rather than a traceback, and `read_stack_config` reads the runtime's
config.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pydantic import ValidationError

from components.config import platform
from components.config.cloud_rules import stack_name_problems, version_problems, version_warnings
from components.config.istio_support import istio_support_problems, istio_support_warnings
from components.config.keys import split_keys
from components.config.messages import config_key, describe_error, loc_path
from components.config.rules import cross_field_problems
from components.config.schema import StackConfig


class ConfigError(pulumi.RunError):
    """Invalid stack configuration. `problems` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid stack configuration:\n" + "\n".join(f"  {line}" for line in self.problems))


def read_all_config() -> dict[str, Any]:
    """Every key the Pulumi runtime holds, of every namespace, as Pulumi passes it (JSON text for
    structured values)."""
    from pulumi.runtime import config as runtime_config

    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def read_stack_config() -> dict[str, Any]:
    """Every `crossmesh:*` key the Pulumi runtime holds, structured values decoded from JSON."""
    own, _ = split_keys(read_all_config())
    return {key: _decode(value) for key, value in own.items()}


def secret_keys() -> frozenset[str]:
    """The `crossmesh:*` keys Pulumi holds as secrets (a `secure:` value anywhere inside marks the
    whole key), without their namespace."""
    from pulumi.runtime import config as runtime_config

    own, _ = split_keys(read_all_config())
    secret = set(runtime_config.get_config_secret_keys_env())
    return frozenset(
        key
        for key in own
        if runtime_config.is_config_secret(f"crossmesh:{key}") or f"crossmesh:{key}" in secret
    )


def load_stack_config() -> StackConfig:
    """The program's config: every key of the runtime checked, the stack name with it, warnings logged.

    Raises ConfigError with every problem; the warnings (a Kubernetes version near or past the end of
    its standard support, an Istio minor near or past the end of its support) go to `pulumi.log.warn`,
    which `pulumi up` shows before it changes anything.
    """
    own, key_problems = split_keys(read_all_config())
    try:
        config = load_config({key: _decode(value) for key, value in own.items()}, stack=pulumi.get_stack())
    except ConfigError as err:
        raise ConfigError(key_problems + err.problems) from None
    if key_problems:
        raise ConfigError(key_problems)
    for warning in config_warnings(config) + _secret_warnings(secret_keys()):
        pulumi.log.warn(warning)
    return config


def _secret_warnings(keys: frozenset[str]) -> list[str]:
    return [
        f"{config_key(key)} is held as a secret: the stack outputs that repeat it stay secret, but crossmesh "
        "names and configures resources with its values, and Pulumi keeps resource inputs in plain text "
        "unless the program marks them secret"
        for key in sorted(keys)
    ]


def config_warnings(config: StackConfig, today: datetime.date | None = None) -> list[str]:
    """What a valid config should change soon, one line each."""
    day = today or platform.today()
    return version_warnings(config.clusters, day) + istio_support_warnings(config, day)


def load_config(
    raw: Mapping[str, Any], *, stack: str | None = None, today: datetime.date | None = None
) -> StackConfig:
    """Validate the raw stack keys (and the stack name, when given) on `today` (default: today, UTC);
    raise ConfigError with every problem found."""
    try:
        day = today or platform.today()
    except ValueError as err:
        raise ConfigError([str(err)]) from None
    problems = stack_name_problems(stack) if stack is not None else []
    try:
        config = StackConfig.model_validate(dict(raw))
    except ValidationError as err:
        problems += [describe_error(error) for error in err.errors()]
        raise ConfigError(problems + _cross_field_problems_despite(raw, err, day)) from None
    problems += _rule_problems(config, day)
    if problems:
        raise ConfigError(problems)
    return config


def _rule_problems(config: StackConfig, day: datetime.date) -> list[str]:
    return (
        cross_field_problems(config) + version_problems(config.clusters, day) + istio_support_problems(config)
    )


def _cross_field_problems_despite(
    raw: Mapping[str, Any], err: ValidationError, day: datetime.date
) -> list[str]:
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
        for problem in _rule_problems(partial, day)
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
