"""One case of the day-2 matrix on one stack: its verdict asserted, its record compared or refreshed."""

from __future__ import annotations

from typing import Any

from tests.support.day2 import Case, judge, recorded, refused_by_config, write_record


def outcome(case: Case, stack: str) -> list[dict[str, Any]]:
    """The case's record on the stack, after asserting its verdict step by step."""
    if case.config_error:
        message = refused_by_config(case, stack)
        assert case.config_error in message, message
        return [{"refusedByConfig": True}]
    records = []
    for number, (step, result) in enumerate(zip(case.steps, judge(case, stack), strict=True), start=1):
        where = f"{case.id} step {number} ({step.change}) on {stack}"
        assert not result.unexpected, f"{where}: " + "; ".join(result.unexpected)
        refused = sorted({refusal.rule for refusal in result.refused})
        assert refused == sorted(step.refused), f"{where}: " + "; ".join(r.line() for r in result.refused)
        records.append(result.record())
    return records


def check(case: Case, stack: str, refresh: bool) -> None:
    records = outcome(case, stack)
    if refresh:
        write_record(stack, {**recorded(stack), case.id: records})
        return
    assert recorded(stack).get(case.id) == records, (
        f"tests/fixtures/day2/{stack}.json is stale for {case.id}: run pytest tests/day2 --refresh-day2"
    )
