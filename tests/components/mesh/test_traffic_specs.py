"""Traffic policy renderers: field-by-field Istio specs, exact carry-over, Istio schema and CEL validity."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from components.config import RetryEvent, ServiceConfig, StackConfig, TrafficPolicySpec, load_config
from components.mesh.traffic_specs import (
    RETRY_ON,
    Localities,
    destination_rule_spec,
    duration,
    duration_ms,
    retry_events,
    retry_on,
    service_catalogue,
    service_host,
    virtual_service_spec,
)
from offline.commands.summary import render_summary
from offline.record import Plan
from tests.support.crd_schema import istio_problems
from tests.support.traffic_strategies import EVENTS, policies

ROOT = Path(__file__).resolve().parents[3]
EAST = Localities(aws_region="us-east-1", gcp_region="us-east4")


def dev_config() -> StackConfig:
    document = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    return load_config({key.removeprefix("crossmesh:"): value for key, value in document.items()})


def service(config: StackConfig, name: str) -> ServiceConfig:
    return next(s for s in config.services if s.name == name)


# --- durations and retry conditions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("ms", "text"), [(15_000, "15s"), (1000, "1s"), (250, "250ms"), (1500, "1500ms"), (60_000, "60s")]
)
def test_durations_render_as_whole_seconds_or_milliseconds(ms: int, text: str) -> None:
    assert duration(ms) == text


def test_a_zero_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="longer than zero"):
        duration(0)


@given(st.integers(min_value=1, max_value=10**9))
def test_durations_round_trip(ms: int) -> None:
    assert duration_ms(duration(ms)) == ms


def test_every_app_mesh_retry_event_has_its_own_envoy_condition() -> None:
    assert set(RETRY_ON) == set(EVENTS)
    assert len(set(RETRY_ON.values())) == len(RETRY_ON)
    assert RETRY_ON["gateway-error"] == "gateway-error"
    assert RETRY_ON["connection-error"] == "connect-failure"
    assert RETRY_ON["stream-error"] == "refused-stream"
    assert RETRY_ON["client-error"] == "retriable-4xx"
    assert RETRY_ON["server-error"] == "5xx"


@given(st.lists(st.sampled_from(EVENTS), min_size=1))
def test_retry_events_map_to_retry_on_and_back_exactly(events: list[RetryEvent]) -> None:
    assert retry_events(retry_on(events)) == list(dict.fromkeys(events))


def test_a_retry_on_condition_app_mesh_cannot_express_is_an_error() -> None:
    with pytest.raises(ValueError, match="'reset' has no App Mesh retry event"):
        retry_events("5xx,reset")


# --- field by field: the dev default and an override -------------------------------------------------


def test_the_default_policy_renders_a_destination_rule_field_by_field() -> None:
    config = dev_config()
    checkout = service(config, "checkout")
    assert destination_rule_spec(checkout, config.effective_policy(checkout), EAST) == {
        "host": "checkout.shop.svc.cluster.local",
        "trafficPolicy": {
            "connectionPool": {
                "tcp": {"maxConnections": 512},
                "http": {"http1MaxPendingRequests": 256, "http2MaxRequests": 1024},
            },
            "outlierDetection": {
                "consecutive5xxErrors": 5,
                "interval": "10s",
                "baseEjectionTime": "30s",
                "maxEjectionPercent": 50,
            },
            "loadBalancer": {
                "localityLbSetting": {
                    "enabled": True,
                    "failover": [
                        {"from": "us-east-1", "to": "us-east4"},
                        {"from": "us-east4", "to": "us-east-1"},
                    ],
                }
            },
            "tls": {"mode": "ISTIO_MUTUAL"},
        },
    }


def test_the_default_policy_renders_a_virtual_service_field_by_field() -> None:
    config = dev_config()
    checkout = service(config, "checkout")
    assert virtual_service_spec(checkout, config.effective_policy(checkout)) == {
        "hosts": ["checkout.shop.svc.cluster.local"],
        "http": [
            {
                "name": "checkout",
                "route": [
                    {"destination": {"host": "checkout.shop.svc.cluster.local", "port": {"number": 8080}}}
                ],
                "timeout": "10s",
                "retries": {
                    "attempts": 2,
                    "perTryTimeout": "3s",
                    "retryOn": "gateway-error,connect-failure,refused-stream",
                },
            }
        ],
    }


def test_an_override_changes_only_its_own_fields() -> None:
    config = dev_config()
    payment = service(config, "payment")
    policy = config.effective_policy(payment)
    vs = virtual_service_spec(payment, policy)["http"][0]
    assert vs["timeout"] == "5s"
    assert vs["retries"] == {
        "attempts": 1,
        "perTryTimeout": "2s",
        # events were not overridden: the stack default carries over
        "retryOn": "gateway-error,connect-failure,refused-stream",
    }
    assert vs["route"][0]["destination"]["port"] == {"number": 8443}
    dr = destination_rule_spec(payment, policy, EAST)["trafficPolicy"]
    assert dr["outlierDetection"] == {
        "consecutive5xxErrors": 3,
        "interval": "10s",
        "baseEjectionTime": "30s",
        "maxEjectionPercent": 50,
    }
    assert dr["connectionPool"]["tcp"] == {"maxConnections": 512}


def test_zero_attempts_are_written_out_so_istio_does_not_retry_twice() -> None:
    policy = TrafficPolicySpec.model_validate({"retries": {"attempts": 0}})
    payment = ServiceConfig(name="payment", cloud="aws", namespace="payments")
    assert virtual_service_spec(payment, policy)["http"][0]["retries"] == {"attempts": 0}


def test_without_locality_failover_locality_load_balancing_is_off() -> None:
    policy = TrafficPolicySpec.model_validate({"localityFailover": False})
    payment = ServiceConfig(name="payment", cloud="aws", namespace="payments")
    lb = destination_rule_spec(payment, policy, EAST)["trafficPolicy"]["loadBalancer"]
    assert lb == {"localityLbSetting": {"enabled": False}}


def test_every_dev_service_renders_schema_valid_istio_objects() -> None:
    config = dev_config()
    for svc in config.services:
        policy = config.effective_policy(svc)
        assert istio_problems("DestinationRule", destination_rule_spec(svc, policy, EAST)) == []
        assert istio_problems("VirtualService", virtual_service_spec(svc, policy)) == []


# --- the schema check itself -----------------------------------------------------------------------


def test_the_schema_check_catches_a_misspelt_field() -> None:
    spec = destination_rule_spec(
        ServiceConfig(name="a", cloud="aws", namespace="b"), TrafficPolicySpec(), EAST
    )
    spec["trafficPolicy"]["outlierDetection"]["consecutive5xxError"] = 5
    assert istio_problems("DestinationRule", spec) == [
        "spec.trafficPolicy.outlierDetection: unknown field 'consecutive5xxError'"
    ]


def test_the_schema_check_catches_a_wrong_enum_and_a_bad_duration() -> None:
    spec = destination_rule_spec(
        ServiceConfig(name="a", cloud="aws", namespace="b"), TrafficPolicySpec(), EAST
    )
    spec["trafficPolicy"]["outlierDetection"]["interval"] = "10 seconds"
    assert istio_problems("DestinationRule", spec) == [
        "spec.trafficPolicy.outlierDetection.interval: '10 seconds': "
        "must be a valid duration greater than 1ms"
    ]
    spec["trafficPolicy"]["outlierDetection"]["interval"] = "10s"
    spec["trafficPolicy"]["tls"]["mode"] = "ISTIO_MUTUAL_TLS"
    assert istio_problems("DestinationRule", spec) == [
        "spec.trafficPolicy.tls.mode: 'ISTIO_MUTUAL_TLS' is not one of "
        "['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']"
    ]


# --- properties ------------------------------------------------------------------------------------

services = st.builds(
    ServiceConfig,
    name=st.from_regex(r"^[a-z][a-z0-9]{0,20}$", fullmatch=True),
    cloud=st.sampled_from(["aws", "gcp"]),
    namespace=st.from_regex(r"^[a-z][a-z0-9]{0,20}$", fullmatch=True),
    port=st.integers(1, 65535),
    protocol=st.sampled_from(["http", "http2", "grpc"]),
)


@given(policy=policies(), svc=services)
def test_any_valid_policy_renders_istio_objects_that_meet_their_schemas_and_cel_rules(
    policy: TrafficPolicySpec, svc: ServiceConfig
) -> None:
    assert istio_problems("DestinationRule", destination_rule_spec(svc, policy, EAST)) == []
    assert istio_problems("VirtualService", virtual_service_spec(svc, policy)) == []


@given(policy=policies(), svc=services)
def test_policy_values_carry_over_exactly(policy: TrafficPolicySpec, svc: ServiceConfig) -> None:
    dr = destination_rule_spec(svc, policy, EAST)["trafficPolicy"]
    http = virtual_service_spec(svc, policy)["http"][0]
    assert duration_ms(http["timeout"]) == policy.timeout
    assert http["retries"]["attempts"] == policy.retries.attempts
    if policy.retries.attempts:
        assert duration_ms(http["retries"]["perTryTimeout"]) == policy.retries.per_try_timeout
        assert retry_events(http["retries"]["retryOn"]) == list(dict.fromkeys(policy.retries.events))
    pool = dr["connectionPool"]
    assert pool["tcp"]["maxConnections"] == policy.connection_pool.max_connections
    assert pool["http"]["http1MaxPendingRequests"] == policy.connection_pool.max_pending_requests
    assert pool["http"]["http2MaxRequests"] == policy.connection_pool.max_requests
    outliers = dr["outlierDetection"]
    assert outliers["consecutive5xxErrors"] == policy.outlier_detection.consecutive_server_errors
    assert duration_ms(outliers["interval"]) == policy.outlier_detection.interval
    assert duration_ms(outliers["baseEjectionTime"]) == policy.outlier_detection.base_ejection_time
    assert outliers["maxEjectionPercent"] == policy.outlier_detection.max_ejection_percent
    assert dr["loadBalancer"]["localityLbSetting"]["enabled"] is policy.locality_failover
    assert service_host(svc) == f"{svc.name}.{svc.namespace}.svc.cluster.local"


# --- what the plan shows --------------------------------------------------------------------------


def test_the_catalogue_shows_where_a_service_runs_who_calls_it_and_its_effective_policy() -> None:
    payment = service_catalogue(dev_config())["payment"]
    assert payment == {
        "cloud": "aws",
        "namespace": "payments",
        "port": 8443,
        "protocol": "http2",
        "callers": ["checkout"],
        "policy": {
            "timeout": "5s",
            "retries": {
                "attempts": 1,
                "perTryTimeout": "2s",
                "events": ["gateway-error", "connection-error", "stream-error"],
            },
            "connectionPool": {"maxConnections": 512, "maxPendingRequests": 256, "maxRequests": 1024},
            "outlierDetection": {
                "consecutiveServerErrors": 3,
                "interval": "10s",
                "baseEjectionTime": "30s",
                "maxEjectionPercent": 50,
            },
            "localityFailover": True,
        },
    }


def test_crossmesh_plan_lists_every_service_with_its_callers_and_policy(dev_plan: Plan) -> None:
    assert dev_plan.outputs["services"] == service_catalogue(dev_config())
    summary = render_summary(dev_plan)
    assert "  payment: aws payments:8443 http2; callers: checkout\n" in summary
    assert "  frontend: gcp shop:8080 http; callers: nobody\n" in summary
    assert "timeout 5s, 1 retries x 2s on gateway-error,connection-error,stream-error;" in summary
