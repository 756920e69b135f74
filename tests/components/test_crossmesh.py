"""CrossMesh on the shipped plans: the one component that creates components."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from offline.record import Plan
from tests.support.plans import STACKS
from tests.support.types import COMPONENT_CROSS_MESH, GCP_FIREWALL, GKE_NODE_POOL


@pytest.mark.parametrize("stack", STACKS)
def test_every_other_component_is_created_by_crossmesh(plan_of: Callable[..., Plan], stack: str) -> None:
    """The others reach each other through their Args, never by creating one another: each sits directly
    under CrossMesh, and what sits under them are the clouds' and clusters' own resources."""
    plan = plan_of(stack)
    root = plan.one(COMPONENT_CROSS_MESH)
    components = [r for r in plan.resources if not r.custom and r.urn != root.urn]
    assert len(components) >= 10
    assert {c.type: c.parent for c in components if c.parent != root.urn} == {}


@pytest.mark.parametrize("stack", STACKS)
def test_the_gcp_firewall_targets_the_tag_the_gke_nodes_carry(
    plan_of: Callable[..., Plan], stack: str
) -> None:
    """PeerFirewalls names the tag and GkeCluster takes it, so the two cannot drift apart."""
    plan = plan_of(stack)
    firewalls = plan.of_type(GCP_FIREWALL)
    (pool,) = plan.of_type(GKE_NODE_POOL)
    assert len(firewalls) == 3
    assert all(firewall.inputs["targetTags"] == pool.inputs["nodeConfig"]["tags"] for firewall in firewalls)
