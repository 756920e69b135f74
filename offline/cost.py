"""What a plan costs a month, estimated from list prices, and what a change to it costs.

`estimate` prices the resources of a plan JSON contract (`crossmesh plan --json`) with the rules of
offline/cost_rules.py and the unit prices of offline/data/prices.json. Charges of one price item and
description are summed into a Line that names every resource it counts, so a reviewer can check that
nothing is counted twice or missed; a resource no line counts is either of a type listed as free,
with the reason, or reported as unclassified.

A month is 730 hours. Node-dependent lines carry two figures: at the node groups' desired size and at
their maximum. Lines whose price is unknown stay out of the totals, and the totals say they are
incomplete; a line priced at a lower bound makes them a floor.

`cost_delta` prices two plan contracts with the same price file, each with its own usage figures, and
lists the lines that change: the monthly cost of going from one to the other.

Pure: no Pulumi import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from offline.cost_rules import SECTIONS, Charge, Kind, PlanIndex, Usage, free_reason, plan_charges
from offline.prices import PRICES_PATH, PriceBook

CONTRACT_KEY = "cost"
PRICES_FILE_NAME = "offline/data/prices.json"
IN_TOTALS = (Kind.FIXED, Kind.LINK_TRAFFIC, Kind.TRACES)


@dataclass(frozen=True)
class Amount:
    """A monthly figure (or quantity) at the desired node count and at the maximum."""

    desired: float
    at_max: float

    def __add__(self, other: Amount) -> Amount:
        return Amount(self.desired + other.desired, self.at_max + other.at_max)

    def __sub__(self, other: Amount) -> Amount:
        return Amount(self.desired - other.desired, self.at_max - other.at_max)

    @property
    def varies(self) -> bool:
        return round(self.desired, 6) != round(self.at_max, 6)

    def to_json(self, digits: int = 2) -> dict[str, float]:
        return {"desired": round(self.desired, digits), "max": round(self.at_max, digits)}


ZERO = Amount(0.0, 0.0)


@dataclass(frozen=True)
class Line:
    kind: Kind
    section: str
    item: str
    what: str
    region: str | None
    unit: str
    unit_price: float | None
    """Per unit of the first tier; None when the price is unknown."""
    tiered: bool
    hourly: bool
    quantity: Amount
    monthly: Amount | None
    """None for metered lines (not sized) and for unknown prices."""
    verified: bool
    lower_bound: bool
    missing: str | None
    resources: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What identifies the line across two plans."""
        return (self.kind.value, self.section, self.item, self.what)

    @property
    def unknown(self) -> bool:
        return self.unit_price is None

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "kind": self.kind.value,
            "section": self.section,
            "item": self.item,
            "what": self.what,
            "region": self.region,
            "unit": self.unit,
            "unitPrice": self.unit_price,
            "tiered": self.tiered,
            "quantity": self.quantity.to_json(6),
            "monthly": self.monthly.to_json() if self.monthly else None,
            "verified": self.verified,
            "lowerBound": self.lower_bound,
            "resources": list(self.resources),
        }
        if self.missing:
            document["missing"] = self.missing
        if self.notes:
            document["notes"] = list(self.notes)
        return document


@dataclass(frozen=True)
class FreeResource:
    urn: str
    type: str
    reason: str


