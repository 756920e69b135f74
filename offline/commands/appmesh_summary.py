"""The App Mesh part of `crossmesh plan`: the controller, the mesh, each virtual node's TLS, the bridge.

Read from the plan's registrations, so it shows what the program would create, not what it meant to.
"""

from __future__ import annotations

from typing import Any

from offline.record import Plan, Registration

APPMESH = "kubernetes:appmesh.k8s.aws/v1beta2"
ISTIO_GATEWAY = "kubernetes:networking.istio.io/v1:Gateway"


def appmesh_lines(plan: Plan) -> list[str]:
    """Lines for the plan summary; none when the plan has no App Mesh."""
    controller = [
        r
        for r in plan.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs.get("chart") == "appmesh-controller"
    ]
    if not controller:
        return []
    release = controller[0].inputs
    tracing = release.get("values", {}).get("tracing", {})
    lines = [
        "",
        "App Mesh on EKS (end of support 2026-09-30; see docs/runbooks/move-off-app-mesh.md)",
        f"  controller: {release['chart']} {release['version']} from {release['repositoryOpts']['repo']}, "
        f"tracing {tracing.get('provider', 'off') if tracing.get('enabled') else 'off'}",
    ]
    for mesh in _objects(plan, "Mesh"):
        egress = mesh.inputs["spec"].get("egressFilter", {}).get("type", "ALLOW_ALL")
        lines.append(f"  mesh {_name(mesh)}: egress {egress}")
    for node in _objects(plan, "VirtualNode"):
        spec = node.inputs["spec"]
        backends = [b["virtualService"]["virtualServiceRef"]["name"] for b in spec.get("backends", [])]
        for listener in spec.get("listeners", []):
            port, tls = listener["portMapping"], listener.get("tls", {})
            lines.append(
                f"  virtual node {_name(node)}: {port['port']}/{port['protocol']}, "
                f"TLS {tls.get('mode', 'none (a remote endpoint)')}{_clients(tls)}"
                + (f"; calls {', '.join(backends)} with enforced TLS" if backends else "")
            )
    for router in _objects(plan, "VirtualRouter"):
        for route in router.inputs["spec"].get("routes", []):
            body = next(value for key, value in route.items() if key.endswith("Route"))
            target = body["action"]["weightedTargets"][0]["virtualNodeRef"]["name"]
            retry, timeout = body["retryPolicy"], body["timeout"]["perRequest"]
            lines.append(
                f"  router {_name(router)}: -> {target}, {retry['maxRetries']} retries, "
                f"timeout {timeout['value']}{timeout['unit']}"
            )
    for gateway in _objects(plan, "VirtualGateway"):
        for listener in gateway.inputs["spec"].get("listeners", []):
            tls = listener["tls"]
            lines.append(f"  virtual gateway {_name(gateway)}: TLS {tls['mode']}{_clients(tls)}")
    for route in _objects(plan, "GatewayRoute"):
        host = route.inputs["spec"]["httpRoute"]["match"]["hostname"]["exact"]
        lines.append(f"    gateway route {_name(route)}: {host}")
    for gateway in plan.of_type(ISTIO_GATEWAY):
        for server in gateway.inputs["spec"].get("servers", []):
            mode = server.get("tls", {}).get("mode")
            if mode == "MUTUAL":
                lines.append(
                    f"  Istio ingress for App Mesh callers {_name(gateway)}: {', '.join(server['hosts'])} "
                    f"MUTUAL{_clients_of(server['tls'].get('subjectAltNames', []))}"
                )
    return lines


def _objects(plan: Plan, kind: str) -> list[Registration]:
    return plan.of_type(f"{APPMESH}:{kind}")


def _name(registration: Registration) -> str:
    metadata: dict[str, Any] = registration.inputs.get("metadata", {})
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata['name']}" if namespace else str(metadata["name"])


def _clients(tls: dict[str, Any]) -> str:
    names = tls.get("validation", {}).get("subjectAlternativeNames", {}).get("match", {}).get("exact", [])
    return _clients_of(names)


def _clients_of(names: list[str]) -> str:
    return f", clients {', '.join(names)}" if names else ""
