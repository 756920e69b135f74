"""The price file: every item sourced and dated, tiers in order, derived prices consistent; looking a
price up by region, and charging through volume tiers."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest

from offline.prices import PRICES_PATH, PriceBook, Tier

DOCUMENT: dict[str, Any] = json.loads(PRICES_PATH.read_text())
ITEMS: dict[str, dict[str, Any]] = DOCUMENT["items"]


def test_the_file_names_its_source_and_read_date() -> None:
    assert DOCUMENT["source"] and date.fromisoformat(DOCUMENT["read"])
    assert DOCUMENT["currency"] == "USD" and DOCUMENT["hoursPerMonth"] == 730


@pytest.mark.parametrize("key", sorted(ITEMS))
def test_every_item_has_a_unit_a_source_a_date_and_says_whether_it_was_verified(key: str) -> None:
    item = ITEMS[key]
    # A provider's page, or a named repository or package that holds the provider's catalog.
    assert item["unit"] and re.match(r"^(https://|[\w.-]+[ /])", item["source"]), item["source"]
    assert date.fromisoformat(item["date"]) <= date.fromisoformat(DOCUMENT["read"])
    assert isinstance(item["verified"], bool) and item["notes"]
    assert item["prices"] and all(price is None or price >= 0 for price in item["prices"].values())
    if any(price is None for price in item["prices"].values()):
        assert not item["verified"], "a price nobody found cannot be verified"
    if "lowerBound" in item:
        assert ITEMS[item["lowerBound"]]["unit"] == item["unit"]


@pytest.mark.parametrize("key", sorted(k for k, item in ITEMS.items() if "tiers" in item))
def test_tiers_rise_in_bounds_and_end_open(key: str) -> None:
    tiers = ITEMS[key]["tiers"]
    bounds = [tier["upTo"] for tier in tiers]
    assert bounds[-1] is None and bounds[:-1] == sorted(bounds[:-1])
    assert tiers[0]["price"] == next(iter(ITEMS[key]["prices"].values()))


@pytest.mark.parametrize("machine", ["e2-standard-4", "e2-standard-8"])
def test_an_e2_machine_costs_its_vcpus_and_memory(machine: str) -> None:
    # e2-standard-N: N vCPUs and 4 GB a vCPU, priced by the catalog's per-vCPU and per-GB rates.
    vcpus = int(machine.rsplit("-", 1)[1])
    region = "us-east4"
    item = ITEMS[f"gcp.gce.machine_hour.{machine}"]
    assert item["derivedFrom"] == ["gcp.gce.e2.vcpu_hour", "gcp.gce.e2.ram_gb_hour"]
    composed = vcpus * ITEMS["gcp.gce.e2.vcpu_hour"]["prices"][region]
    composed += 4 * vcpus * ITEMS["gcp.gce.e2.ram_gb_hour"]["prices"][region]
    assert item["prices"][region] == pytest.approx(composed, abs=1e-9)


def test_facts_carry_a_value_a_source_and_a_date() -> None:
    for fact in DOCUMENT["facts"].values():
        assert fact["value"] is not None and fact["source"] and date.fromisoformat(fact["date"])


def test_a_price_is_read_for_the_region_else_globally_else_missing_with_the_reason() -> None:
    book = PriceBook.load()
    assert book.price("aws.nat.gateway_hour", "us-east-1").amount == 0.045
    assert book.price("gcp.dns.managed_zone_month", "europe-west1").amount == 0.2
    absent = book.price("aws.nat.gateway_hour", "ap-south-1")
    assert (
        absent.amount is None and absent.missing == "no price of aws.nat.gateway_hour for region ap-south-1"
    )
    unknown = book.price("aws.ec2.instance_hour.x9.huge", "us-east-1")
    assert (
        unknown.amount is None and unknown.missing == "aws.ec2.instance_hour.x9.huge is not in the price file"
    )


def test_a_price_nobody_found_is_either_missing_or_its_named_floor() -> None:
    book = PriceBook.load()
    large = book.price("aws.vpn.connection_hour.large", "us-east-1")
    assert large.lower_bound and large.amount == book.price("aws.vpn.connection_hour", "us-east-1").amount
    transport = book.price("gcp.interconnect.partner_cci_aws.hour", "us-east4")
    assert transport.amount is None and not transport.lower_bound


def test_a_tiered_charge_fills_each_tier_before_the_next() -> None:
    egress = PriceBook.load().price("gcp.egress.internet_na_gib", "us-east4")
    assert egress.tiers[0] == Tier(1024, 0.12)
    assert egress.cost_of(1000) == pytest.approx(120.0)
    assert egress.cost_of(12_000) == pytest.approx(
        1024 * 0.12 + (10_240 - 1024) * 0.11 + (12_000 - 10_240) * 0.08
    )
    assert egress.cost_of(0) == 0
