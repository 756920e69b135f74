"""What `pulumi up` would do to go from one plan to another: each resource created, updated, replaced,
deleted (or kept by protect or retainOnDelete), or left unchanged.

Resources are matched by URN, then by the aliases of the new one. An update lists the changed input
paths, old -> new, and a changed secret as "(secret changed)" from the hashes the plans carry. A
replacement names the input that forces it and the source of the rule (offline/replace_rules.py).
Replacements cascade as under `pulumi preview`: a replaced resource gets a new ID and new
cloud-assigned outputs, so every input that reads them (the plan's `reads`) changes too, and may force
the replacement of its own resource; a replaced provider replaces every resource it manages.
Component resources hold nothing in the clouds and are left out. Nothing here imports Pulumi.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from components.protection_specs import critical_reason
from offline import paths
from offline.record import SECRET_MASK
from offline.replace_rules import (
    Forcing,
    forcing_changes,
    rejected_updates,
    rules_by_type,
    with_provider_defaults,
)

CREATE = "create"
UPDATE = "update"
REPLACE = "replace"
DELETE = "delete"
DELETE_BLOCKED = "delete-blocked-by-protect"
RETAINED = "retained"
UNCHANGED = "unchanged"
KINDS = (CREATE, UPDATE, REPLACE, DELETE, DELETE_BLOCKED, RETAINED, UNCHANGED)

PROVIDER_PREFIX = "pulumi:providers:"
PROVIDER_CAUSE = "provider"
"""The path a cause names when the resource's provider is replaced (every resource it manages is)."""
SECRET_CHANGED = "(secret changed)"


class PlanFormatError(ValueError):
    """A file that is not a crossmesh plan, or two plans that cannot be compared."""


@dataclass(frozen=True)
class Snapshot:
    """One resource of a plan as the diff reads it; secrets stand as their hashes."""

    urn: str
    type: str
    name: str
    parent: str | None
    provider: str | None
    protect: bool
    options: Mapping[str, Any]
    inputs: Mapping[str, Any]
    id: str | None
    generation: int
    reads: Mapping[str, tuple[str, ...]]

    @property
    def aliases(self) -> tuple[str, ...]:
        return tuple(self.options.get("aliases", ()))

    @property
    def retain_on_delete(self) -> bool:
        return bool(self.options.get("retainOnDelete"))


@dataclass(frozen=True)
class PlanSnapshot:
    project: str
    stack: str
    resources: tuple[Snapshot, ...]
    by_urn: Mapping[str, Snapshot] = field(compare=False)
    contract: Mapping[str, Any] = field(compare=False, repr=False, default_factory=dict)
    """The plan contract read, for what the diff does not judge (the cost of the change)."""


def _secret_token(digest: str) -> str:
    return f"secret {digest}"


def _with_secret_hashes(inputs: Any, hashes: Mapping[str, str]) -> dict[str, Any]:
    """The masked inputs with each "[secret]" replaced by its hash, so a changed secret compares unequal."""
    comparable: dict[str, Any] = json.loads(json.dumps(inputs))
    for path, digest in hashes.items():
        present, value = paths.get(comparable, path)
        if present and value == SECRET_MASK:
            paths.put(comparable, path, True, _secret_token(digest))
    return comparable


def snapshot(item: Any, position: int) -> Snapshot:
    """One resource of a plan contract; raises PlanFormatError naming what is wrong."""
    if not isinstance(item, dict):
        raise PlanFormatError(f"resources[{position}] is not an object")
    missing = [key for key in ("urn", "type", "name", "inputs") if key not in item]
    if missing:
        raise PlanFormatError(f"resources[{position}] lacks {', '.join(missing)}")
    try:
        return Snapshot(
            urn=str(item["urn"]),
            type=str(item["type"]),
            name=str(item["name"]),
            parent=item.get("parent"),
            provider=item.get("provider"),
            protect=bool(item.get("protect", False)),
            options=dict(item.get("options") or {}),
            inputs=_with_secret_hashes(item["inputs"], item.get("secretHashes") or {}),
            id=item.get("id"),
            generation=int(item.get("generation") or 0),
            reads={path: tuple(urns) for path, urns in (item.get("reads") or {}).items()},
        )
    except (TypeError, ValueError, AttributeError) as err:
        raise PlanFormatError(f"resources[{position}] ({item.get('urn')}) is malformed: {err}") from err


