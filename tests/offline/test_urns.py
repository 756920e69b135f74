"""URNs: every recorded URN is the one the Pulumi engine would assign, aliases collapse as it does."""

from __future__ import annotations

import pytest

from offline.urns import AliasSpec, alias_urns, make_urn, name_of, qualified_type, type_of
from tests.support.plans import STACKS, planned
from tests.support.types import STACK

ROOT = "urn:pulumi:dev::crossmesh::pulumi:pulumi:Stack::crossmesh-dev"
HUB_TYPE = "crossmesh:link:TransitHub"


@pytest.mark.parametrize("stack", STACKS)
def test_every_urn_lists_the_type_of_every_ancestor_but_the_root_stack(stack: str) -> None:
    plan = planned(stack)
    by_urn = {resource.urn: resource for resource in plan.resources}
    for resource in plan.resources:
        chain = [resource.type]
        parent = resource.parent
        while parent in by_urn:
            chain.append(by_urn[parent].type)
            parent = by_urn[parent].parent
        assert parent is not None and parent.split("::")[2] == STACK, f"{resource.name} reaches the stack"
        expected = f"urn:pulumi:{stack}::crossmesh::{'$'.join(reversed(chain))}::{resource.name}"
        assert resource.urn == expected


def test_providers_and_component_children_carry_the_whole_chain() -> None:
    plan = planned("dev")
    aws_provider = plan.one("pulumi:providers:aws")
    assert (
        aws_provider.urn == "urn:pulumi:dev::crossmesh::crossmesh:index:CrossMesh$pulumi:providers:aws::aws"
    )
    tgw = plan.one("aws:ec2transitgateway/transitGateway:TransitGateway")
    assert qualified_type(tgw.urn) == (
        f"crossmesh:index:CrossMesh${HUB_TYPE}$aws:ec2transitgateway/transitGateway:TransitGateway"
    )
    assert tgw.provider == aws_provider.urn


def test_a_resource_of_the_stack_has_its_own_type_alone() -> None:
    assert make_urn("dev", "crossmesh", ROOT, "crossmesh:index:CrossMesh", "crossmesh") == (
        "urn:pulumi:dev::crossmesh::crossmesh:index:CrossMesh::crossmesh"
    )
    assert make_urn("dev", "crossmesh", None, "pulumi:pulumi:Stack", "crossmesh-dev") == ROOT


def test_urn_parts_read_back() -> None:
    urn = make_urn("dev", "p", "urn:pulumi:dev::p::a:b:C$d:e:F::parent", "g:h:I", "x::y")
    assert qualified_type(urn) == "a:b:C$d:e:F$g:h:I"
    assert type_of(urn) == "g:h:I" and name_of(urn) == "x::y"


def test_an_alias_spec_fills_its_blanks_from_the_resource() -> None:
    parent = "urn:pulumi:dev::p::a:b:Root::root"
    urn = make_urn("dev", "p", parent, "t:m:T", "new")
    assert alias_urns(urn, parent, [AliasSpec(name="old")]) == ["urn:pulumi:dev::p::a:b:Root$t:m:T::old"]
    old_parent = "urn:pulumi:dev::p::a:b:Root$a:b:Link::link"
    assert alias_urns(urn, parent, [AliasSpec(parent=old_parent)]) == [
        "urn:pulumi:dev::p::a:b:Root$a:b:Link$t:m:T::new"
    ]
    assert alias_urns(urn, parent, [AliasSpec(no_parent=True)]) == ["urn:pulumi:dev::p::t:m:T::new"]
    assert alias_urns(urn, parent, ["urn:pulumi:dev::p::x:y:Z::z", urn]) == ["urn:pulumi:dev::p::x:y:Z::z"]


def test_children_inherit_their_parents_aliases() -> None:
    old_hub = "urn:pulumi:dev::p::a:b:Root$a:b:Link$a:b:Hub::hub"
    hub = "urn:pulumi:dev::p::a:b:Root$a:b:Hub::hub"
    child = make_urn("dev", "p", hub, "aws:x:Tgw", "hub-tgw")
    assert alias_urns(child, hub, [], [old_hub]) == [
        "urn:pulumi:dev::p::a:b:Root$a:b:Link$a:b:Hub$aws:x:Tgw::hub-tgw"
    ]
    renamed = alias_urns(child, hub, [AliasSpec(name="tgw")], [old_hub])
    assert renamed == [
        "urn:pulumi:dev::p::a:b:Root$a:b:Hub$aws:x:Tgw::tgw",
        "urn:pulumi:dev::p::a:b:Root$a:b:Link$a:b:Hub$aws:x:Tgw::hub-tgw",
        "urn:pulumi:dev::p::a:b:Root$a:b:Link$a:b:Hub$aws:x:Tgw::tgw",
    ]
