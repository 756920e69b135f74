"""docs/day2.md holds the matrix as the cases and their records say, and the records hold every case."""

from __future__ import annotations

import re

import pytest

from offline.day2 import RULES
from tests.day2.cases import CASES, cases_for
from tests.day2.doc import current_block, render
from tests.support.day2 import ALL_STACKS, DOC, recorded


def test_the_doc_shows_the_matrix(request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--refresh-day2"):
        pytest.skip("docs/day2.md is rewritten once every stack's record is")
    assert current_block(DOC.read_text()) == render(), (
        "docs/day2.md is stale: pytest tests/day2 --refresh-day2"
    )


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_each_stack_records_exactly_its_cases(stack: str, request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--refresh-day2"):
        pytest.skip("the records are being rewritten")
    assert sorted(recorded(stack)) == sorted(case.id for case in cases_for(stack))


def test_case_ids_are_unique_and_every_step_says_what_it_does() -> None:
    assert len({case.id for case in CASES}) == len(CASES)
    assert all(step.change and step.effect for case in CASES for step in case.steps)


def test_every_change_of_the_day2_program_is_in_the_matrix() -> None:
    # The tenth, what must survive, is the protection every case's critical resources have
    # (tests/components/test_protection_specs.py), not a change of its own.
    covered = {case.issue_case for case in CASES if case.issue_case is not None}
    assert covered == set(range(1, 10))


def test_the_doc_lists_exactly_the_day2_rules() -> None:
    text = DOC.read_text()
    listed = text[text.index("<!-- day-2 rules") : text.index("<!-- end of day-2 rules -->")]
    pairs = re.findall(r"^- `([\w-]+)`(?:, `([\w-]+)`)?", listed, re.MULTILINE)
    assert {name for pair in pairs for name in pair if name} == set(RULES)
