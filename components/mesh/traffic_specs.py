"""One traffic policy, rendered into Istio DestinationRule and VirtualService specs. Pure: plain dicts.

The spec (components.config.TrafficPolicySpec) speaks App Mesh's vocabulary where the two meshes differ,
so that its mapping to each engine is exact both ways:

spec -> Istio -> App Mesh:

- timeout -> VirtualService http[].timeout -> route timeout.perRequest
- retries.attempts -> http[].retries.attempts (0 is written out) -> retryPolicy.maxRetries
- retries.perTryTimeout -> http[].retries.perTryTimeout -> retryPolicy.perRetryTimeout
- retries.events -> http[].retries.retryOn (RETRY_ON, one-to-one) -> retryPolicy.httpRetryEvents,
  with connection-error in tcpRetryEvents
- connectionPool.maxConnections -> DestinationRule connectionPool.tcp.maxConnections
  -> listener connectionPool.http.maxConnections
- connectionPool.maxPendingRequests -> connectionPool.http.http1MaxPendingRequests
  -> connectionPool.http.maxPendingRequests
- connectionPool.maxRequests -> connectionPool.http.http2MaxRequests -> connectionPool.http2/grpc.maxRequests
- outlierDetection.consecutiveServerErrors -> outlierDetection.consecutive5xxErrors -> maxServerErrors
- outlierDetection.interval -> outlierDetection.interval -> interval
- outlierDetection.baseEjectionTime -> outlierDetection.baseEjectionTime -> baseEjectionDuration
- outlierDetection.maxEjectionPercent -> outlierDetection.maxEjectionPercent -> maxEjectionPercent
- localityFailover -> loadBalancer.localityLbSetting.failover -> no equivalent (App Mesh is one
  region's mesh; cross-cloud calls leave through a VirtualGateway)

Where the meshes differ in meaning, not in name: Istio's perTryTimeout bounds every try, the first
included, App Mesh's perRetryTimeout every retry; Envoy's 5xx (server-error) also retries resets and
failed connections, which App Mesh lists as separate events; App Mesh listeners hold one pool per protocol, so
maxConnections/maxPendingRequests apply to http, maxRequests to http2 and grpc. Istio adds
mTLS to every DestinationRule (ISTIO_MUTUAL); App Mesh's client TLS policy is rendered with the App
Mesh engine.

Sources: https://istio.io/latest/docs/reference/config/networking/destination-rule/,
https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRetry,
https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-retry-on,
https://docs.aws.amazon.com/app-mesh/latest/userguide/routes.html (retry events).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from components.config import RetryEvent, ServiceConfig, StackConfig, TrafficPolicySpec

# App Mesh retry event -> Envoy retry condition (Istio's retryOn is Envoy's x-envoy-retry-on):
# server-error is any 5xx; gateway-error 502/503/504; client-error 409 (Envoy's retriable-4xx is 409
# alone); stream-error a REFUSED_STREAM; connection-error a failed connect.
RETRY_ON: dict[RetryEvent, str] = {
    "server-error": "5xx",
    "gateway-error": "gateway-error",
    "client-error": "retriable-4xx",
    "stream-error": "refused-stream",
    "connection-error": "connect-failure",
}
_EVENTS_BY_CONDITION: dict[str, RetryEvent] = {condition: event for event, condition in RETRY_ON.items()}

ISTIO_NETWORKING = "networking.istio.io/v1"
CLUSTER_DOMAIN = "cluster.local"


@dataclass(frozen=True)
class Localities:
    """The region each cloud's workloads report as their Istio locality (topology.kubernetes.io/region)."""

    aws_region: str
    gcp_region: str


def duration(ms: int) -> str:
    """A duration as Istio writes it: whole seconds as "Ns", anything finer as "Nms"."""
    if ms <= 0:
        raise ValueError(f"a duration must be longer than zero, got {ms}ms")
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def duration_ms(text: str) -> int:
    """The inverse of `duration`."""
    if text.endswith("ms"):
        return int(text[:-2])
    if text.endswith("s"):
        return int(text[:-1]) * 1000
    raise ValueError(f"not a duration rendered by this module: {text!r}")


def retry_on(events: Iterable[RetryEvent]) -> str:
    """Istio's retryOn for App Mesh retry events, in the order given, without repeats."""
    return ",".join(dict.fromkeys(RETRY_ON[event] for event in events))


