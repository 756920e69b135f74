"""Pure renderers of what the observability components install: collector values, Istio telemetry,
IAM documents, Prometheus scrape targets, alert queries, dashboards and trace ID conversions.

Plain dicts and strings, no Pulumi types. One request that crosses the link reads as one trace: Istio's
OpenTelemetry tracer propagates W3C trace context (`traceparent`), each cloud's collector exports the
spans of its side to that cloud's backend, and the two backends show the same trace ID in their own
formats (`xray_trace_id` converts; docs/observability.md walks through it).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

Cloud = Literal["aws", "gcp"]

# The collector chart, pinned, from the OpenTelemetry project's repository
# (https://github.com/open-telemetry/opentelemetry-helm-charts/tree/main/charts/opentelemetry-collector).
# Chart versions are not collector versions: chart 0.170.0 ships collector 0.158.0 (its appVersion, the
# image tag it defaults to), as the chart repository's index records (offline/data/charts/index.json).
# The contrib image carries both exporters used here (awsxray, googlecloud).
COLLECTOR_CHART = "opentelemetry-collector"
COLLECTOR_CHART_VERSION = "0.170.0"
COLLECTOR_CHART_REPO = "https://open-telemetry.github.io/opentelemetry-helm-charts"
COLLECTOR_IMAGE = "otel/opentelemetry-collector-contrib"
COLLECTOR_COMMAND = "otelcol-contrib"
COLLECTOR_NAMESPACE = "observability"
COLLECTOR_NAME = "otel-collector"
"""Release, Service and ServiceAccount name (fullnameOverride), so Istio can name the Service."""
OTLP_GRPC_PORT = 4317

# Names in Istio's meshConfig.extensionProviders, referenced by the mesh-wide Telemetry object.
TRACING_PROVIDER = "crossmesh-otel"
CROSS_CLOUD_LOG_PROVIDER = "crossmesh-cross-cloud-log"
TELEMETRY_API = "telemetry.istio.io/v1"
# A sidecar reaches a service of the other network through that network's east-west gateway on its
# cross-network port, so this port on the upstream connection marks a request that crossed the link.
CROSS_NETWORK_PORT = 15443
CROSS_CLOUD_MARK = "cross-cloud"

# Only what the awsxray exporter calls; X-Ray has no resource-level permissions for these actions
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html).
XRAY_ACTIONS = (
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
)
# The googlecloud exporter writes spans with cloudtrace.traces.patch: Cloud Trace Agent has it.
CLOUD_TRACE_ROLE = "roles/cloudtrace.agent"

# The CloudWatch Observability add-on: its agent runs as this account and needs this managed policy
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/install-CloudWatch-Observability-EKS-addon.html).
CONTAINER_INSIGHTS_ADDON = "amazon-cloudwatch-observability"
CONTAINER_INSIGHTS_ACCOUNT = ("amazon-cloudwatch", "cloudwatch-agent")
CONTAINER_INSIGHTS_POLICY = "CloudWatchAgentServerPolicy"
# Log groups the add-on writes to; created first so they are retained and encrypted.
CONTAINER_INSIGHTS_LOG_GROUPS = ("application", "dataplane", "host", "performance")

# Google Managed Prometheus custom resources (installed by GKE with managed collection).
GMP_API = "monitoring.googleapis.com/v1"
ISTIOD_METRICS_PORT = 15014
# Sidecars merge Envoy's and the application's metrics on 15020
# (https://istio.io/latest/docs/ops/integrations/prometheus/#option-1-metrics-merging).
SIDECAR_METRICS_PORT = 15020
SIDECAR_METRICS_PATH = "/stats/prometheus"
# Injected sidecars and gateways carry this label; other pods have nothing on 15020.
ISTIO_PROXY_LABEL = "security.istio.io/tlsMode"
SCRAPE_INTERVAL = "30s"

# CloudWatch metrics made from the cross-cloud access log lines on the EKS side.
REQUESTS_METRIC = "CrossCloudRequests"
ERRORS_METRIC = "CrossCloudServerErrors"
LATENCY_METRIC = "CrossCloudLatency"

LINK_RUNBOOK = "docs/runbooks/vpn-bgp-down.md"
# Link alarms: a tunnel down for this many one-minute periods raises the alarm.
TUNNEL_PERIOD_SECONDS = 60
TUNNEL_EVALUATION_PERIODS = 5
# Request alarms: evaluated over five-minute windows.
REQUEST_PERIOD_SECONDS = 300
REQUEST_EVALUATION_PERIODS = 3


# --- Istio --------------------------------------------------------------------------------------------


def collector_namespace_labels() -> dict[str, str]:
    """The collector runs without a sidecar: sidecars reach it in plain OTLP (auto mTLS sees no
    sidecar there), and it talks to X-Ray or Cloud Trace directly. Saying so explicitly is what
    istioctl's IST0102 asks for."""
    return {"istio-injection": "disabled"}


