"""What the clouds offer, as recorded in components/data/: Kubernetes calendars, regions, name rules.

Each JSON file there carries its sources and the date it was read (`read`); the checks built on it say
that date when they refuse a value, so a stale file is visible. `scripts/refresh_platform_data.py`
refreshes the files where a machine can reach the sources.

Pure: no `pulumi` import.
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True)
class KubernetesMinor:
    """One minor version of a managed Kubernetes offering, with its support dates (UTC)."""

    minor: str
    end_of_standard_support: datetime.date
    end_of_extended_support: datetime.date | None = None

    @property
    def number(self) -> tuple[int, int]:
        major, minor = self.minor.split(".")
        return int(major), int(minor)


@dataclass(frozen=True)
class Calendar:
    """A provider's minor versions, oldest first, and the day the calendar was read."""

    versions: tuple[KubernetesMinor, ...]
    read: datetime.date

    def get(self, minor: str) -> KubernetesMinor | None:
        return next((version for version in self.versions if version.minor == minor), None)

    def successor(self, minor: str) -> KubernetesMinor | None:
        """The next minor after `minor` in the calendar: the only one an upgrade may go to."""
        minors = [version.minor for version in self.versions]
        if minor not in minors or minors.index(minor) + 1 == len(minors):
            return None
        return self.versions[minors.index(minor) + 1]

    def in_standard_support(self, today: datetime.date) -> list[str]:
        return [v.minor for v in self.versions if v.end_of_standard_support > today]


def _load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DATA_DIR / name).read_text())
    return document


def _date(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


@cache
def eks_calendar() -> Calendar:
    data = _load("eks_versions.json")
    versions = tuple(
        KubernetesMinor(
            minor=row["minor"],
            end_of_standard_support=datetime.date.fromisoformat(row["endOfStandardSupport"]),
            end_of_extended_support=_date(row["endOfExtendedSupport"]),
        )
        for row in data["versions"]
    )
    return Calendar(versions, datetime.date.fromisoformat(data["read"]))


@cache
def gke_calendar() -> Calendar:
    data = _load("gke_versions.json")
    versions = tuple(
        KubernetesMinor(
            minor=row["minor"],
            end_of_standard_support=datetime.date.fromisoformat(row["endOfStandardSupport"]),
        )
        for row in data["versions"]
    )
    return Calendar(versions, datetime.date.fromisoformat(data["read"]))


@cache
def gke_channel_minors() -> dict[str, tuple[str, ...]]:
    """The minors each GKE release channel offered at the recorded snapshot (`gke_channels_as_of`)."""
    channels = _load("gke_versions.json")["channels"]
    return {key: tuple(value) for key, value in channels.items() if key != "asOf"}


def gke_channels_as_of() -> str:
    return str(_load("gke_versions.json")["channels"]["asOf"])


@dataclass(frozen=True)
class IstioMinor:
    """One Istio minor release: when it came out, when its community support ends (UTC), and the
    Kubernetes minors it supports. `end_status` says how firm the end is: `expected` (istio.io gives a
    month; the date is that month's last day), `announced` (istio.io named the day) or `ended`."""

    minor: str
    release: datetime.date
    end_of_support: datetime.date | None
    end_status: str | None
    kubernetes: tuple[str, ...]

    @property
    def number(self) -> tuple[int, int]:
        major, minor = self.minor.split(".")
        return int(major), int(minor)


@dataclass(frozen=True)
class IstioCalendar:
    """Istio's minors, oldest first, and the day the calendar was read."""

    versions: tuple[IstioMinor, ...]
    read: datetime.date

    def get(self, minor: str) -> IstioMinor | None:
        return next((version for version in self.versions if version.minor == minor), None)

    def successor(self, minor: str) -> IstioMinor | None:
        """The next minor after `minor`: Istio upgrades go one minor at a time."""
        found = self.get(minor)
        return next((v for v in self.versions if found and v.number > found.number), None)

    def next_supported(self, minor: str, today: datetime.date) -> IstioMinor | None:
        """The oldest minor newer than `minor` that is out and still supported on `today`."""
        found = self.get(minor)
        return next(
            (
                version
                for version in self.versions
                if found
                and version.number > found.number
                and version.release <= today
                and (version.end_of_support is None or version.end_of_support > today)
            ),
            None,
        )


@cache
def istio_calendar() -> IstioCalendar:
    data = _load("istio_versions.json")
    versions = tuple(
        IstioMinor(
            minor=row["minor"],
            release=datetime.date.fromisoformat(row["release"]),
            end_of_support=_date(row["endOfSupport"]["date"]) if row["endOfSupport"] else None,
            end_status=row["endOfSupport"]["status"] if row["endOfSupport"] else None,
            kubernetes=tuple(row["kubernetes"]),
        )
        for row in data["versions"]
    )
    return IstioCalendar(versions, datetime.date.fromisoformat(data["read"]))


@cache
def aws_regions() -> dict[str, str]:
    """AWS region code -> partition, every partition the AWS SDK knows."""
    return {row["code"]: row["partition"] for row in _load("regions.json")["aws"]["regions"]}


@cache
def gcp_regions() -> tuple[str, ...]:
    return tuple(_load("regions.json")["gcp"]["regions"])


def regions_read() -> str:
    return str(_load("regions.json")["read"])


@cache
def name_rules() -> dict[str, Any]:
    return _load("name_rules.json")


def reserved_namespaces() -> tuple[tuple[str, ...], str]:
    """The namespaces Kubernetes starts with, and the prefix it keeps for its own."""
    reserved = name_rules()["reservedNamespaces"]
    return tuple(reserved["names"]), str(reserved["prefix"])


def name_limit(kind: str) -> int:
    return int(name_rules()["limits"][kind]["max"])


# Judge support windows on another day than today: a reproducible plan (the tests pin the day the data
# was read), or a look at what a stack file will meet on a later date.
TODAY_VARIABLE = "CROSSMESH_TODAY"


def today() -> datetime.date:
    """The date support windows are judged on: today in UTC, as the providers' calendars are, unless
    CROSSMESH_TODAY names another (YYYY-MM-DD)."""
    pinned = os.environ.get(TODAY_VARIABLE)
    if pinned:
        try:
            return datetime.date.fromisoformat(pinned)
        except ValueError:
            raise ValueError(f"{TODAY_VARIABLE}={pinned!r} is not a date such as 2026-11-30") from None
    return datetime.datetime.now(datetime.UTC).date()
