"""Cloud Monitoring queries held to the metric descriptors recorded in offline/data/gcp_metrics.json:
the metric exists on that monitored resource, every label a filter or grouping names is one of the
metric's, and the aligner and reducer accept the metric's kind and value type."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from offline.record import Plan
from tests.support.types import GCP_ALERT_POLICY, GCP_MONITORING_DASHBOARD

DATA = Path(__file__).resolve().parents[2] / "offline" / "data" / "gcp_metrics.json"

_METRIC = re.compile(r'metric\.type\s*=\s*"([^"]+)"')
_RESOURCE = re.compile(r'resource\.type\s*=\s*"([^"]+)"')
_LABEL = re.compile(r"metric\.label\.([A-Za-z_][A-Za-z0-9_]*)")


@cache
def descriptors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA.read_text())
    return data


def query_problems(filter_: str, aggregation: Mapping[str, Any]) -> list[str]:
    """What Cloud Monitoring would refuse, or silently match nothing with, in one filter and aggregation."""
    data = descriptors()
    metric_match = _METRIC.search(filter_)
    if metric_match is None:
        return [f"no metric.type in {filter_!r}"]
    metric_type = metric_match.group(1)
    metric = data["metrics"].get(metric_type)
    if metric is None:
        return [f"{metric_type} is not a recorded metric"]
    problems = []
    resource = _RESOURCE.search(filter_)
    if resource is not None and resource.group(1) != metric["resource"]:
        problems.append(f"{metric_type} is reported on {metric['resource']}, not {resource.group(1)}")
    fields = [filter_, *aggregation.get("groupByFields", [])]
    for label in sorted({label for text in fields for label in _LABEL.findall(text)}):
        if label not in metric["labels"]:
            problems.append(f"{metric_type} has no label {label} (its labels: {', '.join(metric['labels'])})")
    value_type = metric["valueType"]
    aligner_name = aggregation.get("perSeriesAligner", "ALIGN_NONE")
    aligner = data["aligners"].get(aligner_name)
    if aligner is None:
        problems.append(f"{aligner_name} is not a recorded aligner")
    elif metric["kind"] not in aligner["kinds"] or value_type not in aligner["valueTypes"]:
        problems.append(f"{aligner_name} does not accept {metric_type}, a {metric['kind']} of {value_type}")
    else:
        value_type = aligner.get("output", value_type)
    reducer = aggregation.get("crossSeriesReducer")
    if reducer is not None and value_type not in data["reducers"].get(reducer, []):
        problems.append(f"{reducer} does not accept {value_type}, what {aligner_name} yields")
    return problems


def plan_queries(plan: Plan) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(where, filter, aggregation) of every metric query in the plan's alert policies and dashboards."""
    for policy in plan.of_type(GCP_ALERT_POLICY):
        for condition in policy.plain_inputs["conditions"]:
            body = condition.get("conditionThreshold") or condition.get("conditionAbsent")
            if body is None:
                continue
            for aggregation in body.get("aggregations") or [{}]:
                yield f"{policy.name}: {condition['displayName']}", body["filter"], aggregation
    for dashboard in plan.of_type(GCP_MONITORING_DASHBOARD):
        for tile in json.loads(dashboard.plain_inputs["dashboardJson"])["mosaicLayout"]["tiles"]:
            for data_set in tile["widget"]["xyChart"]["dataSets"]:
                series = data_set["timeSeriesQuery"].get("timeSeriesFilter")
                if series is not None:
                    yield (
                        f"{dashboard.name}: {tile['widget']['title']}",
                        series["filter"],
                        series["aggregation"],
                    )
