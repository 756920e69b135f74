"""Which input changes replace a resource, per type, from offline/data/replace_rules.json.

The data comes from the providers themselves (the bridged Terraform providers' ForceNew and
RequiresReplace, pulumi-kubernetes' own diff) with the source of every entry; this module only reads
it and evaluates its conditions on two sets of inputs. The outputs a cloud assigns at creation (which
a replacement renews) come from offline/data/cloud_assigned.json. Nothing here imports Pulumi.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from offline import paths

DATA_DIR = Path(__file__).resolve().parent / "data"
RULES_FILE = DATA_DIR / "replace_rules.json"
CLOUD_ASSIGNED_FILE = DATA_DIR / "cloud_assigned.json"


@dataclass(frozen=True)
class Condition:
    path: str
    when: str
    kind: str
    test: Mapping[str, Any]


@dataclass(frozen=True)
class TypeRules:
    type: str
    replace_on: tuple[str, ...]
    replace_if: tuple[Condition, ...]
    update_rejected: tuple[str, ...]
    delete_before_replace: bool | None
    pinned_by: str | None
    """An input that, set and unchanged, keeps every other change from replacing the resource."""
    source: str
    """Repository, path and version the rules were read from, in one line."""


@dataclass(frozen=True)
class Forcing:
    """One reason a resource is replaced: the rule path that changed and where the rule comes from."""

    path: str
    rule: str
    source: str


Inputs = Mapping[str, Any]
Renewed = Collection[str]
"""Concrete input paths whose values are new because they read a resource that is replaced."""


def _source_line(source: Mapping[str, Any]) -> str:
    """`repo path @ version`, the version being the ref's first word (the data explains the rest)."""
    version = str(source.get("ref") or source.get("commit") or "?").split(" ")[0]
    return f"{source.get('repo')} {source.get('path')} @ {version}"


@cache
def rules_by_type() -> dict[str, TypeRules]:
    data = json.loads(RULES_FILE.read_text())
    found: dict[str, TypeRules] = {}
    for type_token, entry in data["types"].items():
        found[type_token] = TypeRules(
            type=type_token,
            replace_on=tuple(entry.get("replace_on", ())),
            replace_if=tuple(
                Condition(item["path"], item["when"], item["test"]["kind"], item["test"])
                for item in entry.get("replace_if", ())
            ),
            update_rejected=tuple(entry.get("update_rejected", ())),
            delete_before_replace=entry.get("delete_before_replace"),
            pinned_by=entry.get("pinned_by"),
            source=_source_line(entry["source"]),
        )
    return found


@cache
def provider_defaults() -> dict[str, dict[str, str]]:
    """Per provider type: provider input -> the resource input it supplies when the resource sets none."""
    defaults: dict[str, dict[str, str]] = json.loads(RULES_FILE.read_text())["provider_defaults"]
    return defaults


@cache
def _cloud_assigned() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CLOUD_ASSIGNED_FILE.read_text())
    return data


def renewed_outputs(type_token: str) -> tuple[list[paths.Part], ...]:
    """The parsed output paths a replacement gives new values (the ID is always one besides)."""
    return _renewed_outputs(type_token)


@cache
def _renewed_outputs(type_token: str) -> tuple[list[paths.Part], ...]:
    data = _cloud_assigned()
    entry = data["types"].get(type_token, {})
    kept = set(data.get("not_renewed", {}))
    return tuple(paths.parse(path) for path in entry.get("outputs", ()) if path not in kept)


def with_provider_defaults(
    rules: TypeRules, inputs: Inputs, provider_type: str | None, provider_inputs: Inputs | None
) -> dict[str, Any]:
    """The inputs with what the provider supplies for unset ones, where the rules replace on them."""
    effective = dict(inputs)
    for provider_key, own_key in provider_defaults().get(provider_type or "", {}).items():
        if (
            own_key in rules.replace_on
            and own_key not in effective
            and provider_key in (provider_inputs or {})
        ):
            effective[own_key] = (provider_inputs or {})[provider_key]
    return effective


