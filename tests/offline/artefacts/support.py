"""Shipped stacks' plans as saved contracts (secrets masked, as `crossmesh check --plan` reads them),
to plant one defect in and check again."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from offline.commands.check import PlannedResource, from_contract
from tests.support.plans import planned

Contract = dict[str, Any]


def contract(stack: str) -> Contract:
    return copy.deepcopy(planned(stack).to_contract())


def resources(stack: str, plant: Callable[[Contract], object] | None = None) -> tuple[PlannedResource, ...]:
    saved = contract(stack)
    if plant is not None:
        plant(saved)
    return from_contract(saved).resources


def each(saved: Contract, type_token: str, name: str | None = None) -> Iterator[dict[str, Any]]:
    for resource in saved["resources"]:
        if resource["type"] == type_token and name in (None, resource["name"]):
            yield resource


def one(saved: Contract, type_token: str, name: str | None = None) -> dict[str, Any]:
    (found,) = each(saved, type_token, name)
    return found
