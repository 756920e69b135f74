"""The monthly cost in `crossmesh plan`, and the cost of a change in `crossmesh diff` and
`plan --against`: text and JSON.

The estimate itself is offline/cost.py; this module reads the stack's usage figures from the config
the plan ran with, and words the result. Every line shows its arithmetic (quantity x hours x unit
price) and names the resources it counts, so a reviewer can redo it from offline/data/prices.json.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from components.config import CostConfig
from offline.cost import CONTRACT_KEY, PRICES_FILE_NAME, CostDelta, Estimate, Line, cost_delta, estimate
from offline.cost_rules import Kind, Usage
from offline.record import Plan, Registration, mask

CONFIG_KEY = "crossmesh:cost"
USAGE_KEYS = {
    "crossCloudGbPerMonth": "cost.crossCloudGbPerMonth",
    "tracesMillionsPerMonth": "cost.tracesMillionsPerMonth",
    "spansPerTrace": "cost.spansPerTrace",
}
UNVERIFIED = "*"


def usage_of(config: CostConfig) -> Usage:
    return Usage(config.cross_cloud_gb_per_month, config.traces_millions_per_month, config.spans_per_trace)


DEFAULT_USAGE = usage_of(CostConfig())


def stated_usage(plan: Plan) -> tuple[Usage, frozenset[str]]:
    """The usage figures of the plan's stack config, and which of them the stack file sets (the rest
    are defaults). The program validated them before the plan existed."""
    raw = json.loads(plan.config.get(CONFIG_KEY, "{}"))
    return usage_of(CostConfig.model_validate(raw)), frozenset(raw)


def plan_estimate(plan: Plan) -> tuple[Estimate, frozenset[str]]:
    usage, stated = stated_usage(plan)
    return estimate([_contract_view(resource) for resource in plan.resources], usage), stated


class _MaskedInputs(Mapping[str, Any]):
    """A resource's inputs as the contract has them, each masked when read: the rules read a few
    inputs of a few resources, and masking all of a large plan's inputs would take longer than the
    estimate itself."""

    def __init__(self, inputs: Mapping[str, Any]) -> None:
        self._inputs = inputs

    def __getitem__(self, key: str) -> Any:
        return mask(self._inputs[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._inputs)

    def __len__(self) -> int:
        return len(self._inputs)


def _contract_view(resource: Registration) -> dict[str, Any]:
    """The fields of a resource's contract entry that the cost model reads."""
    return {
        "urn": resource.urn,
        "type": resource.type,
        "name": resource.name,
        "custom": resource.custom,
        "parent": resource.parent,
        "provider": resource.provider,
        "dependencies": resource.dependencies,
        "inputs": _MaskedInputs(resource.inputs),
        "reads": resource.reads,
    }


def plan_contract(plan: Plan) -> dict[str, Any]:
    """The plan JSON contract with the estimate under "cost"."""
    contract = plan.to_contract()
    usage, _ = stated_usage(plan)
    contract[CONTRACT_KEY] = estimate(contract["resources"], usage).to_json()
    return contract


def contract_delta(old_plan: Mapping[str, Any], new_plan: Mapping[str, Any]) -> CostDelta:
    return cost_delta(old_plan, new_plan, DEFAULT_USAGE)


# --- the estimate as text ----------------------------------------------------------------------------------


def render_estimate(result: Estimate, stated: Iterable[str] = (), *, detail: bool = True) -> list[str]:
    """The estimate as the plan prints it; without detail, only the totals and the gaps."""
    stated = set(stated)
    hours = result.hours_per_month
    total, fixed = result.total(), result.total([Kind.FIXED])
    lines = [
        f"Monthly cost, estimated ({result.currency} list prices read {result.prices_read}, "
        f"{hours} h a month; before taxes, discounts and free allotments; docs/cost.md)",
        f"  total: {_money(total.desired)} a month at desired nodes, {_money(total.at_max)} at max"
        + ("" if result.complete else " (a floor: see the lower bounds and unknown prices below)"),
        f"  fixed: {_money(fixed.desired)} at desired nodes, {_money(fixed.at_max)} at max",
    ]
    for section, amount in result.sections().items():
        at_max = f" (max {_money(amount.at_max)})" if amount.varies else ""
        lines.append(f"    {section}: {_money(amount.desired)}{at_max}")
        if detail:
            lines += [
                _line_text(line, hours) for line in result.of_kind(Kind.FIXED) if line.section == section
            ]
    usage = result.usage
    link = result.of_kind(Kind.LINK_TRAFFIC)
    if link:
        lines.append(
            f"  link traffic: {_money(result.total([Kind.LINK_TRAFFIC]).desired)} for "
            f"{_figure(usage.cross_cloud_gb_per_month)} GB a month across the link, half each way "
            f"({_source('crossCloudGbPerMonth', stated)})"
        )
        lines += [_line_text(line, hours) for line in link] if detail else []
    traces = result.of_kind(Kind.TRACES)
    if traces:
        lines.append(
            f"  traces: {_money(result.total([Kind.TRACES]).desired)} for "
            f"{_figure(usage.traces_millions_per_month)} million traces a month "
            f"({_source('tracesMillionsPerMonth', stated)}; {usage.spans_per_trace} spans a trace, "
            f"{_source('spansPerTrace', stated)})"
        )
        lines += [_line_text(line, hours) for line in traces] if detail else []
    metered = result.of_kind(Kind.METERED)
    if metered and detail:
        lines.append("  metered, not in the total (the volume depends on the workloads): unit prices")
        lines += [_metered_text(line) for line in metered]
    return lines + _gaps(result, detail)


