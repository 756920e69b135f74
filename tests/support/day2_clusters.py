"""Day-2 edits of the clusters' keys, each with the verdict `crossmesh diff` must give every resource it
changes: a stack file's keys before and after, and, by (type, name), create / update / replace /
delete. Everything not listed must come out unchanged. A day-2 matrix takes these cases as they are.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.clusters import eks_specs
from offline.diff import CREATE, DELETE, UPDATE, DiffResult
from tests.support.plans import stack_config
from tests.support.types import (
    EKS_ACCESS_ENTRY,
    EKS_ACCESS_POLICY_ASSOCIATION,
    EKS_CLUSTER,
    GKE_CLUSTER,
    KUBERNETES_PROVIDER,
)

Verdicts = Mapping[tuple[str, str], str]
"""(type, name) -> the diff's verdict for each resource the edit changes."""


@dataclass(frozen=True)
class Day2Case:
    id: str
    stack: str
    change: str
    """The edit, as an engineer would describe it."""
    edit: Mapping[str, Any]
    """Top-level keys of the stack file after the edit (whole keys, as `planned` takes overrides)."""
    expected: Verdicts
    before: Mapping[str, Any] = field(default_factory=dict)
    """Top-level keys of the stack file before the edit, when it is not the shipped file."""


def verdicts_of(result: DiffResult) -> dict[tuple[str, str], str]:
    return {(verdict.type, verdict.name): verdict.kind for verdict in result.verdicts}


def _clusters(stack: str, **changes: Mapping[str, Any]) -> dict[str, Any]:
    """The stack's `clusters` key with keys of `eks` / `gke` set."""
    clusters: dict[str, Any] = stack_config(stack, "clusters")
    for cluster, keys in changes.items():
        clusters[cluster] = {**clusters[cluster], **copy.deepcopy(dict(keys))}
    return clusters


ADMINS = [f"arn:aws:iam::111122223333:role/{name}" for name in ("platform-admin", "sre", "break-glass")]
NEW_ADMIN = "arn:aws:iam::444455556666:role/auditor-admin"


def _admin_entries(role_arn: str, kind: str) -> dict[tuple[str, str], str]:
    name = f"eks-admin-{eks_specs.admin_entry_key(role_arn)}"
    return {(EKS_ACCESS_ENTRY, name): kind, (EKS_ACCESS_POLICY_ASSOCIATION, name): kind}


CLUSTER_CASES: list[Day2Case] = [
    Day2Case(
        id="api-endpoints-private",
        stack="dev",
        change="both API endpoints private: clusters.eks.publicAccessCidrs and "
        "clusters.gke.masterAuthorizedCidrs emptied",
        edit={"clusters": _clusters("dev", eks={"publicAccessCidrs": []}, gke={"masterAuthorizedCidrs": []})},
        expected={
            (EKS_CLUSTER, "eks-cluster"): UPDATE,
            (GKE_CLUSTER, "gke-cluster"): UPDATE,
            # The kubeconfig moves to the private endpoint; the cluster identifier holds the provider.
            (KUBERNETES_PROVIDER, "gke-k8s"): UPDATE,
        },
    ),
    Day2Case(
        id="admin-role-added-first-and-reordered",
        stack="dev",
        change="clusters.eks.adminRoleArns: a role added at the head, the others reordered",
        before={"clusters": _clusters("dev", eks={"adminRoleArns": ADMINS})},
        edit={"clusters": _clusters("dev", eks={"adminRoleArns": [NEW_ADMIN, *reversed(ADMINS)]})},
        expected=_admin_entries(NEW_ADMIN, CREATE),
    ),
    Day2Case(
        id="admin-role-removed-first",
        stack="dev",
        change="clusters.eks.adminRoleArns: the first role removed",
        before={"clusters": _clusters("dev", eks={"adminRoleArns": ADMINS})},
        edit={"clusters": _clusters("dev", eks={"adminRoleArns": ADMINS[1:]})},
        expected=_admin_entries(ADMINS[0], DELETE),
    ),
]
