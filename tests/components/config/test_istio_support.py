"""Istio's support calendar (components/data/istio_versions.json) and what plans make of it: the dates
and Kubernetes ranges istio.io gives, the warnings near and past a minor's end of support, and the
problems of a minor that does not support a cluster's Kubernetes."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
import yaml

from components.config import ConfigError, EksConfig, config_warnings, load_config
from components.config.istio_support import UPGRADE_RUNBOOK, WARN_DAYS, istio_support_problems
from components.config.platform import TODAY_VARIABLE, istio_calendar
from components.config.schema import ISTIO_VERSION, StackConfig
from tests.support.config_samples import VALID
from tests.support.plans import PROJECT_DIR, planned

MESH_DOC = PROJECT_DIR / "docs" / "mesh.md"
DOC_START, DOC_END = "<!-- Istio support calendar", "<!-- end of Istio support calendar -->"
CHART_INDEX = PROJECT_DIR / "offline" / "data" / "charts" / "index.json"
ISTIO_CHARTS = "https://istio-release.storage.googleapis.com/charts"
SIX_WEEKS = 42


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def config(**changes: Any) -> StackConfig:
    """VALID with `mesh.istio` (and any other top-level section) changed."""
    raw = {**VALID, **changes}
    return StackConfig.model_validate(raw)


def revisions(**by_name: str) -> dict[str, Any]:
    return {
        "istio": {"revisions": by_name, "injection": next(iter(by_name)), "gateways": next(iter(by_name))}
    }


def istio_warnings(stack: StackConfig, on: str) -> list[str]:
    return [w for w in config_warnings(stack, day(on)) if "mesh.istio" in w]


def support_warnings(stack: StackConfig, on: str) -> list[str]:
    return [w for w in istio_warnings(stack, on) if "community support" in w]


# --- the data, against what istio.io and istio/istio's tags say ------------------------------------------


@pytest.mark.parametrize(
    ("minor", "release", "end", "status", "kubernetes"),
    [
        # istio.io's end-of-support announcements (a day), and for 1.30 the month its table expects.
        ("1.26", "2025-05-08", "2025-12-19", "ended", "1.29-1.33"),
        ("1.27", "2025-08-11", "2026-03-30", "ended", "1.29-1.33"),
        ("1.28", "2025-11-05", "2026-06-28", "ended", "1.30-1.34"),
        ("1.29", "2026-02-16", "2026-10-12", "announced", "1.31-1.35"),
        ("1.30", "2026-05-18", "2026-11-30", "expected", "1.32-1.36"),
        ("1.31", "2026-08-31", None, None, "1.32-1.36"),
    ],
)
def test_the_calendar_holds_what_istio_io_says(
    minor: str, release: str, end: str | None, status: str | None, kubernetes: str
) -> None:
    found = istio_calendar().get(minor)
    assert found is not None
    assert found.release == day(release)
    assert found.end_of_support == (day(end) if end else None) and found.end_status == status
    low, high = kubernetes.split("-")
    assert found.kubernetes == tuple(f"1.{n}" for n in range(int(low[2:]), int(high[2:]) + 1))


def test_each_fixed_end_is_six_weeks_after_the_minor_two_later_and_only_an_expected_one_lacks_it() -> None:
    # Istio's policy: a minor is supported until six weeks after the N+2 minor's release. Where the
    # calendar holds N+2, the day is fixed and about six weeks after it; where it does not, only a
    # month istio.io expects can be known.
    calendar = istio_calendar()
    for version in calendar.versions:
        major, minor = version.number
        later = calendar.get(f"{major}.{minor + 2}")
        if version.end_of_support is None:
            assert later is None or later.release > calendar.read, version.minor
        elif later is None:
            assert version.end_status == "expected", version.minor
        else:
            assert version.end_status in ("announced", "ended"), version.minor
            assert abs((version.end_of_support - later.release).days - SIX_WEEKS) <= 3, version.minor


def test_the_calendar_agrees_with_the_recorded_istio_release_tags() -> None:
    # offline/data/charts/index.json records istio/istio's tags from 1.28 on: every minor's newest patch
    # there is the calendar's, its .0 was tagged no later than the calendar's release date, and a minor
    # without a stable tag (1.31 in the 2026-08-22 snapshot) has no newest patch to pin.
    index = json.loads(CHART_INDEX.read_text())
    stable = [e for e in index["repositories"][ISTIO_CHARTS]["charts"]["base"] if "-" not in e["version"]]
    oldest = min(number(e["version"])[:2] for e in stable)
    data = json.loads((PROJECT_DIR / "components" / "data" / "istio_versions.json").read_text())
    compared = 0
    for row in data["versions"]:
        if number(row["minor"]) < oldest:
            continue
        patches = [e for e in stable if number(e["version"])[:2] == number(row["minor"])]
        newest = max(patches, key=lambda e: number(e["version"]), default=None)
        assert row["newestPatch"] == (newest["version"] if newest else None), row["minor"]
        first = next((e for e in patches if e["version"] == row["minor"] + ".0"), None)
        if first is not None:
            assert datetime.datetime.fromisoformat(first["created"]).date() <= day(row["release"])
        compared += 1
    assert compared == 4  # 1.28 to 1.31


def number(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def test_the_calendar_says_where_it_comes_from() -> None:
    data = json.loads((PROJECT_DIR / "components" / "data" / "istio_versions.json").read_text())
    repos = {source["repo"] for source in data["source"] if source["type"] == "repo"}
    assert {"istio/istio.io", "istio/istio"} <= repos
    assert data["read"] == istio_calendar().read.isoformat() and data["refresh"].endswith(" istio")
    assert all(row["sources"] for row in data["versions"])


def test_the_shipped_istio_runs_on_every_shipped_stacks_kubernetes() -> None:
    found = istio_calendar().get(".".join(ISTIO_VERSION.split(".")[:2]))
    assert found is not None and EksConfig().version in found.kubernetes
    for stack_file in sorted(PROJECT_DIR.glob("Pulumi.*.yaml")):
        clusters = yaml.safe_load(stack_file.read_text())["config"]["crossmesh:clusters"]
        assert clusters["eks"]["version"] in found.kubernetes, stack_file.name


def test_docs_mesh_shows_the_calendar_as_recorded() -> None:
    rows = ["| Istio | released | end of support | how firm | Kubernetes |", "|---|---|---|---|---|"]
    for version in istio_calendar().versions:
        end = version.end_of_support.isoformat() if version.end_of_support else "not known"
        span = f"{version.kubernetes[0]} to {version.kubernetes[-1]}"
        rows.append(f"| {version.minor} | {version.release} | {end} | {version.end_status or ''} | {span} |")
    text = MESH_DOC.read_text()
    block = text[text.index(DOC_START) : text.index(DOC_END)].splitlines()[1:]
    assert block == rows


# --- warnings: a minor near or past its end of support -------------------------------------------------


@pytest.mark.parametrize(
    ("on", "said"),
    [
        (
            "2026-09-01",
            "leaves Istio's community support on 2026-11-30 (expected: istio.io gives the month; "
            "the day is six weeks after 1.32.0), in 90 days",
        ),
        ("2026-11-29", "leaves Istio's community support on 2026-11-30 (expected"),
        ("2026-11-30", "reaches the end of Istio's community support today, 2026-11-30 (expected"),
        ("2026-12-01", "left Istio's community support on 2026-11-30 (expected"),
    ],
)
def test_the_shipped_minor_warns_from_ninety_days_before_its_end_naming_the_next_minor(
    on: str, said: str
) -> None:
    (warning,) = istio_warnings(config(), on)
    assert warning.startswith(f"crossmesh:mesh.istio.revisions.default: '{ISTIO_VERSION}': Istio 1.30 {said}")
    assert "the next supported minor is 1.31 (Kubernetes 1.32 to 1.36)" in warning
    assert UPGRADE_RUNBOOK in warning


def test_the_shipped_minor_does_not_warn_before_the_window() -> None:
    end = istio_calendar().get("1.30")
    assert end is not None and end.end_of_support is not None
    assert (
        istio_warnings(config(), (end.end_of_support - datetime.timedelta(days=WARN_DAYS + 1)).isoformat())
        == []
    )


def test_a_minor_past_its_announced_end_names_the_supported_minor_and_the_one_step_to_it() -> None:
    (warning,) = support_warnings(config(mesh=revisions(default="1.29.6")), "2026-11-30")
    assert "Istio 1.29 left Istio's community support on 2026-10-12 (announced by istio.io)" in warning
    assert "the next supported minor is 1.31" in warning and "one minor at a time, 1.30 first" in warning


def test_a_minor_with_no_end_recorded_does_not_warn() -> None:
    assert istio_warnings(config(mesh=revisions(default="1.31.0")), "2026-11-30") == []


def test_each_revision_is_judged_on_its_own() -> None:
    upgrading = config(mesh=revisions(default="1.29.6", **{"1-30": "1.30.3"}))
    keys = sorted(w.split(":")[1] for w in support_warnings(upgrading, "2026-11-30"))
    assert keys == ["mesh.istio.revisions.1-30", "mesh.istio.revisions.default"]


def test_crossmesh_today_sets_the_day_the_warnings_are_judged_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TODAY_VARIABLE, "2026-06-01")
    assert [w for w in config_warnings(config()) if "mesh.istio" in w] == []
    monkeypatch.setenv(TODAY_VARIABLE, "2026-12-15")
    assert any("left Istio's community support on 2026-11-30" in w for w in config_warnings(config()))


def test_a_gke_channel_minor_the_istio_minor_does_not_support_warns() -> None:
    # Istio 1.29 supports up to 1.35; the Regular channel offered 1.36 too.
    warnings = istio_warnings(config(mesh=revisions(default="1.29.6")), "2026-06-01")
    (channel,) = [w for w in warnings if "channel" in w]
    assert "GKE's REGULAR channel offered 1.34, 1.35, 1.36 on 2026-09-17" in channel
    assert "not 1.36" in channel


def test_the_shipped_plans_carry_the_warning() -> None:
    # The day the tests pin (tests/conftest.py) is the calendars' read date, 2026-11-30.
    assert any(
        "Istio 1.30 reaches the end of Istio's community support today" in w for w in planned("dev").warnings
    )


# --- problems: a minor that does not support the cluster's Kubernetes ------------------------------------


def test_an_istio_minor_that_does_not_support_the_eks_version_is_a_problem() -> None:
    stack = config(clusters={"eks": {"version": "1.31"}})
    (problem,) = istio_support_problems(stack)
    assert problem == (
        f"crossmesh:mesh.istio.revisions.default: '{ISTIO_VERSION}': Istio 1.30 supports Kubernetes 1.32 to "
        "1.36, not crossmesh:clusters.eks.version '1.31' (istio.io's support-status table, read 2026-11-30); "
        "allowed: an Istio minor that supports 1.31 (1.26, 1.27, 1.28, 1.29), or a Kubernetes minor from "
        "1.32 to 1.36"
    )


def test_the_problem_stops_the_run_with_the_eks_calendars_own() -> None:
    with pytest.raises(ConfigError) as raised:
        load_config({**VALID, "clusters": {"eks": {"version": "1.31"}}}, today=day("2026-06-01"))
    assert any("Istio 1.30 supports Kubernetes 1.32 to 1.36" in p for p in raised.value.problems)


def test_eks_on_app_mesh_runs_no_istio_so_its_version_is_not_held_to_istio() -> None:
    legacy = config(clusters={"eks": {"version": "1.31"}}, mesh={"engines": {"aws": "appmesh"}})
    assert istio_support_problems(legacy) == []


def test_the_gke_floor_is_held_to_every_revision() -> None:
    stack = config(
        clusters={"eks": {"version": "1.34"}, "gke": {"minMasterVersion": "1.37.1-gke.100"}},
        mesh=revisions(default="1.30.3", **{"1-31": "1.31.0"}),
    )
    problems = istio_support_problems(stack)
    assert len(problems) == 2
    assert all("not crossmesh:clusters.gke.minMasterVersion '1.37'" in p for p in problems)
    assert "no recorded Istio minor supports 1.37" in problems[0]


@pytest.mark.parametrize(
    ("version", "said"),
    [
        ("1.32.0", "is newer than any Istio minor in the support calendar read on 2026-11-30"),
        ("1.20.1", "is an Istio minor the support calendar does not hold (it holds 1.26, 1.27"),
    ],
)
def test_a_minor_the_calendar_does_not_hold_is_a_problem(version: str, said: str) -> None:
    (problem,) = istio_support_problems(config(mesh=revisions(default=version)))
    assert problem.startswith(f"crossmesh:mesh.istio.revisions.default: '{version}' {said}")