def _line_text(line: Line, hours: int) -> str:
    quantity = _figure(line.quantity.desired)
    if line.quantity.varies:
        quantity += f" (max {_figure(line.quantity.at_max)})"
    time = f" x {hours} h" if line.hourly and line.kind == Kind.FIXED else ""
    price = "price unknown" if line.unit_price is None else f"{_unit_price(line.unit_price)}/{line.unit}"
    marks = _marks(line) + (" tiered" if line.tiered else "")
    monthly = "?" if line.monthly is None else _money(line.monthly.desired)
    at_max = f"; at max {_money(line.monthly.at_max)}" if line.monthly and line.monthly.varies else ""
    arithmetic = f"{quantity}{time} x {price}{marks}{at_max}"
    text = f"      {monthly:>10}  {line.what}: {arithmetic}  [{fold_names(line.resources)}]"
    return "\n".join([text, *(f"{'':18}({note})" for note in line.notes)])


def _metered_text(line: Line) -> str:
    price = "price unknown" if line.unit_price is None else f"{_unit_price(line.unit_price)}/{line.unit}"
    return f"      {price}{_marks(line)}  {line.what}  [{fold_names(line.resources)}]"


def _marks(line: Line) -> str:
    if line.lower_bound:
        return f"{UNVERIFIED} (a lower bound)"
    return "" if line.verified or line.unit_price is None else UNVERIFIED


def _gaps(result: Estimate, detail: bool) -> list[str]:
    """Unknown prices, lower bounds and unclassified resources; with detail, the legend and the free
    resources too."""
    lines = []
    if detail:
        lines.append(
            f"  {UNVERIFIED} unverified price: widely published or cross-checked, not read on the "
            "provider's page"
        )
    for line in result.unknown:
        lines.append(f"  unknown: {line.what}: {line.missing}; left out of the total")
    for line in result.lower_bounds:
        lines.append(f"  lower bound: {line.what}: {line.missing}")
    if result.unclassified:
        lines.append(
            f"  warning: {len(result.unclassified)} resources of types the cost model does not know, not "
            f"counted: {fold_names(result.unclassified)}"
        )
    if not detail:
        return lines
    types = {resource.type for resource in result.free}
    lines.append(
        f"  free: {len(result.free)} resources of {len(types)} types (VPC parts, IAM, Kubernetes objects, "
        f"local keys); each with its reason under cost.free in the plan JSON"
    )
    return lines


# --- the cost of a change as text --------------------------------------------------------------------------


def render_delta(delta: CostDelta) -> list[str]:
    total, fixed = delta.delta(), delta.delta([Kind.FIXED])
    link, traces = delta.delta([Kind.LINK_TRAFFIC]), delta.delta([Kind.TRACES])
    before, after = delta.before.total(), delta.after.total()
    floor = (
        "" if delta.complete else "; a floor: a price on one side or the other is unknown or a lower bound"
    )
    lines = [
        f"Monthly cost of this change, estimated: {_signed(total.desired)} at desired nodes "
        f"({_money(before.desired)} -> {_money(after.desired)}), {_signed(total.at_max)} at max "
        f"({_money(before.at_max)} -> {_money(after.at_max)}){floor}",
        f"  fixed {_signed(fixed.desired)}, link traffic {_signed(link.desired)}, "
        f"traces {_signed(traces.desired)}; priced with {PRICES_FILE_NAME} "
        f"(read {delta.after.prices_read})",
    ]
    for change in delta.changes:
        if change.kind == Kind.METERED:
            continue
        was, now = change.quantity
        amount = change.delta
        figure = "?" if amount is None else _signed(amount.desired)
        at_max = f" (at max {_signed(amount.at_max)})" if amount and amount.varies else ""
        quantity = f"{_figure(was.desired)} -> {_figure(now.desired)}"
        lines.append(
            f"      {figure:>10}  {change.what}: {quantity}{at_max}  [{fold_names(change.resources)}]"
        )
    for change in delta.changes:
        if change.kind == Kind.METERED and (change.before is None) != (change.after is None):
            verb = "now metered" if change.after else "no longer metered"
            lines.append(f"      {verb}: {change.what}  [{fold_names(change.resources)}]")
    if len(lines) == 2:
        lines.append("      no line of the estimate changes")
    return lines


# --- wording -----------------------------------------------------------------------------------------------

_TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)$")


def resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def fold_names(urns: Iterable[str]) -> str:
    """Names of the resources, once each, those differing only in a trailing number folded:
    nat-{0,1,2}."""
    groups: dict[tuple[str, bool], list[str]] = {}
    for urn in urns:
        name = resource_name(urn)
        match = _TRAILING_NUMBER.match(name)
        key, number = ((match.group(1), True), match.group(2)) if match else ((name, False), "")
        numbers = groups.setdefault(key, [])
        if number not in numbers:
            numbers.append(number)
    parts = []
    for (prefix, numbered), numbers in groups.items():
        if not numbered or len(numbers) == 1:
            parts.append(prefix + numbers[0])
        else:
            parts.append(f"{prefix}{{{','.join(numbers)}}}")
    return ", ".join(parts)


def _source(key: str, stated: set[str]) -> str:
    return f"{USAGE_KEYS[key]}{'' if key in stated else ', the default'}"


def _money(amount: float) -> str:
    return f"-${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"


def _signed(amount: float) -> str:
    return f"+{_money(amount)}" if amount >= 0.005 else _money(amount) if amount <= -0.005 else "$0.00"


def _unit_price(value: float) -> str:
    """A unit price to the cent at least, and as many digits beyond as it has: $0.10, $0.0014."""
    cents = f"{value:.2f}"
    exact = f"{value:.8f}".rstrip("0")
    return "$" + (exact if len(exact) > len(cents) else cents)


def _figure(value: float) -> str:
    """A quantity or a unit price without trailing zeros: 3, 465.66, 0.0014."""
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}" if value >= 1 else f"{value:.6g}"