def collector_host() -> str:
    return f"{COLLECTOR_NAME}.{COLLECTOR_NAMESPACE}.svc.cluster.local"


def cross_cloud_log_format() -> dict[str, str]:
    """JSON fields of one cross-cloud access log line, as Envoy command operators
    (https://www.envoyproxy.io/docs/envoy/latest/configuration/observability/access_log/usage)."""
    return {
        "crossmesh": CROSS_CLOUD_MARK,
        "start_time": "%START_TIME%",
        "authority": "%REQ(:AUTHORITY)%",
        "method": "%REQ(:METHOD)%",
        "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
        "response_code": "%RESPONSE_CODE%",
        "response_flags": "%RESPONSE_FLAGS%",
        "duration": "%DURATION%",
        "upstream_host": "%UPSTREAM_HOST%",
        "traceparent": "%REQ(TRACEPARENT)%",
    }


def extension_providers() -> list[dict[str, Any]]:
    """meshConfig.extensionProviders: the OTLP tracer and the cross-cloud access log.

    Envoy's OpenTelemetry tracer propagates W3C trace context (traceparent/tracestate), the format
    both X-Ray and Cloud Trace accept through their OpenTelemetry paths
    (https://istio.io/latest/docs/tasks/observability/distributed-tracing/opentelemetry/).
    """
    return [
        {
            "name": TRACING_PROVIDER,
            "opentelemetry": {"service": collector_host(), "port": OTLP_GRPC_PORT},
        },
        {
            "name": CROSS_CLOUD_LOG_PROVIDER,
            "envoyFileAccessLog": {"path": "/dev/stdout", "logFormat": {"labels": cross_cloud_log_format()}},
        },
    ]


def telemetry_spec(sampling_percent: float, tracing: bool, access_log: bool) -> dict[str, Any]:
    """The mesh-wide Telemetry object (one per root namespace: Istio merges no two of them)
    (https://istio.io/latest/docs/reference/config/telemetry/)."""
    spec: dict[str, Any] = {}
    if tracing:
        spec["tracing"] = [
            {"providers": [{"name": TRACING_PROVIDER}], "randomSamplingPercentage": sampling_percent}
        ]
    if access_log:
        spec["accessLogging"] = [
            {
                "providers": [{"name": CROSS_CLOUD_LOG_PROVIDER}],
                "filter": {"expression": f"upstream.port == {CROSS_NETWORK_PORT}"},
            }
        ]
    return spec


def appmesh_tracing_values() -> dict[str, Any]:
    """The App Mesh controller's Helm values that keep X-Ray tracing on App Mesh clusters: the
    controller injects an X-Ray daemon next to each Envoy (docs/observability.md, "App Mesh
    clusters"). App Mesh propagates X-Ray's header, not W3C, so a legacy cluster's traces do not join
    the Istio side's."""
    return {"tracing": {"enabled": True, "provider": "x-ray"}}


# --- collectors -----------------------------------------------------------------------------------------


def collector_values(exporter: Mapping[str, Any], account_annotations: Mapping[str, str]) -> dict[str, Any]:
    """The chart's values for a two-replica OTLP -> one-backend trace collector.

    The chart merges `config` into its defaults; only the traces pipeline is replaced, and the
    Jaeger and Zipkin ports it opens by default are closed.
    """
    (exporter_name,) = exporter
    return {
        "mode": "deployment",
        "replicaCount": 2,
        "fullnameOverride": COLLECTOR_NAME,
        "image": {"repository": COLLECTOR_IMAGE},
        "command": {"name": COLLECTOR_COMMAND},
        "serviceAccount": {"create": True, "name": COLLECTOR_NAME, "annotations": dict(account_annotations)},
        "ports": {
            name: {"enabled": False} for name in ("jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin")
        },
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
        "config": {
            "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"0.0.0.0:{OTLP_GRPC_PORT}"}}}},
            "processors": {
                "memory_limiter": {
                    "check_interval": "1s",
                    "limit_percentage": 80,
                    "spike_limit_percentage": 25,
                },
                "batch": {},
            },
            "exporters": dict(exporter),
            "service": {
                "pipelines": {
                    "traces": {
                        "receivers": ["otlp"],
                        "processors": ["memory_limiter", "batch"],
                        "exporters": [exporter_name],
                    }
                }
            },
        },
    }


