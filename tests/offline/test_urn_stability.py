"""The URNs deployed stacks hold: a resource whose URN changes without an alias is replaced by `pulumi up`.

tests/fixtures/urns/<stack>.txt lists every URN of each stack file's plan. A URN that leaves the plan
must be among the aliases of the resource that took its place; a resource really removed is
acknowledged by refreshing the lists (`pytest tests/offline/test_urn_stability.py --refresh-urns`),
which shows the removed lines in review.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from offline.record import Plan
from offline.urns import make_urn
from tests.support.plans import PROJECT_DIR, STACKS, planned

URN_LISTS = PROJECT_DIR / "tests" / "fixtures" / "urns"
HUB_TYPE = "crossmesh:link:TransitHub"


def urn_list(stack: str) -> Path:
    return URN_LISTS / f"{stack}.txt"


def lost_urns(recorded: list[str], plan: Plan) -> list[str]:
    """The recorded URNs no resource of the plan has, as its URN or among its aliases."""
    known = {resource.urn for resource in plan.resources}
    known |= {alias for resource in plan.resources for alias in resource.options.get("aliases", ())}
    return [urn for urn in recorded if urn not in known]


def current_urns(stack: str) -> list[str]:
    return sorted(resource.urn for resource in planned(stack).resources)


@pytest.fixture(scope="module", autouse=True)
def refreshed(request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--refresh-urns"):
        URN_LISTS.mkdir(parents=True, exist_ok=True)
        for stack in STACKS:
            urn_list(stack).write_text("\n".join(current_urns(stack)) + "\n")


@pytest.mark.parametrize("stack", STACKS)
def test_no_urn_disappears_without_an_alias(stack: str) -> None:
    lost = lost_urns(urn_list(stack).read_text().split(), planned(stack))
    assert not lost, (
        f"{len(lost)} URNs of {stack} would be deleted by `pulumi up` (replaced, if the resource moved):"
        f" {lost[:5]}; give the resource that replaced each an alias of its old URN, or, if the removal"
        " is meant, run pytest tests/offline/test_urn_stability.py --refresh-urns"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_the_urn_list_is_current(stack: str) -> None:
    recorded = urn_list(stack).read_text().split()
    added = sorted(set(current_urns(stack)) - set(recorded))
    assert not added, (
        f"{urn_list(stack).name} lacks {len(added)} URNs of today's plan, e.g. {added[:3]}:"
        " run pytest tests/offline/test_urn_stability.py --refresh-urns"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_the_transit_gateway_hub_answers_to_its_urn_from_under_the_link(stack: str) -> None:
    # Until the hub was built once for both link kinds it was the child "link-hub" of the VPN link
    # component "link" (git history: f81c623).
    plan = planned(stack)
    root = plan.one("crossmesh:index:CrossMesh")
    former_link = make_urn(stack, "crossmesh", root.urn, "crossmesh:link:CrossCloudLink", "link")
    hub = plan.one(HUB_TYPE)
    assert make_urn(stack, "crossmesh", former_link, HUB_TYPE, "link-hub") in hub.options["aliases"]
    former_hub = make_urn(stack, "crossmesh", former_link, HUB_TYPE, "link-hub")
    for child in plan.children(hub.urn):
        assert make_urn(stack, "crossmesh", former_hub, child.type, child.name) in child.options["aliases"]


def test_a_moved_resource_without_an_alias_is_lost(dev_plan: Plan) -> None:
    hub = dev_plan.one(HUB_TYPE)
    former_hub = hub.options["aliases"][0]
    assert lost_urns([hub.urn, former_hub], dev_plan) == []
    hub_without_alias = replace(hub, options={})
    children = [replace(child, options={}) for child in dev_plan.children(hub.urn)]
    unaliased = replace(dev_plan, resources=[hub_without_alias, *children])
    tgw = dev_plan.one("aws:ec2transitgateway/transitGateway:TransitGateway")
    former_tgw = tgw.options["aliases"][0]
    assert lost_urns([hub.urn, former_hub, tgw.urn, former_tgw], unaliased) == [former_hub, former_tgw]
