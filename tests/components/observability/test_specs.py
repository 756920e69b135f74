"""The pure observability renderers: trace IDs, IAM documents, Istio telemetry, collector values,
Prometheus queries, Cloud Monitoring filters and both dashboards."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.observability import specs
from tests.support.crd_schema import istio_problems

W3C_IDS = st.text("0123456789abcdef", min_size=32, max_size=32).filter(lambda text: set(text) != {"0"})


# --- trace IDs -------------------------------------------------------------------------------------------


def test_xray_trace_id_is_the_w3c_id_split_after_its_first_eight_digits() -> None:
    assert specs.xray_trace_id("4bf92f3577b34da6a3ce929d0e0e4736") == "1-4bf92f35-77b34da6a3ce929d0e0e4736"


@given(W3C_IDS)
def test_converting_a_trace_id_to_xray_and_back_gives_it_unchanged(trace_id: str) -> None:
    xray = specs.xray_trace_id(trace_id)
    assert re.fullmatch(r"1-[0-9a-f]{8}-[0-9a-f]{24}", xray)
    assert specs.w3c_trace_id(xray) == trace_id


def test_the_trace_id_of_a_traceparent_is_its_second_field() -> None:
    header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert specs.trace_id_of_traceparent(header) == "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.mark.parametrize(
    "header",
    [
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
    ],
)
def test_a_malformed_traceparent_is_rejected(header: str) -> None:
    with pytest.raises(ValueError, match=r"traceparent|W3C trace ID"):
        specs.trace_id_of_traceparent(header)


def test_an_xray_id_of_another_version_is_rejected() -> None:
    with pytest.raises(ValueError, match="X-Ray trace ID"):
        specs.w3c_trace_id("2-4bf92f35-77b34da6a3ce929d0e0e4736")


# --- IAM ---------------------------------------------------------------------------------------------


def test_the_xray_policy_allows_writing_traces_and_reading_sampling_rules_only() -> None:
    (statement,) = json.loads(specs.xray_write_policy())["Statement"]
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == [
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    ]


def test_the_workload_identity_member_is_the_collector_account_in_the_project_pool() -> None:
    assert (
        specs.workload_identity_member("p-123456.svc.id.goog", "observability", "otel-collector")
        == "serviceAccount:p-123456.svc.id.goog[observability/otel-collector]"
    )


@given(st.from_regex(r"cm-[a-z][a-z0-9-]{0,60}", fullmatch=True))
def test_the_trace_account_id_is_a_valid_google_account_id(prefix: str) -> None:
    account_id = specs.trace_account_id(prefix)
    assert re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", account_id), account_id


# --- Istio ---------------------------------------------------------------------------------------------


def test_the_mesh_telemetry_is_valid_against_istios_schema() -> None:
    assert istio_problems("Telemetry", specs.telemetry_spec(12.5, tracing=True, access_log=True)) == []


def test_the_telemetry_samples_at_the_configured_rate_with_the_otel_provider() -> None:
    (tracing,) = specs.telemetry_spec(37.5, tracing=True, access_log=False)["tracing"]
    assert tracing == {"providers": [{"name": specs.TRACING_PROVIDER}], "randomSamplingPercentage": 37.5}


def test_the_access_log_keeps_only_requests_through_the_remote_east_west_gateway() -> None:
    (logging,) = specs.telemetry_spec(1, tracing=False, access_log=True)["accessLogging"]
    assert logging["filter"] == {"expression": "upstream.port == 15443"}
    assert logging["providers"] == [{"name": specs.CROSS_CLOUD_LOG_PROVIDER}]


def test_switched_off_parts_leave_the_telemetry_spec() -> None:
    assert specs.telemetry_spec(1, tracing=False, access_log=False) == {}
    assert "accessLogging" not in specs.telemetry_spec(1, tracing=True, access_log=False)


def test_the_extension_providers_define_what_the_telemetry_names() -> None:
    providers = {provider["name"]: provider for provider in specs.extension_providers()}
    spec = specs.telemetry_spec(1, tracing=True, access_log=True)
    named = {p["name"] for entry in spec["tracing"] + spec["accessLogging"] for p in entry["providers"]}
    assert named == set(providers)
    assert providers[specs.TRACING_PROVIDER]["opentelemetry"] == {
        "service": "otel-collector.observability.svc.cluster.local",
        "port": 4317,
    }


def test_the_access_log_line_carries_what_the_metric_filters_read() -> None:
    labels = specs.cross_cloud_log_format()
    assert labels["crossmesh"] == specs.CROSS_CLOUD_MARK
    assert labels["response_code"] == "%RESPONSE_CODE%"
    assert labels["duration"] == "%DURATION%"
    assert labels["traceparent"] == "%REQ(TRACEPARENT)%"
    for field in ("crossmesh", "response_code"):
        assert f"$.log_processed.{field}" in specs.cross_cloud_log_pattern(errors_only=True)


# --- collectors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exporter", "name"),
    [(specs.xray_exporter("us-east-1"), "awsxray"), (specs.cloud_trace_exporter("p-1"), "googlecloud")],
)
def test_the_collector_sends_otlp_traces_to_its_one_backend(exporter: dict[str, object], name: str) -> None:
    values = specs.collector_values(exporter, {"k": "v"})
    config = values["config"]
    assert config["exporters"] == exporter
    assert config["service"]["pipelines"]["traces"]["exporters"] == [name]
    assert config["service"]["pipelines"]["traces"]["receivers"] == ["otlp"]
    assert values["fullnameOverride"] == specs.COLLECTOR_NAME
    assert values["serviceAccount"] == {
        "create": True,
        "name": specs.COLLECTOR_NAME,
        "annotations": {"k": "v"},
    }


def test_the_collector_chart_is_pinned_to_an_exact_version() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", specs.COLLECTOR_CHART_VERSION)


# --- queries and filters --------------------------------------------------------------------------------


def test_cross_cloud_queries_read_the_callers_reports_of_calls_to_the_other_cluster() -> None:
    selector = 'reporter="source",source_cluster="cm-dev-gke",destination_cluster="cm-dev-eks"'
    assert specs.cross_cloud_request_rate_query("cm-dev-gke", "cm-dev-eks") == (
        f"sum(rate(istio_requests_total{{{selector}}}[5m]))"
    )
    errors = specs.cross_cloud_error_percent_query("cm-dev-gke", "cm-dev-eks")
    assert errors.startswith(
        f'100 * sum(rate(istio_requests_total{{{selector},response_code=~"5.."}}[5m])) / '
    )
    p99 = specs.cross_cloud_p99_query("cm-dev-gke", "cm-dev-eks")
    assert p99.startswith("histogram_quantile(0.99, sum by (le) ")
    assert f"istio_request_duration_milliseconds_bucket{{{selector}}}" in p99


def test_the_tunnel_filter_names_every_tunnel_quoted() -> None:
    assert specs.tunnel_established_filter(["a-0", "a-1"]).endswith(
        'metric.label.tunnel_name = one_of("a-0", "a-1")'
    )
    assert 'metric.label.bgp_peer_name = one_of("cm-aws-0-0")' in specs.bgp_session_filter(["cm-aws-0-0"])


# --- dashboards ---------------------------------------------------------------------------------------


def test_the_cloudwatch_dashboard_charts_state_and_throughput_of_each_tunnel() -> None:
    tunnels = [("vpn-1", "198.18.0.1"), ("vpn-1", "198.18.0.2")]
    body = json.loads(specs.cloudwatch_dashboard("us-east-1", tunnels, "CrossMesh/cm-dev", "note"))
    metrics = [m for widget in body["widgets"] for m in widget["properties"].get("metrics", [])]
    for metric in ("TunnelState", "TunnelDataIn", "TunnelDataOut"):
        assert [m[:6] for m in metrics if m[1] == metric] == [
            ["AWS/VPN", metric, "VpnId", vpn, "TunnelIpAddress", ip] for vpn, ip in tunnels
        ]
    assert ["CrossMesh/cm-dev", specs.LATENCY_METRIC] in metrics


def test_the_cloud_monitoring_dashboard_charts_the_link_and_the_cross_cloud_calls() -> None:
    body = json.loads(specs.gcp_dashboard("t", ["tun-0"], ["cm-dev-aws-0-0"], "cm-dev-gke", "cm-dev-eks"))
    text = json.dumps(body)
    for needle in (
        "vpn.googleapis.com/tunnel_established",
        "vpn.googleapis.com/network/sent_bytes_count",
        "vpn.googleapis.com/network/received_bytes_count",
        "router.googleapis.com/bgp/session_up",
        "istio_requests_total",
        "istio_request_duration_milliseconds_bucket",
    ):
        assert needle in text, needle
    tiles = body["mosaicLayout"]["tiles"]
    assert all(tile["xPos"] + tile["width"] <= body["mosaicLayout"]["columns"] for tile in tiles)


def test_without_tunnels_the_dashboards_chart_only_the_calls() -> None:
    gcp = json.dumps(json.loads(specs.gcp_dashboard("t", [], [], "a", "b")))
    assert "tunnel_established" not in gcp
    aws = json.loads(specs.cloudwatch_dashboard("us-east-1", [], "CrossMesh/x", "note"))
    assert "AWS/VPN" not in json.dumps(aws)