def forcing_changes(
    rules: TypeRules,
    old: Inputs,
    new: Inputs,
    renewed: Renewed,
    program_replace_on: Iterable[str] = (),
) -> list[Forcing]:
    """Every rule the change from `old` to `new` meets; empty when the provider updates in place."""
    renewed_generic = [paths.generic(path) for path in renewed]
    # Set and unchanged, unless it reads a replaced resource: then it is unknown until that exists.
    pinned = rules.pinned_by
    if pinned and _values(old, pinned) and not _changed(old, new, pinned, renewed_generic):
        return []
    forcings = [
        Forcing(path, "forces replacement", rules.source)
        for path in rules.replace_on
        if _changed(old, new, path, renewed_generic)
    ]
    forcings += [
        Forcing(path, "replaceOnChanges set by the program", "the program's resource options")
        for path in program_replace_on
        if _changed(old, new, path, renewed_generic)
    ]
    for condition in rules.replace_if:
        if _changed(old, new, condition.path, renewed_generic) and _holds(
            condition, old, new, renewed_generic
        ):
            forcings.append(Forcing(condition.path, f"replaces when {condition.when}", rules.source))
    return forcings


def rejected_updates(rules: TypeRules, changed: Iterable[str]) -> list[str]:
    """The changed paths the API server refuses to update in place."""
    generic = [paths.generic(path) for path in changed]
    return [rule for rule in rules.update_rejected if any(paths.covers(rule, path) for path in generic)]


def _values(inputs: Inputs, path: str) -> list[Any]:
    return [value for value in paths.values_at(inputs, paths.parse(path)) if value is not None]


def _changed(old: Inputs, new: Inputs, path: str, renewed_generic: list[str]) -> bool:
    if _values(old, path) != _values(new, path):
        return True
    return any(paths.covers(path, renewed) or paths.covers(renewed, path) for renewed in renewed_generic)


def _count(values: list[Any]) -> int:
    return sum(len(value) if isinstance(value, list) else 1 for value in values)


def _one(values: list[Any]) -> Any:
    return values[0] if values else None


def _range_not_within(old: list[Any], new: list[Any]) -> bool:
    try:
        before = ipaddress.ip_network(str(_one(old)))
        after = ipaddress.ip_network(str(_one(new)))
    except ValueError:
        return True
    return before.version != after.version or not after.supernet_of(before)  # type: ignore[arg-type]


def _map_change_unless_null(old: list[Any], new: list[Any]) -> bool:
    before, after = _one(old) or {}, _one(new) or {}
    return any(value is not None and before.get(key) != value for key, value in after.items())


def _element_removed(old: list[Any], new: list[Any]) -> bool:
    def members(values: list[Any]) -> set[str]:
        items = [item for value in values for item in (value if isinstance(value, list) else [value])]
        return {json.dumps(item, sort_keys=True) for item in items}

    return bool(members(old) - members(new))


Test = Callable[[Condition, list[Any], list[Any], bool], bool]
"""(condition, old values, new values, whether the path reads a replaced resource) -> replaces."""

_TESTS: dict[str, Test] = {
    "count-changes": lambda c, old, new, renewed: _count(old) != _count(new),
    "presence-changes": lambda c, old, new, renewed: bool(old) != bool(new),
    "from-to": lambda c, old, new, renewed: _one(old) == c.test["from"] and _one(new) == c.test["to"],
    "removed": lambda c, old, new, renewed: bool(old) and not new,
    "change-except": lambda c, old, new, renewed: (
        not (_one(old) == c.test["from"] and _one(new) == c.test["to"])
    ),
    "range-not-within": lambda c, old, new, renewed: renewed or _range_not_within(old, new),
    "map-change-unless-null": lambda c, old, new, renewed: renewed or _map_change_unless_null(old, new),
    "kubernetes-cluster": lambda c, old, new, renewed: True,
    "value-to-value": lambda c, old, new, renewed: bool(old) and bool(new),
    "element-removed": lambda c, old, new, renewed: _element_removed(old, new),
    "output-driven": lambda c, old, new, renewed: False,
    "not-evaluated": lambda c, old, new, renewed: True,
}


def _holds(condition: Condition, old: Inputs, new: Inputs, renewed_generic: list[str]) -> bool:
    if condition.kind == "one-of-changes":
        which = [bool(_values(inputs, path)) for inputs in (old, new) for path in condition.test["paths"]]
        half = len(which) // 2
        return which[:half] != which[half:]
    reads_replaced = any(
        paths.covers(condition.path, renewed) or paths.covers(renewed, condition.path)
        for renewed in renewed_generic
    )
    return _TESTS[condition.kind](
        condition, _values(old, condition.path), _values(new, condition.path), reads_replaced
    )