def plan_snapshot(contract: Any) -> PlanSnapshot:
    """The custom resources and providers of a plan contract (`crossmesh plan --json`)."""
    if not isinstance(contract, dict) or not isinstance(contract.get("resources"), list):
        raise PlanFormatError("not a crossmesh plan: expected an object with a 'resources' list")
    for key in ("project", "stack"):
        if not isinstance(contract.get(key), str):
            raise PlanFormatError(f"not a crossmesh plan: no '{key}' name")
    if any(isinstance(item, dict) and "secretHashes" not in item for item in contract["resources"]):
        raise PlanFormatError(
            "a plan from an earlier crossmesh (no secret hashes, URNs not yet Pulumi's): plan it again"
        )
    resources = tuple(
        snapshot(item, position)
        for position, item in enumerate(contract["resources"])
        if not isinstance(item, dict) or item.get("custom", True)
    )
    return PlanSnapshot(
        contract["project"],
        contract["stack"],
        resources,
        {resource.urn: resource for resource in resources},
        contract,
    )


@dataclass(frozen=True)
class Change:
    """One changed input path; `reads` names the replaced resources whose new values it takes."""

    path: str
    old: Any
    new: Any
    present_before: bool = True
    present_after: bool = True
    reads: tuple[str, ...] = ()

    @property
    def secret(self) -> bool:
        return _is_secret(self.old) or _is_secret(self.new)


@dataclass(frozen=True)
class Cause:
    """Why a resource is replaced: a forcing input, its provider's replacement, or the program's option."""

    path: str
    rule: str
    source: str
    reads: tuple[str, ...] = ()
    """Names of replaced resources the forcing input reads: the replacement is a cascade."""


@dataclass
class Verdict:
    kind: str
    urn: str
    type: str
    name: str
    changes: list[Change] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)
    critical: str | None = None
    protect: bool = False
    notes: list[str] = field(default_factory=list)
    renamed_from: str | None = None

    @property
    def cascade(self) -> bool:
        """A replacement that only other replacements force."""
        return self.kind == REPLACE and all(cause.reads for cause in self.causes)

    @property
    def alarming(self) -> bool:
        """What the summary lists first: a protected delete, or a critical resource replaced or deleted."""
        return self.kind == DELETE_BLOCKED or (self.critical is not None and self.kind in (REPLACE, DELETE))


@dataclass
class DiffResult:
    project: str
    stack: str
    verdicts: list[Verdict]
    """Every resource but the unchanged ones, critical first, then in plan order."""
    counts: dict[str, int]
    renamed: list[Verdict]
    """Unchanged resources found under an alias of their old URN."""
    warnings: list[str]

    @property
    def total_changes(self) -> int:
        return sum(count for kind, count in self.counts.items() if kind != UNCHANGED)

    def has(self, kind: str) -> bool:
        """Whether a change of the kind --fail-on names is present (delete counts the blocked ones)."""
        kinds = (DELETE, DELETE_BLOCKED) if kind == DELETE else (kind,)
        return any(self.counts.get(each, 0) for each in kinds)


