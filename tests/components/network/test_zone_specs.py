"""Zones by ID: the excluded IDs are never chosen, pinned IDs are placed in order in whichever zone names
the account gives them, and without pins a deployed stack keeps the zones the name-only rule gave it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.network.zone_specs import (
    EXCLUSIONS_PATH,
    ZoneChoiceError,
    choose_zones,
    excluded_zone_ids,
)
from offline.fakes.aws_base import zone_names_and_ids

NAMES = [f"us-east-1{letter}" for letter in "abcdef"]
# An account whose us-east-1a is use1-az3, the zone EKS refuses (the fake gives account 111122223333
# this mapping; the name-only rule placed a subnet there).
MAPPING_WITH_AZ3_FIRST = ["use1-az3", "use1-az1", "use1-az4", "use1-az2", "use1-az6", "use1-az5"]


def test_the_excluded_zone_is_skipped_where_the_name_only_rule_chose_it() -> None:
    assert sorted(NAMES)[:3] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    chosen = choose_zones("us-east-1", NAMES, MAPPING_WITH_AZ3_FIRST, 3)
    assert [(z.name, z.id) for z in chosen] == [
        ("us-east-1b", "use1-az1"),
        ("us-east-1c", "use1-az4"),
        ("us-east-1d", "use1-az2"),
    ]


@given(st.permutations([f"use1-az{n}" for n in range(1, 7)]), st.integers(min_value=2, max_value=5))
def test_without_pins_a_stack_the_name_only_rule_could_deploy_keeps_its_zones(
    ids: list[str], count: int
) -> None:
    before = sorted(NAMES)[:count]
    deployable = all(ids[NAMES.index(name)] not in excluded_zone_ids() for name in before)
    chosen = [zone.name for zone in choose_zones("us-east-1", NAMES, ids, count)]
    assert (chosen == before) == deployable
    assert all(zone.id not in excluded_zone_ids() for zone in choose_zones("us-east-1", NAMES, ids, count))


def test_pinned_ids_are_placed_in_order_in_the_accounts_own_names() -> None:
    for account in ("123456789012", "111122223333"):
        zones = dict((zone_id, name) for name, zone_id in zone_names_and_ids("us-east-1", account))
        pinned = ["use1-az6", "use1-az1", "use1-az5"]
        chosen = choose_zones("us-east-1", list(zones.values()), list(zones), 3, pinned)
        assert [(z.id, z.name) for z in chosen] == [(zone_id, zones[zone_id]) for zone_id in pinned]


def test_a_pinned_id_the_account_does_not_have_is_named_with_what_it_has() -> None:
    with pytest.raises(ZoneChoiceError) as caught:
        choose_zones("us-east-1", NAMES[:2], ["use1-az1", "use1-az2"], 2, ["use1-az1", "use1-az9"])
    assert str(caught.value) == (
        "crossmesh:aws.availabilityZoneIds: use1-az9 not among the zones us-east-1 offers this account: "
        "use1-az1 (us-east-1a), use1-az2 (us-east-1b)"
    )


def test_too_few_zones_that_eks_accepts_is_an_error_naming_azcount() -> None:
    with pytest.raises(
        ZoneChoiceError, match=r"crossmesh:aws.azCount is 3 but ca-central-1 offers .* 2 zones"
    ):
        choose_zones(
            "ca-central-1",
            ["ca-central-1a", "ca-central-1b", "ca-central-1d"],
            ["cac1-az1", "cac1-az3", "cac1-az4"],
            3,
        )


def test_the_exclusions_are_the_eks_guides_zones_each_with_its_source() -> None:
    data = json.loads(EXCLUSIONS_PATH.read_text())
    assert data["read"]
    assert {"use1-az3", "usw1-az2", "cac1-az3"} <= set(excluded_zone_ids())
    for entry in data["zones"]:
        assert entry["source"] and entry["why"] and entry["zone_id"].startswith(entry["region"][:2])


def test_the_fake_maps_names_to_zones_per_account_in_the_oldest_regions_only() -> None:
    first, second = (zone_names_and_ids("us-east-1", account) for account in ("123456789012", "111122223333"))
    assert [name for name, _ in first] == [name for name, _ in second] == NAMES
    assert sorted(zone_id for _, zone_id in first) == sorted(zone_id for _, zone_id in second)
    assert first != second
    assert [zone_id for _, zone_id in second] == MAPPING_WITH_AZ3_FIRST
    assert zone_names_and_ids("eu-central-1", "123456789012") == zone_names_and_ids(
        "eu-central-1", "111122223333"
    )
    assert [zone_id for _, zone_id in zone_names_and_ids("ap-southeast-2", "1")] == [
        "apse2-az1",
        "apse2-az2",
        "apse2-az3",
    ]
