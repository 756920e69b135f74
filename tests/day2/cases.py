"""Every case of the day-2 matrix, by concern: a module per concern adds its CASES here."""

from __future__ import annotations

from tests.day2 import clusters, identity, istio, link, namespaces, routine
from tests.support.day2 import Case

CASES: tuple[Case, ...] = (
    *routine.CASES,
    *namespaces.CASES,
    *link.CASES,
    *istio.CASES,
    *identity.CASES,
    *clusters.CASES,
)


def cases_for(stack: str) -> list[Case]:
    return [case for case in CASES if stack in case.stacks]