def xray_exporter(region: str) -> dict[str, Any]:
    """awsxray exporter: W3C trace IDs are kept as they are, so X-Ray shows the traceparent's ID
    (https://github.com/open-telemetry/opentelemetry-collector-contrib/tree/main/exporter/awsxrayexporter)."""
    return {"awsxray": {"region": region, "index_all_attributes": False}}


def cloud_trace_exporter(project: str) -> dict[str, Any]:
    """googlecloud exporter: spans into Cloud Trace of this project
    (https://github.com/open-telemetry/opentelemetry-collector-contrib/tree/main/exporter/googlecloudexporter)."""
    return {"googlecloud": {"project": project}}


def irsa_annotation(role_arn: str) -> dict[str, str]:
    return {"eks.amazonaws.com/role-arn": role_arn}


def workload_identity_annotation(service_account_email: str) -> dict[str, str]:
    return {"iam.gke.io/gcp-service-account": service_account_email}


def workload_identity_member(pool: str, namespace: str, service_account: str) -> str:
    """The Kubernetes service account as an IAM principal of the project's workload pool
    `<project>.svc.id.goog` (https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity)."""
    return f"serviceAccount:{pool}[{namespace}/{service_account}]"


def xray_write_policy() -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "WriteTraces", "Effect": "Allow", "Action": list(XRAY_ACTIONS), "Resource": "*"}
            ],
        }
    )


def container_insights_log_group(cluster_name: str, kind: str) -> str:
    return f"/aws/containerinsights/{cluster_name}/{kind}"


# --- Google Managed Prometheus ---------------------------------------------------------------------------


def istiod_pod_monitoring_spec() -> dict[str, Any]:
    return {
        "selector": {"matchLabels": {"app": "istiod"}},
        "endpoints": [{"port": ISTIOD_METRICS_PORT, "path": "/metrics", "interval": SCRAPE_INTERVAL}],
    }


def sidecar_cluster_pod_monitoring_spec() -> dict[str, Any]:
    """Every Istio proxy of the cluster, whatever its namespace, on the merged metrics port
    (https://cloud.google.com/stackdriver/docs/managed-prometheus/exporters/istio)."""
    return {
        "selector": {"matchExpressions": [{"key": ISTIO_PROXY_LABEL, "operator": "Exists"}]},
        "endpoints": [
            {"port": SIDECAR_METRICS_PORT, "path": SIDECAR_METRICS_PATH, "interval": SCRAPE_INTERVAL}
        ],
    }


def _cross_cloud_selector(source_cluster: str, destination_cluster: str, extra: str = "") -> str:
    """Requests as their caller reports them: the caller sees the link's failures too."""
    return (
        f'reporter="source",source_cluster="{source_cluster}",'
        f'destination_cluster="{destination_cluster}"{extra}'
    )


def cross_cloud_request_rate_query(source_cluster: str, destination_cluster: str) -> str:
    selector = _cross_cloud_selector(source_cluster, destination_cluster)
    return f"sum(rate(istio_requests_total{{{selector}}}[5m]))"


def cross_cloud_error_percent_query(source_cluster: str, destination_cluster: str) -> str:
    errors = _cross_cloud_selector(source_cluster, destination_cluster, ',response_code=~"5.."')
    total = cross_cloud_request_rate_query(source_cluster, destination_cluster)
    return f"100 * sum(rate(istio_requests_total{{{errors}}}[5m])) / {total}"


def cross_cloud_p99_query(source_cluster: str, destination_cluster: str) -> str:
    selector = _cross_cloud_selector(source_cluster, destination_cluster)
    return (
        "histogram_quantile(0.99, sum by (le) "
        f"(rate(istio_request_duration_milliseconds_bucket{{{selector}}}[5m])))"
    )


# --- Cloud Monitoring ---------------------------------------------------------------------------------


def one_of(values: Sequence[str]) -> str:
    return "one_of(" + ", ".join(json.dumps(value) for value in values) + ")"


def tunnel_established_filter(tunnel_names: Sequence[str]) -> str:
    """Cloud VPN tunnels of this link (https://cloud.google.com/monitoring/api/metrics_gcp_p_z#gcp-vpn)."""
    return (
        'resource.type = "vpn_gateway" AND metric.type = "vpn.googleapis.com/tunnel_established" '
        f"AND metric.label.tunnel_name = {one_of(tunnel_names)}"
    )


