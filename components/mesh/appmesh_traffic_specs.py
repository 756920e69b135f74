"""One traffic policy rendered for App Mesh (appmesh.k8s.aws/v1beta2). Pure: plain dicts.

The same TrafficPolicySpec that components.mesh.traffic_specs renders for Istio, field for field:

- timeout -> route `timeout.perRequest`, and the same on the virtual node listener (App Mesh applies
  the listener's 15 s default on the server side otherwise, cutting longer routes short)
- retries.attempts -> route `retryPolicy.maxRetries` (0 is written out: without a retry policy App Mesh
  retries on its own defaults)
- retries.perTryTimeout -> `retryPolicy.perRetryTimeout`
- retries.events -> `retryPolicy.httpRetryEvents`, except connection-error, which App Mesh lists in
  `tcpRetryEvents`
- connectionPool -> listener `connectionPool.http` (maxConnections, maxPendingRequests) for http
  listeners, `connectionPool.http2` / `.grpc` (maxRequests) for http2 and grpc listeners
- outlierDetection -> listener `outlierDetection` (maxServerErrors, interval, baseEjectionDuration,
  maxEjectionPercent)

What does not carry over (the semantic gaps, also asserted in
tests/components/mesh/test_appmesh_traffic_specs.py):

- Istio's perTryTimeout bounds every try, the first included; App Mesh's perRetryTimeout bounds each
  retry, while the first try is bounded only by the route timeout.
- An App Mesh listener has one pool for its protocol: an http listener has no request limit
  (maxRequests is dropped), an http2 or grpc listener has no connection or pending-request limit
  (maxConnections and maxPendingRequests are dropped). Istio applies all three.
- Outlier detection and pools sit on the server's listener in App Mesh (every client shares them) but
  on the client's DestinationRule in Istio (each client sidecar counts on its own).
- localityFailover has no App Mesh equivalent: an App Mesh mesh is one region's, and cross-cloud calls
  leave it through the bridge.

Sources: https://docs.aws.amazon.com/app-mesh/latest/userguide/routes.html,
https://docs.aws.amazon.com/app-mesh/latest/userguide/virtual_nodes.html (outlier detection, pools),
and the v1beta2 types of github.com/aws/aws-app-mesh-controller-for-k8s (apis/appmesh/v1beta2).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from components.config import RetryEvent, ServiceConfig, TrafficPolicySpec

Protocol = Literal["http", "http2", "grpc"]

# App Mesh keeps the TCP-level event apart from the HTTP ones (HTTPRetryPolicyEvent / TCPRetryPolicyEvent).
TCP_RETRY_EVENTS: frozenset[RetryEvent] = frozenset({"connection-error"})

# The route kind of each protocol in a VirtualRouter route and a GatewayRoute.
ROUTE_KEYS: dict[Protocol, str] = {"http": "httpRoute", "http2": "http2Route", "grpc": "grpcRoute"}
# The listener timeout key of each protocol.
TIMEOUT_KEYS: dict[Protocol, str] = {"http": "http", "http2": "http2", "grpc": "grpc"}


def duration(ms: int) -> dict[str, Any]:
    """An App Mesh Duration: whole seconds in "s", anything finer in "ms"."""
    if ms <= 0:
        raise ValueError(f"a duration must be longer than zero, got {ms}ms")
    if ms % 1000 == 0:
        return {"unit": "s", "value": ms // 1000}
    return {"unit": "ms", "value": ms}


def duration_ms(value: dict[str, Any]) -> int:
    """The inverse of `duration`."""
    factor = {"s": 1000, "ms": 1}[value["unit"]]
    return int(value["value"]) * factor


def retry_policy(policy: TrafficPolicySpec) -> dict[str, Any]:
    retries = policy.retries
    events = list(dict.fromkeys(retries.events))
    rendered: dict[str, Any] = {
        "maxRetries": retries.attempts,
        "perRetryTimeout": duration(retries.per_try_timeout),
    }
    http_events = [event for event in events if event not in TCP_RETRY_EVENTS]
    tcp_events = [event for event in events if event in TCP_RETRY_EVENTS]
    if http_events:
        rendered["httpRetryEvents"] = http_events
    if tcp_events:
        rendered["tcpRetryEvents"] = tcp_events
    return rendered


def route_spec(
    service: ServiceConfig,
    policy: TrafficPolicySpec,
    targets: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """One VirtualRouter route for the service: every request to `targets`, with the policy's
    retries and timeout."""
    protocol: Protocol = service.protocol
    # gRPC routes match on gRPC metadata; an empty match takes every call, like the prefix "/".
    match: dict[str, Any] = {} if protocol == "grpc" else {"prefix": "/"}
    return {
        "name": service.name,
        ROUTE_KEYS[protocol]: {
            "match": match,
            "action": {"weightedTargets": list(targets)},
            "retryPolicy": retry_policy(policy),
            "timeout": {"perRequest": duration(policy.timeout)},
        },
    }


def connection_pool(protocol: Protocol, policy: TrafficPolicySpec) -> dict[str, Any]:
    pool = policy.connection_pool
    if protocol == "http":
        return {
            "http": {"maxConnections": pool.max_connections, "maxPendingRequests": pool.max_pending_requests}
        }
    return {protocol: {"maxRequests": pool.max_requests}}


def outlier_detection(policy: TrafficPolicySpec) -> dict[str, Any]:
    outliers = policy.outlier_detection
    return {
        "maxServerErrors": outliers.consecutive_server_errors,
        "interval": duration(outliers.interval),
        "baseEjectionDuration": duration(outliers.base_ejection_time),
        "maxEjectionPercent": outliers.max_ejection_percent,
    }


def listener_policy(service: ServiceConfig, policy: TrafficPolicySpec) -> dict[str, Any]:
    """The policy's share of a virtual node listener: pool, outlier detection and the timeout."""
    protocol: Protocol = service.protocol
    return {
        "connectionPool": connection_pool(protocol, policy),
        "outlierDetection": outlier_detection(policy),
        "timeout": {TIMEOUT_KEYS[protocol]: {"perRequest": duration(policy.timeout)}},
    }