@dataclass(frozen=True)
class Estimate:
    lines: tuple[Line, ...]
    free: tuple[FreeResource, ...]
    unclassified: tuple[str, ...]
    """URNs of custom resources that no line counts and whose type is not listed as free."""
    usage: Usage
    prices_read: str
    hours_per_month: int
    currency: str
    priced_resources: frozenset[str]
    """URNs that at least one line counts."""

    def of_kind(self, kind: Kind) -> list[Line]:
        return [line for line in self.lines if line.kind == kind]

    def total(self, kinds: Iterable[Kind] = IN_TOTALS, section: str | None = None) -> Amount:
        kinds = tuple(kinds)
        return sum(
            (
                line.monthly
                for line in self.lines
                if line.kind in kinds and line.monthly and (section is None or line.section == section)
            ),
            ZERO,
        )

    def sections(self) -> dict[str, Amount]:
        """The fixed part by section, in the order of SECTIONS, sections with no line left out."""
        present = {line.section for line in self.of_kind(Kind.FIXED)}
        return {name: self.total([Kind.FIXED], name) for name in SECTIONS if name in present}

    @property
    def unknown(self) -> list[Line]:
        return [line for line in self.lines if line.kind in IN_TOTALS and line.unknown]

    @property
    def lower_bounds(self) -> list[Line]:
        return [line for line in self.lines if line.kind in IN_TOTALS and line.lower_bound]

    @property
    def complete(self) -> bool:
        """Whether the totals are the whole estimate, not a floor."""
        return not self.unknown and not self.lower_bounds

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "hoursPerMonth": self.hours_per_month,
            "prices": {"file": PRICES_FILE_NAME, "read": self.prices_read},
            "usage": self.usage.to_json(),
            "totals": {
                "fixed": self.total([Kind.FIXED]).to_json(),
                "linkTraffic": self.total([Kind.LINK_TRAFFIC]).to_json(),
                "traces": self.total([Kind.TRACES]).to_json(),
                "total": self.total().to_json(),
                "complete": self.complete,
            },
            "sections": {name: amount.to_json() for name, amount in self.sections().items()},
            "lines": [line.to_json() for line in self.lines],
            "free": [{"urn": r.urn, "type": r.type, "reason": r.reason} for r in self.free],
            "unclassified": list(self.unclassified),
        }


def estimate(
    resources: Sequence[Mapping[str, Any]], usage: Usage, prices: PriceBook | None = None
) -> Estimate:
    """Price the resources of a plan contract for the usage figures given."""
    prices = prices or PriceBook.load(PRICES_PATH)
    index = PlanIndex(resources, prices)
    lines = _lines(plan_charges(index, usage), index, prices)
    priced = frozenset(urn for line in lines for urn in line.resources)
    free, unclassified = [], []
    for resource in resources:
        if not resource.get("custom") or resource["urn"] in priced:
            continue
        reason = free_reason(resource["type"])
        if reason is None:
            unclassified.append(resource["urn"])
        else:
            free.append(FreeResource(resource["urn"], resource["type"], reason))
    return Estimate(
        lines=tuple(lines),
        free=tuple(free),
        unclassified=tuple(unclassified),
        usage=usage,
        prices_read=prices.read,
        hours_per_month=prices.hours_per_month,
        currency=prices.currency,
        priced_resources=priced,
    )


def _lines(charges: Iterable[Charge], index: PlanIndex, prices: PriceBook) -> list[Line]:
    # Fixed charges are shown by section; the others by item, wherever their resources sit.
    grouped: dict[tuple[Kind, str, str, str, str | None], list[Charge]] = {}
    for charge in charges:
        section = index.section(charge.resources[0]) if charge.kind == Kind.FIXED else ""
        grouped.setdefault((charge.kind, section, charge.item, charge.what, charge.region), []).append(charge)
    lines = [
        _line(kind, section or index.section(group[0].resources[0]), group, prices)
        for (kind, section, *_), group in grouped.items()
    ]
    order = {name: position for position, name in enumerate(SECTIONS)}
    kinds = list(Kind)
    return sorted(lines, key=lambda line: (kinds.index(line.kind), order[line.section]))


def _line(kind: Kind, section: str, charges: list[Charge], prices: PriceBook) -> Line:
    first = charges[0]
    price = prices.price(first.item, first.region)
    quantity = Amount(sum(c.desired for c in charges), sum(c.at_max for c in charges))
    monthly = None
    if kind != Kind.METERED and price.amount is not None:
        # A fixed hourly charge runs all month; other quantities are already the month's.
        hours = prices.hours_per_month if price.hourly and kind == Kind.FIXED else 1
        desired, at_max = price.cost_of(quantity.desired), price.cost_of(quantity.at_max)
        monthly = Amount((desired or 0.0) * hours, (at_max or 0.0) * hours)
    resources = tuple(dict.fromkeys(urn for charge in charges for urn in charge.resources))
    return Line(
        kind=kind,
        section=section,
        item=first.item,
        what=first.what,
        region=first.region,
        unit=price.unit,
        unit_price=price.tiers[0].price if price.tiers else price.amount,
        tiered=bool(price.tiers),
        hourly=price.hourly,
        quantity=quantity,
        monthly=monthly,
        verified=price.verified,
        lower_bound=price.lower_bound,
        missing=price.missing,
        resources=resources,
        notes=tuple(dict.fromkeys(charge.note for charge in charges if charge.note)),
    )


