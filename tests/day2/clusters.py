"""The clusters' day-2 edits (tests/support/day2_clusters.py) in the matrix: their own test holds each
resource's verdict; here the day-2 rules judge them and docs/day2.md shows them with the rest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.protection_specs import critical_of
from offline.diff import CREATE, UPDATE
from tests.support.day2 import Case, Config, Edit, Expect, Step
from tests.support.day2_clusters import CLUSTER_CASES, Day2Case

# The cases of the day-2 program each cluster case answers.
ISSUE_CASES = {
    "api-endpoints-private": 1,
    "aws-zone-removed": 5,
    "aws-zone-added": 5,
    "admin-role-added-first-roles-and-instance-types-reordered": 7,
    "admin-role-removed-first": 7,
    "node-bounds-and-desired": 8,
    "node-machine-types": 8,
    "eks-instance-types-protected-stack": 8,
}
TITLES = {
    "api-endpoints-private": "Make both API endpoints private",
    "admin-role-added-first-roles-and-instance-types-reordered": "Add an EKS admin role at the head, "
    "reorder the others and the instance types",
    "admin-role-removed-first": "Remove the first EKS admin role",
    "node-bounds-and-desired": "Raise the node bounds and desired sizes",
    "eks-minor-upgrade": "Upgrade EKS by one minor",
    "node-machine-types": "Change the EKS instance types and the GKE machine type",
    "aws-zone-removed": "Remove an AWS zone",
    "aws-zone-added": "Add an AWS zone",
    "eks-instance-types-protected-stack": "Change the EKS instance types of a protected stack",
}
RUNBOOKS = {
    1: "docs/runbooks/make-api-endpoints-private.md",
    5: "docs/runbooks/change-zone-count.md",
    8: "docs/runbooks/change-node-types.md",
}


def with_keys(keys: Mapping[str, Any]) -> Edit:
    def edit(config: Config) -> None:
        config.update(keys)

    return edit


def as_case(case: Day2Case) -> Case:
    critical = tuple(
        Expect(kind, type_token, name, stacks=(case.stack,))
        for (type_token, name), kind in case.expected.items()
        if kind not in (CREATE, UPDATE) and critical_of(type_token, {}) is not None
    )
    issue_case = ISSUE_CASES.get(case.id)
    return Case(
        id=case.id,
        title=TITLES[case.id],
        steps=(Step(case.change, with_keys(case.edit), _effect(case), critical=critical),),
        stacks=(case.stack,),
        procedure=RUNBOOKS.get(issue_case or 0, ""),
        issue_case=issue_case,
        start=with_keys(case.before) if case.before else None,
    )


def _effect(case: Day2Case) -> str:
    kinds: dict[str, list[str]] = {}
    for (_type, name), kind in case.expected.items():
        kinds.setdefault(kind, []).append(name)
    return "; ".join(f"{kind}s {', '.join(sorted(names))}" for kind, names in kinds.items())


CASES: tuple[Case, ...] = tuple(as_case(case) for case in CLUSTER_CASES)
