"""Unit prices as data: offline/data/prices.json, read once, looked up by item and region.

Each item has a unit ("hour", "GB-month", "GiB", "million traces", ...), a price per region (or
"global"), its source, the date it was read there, and whether it was verified on the provider's own
page or catalog. A price the research did not find is null; an item may name another whose price is
its labelled lower bound (AWS's large VPN tunnels cost more than standard ones, by an amount not
published where it could be read). Volume tiers are cumulative upper bounds in the item's unit.

Pure: no Pulumi import.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

PRICES_PATH = Path(__file__).parent / "data" / "prices.json"
GLOBAL = "global"


@dataclass(frozen=True)
class Tier:
    up_to: float | None
    """Cumulative upper bound in the item's unit; None for the last tier."""
    price: float


@dataclass(frozen=True)
class Price:
    item: str
    unit: str
    amount: float | None
    """Per unit in the region asked for; None when there is no price to use."""
    verified: bool
    lower_bound: bool = False
    """The amount is another item's price standing in as a floor, not this item's price."""
    tiers: tuple[Tier, ...] = ()
    missing: str | None = None
    """Why there is no amount (or why the amount is only a lower bound)."""

    @property
    def hourly(self) -> bool:
        return self.unit.endswith("hour")

    def cost_of(self, quantity: float) -> float | None:
        """The charge for `quantity` units: through the volume tiers where the item has them."""
        if self.amount is None:
            return None
        if not self.tiers:
            return quantity * self.amount
        total, floor = 0.0, 0.0
        for tier in self.tiers:
            ceiling = quantity if tier.up_to is None else min(quantity, tier.up_to)
            if ceiling > floor:
                total += (ceiling - floor) * tier.price
                floor = ceiling
        return total


class PriceBook:
    """The price file: items by key, facts by key, the read date and the hours in a month."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.read: str = document["read"]
        self.currency: str = document["currency"]
        self.hours_per_month: int = document["hoursPerMonth"]
        self.items: Mapping[str, Mapping[str, Any]] = document["items"]
        self.facts: Mapping[str, Mapping[str, Any]] = document.get("facts", {})

    @classmethod
    def load(cls, path: Path = PRICES_PATH) -> PriceBook:
        return _load(path)

    def fact(self, key: str) -> Any:
        return self.facts[key]["value"]

    def price(self, item: str, region: str | None) -> Price:
        entry = self.items.get(item)
        if entry is None:
            return Price(item, "?", None, verified=False, missing=f"{item} is not in the price file")
        unit, verified = entry["unit"], bool(entry["verified"])
        prices: Mapping[str, float | None] = entry["prices"]
        where = region if region in prices else GLOBAL if GLOBAL in prices else None
        if where is None:
            place = f"region {region}" if region else "a resource whose region the plan does not say"
            return Price(item, unit, None, verified, missing=f"no price of {item} for {place}")
        amount = prices[where]
        tiers = tuple(Tier(tier["upTo"], tier["price"]) for tier in entry.get("tiers", ()))
        if amount is not None:
            return Price(item, unit, amount, verified, tiers=tiers)
        floor_item = entry.get("lowerBound")
        floor = self.price(floor_item, region) if floor_item else None
        if floor is not None and floor.amount is not None:
            return Price(
                item,
                unit,
                floor.amount,
                verified=False,
                lower_bound=True,
                missing=f"price of {item} not published where it could be read; {floor_item} is its floor",
            )
        return Price(item, unit, None, verified, missing=f"price of {item} not found (see its notes)")


@cache
def _load(path: Path) -> PriceBook:
    return PriceBook(json.loads(path.read_text()))
