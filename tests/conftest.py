"""Pytest hooks and fixtures; what tests share as code lives in tests/support/."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable

import pytest
from hypothesis import settings

from components.config.platform import TODAY_VARIABLE, eks_calendar
from offline.commands.launch import prepare_process
from offline.record import Plan
from tests.day2.doc import write_doc
from tests.support.plans import fingerprint, planned

# Hypothesis's per-example deadline measures wall time, which a loaded CI machine stretches; the suite's
# time budget is held by the whole run instead.
settings.register_profile("crossmesh", deadline=None)
settings.load_profile("crossmesh")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--refresh-urns",
        action="store_true",
        help="rewrite tests/fixtures/urns/<stack>.txt from the plans of the stack files",
    )
    parser.addoption(
        "--refresh-day2",
        action="store_true",
        help="rewrite tests/fixtures/day2/<stack>.json and docs/day2.md from the day-2 matrix",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Load the SDKs as the crossmesh command does; test_sdk_loading compares the plans made that way
    # with the standard loading's.
    prepare_process()
    # No cycle collector in test processes, as in the command: each collection walked every plan and SDK
    # object the process keeps, a third of the CPU of the tests that plan (the day-2 matrix). A test
    # process's heap then peaks at 1 to 1.3 GB instead of 0.8 GB, and is freed when it ends.
    gc.disable()
    # Taken before any test changes the environment, so every test process shares one plan cache.
    fingerprint()
    # Support windows are judged on the day the calendars were read, so that plans and their warnings
    # do not change with the date the tests run on.
    os.environ.setdefault(TODAY_VARIABLE, eks_calendar().read.isoformat())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules marked heavy first, then by number of tests (xdist's own order): a test process takes the
    next module when it is nearly done, so the long modules must not be the last to start, or one process
    runs one of them alone at the end."""
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)

    def weight(tests: list[pytest.Item]) -> tuple[bool, int]:
        return (tests[0].get_closest_marker("heavy") is None, -len(tests))

    items[:] = [item for tests in sorted(modules.values(), key=weight) for item in tests]


def pytest_unconfigure(config: pytest.Config) -> None:
    # The process ends next, and with it its heap (plans, SDK modules, certificates): the collector's pass
    # over it at exit took seconds, while the xdist controller waited for each worker to end.
    gc.freeze()


def pytest_sessionfinish(session: pytest.Session) -> None:
    # The controller, once every worker has written its stack's record (or the only process).
    if session.config.getoption("--refresh-day2") and not hasattr(session.config, "workerinput"):
        write_doc()


@pytest.fixture(scope="session")
def plan_of() -> Callable[..., Plan]:
    return planned


@pytest.fixture(scope="session")
def dev_plan() -> Plan:
    return planned("dev")