# router.googleapis.com/bgp/session_up is a GAUGE of INT64 (1 up, 0 down) whose one metric label is the
# BGP peer's name (https://cloud.google.com/monitoring/api/metrics_gcp_p_z#gcp-router). Being no BOOL,
# it takes numeric aligners only: ALIGN_MIN is 0 when the session was down at any sample of the period.
BGP_SESSION_LABEL = "metric.label.bgp_peer_name"
BGP_SESSION_ALIGNER = "ALIGN_MIN"


def bgp_session_filter(peer_names: Sequence[str]) -> str:
    """Cloud Router BGP sessions to the AWS tunnel ends, by the Cloud Router peers' names."""
    return (
        'resource.type = "gce_router" AND metric.type = "router.googleapis.com/bgp/session_up" '
        f"AND {BGP_SESSION_LABEL} = {one_of(peer_names)}"
    )


def _chart(title: str, data_sets: list[dict[str, Any]], x: int, y: int) -> dict[str, Any]:
    return {
        "xPos": x,
        "yPos": y,
        "width": 6,
        "height": 4,
        "widget": {"title": title, "xyChart": {"dataSets": data_sets}},
    }


def _filter_data_set(filter_: str, aligner: str, group_by: str) -> dict[str, Any]:
    return {
        "plotType": "LINE",
        "timeSeriesQuery": {
            "timeSeriesFilter": {
                "filter": filter_,
                "aggregation": {
                    "alignmentPeriod": "60s",
                    "perSeriesAligner": aligner,
                    "crossSeriesReducer": "REDUCE_MEAN",
                    "groupByFields": [group_by],
                },
            }
        },
    }


def _promql_data_set(query: str) -> dict[str, Any]:
    return {"plotType": "LINE", "timeSeriesQuery": {"prometheusQuery": query}}


def gcp_dashboard(
    title: str,
    tunnel_names: Sequence[str],
    peer_names: Sequence[str],
    local_cluster: str,
    remote_cluster: str,
) -> str:
    """The Cloud Monitoring dashboard: the link on the first row, the cross-cloud calls below."""
    tunnel_names = list(tunnel_names)
    throughput = (
        'resource.type = "vpn_gateway" AND '
        'metric.type = "vpn.googleapis.com/network/{direction}_bytes_count" '
        f"AND metric.label.tunnel_name = {one_of(tunnel_names)}"
    )
    tiles = []
    if tunnel_names:
        tiles += [
            _chart(
                "VPN tunnels established",
                [
                    _filter_data_set(
                        tunnel_established_filter(tunnel_names), "ALIGN_MIN", "metric.label.tunnel_name"
                    )
                ],
                0,
                0,
            ),
            _chart(
                "VPN tunnel throughput (bytes/s)",
                [
                    _filter_data_set(throughput.format(direction=d), "ALIGN_RATE", "metric.label.tunnel_name")
                    for d in ("sent", "received")
                ],
                6,
                0,
            ),
            _chart(
                "BGP sessions up",
                [_filter_data_set(bgp_session_filter(peer_names), BGP_SESSION_ALIGNER, BGP_SESSION_LABEL)],
                0,
                4,
            ),
        ]
    row = 8 if tunnel_names else 0
    tiles += [
        _chart(
            "Cross-cloud requests/s (caller side)",
            [
                _promql_data_set(cross_cloud_request_rate_query(local_cluster, remote_cluster)),
                _promql_data_set(cross_cloud_request_rate_query(remote_cluster, local_cluster)),
            ],
            0,
            row,
        ),
        _chart(
            "Cross-cloud 5xx %",
            [_promql_data_set(cross_cloud_error_percent_query(local_cluster, remote_cluster))],
            6,
            row,
        ),
        _chart(
            "Cross-cloud p99 latency (ms)",
            [_promql_data_set(cross_cloud_p99_query(local_cluster, remote_cluster))],
            0,
            row + 4,
        ),
    ]
    return json.dumps({"displayName": title, "mosaicLayout": {"columns": 12, "tiles": tiles}}, sort_keys=True)


# --- CloudWatch ----------------------------------------------------------------------------------------


def cross_cloud_log_pattern(errors_only: bool = False) -> str:
    """CloudWatch Logs filter for the cross-cloud access log lines, as Container Insights ships them:
    Fluent Bit parses a JSON line into `log_processed`
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-setup-logs-FluentBit.html)."""
    condition = f'$.log_processed.crossmesh = "{CROSS_CLOUD_MARK}"'
    if errors_only:
        condition += " && $.log_processed.response_code >= 500"
    return "{ " + condition + " }"


