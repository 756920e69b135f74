"""The App Mesh traffic-policy renderer: same numbers as the Istio renderer, v1beta2 structure, and the
gaps between the two meshes named one by one."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.config import ServiceConfig, TrafficPolicySpec
from components.mesh import appmesh_specs
from components.mesh.appmesh_traffic_specs import (
    connection_pool,
    duration,
    duration_ms,
    listener_policy,
    retry_policy,
    route_spec,
)
from components.mesh.traffic_specs import (
    Localities,
    destination_rule_spec,
    virtual_service_spec,
)
from tests.support.crd_schema import appmesh_problems
from tests.support.traffic_checks import same_numbers
from tests.support.traffic_strategies import policies

EAST = Localities(aws_region="us-east-1", gcp_region="us-east4")
TARGET = {"virtualNodeRef": {"name": "orders", "namespace": "orders"}, "weight": 100}


def svc(protocol: str = "http") -> ServiceConfig:
    return ServiceConfig.model_validate(
        {"name": "orders", "cloud": "aws", "namespace": "orders", "protocol": protocol}
    )


def policy_of(raw: dict[str, Any] | None = None) -> TrafficPolicySpec:
    return TrafficPolicySpec.model_validate(raw or {})


# --- durations and retries -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ms", "rendered"),
    [
        (15_000, {"unit": "s", "value": 15}),
        (250, {"unit": "ms", "value": 250}),
        (1500, {"unit": "ms", "value": 1500}),
    ],
)
def test_durations_render_as_app_mesh_unit_and_value(ms: int, rendered: dict[str, Any]) -> None:
    assert duration(ms) == rendered


@given(st.integers(min_value=1, max_value=10**9))
def test_durations_round_trip(ms: int) -> None:
    assert duration_ms(duration(ms)) == ms


def test_a_zero_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="longer than zero"):
        duration(0)


def test_connection_error_is_a_tcp_retry_event_and_the_rest_are_http_events() -> None:
    rendered = retry_policy(
        policy_of({"retries": {"events": ["connection-error", "server-error", "gateway-error"]}})
    )
    assert rendered["httpRetryEvents"] == ["server-error", "gateway-error"]
    assert rendered["tcpRetryEvents"] == ["connection-error"]


def test_a_policy_retrying_only_on_connection_errors_has_no_http_events() -> None:
    rendered = retry_policy(policy_of({"retries": {"events": ["connection-error"]}}))
    assert "httpRetryEvents" not in rendered
    assert rendered["tcpRetryEvents"] == ["connection-error"]


def test_zero_attempts_are_written_out_so_app_mesh_does_not_retry_on_its_defaults() -> None:
    rendered = retry_policy(policy_of({"retries": {"attempts": 0}}))
    assert rendered["maxRetries"] == 0
    assert (
        appmesh_problems(
            "VirtualRouter",
            {"routes": [route_spec(svc(), policy_of({"retries": {"attempts": 0}}), [TARGET])]},
        )
        == []
    )


def test_default_policy_renders_the_documented_route() -> None:
    route = route_spec(svc(), policy_of(), [TARGET])
    assert route == {
        "name": "orders",
        "httpRoute": {
            "match": {"prefix": "/"},
            "action": {"weightedTargets": [TARGET]},
            "retryPolicy": {
                "maxRetries": 2,
                "perRetryTimeout": {"unit": "s", "value": 2},
                "httpRetryEvents": ["gateway-error", "stream-error"],
                "tcpRetryEvents": ["connection-error"],
            },
            "timeout": {"perRequest": {"unit": "s", "value": 15}},
        },
    }


@pytest.mark.parametrize(
    ("protocol", "key"), [("http", "httpRoute"), ("http2", "http2Route"), ("grpc", "grpcRoute")]
)
def test_each_protocol_gets_its_own_route_kind(protocol: str, key: str) -> None:
    route = route_spec(svc(protocol), policy_of(), [TARGET])
    assert set(route) == {"name", key}


# --- the listener --------------------------------------------------------------------------------------


def test_http_listener_pools_connections_and_pending_requests() -> None:
    pool = connection_pool(
        "http", policy_of({"connectionPool": {"maxConnections": 10, "maxPendingRequests": 20}})
    )
    assert pool == {"http": {"maxConnections": 10, "maxPendingRequests": 20}}


@pytest.mark.parametrize("protocol", ["http2", "grpc"])
def test_http2_and_grpc_listeners_pool_requests(protocol: str) -> None:
    pool = connection_pool(protocol, policy_of({"connectionPool": {"maxRequests": 30}}))  # type: ignore[arg-type]
    assert pool == {protocol: {"maxRequests": 30}}


def test_listener_timeout_matches_the_route_timeout() -> None:
    listener = listener_policy(svc(), policy_of({"timeout": "45s"}))
    assert listener["timeout"] == {"http": {"perRequest": {"unit": "s", "value": 45}}}


# --- the same numbers in both meshes -------------------------------------------------------------------

services = st.builds(
    ServiceConfig,
    name=st.from_regex(r"^[a-z][a-z0-9]{0,20}$", fullmatch=True),
    cloud=st.just("aws"),
    namespace=st.from_regex(r"^[a-z][a-z0-9]{0,20}$", fullmatch=True),
    port=st.integers(1, 65535),
    protocol=st.sampled_from(["http", "http2", "grpc"]),
)


@given(policy=policies(), service=services)
def test_one_policy_carries_the_same_numbers_into_istio_and_app_mesh(
    policy: TrafficPolicySpec, service: ServiceConfig
) -> None:
    same_numbers(
        destination_rule_spec(service, policy, EAST),
        virtual_service_spec(service, policy),
        route_spec(service, policy, [TARGET]),
        listener_policy(service, policy),
        service.protocol,
    )


@given(policy=policies(), service=services)
def test_any_valid_policy_renders_app_mesh_objects_of_the_v1beta2_structure(
    policy: TrafficPolicySpec, service: ServiceConfig
) -> None:
    node = appmesh_specs.virtual_node_spec(service, policy, "mesh.internal", ["spiffe://td/ns/a/sa/b"], [])
    assert appmesh_problems("VirtualNode", node) == []
    assert appmesh_problems("VirtualRouter", appmesh_specs.virtual_router_spec(service, policy)) == []


# --- what does not carry over --------------------------------------------------------------------------


def test_gap_an_http_listener_has_no_request_limit_though_istio_applies_one() -> None:
    policy = policy_of({"connectionPool": {"maxRequests": 7}})
    assert (
        destination_rule_spec(svc(), policy, EAST)["trafficPolicy"]["connectionPool"]["http"][
            "http2MaxRequests"
        ]
        == 7
    )
    assert listener_policy(svc(), policy)["connectionPool"] == {
        "http": {"maxConnections": 1024, "maxPendingRequests": 1024}
    }


@pytest.mark.parametrize("protocol", ["http2", "grpc"])
def test_gap_http2_and_grpc_listeners_have_no_connection_or_pending_limit(protocol: str) -> None:
    policy = policy_of({"connectionPool": {"maxConnections": 11, "maxPendingRequests": 13}})
    pool = listener_policy(svc(protocol), policy)["connectionPool"]
    assert pool == {protocol: {"maxRequests": 1024}}


def test_gap_locality_failover_has_no_app_mesh_equivalent() -> None:
    on, off = policy_of({"localityFailover": True}), policy_of({"localityFailover": False})
    assert route_spec(svc(), on, [TARGET]) == route_spec(svc(), off, [TARGET])
    assert listener_policy(svc(), on) == listener_policy(svc(), off)
    assert destination_rule_spec(svc(), on, EAST) != destination_rule_spec(svc(), off, EAST)


def test_gap_per_try_timeout_bounds_retries_only_in_app_mesh_but_every_try_in_istio() -> None:
    # The same number lands in both; the first try differs in meaning (see the module docstring).
    policy = policy_of({"retries": {"perTryTimeout": "3s"}})
    assert virtual_service_spec(svc(), policy)["http"][0]["retries"]["perTryTimeout"] == "3s"
    assert route_spec(svc(), policy, [TARGET])["httpRoute"]["retryPolicy"]["perRetryTimeout"] == {
        "unit": "s",
        "value": 3,
    }
