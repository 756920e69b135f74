"""An in-process diff of a whole stack against itself is quick and empty."""

from __future__ import annotations

import time

from offline.diff import diff_plans, plan_snapshot
from tests.support.plans import planned


def test_prod_against_itself_is_no_change_and_takes_well_under_a_second() -> None:
    contract = planned("prod").to_contract()
    started = time.perf_counter()
    result = diff_plans(plan_snapshot(contract), plan_snapshot(contract))
    elapsed = time.perf_counter() - started
    assert result.total_changes == 0 and result.counts["unchanged"] > 250
    assert elapsed < 1.0, f"{elapsed:.2f} s"