def retry_events(retry_on_value: str) -> list[RetryEvent]:
    """The App Mesh retry events of an Istio retryOn; conditions App Mesh cannot express are errors."""
    events: list[RetryEvent] = []
    for condition in retry_on_value.split(","):
        if condition not in _EVENTS_BY_CONDITION:
            raise ValueError(
                f"retryOn condition {condition!r} has no App Mesh retry event; "
                f"expressible: {', '.join(sorted(_EVENTS_BY_CONDITION))}"
            )
        events.append(_EVENTS_BY_CONDITION[condition])
    return events


def service_host(service: ServiceConfig) -> str:
    return f"{service.name}.{service.namespace}.svc.{CLUSTER_DOMAIN}"


def destination_rule_spec(
    service: ServiceConfig, policy: TrafficPolicySpec, localities: Localities
) -> dict[str, Any]:
    pool, outliers = policy.connection_pool, policy.outlier_detection
    locality: dict[str, Any] = {"enabled": policy.locality_failover}
    if policy.locality_failover:
        # Calls stay in the caller's cloud while its endpoints are healthy and fail over across the
        # link when outlier detection ejects them; both directions, whichever side the caller is on.
        locality["failover"] = [
            {"from": localities.aws_region, "to": localities.gcp_region},
            {"from": localities.gcp_region, "to": localities.aws_region},
        ]
    return {
        "host": service_host(service),
        "trafficPolicy": {
            "connectionPool": {
                "tcp": {"maxConnections": pool.max_connections},
                "http": {
                    "http1MaxPendingRequests": pool.max_pending_requests,
                    "http2MaxRequests": pool.max_requests,
                },
            },
            "outlierDetection": {
                "consecutive5xxErrors": outliers.consecutive_server_errors,
                "interval": duration(outliers.interval),
                "baseEjectionTime": duration(outliers.base_ejection_time),
                "maxEjectionPercent": outliers.max_ejection_percent,
            },
            "loadBalancer": {"localityLbSetting": locality},
            "tls": {"mode": "ISTIO_MUTUAL"},
        },
    }


def virtual_service_spec(service: ServiceConfig, policy: TrafficPolicySpec) -> dict[str, Any]:
    host = service_host(service)
    retries: dict[str, Any] = {"attempts": policy.retries.attempts}
    if policy.retries.attempts:
        retries["perTryTimeout"] = duration(policy.retries.per_try_timeout)
        retries["retryOn"] = retry_on(policy.retries.events)
    return {
        "hosts": [host],
        "http": [
            {
                "name": service.name,
                "route": [{"destination": {"host": host, "port": {"number": service.port}}}],
                "timeout": duration(policy.timeout),
                # Istio retries twice when retries are absent: zero attempts must be written out.
                "retries": retries,
            }
        ],
    }


def policy_summary(policy: TrafficPolicySpec) -> dict[str, Any]:
    """The effective policy in stack-file terms, durations as Istio writes them."""
    retries, pool, outliers = policy.retries, policy.connection_pool, policy.outlier_detection
    return {
        "timeout": duration(policy.timeout),
        "retries": {
            "attempts": retries.attempts,
            "perTryTimeout": duration(retries.per_try_timeout),
            "events": list(retries.events),
        },
        "connectionPool": {
            "maxConnections": pool.max_connections,
            "maxPendingRequests": pool.max_pending_requests,
            "maxRequests": pool.max_requests,
        },
        "outlierDetection": {
            "consecutiveServerErrors": outliers.consecutive_server_errors,
            "interval": duration(outliers.interval),
            "baseEjectionTime": duration(outliers.base_ejection_time),
            "maxEjectionPercent": outliers.max_ejection_percent,
        },
        "localityFailover": policy.locality_failover,
    }


def service_catalogue(config: StackConfig) -> dict[str, dict[str, Any]]:
    """Per service: where it runs, who may call it, and the policy its callers apply."""
    return {
        service.name: {
            "cloud": service.cloud,
            "namespace": service.namespace,
            "port": service.port,
            "protocol": service.protocol,
            "callers": list(service.callers),
            "policy": policy_summary(config.effective_policy(service)),
        }
        for service in config.services
    }
