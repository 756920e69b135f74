"""One traffic policy, two meshes: the assertion that Istio's and App Mesh's renderings carry the same
numbers, field by field."""

from __future__ import annotations

from typing import Any

from components.mesh.appmesh_traffic_specs import duration_ms
from components.mesh.traffic_specs import duration_ms as istio_ms
from components.mesh.traffic_specs import retry_events


def same_numbers(
    istio_dr: dict[str, Any],
    istio_vs: dict[str, Any],
    route: dict[str, Any],
    listener: dict[str, Any],
    protocol: str,
) -> None:
    """Assert that an Istio DestinationRule + VirtualService and an App Mesh route + listener carry the
    same policy, field by field. Used on pure renderings and on the plan's objects."""
    http = istio_vs["http"][0]
    body = next(iter(v for k, v in route.items() if k != "name"))
    retries = body["retryPolicy"]
    assert duration_ms(body["timeout"]["perRequest"]) == istio_ms(http["timeout"])
    assert duration_ms(listener["timeout"][protocol]["perRequest"]) == istio_ms(http["timeout"])
    assert retries["maxRetries"] == http["retries"]["attempts"]
    if http["retries"]["attempts"]:
        assert duration_ms(retries["perRetryTimeout"]) == istio_ms(http["retries"]["perTryTimeout"])
        app_mesh_events = retries.get("httpRetryEvents", []) + retries.get("tcpRetryEvents", [])
        assert sorted(app_mesh_events) == sorted(retry_events(http["retries"]["retryOn"]))
    pool, outliers = (
        istio_dr["trafficPolicy"]["connectionPool"],
        istio_dr["trafficPolicy"]["outlierDetection"],
    )
    if protocol == "http":
        assert listener["connectionPool"]["http"] == {
            "maxConnections": pool["tcp"]["maxConnections"],
            "maxPendingRequests": pool["http"]["http1MaxPendingRequests"],
        }
    else:
        assert listener["connectionPool"][protocol] == {"maxRequests": pool["http"]["http2MaxRequests"]}
    detection = listener["outlierDetection"]
    assert detection["maxServerErrors"] == outliers["consecutive5xxErrors"]
    assert duration_ms(detection["interval"]) == istio_ms(outliers["interval"])
    assert duration_ms(detection["baseEjectionDuration"]) == istio_ms(outliers["baseEjectionTime"])
    assert detection["maxEjectionPercent"] == outliers["maxEjectionPercent"]
