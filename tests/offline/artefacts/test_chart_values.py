"""Every Helm value is a key of the pinned chart: the values each stack passes fit, and a misspelt
key, at the top or nested, with or without a values schema, is reported."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.mesh.istio_specs import ISTIO_VERSION
from components.observability.specs import COLLECTOR_CHART, COLLECTOR_CHART_VERSION
from offline.artefacts import data
from offline.artefacts.chart_values import OPEN_VALUES, values_problems
from tests.support.plans import STACKS, planned
from tests.support.types import HELM_RELEASE


def values_of(stack: str, name: str) -> dict[str, Any]:
    values: dict[str, Any] = copy.deepcopy(planned(stack).one(HELM_RELEASE, name).plain_inputs["values"])
    return values


def collector() -> dict[str, Any]:
    return values_of("dev", "aws-observability-collector")


def collector_problems(values: dict[str, Any]) -> list[str]:
    return values_problems(COLLECTOR_CHART, COLLECTOR_CHART_VERSION, values)


@pytest.mark.parametrize("stack", STACKS)
def test_every_value_a_stack_passes_is_a_key_of_its_chart(stack: str) -> None:
    releases = planned(stack).of_type(HELM_RELEASE)
    checked = {
        r.name: values_problems(r.plain_inputs["chart"], r.plain_inputs["version"], r.plain_inputs["values"])
        for r in releases
    }
    assert len(checked) >= 5
    assert checked == {name: [] for name in checked}


def test_a_misspelt_top_level_key_is_reported_by_the_key_tree_and_the_schema() -> None:
    values = collector()
    values["replicaCont"] = values.pop("replicaCount")
    problems = collector_problems(values)
    assert problems[0].startswith("replicaCont: not a key of chart opentelemetry-collector 0.170.0")
    assert "'replicaCont' was unexpected) (values.schema.json)" in problems[1]
    assert len(problems) == 2


def test_a_misspelt_nested_key_is_reported_in_a_chart_without_a_schema() -> None:
    values = values_of("dev", "istio-aws-istiod")
    assert data.chart_values("istiod", ISTIO_VERSION)["schema"] is None  # type: ignore[index]
    values["global"]["meshId"] = values["global"].pop("meshID")
    assert values_problems("istiod", ISTIO_VERSION, values) == [
        "global.meshId: not a key of chart istiod 1.30.3 (values.yaml, values.schema.json and its "
        "templates name no such key); Helm would ignore it"
    ]


def test_a_key_only_the_templates_read_is_known_and_its_misspelling_is_not() -> None:
    recorded = data.chart_values(COLLECTOR_CHART, COLLECTOR_CHART_VERSION)
    assert recorded is not None
    # values.yaml documents minAvailable only in a comment; templates/pdb.yaml reads it.
    assert "minAvailable" not in recorded["values"]["podDisruptionBudget"]
    assert "podDisruptionBudget.minAvailable" in recorded["template_paths"]
    values = collector()
    assert values["podDisruptionBudget"]["minAvailable"] == 1
    assert collector_problems(values) == []
    values["podDisruptionBudget"]["minAvaliable"] = values["podDisruptionBudget"].pop("minAvailable")
    assert [p.split(":")[0] for p in collector_problems(values)] == ["podDisruptionBudget.minAvaliable"]


def test_open_maps_take_any_key() -> None:
    istiod = values_of("dev", "istio-aws-istiod")
    istiod["podAnnotations"]["example.com/any"] = "x"  # `{}` in values.yaml
    istiod["meshConfig"]["anyMeshConfigKey"] = {"nested": True}  # declared open
    assert "meshConfig" in OPEN_VALUES["istiod"]
    assert values_problems("istiod", ISTIO_VERSION, istiod) == []
    gateway = values_of("dev", "istio-aws-gateway")
    gateway["labels"]["team"] = "payments"  # described by the schema without keys
    assert values_problems("gateway", ISTIO_VERSION, gateway) == []
    values = collector()
    values["config"]["exporters"]["otlphttp/any"] = {"endpoint": "https://collector.example.com"}
    assert collector_problems(values) == []


def test_the_values_schema_refuses_a_bad_enum_and_the_key_tree_what_the_schema_lets_through() -> None:
    values = collector()
    values["image"]["pullPolicy"] = "Sometimes"
    assert collector_problems(values) == [
        "image.pullPolicy: 'Sometimes' is not one of ['IfNotPresent', 'Always', 'Never'] (values.schema.json)"
    ]
    gateway = values_of("dev", "istio-aws-gateway")
    # The gateway's schema lists autoscaling's keys but does not forbid others: Helm would take this.
    gateway["autoscaling"]["minReplica"] = gateway["autoscaling"].pop("minReplicas")
    assert [p.split(":")[0] for p in values_problems("gateway", ISTIO_VERSION, gateway)] == [
        "autoscaling.minReplica"
    ]


def test_a_chart_version_without_recorded_values_is_reported_not_passed() -> None:
    (problem,) = values_problems("istiod", "1.30.9", {})
    assert problem.startswith("no values of istiod 1.30.9 are recorded")
