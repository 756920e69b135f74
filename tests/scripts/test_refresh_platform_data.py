"""The Istio calendar's refresh: istio.io's support-status rows, in the shapes istio.io writes them,
become the calendar's rows (the network parts only run where a machine reaches the sources)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from scripts.refresh_platform_data import istio_versions, parse_istio_date

# Rows as data/compatibility/supportStatus.yml spells them: free-text dates, '~' and '(Expected)' for a
# month istio.io expects, versions as strings.
ROWS: list[dict[str, Any]] = [
    {"version": "master", "supported": "No, development only", "releaseDate": None, "eolDate": None},
    {
        "version": "1.31",
        "supported": "Yes",
        "releaseDate": "Aug 27, 2026",
        "eolDate": "~Feb 2027 (Expected)",
        "k8sVersions": ["1.32", "1.33", "1.34", "1.35", "1.36"],
    },
    {
        "version": "1.29",
        "supported": "Yes",
        "releaseDate": "Feb 16, 2026",
        "eolDate": "12 Oct 2026 (Expected)",
        "k8sVersions": ["1.31", "1.32", "1.33", "1.34", "1.35"],
    },
    {
        "version": "1.28",
        "supported": "No",
        "releaseDate": "Nov 5, 2025",
        "eolDate": "Jul 1, 2026",
        "k8sVersions": ["1.30", "1.31", "1.32", "1.33", "1.34"],
    },
    {"version": "1.20", "supported": "No", "releaseDate": "Nov 14, 2023", "eolDate": "Jun 25, 2024"},
]
TAGS = ["1.28.9", "1.28.10", "1.28.0-rc.1", "1.29.0", "1.31.0-rc.0", "1.2.0"]


@pytest.mark.parametrize(
    ("text", "date", "precision"),
    [
        ("Sept 5, 2023", "2023-09-05", "day"),
        ("February 14, 2023", "2023-02-14", "day"),
        ("12 Oct 2026 (Expected)", "2026-10-12", "day"),
        ("~Nov 2026 (Expected)", "2026-11-30", "month"),
        ("~March 2023 (Expected)", "2023-03-31", "month"),
    ],
)
def test_istio_io_dates_are_read_with_their_precision(text: str, date: str, precision: str) -> None:
    assert parse_istio_date(text) == (datetime.date.fromisoformat(date), precision)


@pytest.mark.parametrize("text", ["TBD", "Q3 2026", "Oct 2026, Nov 2026"])
def test_a_date_istio_io_does_not_write_stops_the_refresh(text: str) -> None:
    with pytest.raises(ValueError, match=r"not a date istio\.io writes"):
        parse_istio_date(text)


def test_rows_become_the_calendar_oldest_first_with_how_firm_each_end_is() -> None:
    versions = istio_versions(ROWS, TAGS)
    assert [v["minor"] for v in versions] == ["1.28", "1.29", "1.31"]
    by_minor = {v["minor"]: v for v in versions}
    assert by_minor["1.28"]["endOfSupport"]["status"] == "announced"
    assert by_minor["1.28"]["newestPatch"] == "1.28.10"
    assert by_minor["1.29"]["endOfSupport"] == {
        "date": "2026-10-12",
        "status": "announced",
        "asWritten": "12 Oct 2026 (Expected)",
    }
    assert by_minor["1.31"]["endOfSupport"]["status"] == "expected"
    assert by_minor["1.31"]["endOfSupport"]["date"] == "2027-02-28"
    assert by_minor["1.31"]["newestPatch"] is None and by_minor["1.31"]["release"] == "2026-08-27"
    assert by_minor["1.29"]["kubernetes"] == ["1.31", "1.32", "1.33", "1.34", "1.35"]
