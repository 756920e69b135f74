"""Hypothesis strategies for traffic policies, shared by the Istio and App Mesh renderer tests."""

from __future__ import annotations

from typing import Any, get_args

from hypothesis import strategies as st

from components.config import RetryEvent, TrafficPolicySpec

EVENTS: tuple[RetryEvent, ...] = get_args(RetryEvent)

millis = st.integers(min_value=1, max_value=600_000).map(lambda ms: f"{ms}ms")


@st.composite
def policies(draw: st.DrawFn) -> TrafficPolicySpec:
    """Any valid policy: the overall timeout always leaves room for every attempt."""
    attempts = draw(st.integers(0, 10))
    per_try = draw(st.integers(1, 60_000))
    raw: dict[str, Any] = {
        "timeout": f"{max(per_try * (attempts + 1), draw(st.integers(1, 600_000)))}ms",
        "retries": {
            "attempts": attempts,
            "perTryTimeout": f"{per_try}ms",
            "events": draw(st.lists(st.sampled_from(EVENTS), min_size=1, max_size=5)),
        },
        "connectionPool": {
            "maxConnections": draw(st.integers(1, 2**31 - 1)),
            "maxPendingRequests": draw(st.integers(1, 2**31 - 1)),
            "maxRequests": draw(st.integers(1, 2**31 - 1)),
        },
        "outlierDetection": {
            "consecutiveServerErrors": draw(st.integers(1, 1000)),
            "interval": draw(millis),
            "baseEjectionTime": draw(millis),
            "maxEjectionPercent": draw(st.integers(0, 100)),
        },
        "localityFailover": draw(st.booleans()),
    }
    return TrafficPolicySpec.model_validate(raw)
