"""crossmesh's CrossGuard rules, importable as plain objects (pulumi-policy and the standard library
only, so the pack in policies/ can be published on its own)."""

from __future__ import annotations

from crossmesh_policy import (
    appmesh,
    aws_network,
    cross_cloud,
    eks,
    gcp_network,
    gke,
    istio,
    pki,
    secrets,
    vpn,
)
from crossmesh_policy.kit import CrossmeshPolicy, CrossmeshResourcePolicy, CrossmeshStackPolicy

PACK_NAME = "crossmesh"

POLICIES: list[CrossmeshPolicy] = [
    *eks.POLICIES,
    *aws_network.POLICIES,
    *gke.POLICIES,
    *gcp_network.POLICIES,
    *vpn.POLICIES,
    *cross_cloud.POLICIES,
    *pki.POLICIES,
    *istio.POLICIES,
    *appmesh.POLICIES,
    *secrets.POLICIES,
]

__all__ = ["PACK_NAME", "POLICIES", "CrossmeshPolicy", "CrossmeshResourcePolicy", "CrossmeshStackPolicy"]
