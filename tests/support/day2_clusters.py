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
from components.clusters.eks_cluster import ADDONS_AFTER_NODES, ADDONS_BEFORE_NODES
from offline.diff import CREATE, DELETE, UPDATE, DiffResult
from tests.support.plans import stack_config
from tests.support.types import (
    AWS_EIP,
    AWS_NAT_GATEWAY,
    AWS_ROUTE,
    AWS_ROUTE_TABLE,
    AWS_ROUTE_TABLE_ASSOCIATION,
    AWS_SUBNET,
    EKS_ACCESS_ENTRY,
    EKS_ACCESS_POLICY_ASSOCIATION,
    EKS_ADDON,
    EKS_CLUSTER,
    EKS_NODE_GROUP,
    GKE_CLUSTER,
    GKE_NODE_POOL,
    HELM_RELEASE,
    IAM_ROLE_POLICY,
    KUBERNETES_PROVIDER,
    TGW_VPC_ATTACHMENT,
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
MIXED_TYPES = ["m6i.large", "m5.large"]
WITH_ADMINS = {"clusters": _clusters("dev", eks={"adminRoleArns": ADMINS, "instanceTypes": MIXED_TYPES})}


def _node_group(
    stack: str, instance_types: list[str] | None = None, zones: int | None = None
) -> tuple[str, str]:
    """The EKS node group of the stack's instance types and zones (or of those given)."""
    types = instance_types or stack_config(stack, "clusters")["eks"]["instanceTypes"]
    zone_count = zones or stack_config(stack, "aws")["azCount"]
    return EKS_NODE_GROUP, f"eks-nodes-{eks_specs.node_group_shape(types, zone_count).key}"


def _next_minor(version: str) -> str:
    major, minor = version.split(".")
    return f"{major}.{int(minor) + 1}"


AUTOSCALER_POLICY = (IAM_ROLE_POLICY, "eks-autoscaler-scaling")
AUTOSCALER_CHART = (HELM_RELEASE, "eks-autoscaler-chart")


def _zone(index: int, kind: str) -> dict[tuple[str, str], str]:
    """Everything one AWS zone has: its subnets, NAT, private routes and the routes to GCP through the
    Transit Gateway."""
    network = "aws-network"
    return {
        (AWS_SUBNET, f"{network}-private-{index}"): kind,
        (AWS_SUBNET, f"{network}-public-{index}"): kind,
        (AWS_EIP, f"{network}-nat-{index}"): kind,
        (AWS_NAT_GATEWAY, f"{network}-nat-{index}"): kind,
        (AWS_ROUTE_TABLE, f"{network}-private-rt-{index}"): kind,
        (AWS_ROUTE, f"{network}-private-default-{index}"): kind,
        (AWS_ROUTE_TABLE_ASSOCIATION, f"{network}-private-{index}"): kind,
        (AWS_ROUTE_TABLE_ASSOCIATION, f"{network}-public-{index}"): kind,
        **{
            (AWS_ROUTE, f"link-hub-to-gcp-{index}-{prefix}"): kind
            for prefix in ("dns", "master", "pods", "subnet")
        },
    }


def _aws(stack: str, **keys: Any) -> dict[str, Any]:
    aws: dict[str, Any] = stack_config(stack, "aws")
    return {**aws, **keys}


def _zone_count_changed(stack: str, zones: int) -> dict[tuple[str, str], str]:
    """What the subnets' move to `zones` zones changes besides the zones themselves: the node group rolls
    onto the new subnet list, the autoscaler follows it, the cluster and the Transit Gateway attachment
    take the subnet list in place."""
    return {
        _node_group(stack, zones=zones): CREATE,
        _node_group(stack): DELETE,
        AUTOSCALER_POLICY: UPDATE,
        AUTOSCALER_CHART: UPDATE,
        (EKS_CLUSTER, "eks-cluster"): UPDATE,
        (TGW_VPC_ATTACHMENT, "link-hub-vpc"): UPDATE,
    }


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
        id="admin-role-added-first-roles-and-instance-types-reordered",
        stack="dev",
        change="clusters.eks.adminRoleArns: a role added at the head, the others reordered; "
        "clusters.eks.instanceTypes reordered",
        before=WITH_ADMINS,
        edit={
            "clusters": _clusters(
                "dev",
                eks={"adminRoleArns": [NEW_ADMIN, *reversed(ADMINS)], "instanceTypes": MIXED_TYPES[::-1]},
            )
        },
        expected=_admin_entries(NEW_ADMIN, CREATE),
    ),
    Day2Case(
        id="admin-role-removed-first",
        stack="dev",
        change="clusters.eks.adminRoleArns: the first role removed",
        before=WITH_ADMINS,
        edit={"clusters": _clusters("dev", eks={"adminRoleArns": ADMINS[1:], "instanceTypes": MIXED_TYPES})},
        expected=_admin_entries(ADMINS[0], DELETE),
    ),
    Day2Case(
        id="node-bounds-and-desired",
        stack="dev",
        change="clusters.eks.nodes and clusters.gke.nodes: min, desired and max raised",
        edit={
            "clusters": _clusters(
                "dev",
                eks={"nodes": {"min": 4, "desired": 5, "max": 12}},
                gke={"nodes": {"min": 1, "desired": 2, "max": 5}},
            )
        },
        expected={
            # The bounds are the autoscaler's; desired sizes only start new groups and pools.
            AUTOSCALER_CHART: UPDATE,
            (GKE_NODE_POOL, "gke-nodes"): UPDATE,
        },
    ),
    Day2Case(
        id="eks-minor-upgrade",
        stack="dev",
        change="clusters.eks.version raised one minor",
        edit={
            "clusters": _clusters(
                "dev", eks={"version": _next_minor(stack_config("dev", "clusters")["eks"]["version"])}
            )
        },
        expected={
            (EKS_CLUSTER, "eks-cluster"): UPDATE,
            _node_group("dev"): UPDATE,
            **{(EKS_ADDON, f"eks-{addon}"): UPDATE for addon in (*ADDONS_BEFORE_NODES, *ADDONS_AFTER_NODES)},
            (EKS_ADDON, "aws-observability-container-insights"): UPDATE,
            # The autoscaler's image follows the cluster's minor (components/data/cluster_autoscaler.json).
            AUTOSCALER_CHART: UPDATE,
        },
    ),
    Day2Case(
        id="node-machine-types",
        stack="dev",
        change="clusters.eks.instanceTypes and clusters.gke.machineType changed",
        edit={
            "clusters": _clusters(
                "dev", eks={"instanceTypes": ["m6i.xlarge"]}, gke={"machineType": "e2-standard-8"}
            )
        },
        expected={
            # A new EKS group is created and Ready before the old one is deleted, at the end of the update;
            # the autoscaler moves to the new group. GKE recreates its nodes by surge upgrade, in place.
            _node_group("dev", ["m6i.xlarge"]): CREATE,
            _node_group("dev"): DELETE,
            AUTOSCALER_POLICY: UPDATE,
            AUTOSCALER_CHART: UPDATE,
            (GKE_NODE_POOL, "gke-nodes"): UPDATE,
        },
    ),
    Day2Case(
        id="aws-zone-removed",
        stack="dev",
        change="aws.azCount 3 -> 2 (aws.zoneSlots 4 stated: the slots the stack's subnets were cut for)",
        edit={"aws": _aws("dev", azCount=2, zoneSlots=4)},
        expected={**_zone(2, DELETE), **_zone_count_changed("dev", 2)},
    ),
    Day2Case(
        id="aws-zone-added",
        stack="dev",
        change="aws.azCount 3 -> 4",
        edit={"aws": _aws("dev", azCount=4)},
        expected={**_zone(3, CREATE), **_zone_count_changed("dev", 4)},
    ),
    Day2Case(
        id="eks-instance-types-protected-stack",
        stack="prod",
        change="clusters.eks.instanceTypes changed on a protected stack",
        edit={"clusters": _clusters("prod", eks={"instanceTypes": ["m7i.xlarge"]})},
        expected={
            _node_group("prod", ["m7i.xlarge"]): CREATE,
            _node_group("prod"): DELETE,
            AUTOSCALER_POLICY: UPDATE,
            AUTOSCALER_CHART: UPDATE,
        },
    ),
]
