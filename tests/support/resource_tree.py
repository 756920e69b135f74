"""Reading a plan from one component's point of view: its resources and what they depend on."""

from __future__ import annotations

import json
from typing import Any

from offline.record import Plan, Registration


def component(plan: Plan, type_token: str) -> Registration:
    return plan.one(type_token)


def descendants(plan: Plan, urn: str) -> list[Registration]:
    found: list[Registration] = []
    pending = [urn]
    while pending:
        children = plan.children(pending.pop())
        found.extend(children)
        pending.extend(child.urn for child in children)
    return found


def dependency_closure(plan: Plan, resources: list[Registration]) -> set[str]:
    """Every URN the resources depend on, directly or through their dependencies, and their parents."""
    seen: set[str] = set()
    pending = [dep for resource in resources for dep in resource.dependencies]
    known = {resource.urn for resource in plan.resources}
    while pending:
        urn = pending.pop()
        if urn in seen or urn not in known:
            continue
        seen.add(urn)
        pending.extend(plan.by_urn(urn).dependencies)
    return seen


def owning_component(plan: Plan, urn: str) -> str:
    """The type of the nearest component (non-custom) ancestor of a resource."""
    resource = plan.by_urn(urn)
    while resource.custom and resource.parent:
        resource = plan.by_urn(resource.parent)
    return resource.type


def policy_document(registration: Registration, key: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(registration.plain_inputs[key])
    return document