def cloudwatch_dashboard(
    region: str, tunnels: Sequence[tuple[str, str]], metrics_namespace: str, sampling_note: str
) -> str:
    """The CloudWatch dashboard. `tunnels` are (VPN connection ID, tunnel outside IP) pairs. For a
    BGP VPN, AWS/VPN TunnelState is 1 only while the tunnel's BGP session is established
    (https://docs.aws.amazon.com/vpn/latest/s2svpn/monitoring-cloudwatch-vpn.html), so it stands for
    both the tunnel and its session."""

    def per_tunnel(metric: str) -> list[list[Any]]:
        return [
            ["AWS/VPN", metric, "VpnId", vpn_id, "TunnelIpAddress", ip, {"label": f"{ip} {metric}"}]
            for vpn_id, ip in tunnels
        ]

    def widget(title: str, metrics: list[list[Any]], x: int, y: int, stat: str) -> dict[str, Any]:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "region": region,
                "view": "timeSeries",
                "stat": stat,
                "period": 60,
                "metrics": metrics,
            },
        }

    widgets: list[dict[str, Any]] = []
    if tunnels:
        widgets += [
            widget("VPN tunnel and BGP state (1 = up)", per_tunnel("TunnelState"), 0, 0, "Minimum"),
            widget(
                "VPN tunnel throughput (bytes)",
                per_tunnel("TunnelDataIn") + per_tunnel("TunnelDataOut"),
                12,
                0,
                "Sum",
            ),
        ]
    row = 6 if tunnels else 0
    widgets += [
        widget(
            "Cross-cloud requests and 5xx (caller side)",
            [[metrics_namespace, REQUESTS_METRIC], [metrics_namespace, ERRORS_METRIC]],
            0,
            row,
            "Sum",
        ),
        widget("Cross-cloud p99 latency (ms)", [[metrics_namespace, LATENCY_METRIC]], 12, row, "p99"),
        {
            "type": "text",
            "x": 0,
            "y": row + 6,
            "width": 24,
            "height": 2,
            "properties": {"markdown": sampling_note},
        },
    ]
    return json.dumps({"widgets": widgets}, sort_keys=True)


# --- trace IDs ------------------------------------------------------------------------------------------

_W3C_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_XRAY_TRACE_ID = re.compile(r"^1-([0-9a-f]{8})-([0-9a-f]{24})$")


def xray_trace_id(w3c_trace_id: str) -> str:
    """The X-Ray form of a W3C trace ID: `1-` + its first 8 hex digits + `-` + the other 24
    (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-sendingdata.html#xray-api-traceids)."""
    trace_id = w3c_trace_id.lower()
    if not _W3C_TRACE_ID.match(trace_id) or trace_id == "0" * 32:
        raise ValueError(f"{w3c_trace_id!r} is not a W3C trace ID (32 hex digits, not all zero)")
    return f"1-{trace_id[:8]}-{trace_id[8:]}"


def w3c_trace_id(xray_id: str) -> str:
    """The W3C (and Cloud Trace) form of an X-Ray trace ID."""
    match = _XRAY_TRACE_ID.match(xray_id.lower())
    if not match:
        raise ValueError(f"{xray_id!r} is not an X-Ray trace ID (1-<8 hex>-<24 hex>)")
    return match.group(1) + match.group(2)


def trace_id_of_traceparent(traceparent: str) -> str:
    """The trace ID field of a W3C traceparent header: version-traceid-parentid-flags."""
    parts = traceparent.strip().lower().split("-")
    if len(parts) != 4 or len(parts[0]) != 2 or len(parts[2]) != 16 or len(parts[3]) != 2:
        raise ValueError(f"{traceparent!r} is not a traceparent header")
    xray_trace_id(parts[1])
    return parts[1]


# --- names ---------------------------------------------------------------------------------------------

GCP_ACCOUNT_ID_MAX = 30


def trace_account_id(prefix: str) -> str:
    """The collector's Google service account ID: '<prefix>-traces', or a shortened, hashed form past
    the 30 characters IAM allows."""
    wanted = f"{prefix}-traces"
    if len(wanted) <= GCP_ACCOUNT_ID_MAX:
        return wanted
    suffix = hashlib.sha256(prefix.encode()).hexdigest()[:6]
    head = prefix[: GCP_ACCOUNT_ID_MAX - len("-tr-") - len(suffix)].rstrip("-")
    return f"{head}-tr-{suffix}"
