"""Pulumi's URNs, built as the Pulumi engine builds them.

`urn:pulumi:<stack>::<project>::<qualified type>::<name>`, where the qualified type is the parent's
qualified type, `$`, then the resource's own type; a resource whose parent is the root stack (or that
has no parent) has its own type alone. So the type part lists every ancestor but the root
`pulumi:pulumi:Stack`. Aliases are collapsed to URNs the same way, parent aliases multiplied out to
the children, as the engine's step generator does. Nothing here imports Pulumi.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

STACK_TYPE = "pulumi:pulumi:Stack"


def make_urn(stack: str, project: str, parent: str | None, type_token: str, name: str) -> str:
    """The URN of a resource of `type_token` named `name` under the resource whose URN is `parent`."""
    qualified = type_token
    if parent and type_of(parent) != STACK_TYPE:
        qualified = f"{qualified_type(parent)}${type_token}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def qualified_type(urn: str) -> str:
    """The type part of a URN: the ancestors' types and the resource's own, joined by `$`."""
    return urn.split("::", 3)[2]


def type_of(urn: str) -> str:
    """The resource's own type token, the last element of the qualified type."""
    return qualified_type(urn).rsplit("$", 1)[-1]


def name_of(urn: str) -> str:
    return urn.split("::", 3)[3]


def stack_and_project(urn: str) -> tuple[str, str]:
    head, project = urn.split("::", 3)[:2]
    return head.removeprefix("urn:pulumi:"), project


@dataclass(frozen=True)
class AliasSpec:
    """An alias as the SDK sends it: every field left unset means "as the resource is now"."""

    name: str = ""
    type: str = ""
    stack: str = ""
    project: str = ""
    parent: str = ""
    no_parent: bool = False


def alias_urns(
    urn: str,
    parent: str | None,
    specs: Iterable[AliasSpec | str],
    parent_aliases: Iterable[str] = (),
) -> list[str]:
    """Every URN the resource was known by: its own aliases (specs or full URNs), then the URNs its
    parent's aliases give it, with and without its own aliases applied (the engine's rule)."""
    stack, project = stack_and_project(urn)
    own_type, own_name = type_of(urn), name_of(urn)
    specs = list(specs)

    def collapse(spec: AliasSpec | str, under: str | None) -> str:
        if isinstance(spec, str):
            return spec
        spec_parent = None if spec.no_parent else (spec.parent or under)
        return make_urn(
            spec.stack or stack,
            spec.project or project,
            spec_parent,
            spec.type or own_type,
            spec.name or own_name,
        )

    found: list[str] = []
    for candidate in (
        *(collapse(spec, parent) for spec in specs),
        *(
            alias
            for parent_alias in parent_aliases
            for alias in (
                make_urn(stack, project, parent_alias, own_type, own_name),
                *(collapse(spec, parent_alias) for spec in specs if isinstance(spec, AliasSpec)),
            )
        ),
    ):
        if candidate != urn and candidate not in found:
            found.append(candidate)
    return found
