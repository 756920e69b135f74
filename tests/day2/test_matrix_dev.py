"""The day-2 matrix on the dev stack (one module per stack, so that test processes share the work)."""

from __future__ import annotations

import pytest

from tests.day2.cases import cases_for
from tests.day2.matrix import check
from tests.support.day2 import Case

STACK = "dev"
# Each case plans the stack before and after its steps: the longest module of a cold run.
pytestmark = pytest.mark.heavy


@pytest.mark.parametrize("case", cases_for(STACK), ids=lambda case: case.id)
def test_the_change_plans_as_its_case_says(case: Case, request: pytest.FixtureRequest) -> None:
    check(case, STACK, bool(request.config.getoption("--refresh-day2")))