def _is_secret(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("secret sha256:")


def _changes(old: Any, new: Any, path: str = "") -> list[Change]:
    """Changed leaves between two values; a list compares element by element."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[Change] = []
        for key in list(old) + [key for key in new if key not in old]:
            child = paths.join(path, str(key))
            if key not in new:
                found.append(Change(child, old[key], None, present_after=False))
            elif key not in old:
                found.append(Change(child, None, new[key], present_before=False))
            else:
                found.extend(_changes(old[key], new[key], child))
        return found
    if isinstance(old, list) and isinstance(new, list):
        found = []
        for position in range(max(len(old), len(new))):
            child = paths.index(path, position)
            if position >= len(new):
                found.append(Change(child, old[position], None, present_after=False))
            elif position >= len(old):
                found.append(Change(child, None, new[position], present_before=False))
            else:
                found.extend(_changes(old[position], new[position], child))
        return found
    return [Change(path, old, new)]


def _ignoring(old: Mapping[str, Any], new: Mapping[str, Any], ignored: Iterable[str]) -> dict[str, Any]:
    """The new inputs with the old values at ignoreChanges paths, as the engine diffs them."""
    kept: dict[str, Any] = json.loads(json.dumps(new))
    for path in ignored:
        present, value = paths.get(old, path)
        paths.put(kept, path, present, value)
    return kept


def _renewed_reads(new: Snapshot, renewed_names: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Input paths of `new` that read a replaced or created resource, with that resource's name."""
    found: dict[str, tuple[str, ...]] = {}
    for path, urns in new.reads.items():
        names = tuple(renewed_names[urn] for urn in urns if urn in renewed_names)
        if names:
            found[path] = names
    return found


@dataclass(frozen=True)
class Providers:
    """Per provider URN, its type and inputs in the old and in the new plan: the values a resource
    that sets none takes from its provider (its region, its project)."""

    types: dict[str, str]
    old_inputs: dict[str, Mapping[str, Any]]
    new_inputs: dict[str, Mapping[str, Any]]


def assess(old: Snapshot, new: Snapshot, renewed_names: Mapping[str, str], providers: Providers) -> Verdict:
    """The verdict for one resource present in both plans; `renewed_names` maps the new URN of every
    resource already found replaced or created to its name."""
    verdict = Verdict(
        UNCHANGED,
        new.urn,
        new.type,
        new.name,
        critical=critical_reason(new.type, new.inputs),
        protect=new.protect,
        renamed_from=old.urn if old.urn != new.urn else None,
    )
    ignored = tuple(new.options.get("ignoreChanges", ()))
    compared = _ignoring(old.inputs, new.inputs, ignored)
    renewed = {
        path: names
        for path, names in _renewed_reads(new, renewed_names).items()
        if not any(paths.covers(ignore, path) for ignore in ignored)
    }
    changes = {change.path: change for change in _changes(old.inputs, compared)}
    for path, names in renewed.items():
        change = changes.get(path)
        if change is None:
            value = paths.get(compared, path)[1]
            changes[path] = Change(path, value, value, reads=names)
        else:
            changes[path] = Change(
                path, change.old, change.new, change.present_before, change.present_after, names
            )
    verdict.changes = sorted(changes.values(), key=lambda change: change.path)
    if new.provider is not None and new.provider in renewed_names:
        verdict.causes.append(
            Cause(
                PROVIDER_CAUSE,
                "its provider is replaced",
                "the Pulumi engine",
                (renewed_names[new.provider],),
            )
        )
    rules = rules_by_type().get(new.type)
    if rules is None:
        if verdict.changes:
            verdict.notes.append(f"no replacement rules are recorded for {new.type}: a change may replace it")
    else:
        old_inputs = with_provider_defaults(
            rules,
            old.inputs,
            providers.types.get(old.provider or ""),
            providers.old_inputs.get(old.provider or ""),
        )
        new_inputs = with_provider_defaults(
            rules,
            compared,
            providers.types.get(new.provider or ""),
            providers.new_inputs.get(new.provider or ""),
        )
        forcings = forcing_changes(
            rules, old_inputs, new_inputs, list(renewed), new.options.get("replaceOnChanges", ())
        )
        verdict.causes += [_cause(forcing, renewed) for forcing in forcings]
        rejected = rejected_updates(rules, changes)
        if rejected and not verdict.causes:
            verdict.notes.append(
                f"the API server rejects an in-place change of {', '.join(rejected)}: replace it by hand"
            )
    if verdict.causes:
        verdict.kind = REPLACE
        verdict.notes += _replacement_notes(new, rules.delete_before_replace if rules else None)
    elif verdict.changes:
        verdict.kind = UPDATE
    return verdict


def _cause(forcing: Forcing, renewed: Mapping[str, tuple[str, ...]]) -> Cause:
    generic = paths.generic(forcing.path)
    reads = tuple(
        dict.fromkeys(
            name
            for path, names in renewed.items()
            if paths.covers(generic, paths.generic(path)) or paths.covers(paths.generic(path), generic)
            for name in names
        )
    )
    return Cause(forcing.path, forcing.rule, forcing.source, reads)


def _replacement_notes(new: Snapshot, provider_delete_first: bool | None) -> list[str]:
    notes = []
    if new.protect:
        notes.append("protected: `pulumi up` refuses to replace it until it is unprotected")
    if new.options.get("deleteBeforeReplace") or (
        provider_delete_first and new.options.get("deleteBeforeReplace") is not False
    ):
        notes.append("deleted before its replacement is created: down in between")
    if new.retain_on_delete:
        notes.append("retainOnDelete: the old one is left in the cloud, unmanaged")
    return notes


def _dependency_order(resources: Iterable[Snapshot]) -> list[Snapshot]:
    """Providers and the resources a resource reads before it, as the engine registers them."""
    by_urn = {resource.urn: resource for resource in resources}
    ordered: list[Snapshot] = []
    state: dict[str, bool] = {}
    for start in by_urn:
        stack = [(start, False)]
        while stack:
            urn, expanded = stack.pop()
            if expanded:
                state[urn] = True
                ordered.append(by_urn[urn])
                continue
            if urn in state:
                continue
            state[urn] = False
            stack.append((urn, True))
            resource = by_urn[urn]
            before = {dep for urns in resource.reads.values() for dep in urns}
            if resource.provider:
                before.add(resource.provider)
            stack.extend(
                (dep, False) for dep in sorted(before, reverse=True) if dep in by_urn and dep not in state
            )
    return ordered


def _match(old: PlanSnapshot, new: PlanSnapshot) -> dict[str, Snapshot]:
    """The old resource of each new one, by URN first, then by the new one's aliases."""
    matched: dict[str, Snapshot] = {}
    taken: set[str] = set()
    for resource in new.resources:
        if resource.urn in old.by_urn:
            matched[resource.urn] = old.by_urn[resource.urn]
            taken.add(resource.urn)
    for resource in new.resources:
        if resource.urn in matched:
            continue
        for alias in resource.aliases:
            if alias in old.by_urn and alias not in taken:
                matched[resource.urn] = old.by_urn[alias]
                taken.add(alias)
                break
    return matched


def check_comparable(old: PlanSnapshot, new: PlanSnapshot) -> None:
    if old.project != new.project:
        raise PlanFormatError(f"the plans are of different projects: {old.project} and {new.project}")
    if old.stack != new.stack:
        raise PlanFormatError(f"the plans are of different stacks: {old.stack} and {new.stack}")


class Differ:
    """Verdicts one new resource at a time, dependencies first: the engine asks as it registers each
    resource (`plan --against`), `diff_plans` for every resource of a saved plan."""

    def __init__(self, old: PlanSnapshot) -> None:
        self.old = old
        self.renewed_names: dict[str, str] = {}
        self.claimed: set[str] = set()
        types: dict[str, str] = {}
        old_inputs: dict[str, Mapping[str, Any]] = {}
        for resource in old.resources:
            if resource.type.startswith(PROVIDER_PREFIX):
                types[resource.urn] = resource.type
                old_inputs[resource.urn] = resource.inputs
        self.providers = Providers(types, old_inputs, {})

    def match(self, new: Snapshot) -> Snapshot | None:
        """The old resource of a new one: its URN, or the first alias no other resource took."""
        if new.urn in self.old.by_urn:
            return self.old.by_urn[new.urn]
        for alias in new.aliases:
            if alias in self.old.by_urn and alias not in self.claimed:
                return self.old.by_urn[alias]
        return None

    def verdict(self, new: Snapshot, old: Snapshot | None) -> Verdict:
        if new.type.startswith(PROVIDER_PREFIX):
            self.providers.types[new.urn] = new.type
            self.providers.new_inputs[new.urn] = new.inputs
        if old is None:
            self.renewed_names[new.urn] = new.name
            return Verdict(
                CREATE,
                new.urn,
                new.type,
                new.name,
                critical=critical_reason(new.type, new.inputs),
                protect=new.protect,
            )
        self.claimed.add(old.urn)
        verdict = assess(old, new, self.renewed_names, self.providers)
        if verdict.kind == REPLACE:
            self.renewed_names[new.urn] = new.name
        return verdict

    def gone(self) -> list[Verdict]:
        """The verdicts of the old resources no new one took, in the old plan's order."""
        return [removed(resource) for resource in self.old.resources if resource.urn not in self.claimed]


def removed(old: Snapshot) -> Verdict:
    """The verdict for an old resource no new one matches."""
    kind = DELETE_BLOCKED if old.protect else RETAINED if old.retain_on_delete else DELETE
    verdict = Verdict(
        kind, old.urn, old.type, old.name, critical=critical_reason(old.type, old.inputs), protect=old.protect
    )
    if kind == DELETE_BLOCKED:
        verdict.notes.append("protected: `pulumi up` fails until it is unprotected or kept in the program")
    if kind == RETAINED:
        verdict.notes.append("retainOnDelete: Pulumi forgets it and leaves it in the cloud")
    return verdict


def diff_plans(old: PlanSnapshot, new: PlanSnapshot) -> DiffResult:
    """Every resource's verdict going from the `old` plan to the `new` one."""
    check_comparable(old, new)
    matched = _match(old, new)
    differ = Differ(old)
    verdicts = {
        resource.urn: differ.verdict(resource, matched.get(resource.urn))
        for resource in _dependency_order(new.resources)
    }
    return summarise(
        old.project, old.stack, [verdicts[resource.urn] for resource in new.resources] + differ.gone()
    )


def summarise(project: str, stack: str, verdicts: list[Verdict], warnings: Iterable[str] = ()) -> DiffResult:
    counts = dict.fromkeys(KINDS, 0)
    for verdict in verdicts:
        counts[verdict.kind] += 1
    listed = [verdict for verdict in verdicts if verdict.kind != UNCHANGED]
    listed.sort(key=lambda verdict: not verdict.alarming)
    renamed = [verdict for verdict in verdicts if verdict.kind == UNCHANGED and verdict.renamed_from]
    notes = list(warnings)
    for verdict in listed:
        notes += [
            note for note in verdict.notes if note.startswith("no replacement rules") and note not in notes
        ]
    return DiffResult(project, stack, listed, counts, renamed, notes)
