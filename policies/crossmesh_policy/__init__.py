"""crossmesh's CrossGuard rules, importable as plain objects (pulumi-policy and the standard library
only, so the pack in policies/ can be published on its own). Each module holds the rules of one id
segment: `xc-eks-*` in eks.py, `xc-x-*` (across the clouds) in cross_cloud.py."""

from __future__ import annotations

from crossmesh_policy import (
    appmesh,
    aws,
    cross_cloud,
    eks,
    gcp,
    gke,
    istio,
    k8s,
    order,
    pki,
    secrets,
    vpn,
)
from crossmesh_policy.kit import CrossmeshPolicy, CrossmeshResourcePolicy, CrossmeshStackPolicy, rules_of

PACK_NAME = "crossmesh"

RULE_MODULES = (eks, aws, gke, gcp, vpn, cross_cloud, order, pki, istio, appmesh, k8s, secrets)
"""In the order the pack lists its rules."""

POLICIES: list[CrossmeshPolicy] = rules_of(*RULE_MODULES)

__all__ = [
    "PACK_NAME",
    "POLICIES",
    "RULE_MODULES",
    "CrossmeshPolicy",
    "CrossmeshResourcePolicy",
    "CrossmeshStackPolicy",
]
