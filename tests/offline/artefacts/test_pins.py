"""Pinned artefacts exist: every chart version the plans install is in its repository's recorded
index, and the data file records exactly the pins the plans use."""

from __future__ import annotations

from typing import Any

import pytest

from components.mesh.istio_specs import ISTIO_CHART_REPO
from components.observability.specs import COLLECTOR_CHART_REPO
from offline.artefacts import check_artefacts, data
from offline.artefacts.pins import pin_problem, repository_of
from offline.record import Registration
from tests.offline.artefacts.support import one, resources
from tests.support.plans import STACKS, planned
from tests.support.types import HELM_RELEASE

AUTOSCALER_REPO = "https://kubernetes.github.io/autoscaler"


def releases(stack: str) -> list[Registration]:
    return planned(stack).of_type(HELM_RELEASE)


def release(chart: str, version: str | None, repo: str) -> dict[str, Any]:
    return {"chart": chart, "version": version, "repositoryOpts": {"repo": repo}}


@pytest.mark.parametrize("stack", STACKS)
def test_every_chart_version_a_stack_installs_is_published(stack: str) -> None:
    pins = {(r.name, r.plain_inputs["chart"], r.plain_inputs["version"]) for r in releases(stack)}
    assert len(pins) >= 5
    assert {name: pin_problem(r.plain_inputs) for r in releases(stack) for name in [r.name]} == {
        name: None for name, _, _ in pins
    }


def test_the_data_file_records_exactly_the_pins_the_plans_use() -> None:
    used = {
        (repository_of(r.plain_inputs), r.plain_inputs["chart"], r.plain_inputs["version"])
        for stack in STACKS
        for r in releases(stack)
    }
    recorded = {(p["repository"], p["chart"], p["version"]) for p in data.chart_index()["pins"]}
    assert used == recorded


def test_each_recorded_index_names_its_source_and_date() -> None:
    index = data.chart_index()
    assert index["read"]
    for url, repository in index["repositories"].items():
        source = repository["source"]
        assert source.get("repo") or source.get("url"), url
        assert source.get("commit_date") or source.get("index_generated") or source.get("newest_commit_date")
        assert all(versions for versions in repository["charts"].values()), url


def test_the_unpublished_collector_chart_is_refused_and_the_newest_named() -> None:
    problem = pin_problem(release("opentelemetry-collector", "0.158.3", COLLECTOR_CHART_REPO))
    assert problem is not None
    assert "opentelemetry-collector 0.158.3 is not published" in problem
    assert "newest release 0.170.0" in problem


def test_an_istio_patch_the_recorded_tags_do_not_show_is_refused() -> None:
    assert pin_problem(release("istiod", "1.30.3", ISTIO_CHART_REPO)) is None
    problem = pin_problem(release("istiod", "1.30.4", ISTIO_CHART_REPO))
    assert problem is not None and "newest release 1.30.3" in problem


def test_a_prerelease_an_unpinned_chart_and_unrecorded_charts_are_refused() -> None:
    assert "prerelease" in str(pin_problem(release("base", "1.31.0-rc.0", ISTIO_CHART_REPO)))
    assert "no pinned version" in str(pin_problem(release("base", None, ISTIO_CHART_REPO)))
    assert "is not recorded" in str(pin_problem(release("base", "1.30.3", "https://charts.example.com")))
    assert "is not recorded" in str(pin_problem(release("ztunnel", "1.30.3", ISTIO_CHART_REPO)))


def test_the_cluster_autoscaler_index_is_recorded_for_its_pin() -> None:
    assert pin_problem(release("cluster-autoscaler", "9.59.0", AUTOSCALER_REPO)) is None
    assert pin_problem(release("cluster-autoscaler", "9.53.0", AUTOSCALER_REPO)) is None
    assert "not published" in str(pin_problem(release("cluster-autoscaler", "9.60.0", AUTOSCALER_REPO)))


def test_a_planted_unpublished_version_in_a_plan_is_a_finding() -> None:
    def plant(saved: dict[str, Any]) -> None:
        one(saved, HELM_RELEASE, "gcp-observability-collector")["inputs"]["version"] = "0.158.3"

    findings = check_artefacts(resources("dev", plant))
    assert [(f.check, f.resource_name) for f in findings] == [
        ("chart-version-published", "gcp-observability-collector")
    ]