# --- the cost of a change ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineChange:
    kind: Kind
    section: str
    item: str
    what: str
    before: Line | None
    after: Line | None

    @property
    def delta(self) -> Amount | None:
        """The change in the monthly figure; None when either side has no price."""
        before = self.before.monthly if self.before else ZERO
        after = self.after.monthly if self.after else ZERO
        return None if before is None or after is None else after - before

    @property
    def resources(self) -> tuple[str, ...]:
        """The resources of both sides, the new side's first."""
        after = self.after.resources if self.after else ()
        before = self.before.resources if self.before else ()
        return tuple(dict.fromkeys([*after, *before]))

    @property
    def quantity(self) -> tuple[Amount, Amount]:
        return (
            self.before.quantity if self.before else ZERO,
            self.after.quantity if self.after else ZERO,
        )

    def to_json(self) -> dict[str, Any]:
        before, after = self.quantity
        delta = self.delta
        return {
            "kind": self.kind.value,
            "section": self.section,
            "item": self.item,
            "what": self.what,
            "quantity": {"before": before.to_json(6), "after": after.to_json(6)},
            "monthly": {
                "before": self.before.monthly.to_json() if self.before and self.before.monthly else None,
                "after": self.after.monthly.to_json() if self.after and self.after.monthly else None,
                "delta": delta.to_json() if delta else None,
            },
        }


@dataclass(frozen=True)
class CostDelta:
    before: Estimate
    after: Estimate
    changes: tuple[LineChange, ...]

    def delta(self, kinds: Iterable[Kind] = IN_TOTALS) -> Amount:
        kinds = tuple(kinds)
        return self.after.total(kinds) - self.before.total(kinds)

    @property
    def complete(self) -> bool:
        return self.before.complete and self.after.complete

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.after.currency,
            "prices": {"file": PRICES_FILE_NAME, "read": self.after.prices_read},
            "usage": {"before": self.before.usage.to_json(), "after": self.after.usage.to_json()},
            "totals": {
                "before": self.before.total().to_json(),
                "after": self.after.total().to_json(),
                "delta": self.delta().to_json(),
                "fixedDelta": self.delta([Kind.FIXED]).to_json(),
                "linkTrafficDelta": self.delta([Kind.LINK_TRAFFIC]).to_json(),
                "tracesDelta": self.delta([Kind.TRACES]).to_json(),
                "complete": self.complete,
            },
            "changes": [change.to_json() for change in self.changes],
        }


def usage_of_contract(contract: Mapping[str, Any]) -> Usage | None:
    """The usage figures a saved plan was estimated with, if it carries an estimate."""
    cost = contract.get(CONTRACT_KEY)
    if isinstance(cost, Mapping) and isinstance(cost.get("usage"), Mapping):
        return Usage.from_json(cost["usage"])
    return None


def cost_delta(
    old_plan: Mapping[str, Any],
    new_plan: Mapping[str, Any],
    default_usage: Usage,
    prices: PriceBook | None = None,
) -> CostDelta:
    """The monthly cost of going from one plan contract to another, both priced with one price file.

    Each plan is priced with the usage figures its estimate was made with; a plan saved without an
    estimate takes the other plan's, or `default_usage` when neither has one.
    """
    prices = prices or PriceBook.load(PRICES_PATH)
    old_usage, new_usage = usage_of_contract(old_plan), usage_of_contract(new_plan)
    before = estimate(old_plan["resources"], old_usage or new_usage or default_usage, prices)
    after = estimate(new_plan["resources"], new_usage or old_usage or default_usage, prices)
    return CostDelta(before, after, tuple(_changes(before, after)))


def _changes(before: Estimate, after: Estimate) -> Iterable[LineChange]:
    old = {line.key: line for line in before.lines}
    new = {line.key: line for line in after.lines}
    for key in dict.fromkeys([*old, *new]):
        was, now = old.get(key), new.get(key)
        if (
            was
            and now
            and (was.quantity, was.monthly, was.unit_price) == (now.quantity, now.monthly, now.unit_price)
        ):
            continue
        line = now if now is not None else old[key]
        yield LineChange(line.kind, line.section, line.item, line.what, was, now)
