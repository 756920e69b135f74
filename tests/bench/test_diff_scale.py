"""The diff benchmark's figures are the ones docs/diff.md quotes, and an in-process diff of a whole
stack against itself is quick and empty."""

from __future__ import annotations

import time

from offline.diff import diff_plans, plan_snapshot
from tests.support.plans import PROJECT_DIR, planned


def test_the_docs_quote_the_measured_table() -> None:
    results = (PROJECT_DIR / "bench" / "diff_results.md").read_text()
    measured = results[results.index("| case |") : results.index("\n\n- ")]
    assert measured in (PROJECT_DIR / "docs" / "diff.md").read_text()


def test_prod_against_itself_is_no_change_and_takes_well_under_a_second() -> None:
    contract = planned("prod").to_contract()
    started = time.perf_counter()
    result = diff_plans(plan_snapshot(contract), plan_snapshot(contract))
    elapsed = time.perf_counter() - started
    assert result.total_changes == 0 and result.counts["unchanged"] > 250
    assert elapsed < 1.0, f"{elapsed:.2f} s"
