"""The plan cache shared by the test processes: a value asked for twice at once is made once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.support import plans


@pytest.fixture
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CROSSMESH_TEST_PLAN_CACHE", raising=False)
    monkeypatch.setattr(plans, "CACHE_ROOT", tmp_path)
    return tmp_path


def test_a_second_reader_waits_for_the_value_being_made_and_reads_it(cache_root: Path) -> None:
    # flock locks belong to an open file, so two threads that each open the lock file exclude each
    # other as two processes do.
    started, release = threading.Event(), threading.Event()
    made: list[str] = []
    results: dict[str, str] = {}

    def slow() -> str:
        made.append("first")
        started.set()
        assert release.wait(10)
        return "value of the first"

    def fast() -> str:
        made.append("second")
        return "value of the second"

    first = threading.Thread(target=lambda: results.update(first=plans.on_disk("shared key", slow)))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=lambda: results.update(second=plans.on_disk("shared key", fast)))
    second.start()
    second.join(0.5)
    assert second.is_alive(), "the second reader did not wait for the value being made"
    release.set()
    first.join(10)
    second.join(10)
    assert made == ["first"]
    assert results == {"first": "value of the first", "second": "value of the first"}


def test_a_stored_value_is_read_and_other_keys_are_made(cache_root: Path) -> None:
    assert plans.on_disk("one", lambda: 1) == 1
    assert plans.on_disk("one", lambda: 2) == 1
    assert plans.on_disk("two", lambda: 2) == 2
    assert len(list(cache_root.glob("*/*.pickle"))) == 2
