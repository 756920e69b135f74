"""Every Cloud Monitoring condition and chart of every shipped stack against Google's metric descriptors:
an aligner the metric's value type does not take, or a label it does not have, is refused by the API or
matches nothing, and only a real deployment would show it."""

from __future__ import annotations

import pytest

from tests.support.monitoring import plan_queries, query_problems
from tests.support.plans import STACKS, planned

SESSION_UP = 'resource.type = "gce_router" AND metric.type = "router.googleapis.com/bgp/session_up"'


@pytest.mark.parametrize("stack", STACKS)
def test_every_condition_and_chart_is_valid_for_its_metric(stack: str) -> None:
    queries = list(plan_queries(planned(stack)))
    assert len(queries) >= 5
    problems = [
        f"{where}: {problem}" for where, text, agg in queries for problem in query_problems(text, agg)
    ]
    assert problems == []


def test_fraction_true_on_the_integer_bgp_gauge_is_refused() -> None:
    aggregation = {"perSeriesAligner": "ALIGN_FRACTION_TRUE", "crossSeriesReducer": "REDUCE_MIN"}
    assert query_problems(SESSION_UP, aggregation) == [
        "ALIGN_FRACTION_TRUE does not accept router.googleapis.com/bgp/session_up, a GAUGE of INT64"
    ]


def test_a_label_the_metric_does_not_have_is_refused() -> None:
    text = SESSION_UP + ' AND metric.label.bgp_target_ip = one_of("169.254.10.1")'
    assert query_problems(text, {"perSeriesAligner": "ALIGN_MIN"}) == [
        "router.googleapis.com/bgp/session_up has no label bgp_target_ip (its labels: bgp_peer_name)"
    ]


def test_a_reducer_must_take_what_the_aligner_yields_and_the_resource_must_match() -> None:
    text = 'resource.type = "gce_router" AND metric.type = "vpn.googleapis.com/network/sent_bytes_count"'
    assert query_problems(
        text, {"perSeriesAligner": "ALIGN_RATE", "crossSeriesReducer": "REDUCE_COUNT_TRUE"}
    ) == [
        "vpn.googleapis.com/network/sent_bytes_count is reported on vpn_gateway, not gce_router",
        "REDUCE_COUNT_TRUE does not accept DOUBLE, what ALIGN_RATE yields",
    ]
