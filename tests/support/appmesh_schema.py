"""The appmesh.k8s.aws/v1beta2 CRD structure of the fields crossmesh renders, to check specs against.

No Python package ships the App Mesh controller's CRDs, so this is a transcription, by field, of the
Go types they are generated from (github.com/aws/aws-app-mesh-controller-for-k8s, apis/appmesh/v1beta2,
v1.13.3: json names, `+optional`, kubebuilder Enum/Minimum/Maximum/MinItems/MaxItems). It covers
every field crossmesh writes and the required fields around them; fields crossmesh never writes are
left out, so a spec using one is reported as "not in the schema", which is the safe direction: add
the field here, from the types, when the renderers start using it.

Kubernetes prunes unknown fields of structural schemas silently, so a misspelt field would be lost,
not refused: `appmesh_problems` reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Node:
    kind: str  # "object", "list", "string", "int", "bool", "map"
    required: dict[str, Node] = field(default_factory=dict)
    optional: dict[str, Node] = field(default_factory=dict)
    item: Node | None = None
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    min_items: int | None = None
    max_items: int | None = None


def obj(required: dict[str, Node] | None = None, optional: dict[str, Node] | None = None) -> Node:
    return Node("object", required=required or {}, optional=optional or {})


def array(item: Node, min_items: int | None = None, max_items: int | None = None) -> Node:
    return Node("list", item=item, min_items=min_items, max_items=max_items)


def integer(minimum: int | None = None, maximum: int | None = None) -> Node:
    return Node("int", minimum=minimum, maximum=maximum)


def enum(*values: str) -> Node:
    return Node("string", enum=values)


STRING = Node("string")
BOOL = Node("bool")
LABELS = Node("map")
LABEL_SELECTOR = obj(optional={"matchLabels": LABELS})

DURATION = obj({"unit": enum("s", "ms"), "value": integer(minimum=0)})
PORT = integer(1, 65535)
PORT_MAPPING = obj({"port": PORT, "protocol": enum("grpc", "http", "http2", "tcp")})
GATEWAY_PORT_MAPPING = obj({"port": PORT, "protocol": enum("grpc", "http", "http2")})
REF = obj({"name": STRING}, {"namespace": STRING})

SAN = obj({"match": obj({"exact": array(STRING)})})
FILE_CERT = obj({"certificateChain": STRING, "privateKey": STRING})
FILE_TRUST = obj({"certificateChain": STRING})
LISTENER_TLS = obj(
    {"certificate": obj(optional={"file": FILE_CERT}), "mode": enum("DISABLED", "PERMISSIVE", "STRICT")},
    {"validation": obj({"trust": obj(optional={"file": FILE_TRUST})}, {"subjectAlternativeNames": SAN})},
)
CLIENT_POLICY = obj(
    optional={
        "tls": obj(
            {
                "validation": obj(
                    {"trust": obj(optional={"file": FILE_TRUST})}, {"subjectAlternativeNames": SAN}
                )
            },
            {"enforce": BOOL, "ports": array(PORT), "certificate": obj(optional={"file": FILE_CERT})},
        )
    }
)
HTTP_TIMEOUT = obj(optional={"perRequest": DURATION, "idle": DURATION})
OUTLIER_DETECTION = obj(
    {
        "maxServerErrors": integer(minimum=1),
        "interval": DURATION,
        "baseEjectionDuration": DURATION,
        "maxEjectionPercent": integer(0, 100),
    }
)
CONNECTION_POOL = obj(
    optional={
        "tcp": obj({"maxConnections": integer(minimum=1)}),
        "http": obj({"maxConnections": integer(minimum=1)}, {"maxPendingRequests": integer(minimum=1)}),
        "http2": obj({"maxRequests": integer(minimum=1)}),
        "grpc": obj({"maxRequests": integer(minimum=1)}),
    }
)
LISTENER = obj(
    {"portMapping": PORT_MAPPING},
    {
        "outlierDetection": OUTLIER_DETECTION,
        "connectionPool": CONNECTION_POOL,
        "tls": LISTENER_TLS,
        "timeout": obj(optional={"http": HTTP_TIMEOUT, "http2": HTTP_TIMEOUT, "grpc": HTTP_TIMEOUT}),
    },
)
SERVICE_DISCOVERY = obj(
    optional={
        "awsCloudMap": obj({"namespaceName": STRING, "serviceName": STRING}),
        "dns": obj({"hostname": STRING}, {"responseType": enum("ENDPOINTS", "LOADBALANCER")}),
    }
)
BACKEND = obj(
    {
        "virtualService": obj(
            optional={"virtualServiceRef": REF, "virtualServiceARN": STRING, "clientPolicy": CLIENT_POLICY}
        )
    }
)

WEIGHTED_TARGET = obj({"weight": integer(0, 100)}, {"virtualNodeRef": REF, "port": integer(minimum=0)})
RETRY_POLICY = obj(
    {"maxRetries": integer(minimum=0), "perRetryTimeout": DURATION},
    {
        "httpRetryEvents": array(
            enum("server-error", "gateway-error", "client-error", "stream-error"), 1, 25
        ),
        "tcpRetryEvents": array(enum("connection-error"), 1, 1),
    },
)
HTTP_ROUTE = obj(
    {
        "match": obj(optional={"prefix": STRING}),
        "action": obj({"weightedTargets": array(WEIGHTED_TARGET, 1, 10)}),
    },
    {"retryPolicy": RETRY_POLICY, "timeout": HTTP_TIMEOUT},
)
GRPC_ROUTE = obj(
    {
        "match": obj(optional={"serviceName": STRING, "methodName": STRING}),
        "action": obj({"weightedTargets": array(WEIGHTED_TARGET, 1, 10)}),
    },
    {"retryPolicy": RETRY_POLICY, "timeout": HTTP_TIMEOUT},
)
ROUTE = obj(
    {"name": STRING},
    {
        "httpRoute": HTTP_ROUTE,
        "http2Route": HTTP_ROUTE,
        "grpcRoute": GRPC_ROUTE,
        "priority": integer(0, 1000),
    },
)

SPECS: dict[str, Node] = {
    "Mesh": obj(
        optional={
            "awsName": STRING,
            "namespaceSelector": LABEL_SELECTOR,
            "egressFilter": obj({"type": enum("ALLOW_ALL", "DROP_ALL")}),
        }
    ),
    "VirtualNode": obj(
        optional={
            "awsName": STRING,
            "podSelector": LABEL_SELECTOR,
            "listeners": array(LISTENER, min_items=0),
            "serviceDiscovery": SERVICE_DISCOVERY,
            "backends": array(BACKEND),
            "backendDefaults": obj(optional={"clientPolicy": CLIENT_POLICY}),
        }
    ),
    "VirtualRouter": obj(
        optional={
            "awsName": STRING,
            "listeners": array(obj({"portMapping": PORT_MAPPING}), min_items=1),
            "routes": array(ROUTE),
        }
    ),
    "VirtualService": obj(
        optional={
            "awsName": STRING,
            "provider": obj(
                optional={
                    "virtualNode": obj(optional={"virtualNodeRef": REF}),
                    "virtualRouter": obj(optional={"virtualRouterRef": REF}),
                }
            ),
        }
    ),
    "VirtualGateway": obj(
        optional={
            "awsName": STRING,
            "namespaceSelector": LABEL_SELECTOR,
            "podSelector": LABEL_SELECTOR,
            "gatewayRouteSelector": LABEL_SELECTOR,
            "listeners": array(
                obj({"portMapping": GATEWAY_PORT_MAPPING}, {"tls": LISTENER_TLS}), min_items=0
            ),
            "backendDefaults": obj(optional={"clientPolicy": CLIENT_POLICY}),
        }
    ),
    "GatewayRoute": obj(
        optional={
            "awsName": STRING,
            "priority": integer(0, 1000),
            "httpRoute": obj(
                {
                    "match": obj(
                        optional={
                            "prefix": STRING,
                            "hostname": obj(optional={"exact": STRING, "suffix": STRING}),
                        }
                    ),
                    "action": obj(
                        {
                            "target": obj(
                                {
                                    "virtualService": obj(
                                        optional={"virtualServiceRef": REF, "virtualServiceARN": STRING}
                                    )
                                },
                                {"port": integer(minimum=0)},
                            )
                        }
                    ),
                }
            ),
        }
    ),
}


def appmesh_problems(kind: str, spec: Any) -> list[str]:
    """Every way `spec` departs from the v1beta2 structure of `kind`; empty when it conforms."""
    return _check(SPECS[kind], spec, kind)


def _check(node: Node, value: Any, path: str) -> list[str]:
    if node.kind == "object":
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {value!r}"]
        problems = [f"{path}.{key}: required" for key in node.required if key not in value]
        for key, item in value.items():
            child = node.required.get(key) or node.optional.get(key)
            if child is None:
                problems.append(f"{path}.{key}: not in the schema")
            else:
                problems.extend(_check(child, item, f"{path}.{key}"))
        return problems
    if node.kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {value!r}"]
        problems = []
        if node.min_items is not None and len(value) < node.min_items:
            problems.append(f"{path}: fewer than {node.min_items} items")
        if node.max_items is not None and len(value) > node.max_items:
            problems.append(f"{path}: more than {node.max_items} items")
        assert node.item is not None
        for index, item in enumerate(value):
            problems.extend(_check(node.item, item, f"{path}[{index}]"))
        return problems
    if node.kind == "map":
        ok = isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        )
        return [] if ok else [f"{path}: expected a map of strings, got {value!r}"]
    if node.kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected a string, got {value!r}"]
        return (
            [f"{path}: {value!r} is not one of {node.enum}"] if node.enum and value not in node.enum else []
        )
    if node.kind == "bool":
        return [] if isinstance(value, bool) else [f"{path}: expected a boolean, got {value!r}"]
    if not isinstance(value, int) or isinstance(value, bool):
        return [f"{path}: expected an integer, got {value!r}"]
    if node.minimum is not None and value < node.minimum:
        return [f"{path}: {value} is below {node.minimum}"]
    if node.maximum is not None and value > node.maximum:
        return [f"{path}: {value} is above {node.maximum}"]
    return []
