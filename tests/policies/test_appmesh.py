"""App Mesh rules, on the App Mesh API's resources and on the controller's custom resources, which
carry the same spec: a compliant virtual node, virtual gateway and mesh, then one changed field per
case. The runner in test_pack.py runs CASES and BASELINES."""

from __future__ import annotations

from tests.support.policy_cases import ABSENT, Baseline, PolicyCase, bad, changed, ok
from tests.support.types import (
    APPMESH_MESH,
    APPMESH_VIRTUAL_GATEWAY,
    APPMESH_VIRTUAL_NODE,
    AWS_APPMESH_MESH,
    AWS_APPMESH_VIRTUAL_GATEWAY,
    AWS_APPMESH_VIRTUAL_NODE,
    AWS_VPC,
)

FILE_TRUST = {"file": {"certificateChain": "/certs/root-cert.pem"}}
FILE_CERT = {"file": {"certificateChain": "/certs/cert-chain.pem", "privateKey": "/certs/key.pem"}}
LISTENER = {
    "portMapping": {"port": 8080, "protocol": "http"},
    "tls": {"mode": "STRICT", "certificate": FILE_CERT, "validation": {"trust": FILE_TRUST}},
}
CLIENT_POLICY = {"tls": {"enforce": True, "certificate": FILE_CERT, "validation": {"trust": FILE_TRUST}}}
NODE = {
    "meshName": "crossmesh",
    "spec": {
        "listeners": [LISTENER],
        "backends": [{"virtualService": {"virtualServiceName": "payments.shop.svc.cluster.local"}}],
        "backendDefaults": {"clientPolicy": CLIENT_POLICY},
        "serviceDiscovery": {"dns": {"hostname": "api.shop.svc.cluster.local"}},
    },
}
VGW = {
    "meshName": "crossmesh",
    "spec": {"listeners": [LISTENER], "backendDefaults": {"clientPolicy": CLIENT_POLICY}},
}
MESH_BAG = {"spec": {"egressFilter": {"type": "DROP_ALL"}}}
ORDERS_BACKENDS = [
    {"virtualService": {"virtualServiceRef": {"name": "payments"}, "clientPolicy": CLIENT_POLICY}}
]
K8S_NODE_BAG = {
    "apiVersion": "appmesh.k8s.aws/v1beta2",
    "kind": "VirtualNode",
    "metadata": {"name": "orders", "namespace": "shop"},
    "spec": {
        "podSelector": {"matchLabels": {"app": "orders"}},
        "listeners": [LISTENER],
        "backends": [
            {"virtualService": {"virtualServiceRef": {"name": "payments"}, "clientPolicy": CLIENT_POLICY}}
        ],
        "serviceDiscovery": {"dns": {"hostname": "orders.shop.svc.cluster.local"}},
    },
}

CASES: list[PolicyCase] = [
    ok("xc-appmesh-listener-strict", AWS_APPMESH_VIRTUAL_NODE, NODE),
    ok("xc-appmesh-listener-strict", AWS_APPMESH_VIRTUAL_GATEWAY, VGW, "gateway"),
    bad(
        "xc-appmesh-listener-strict",
        AWS_APPMESH_VIRTUAL_NODE,
        changed(NODE, spec__listeners=[{"portMapping": {"port": 8080}}]),
        "plaintext",
    ),
    bad(
        "xc-appmesh-listener-strict",
        AWS_APPMESH_VIRTUAL_GATEWAY,
        changed(VGW, spec__listeners=[{**LISTENER, "tls": {**LISTENER["tls"], "mode": "PERMISSIVE"}}]),  # type: ignore[dict-item]
        "permissive",
    ),
    ok("xc-appmesh-mtls-trust", AWS_APPMESH_VIRTUAL_NODE, NODE),
    bad(
        "xc-appmesh-mtls-trust",
        AWS_APPMESH_VIRTUAL_NODE,
        changed(NODE, spec__listeners=[{**LISTENER, "tls": {"mode": "STRICT", "certificate": FILE_CERT}}]),
        "no-client-validation",
    ),
    bad(
        "xc-appmesh-mtls-trust",
        AWS_APPMESH_VIRTUAL_NODE,
        changed(
            NODE,
            spec__listeners=[
                {
                    **LISTENER,
                    "tls": {
                        "mode": "STRICT",
                        "certificate": {"acm": {"certificateArn": "arn"}},
                        "validation": {"trust": FILE_TRUST},
                    },
                }
            ],
        ),
        "acm-certificate",
    ),
    ok("xc-appmesh-client-enforce", AWS_APPMESH_VIRTUAL_NODE, NODE),
    ok(
        "xc-appmesh-client-enforce",
        AWS_APPMESH_VIRTUAL_NODE,
        changed(NODE, spec__backends=ABSENT, spec__backendDefaults=ABSENT),
        "no-backends",
    ),
    bad(
        "xc-appmesh-client-enforce",
        AWS_APPMESH_VIRTUAL_NODE,
        changed(NODE, spec__backendDefaults=ABSENT),
        "backends-without-policy",
    ),
    bad(
        "xc-appmesh-client-enforce",
        AWS_APPMESH_VIRTUAL_NODE,
        changed(NODE, spec__backendDefaults__clientPolicy__tls__enforce=False),
        "not-enforced",
    ),
    bad(
        "xc-appmesh-client-enforce",
        AWS_APPMESH_VIRTUAL_GATEWAY,
        changed(VGW, spec__backendDefaults__clientPolicy__tls__certificate=ABSENT),
        "no-client-cert",
    ),
    ok("xc-appmesh-egress-drop-all", AWS_APPMESH_MESH, MESH_BAG),
    ok("xc-appmesh-egress-drop-all", AWS_APPMESH_MESH, {}, "default-drop-all"),
    bad(
        "xc-appmesh-egress-drop-all",
        AWS_APPMESH_MESH,
        changed(MESH_BAG, spec__egressFilter__type="ALLOW_ALL"),
        "allow-all",
    ),
    ok("xc-appmesh-eol", AWS_VPC, {"cidrBlock": "10.0.0.0/16"}, "not-app-mesh"),
    bad("xc-appmesh-eol", AWS_APPMESH_MESH, MESH_BAG, "a-mesh"),
    bad("xc-appmesh-eol", APPMESH_MESH, MESH_BAG, "a-controller-mesh"),
    # The App Mesh controller's custom resources carry the same spec.
    ok("xc-appmesh-listener-strict", APPMESH_VIRTUAL_NODE, K8S_NODE_BAG, "controller-node"),
    ok(
        "xc-appmesh-listener-strict",
        APPMESH_VIRTUAL_NODE,
        changed(K8S_NODE_BAG, spec__podSelector=ABSENT, spec__listeners=[{"portMapping": {"port": 443}}]),
        "controller-node-without-pods",
    ),
    bad(
        "xc-appmesh-listener-strict",
        APPMESH_VIRTUAL_NODE,
        changed(K8S_NODE_BAG, spec__listeners=[{"portMapping": {"port": 443}}]),
        "controller-node-plaintext",
    ),
    ok(
        "xc-appmesh-mtls-trust",
        APPMESH_VIRTUAL_GATEWAY,
        changed(VGW, spec__podSelector={"matchLabels": {"app": "bridge"}}),
        "controller-gateway",
    ),
    bad(
        "xc-appmesh-mtls-trust",
        APPMESH_VIRTUAL_NODE,
        changed(
            K8S_NODE_BAG, spec__listeners=[{**LISTENER, "tls": {"mode": "STRICT", "certificate": FILE_CERT}}]
        ),
        "controller-node-no-trust",
    ),
    ok("xc-appmesh-client-enforce", APPMESH_VIRTUAL_NODE, K8S_NODE_BAG, "per-backend-client-policy"),
    bad(
        "xc-appmesh-client-enforce",
        APPMESH_VIRTUAL_NODE,
        changed(
            K8S_NODE_BAG,
            spec__backends=[
                *ORDERS_BACKENDS,
                {"virtualService": {"virtualServiceRef": {"name": "audit"}}},
            ],
        ),
        "one-backend-without-policy",
    ),
    bad(
        "xc-appmesh-client-enforce",
        APPMESH_VIRTUAL_GATEWAY,
        changed(VGW, spec__backendDefaults=ABSENT),
        "gateway-without-defaults",
    ),
    ok("xc-appmesh-egress-drop-all", APPMESH_MESH, MESH_BAG, "controller-mesh"),
    bad(
        "xc-appmesh-egress-drop-all",
        APPMESH_MESH,
        changed(MESH_BAG, spec__egressFilter__type="ALLOW_ALL"),
        "controller-allow-all",
    ),
]

# Every App Mesh mesh draws the end-of-support advisory, so its baselines pass the mandatory rules.
BASELINES = [
    Baseline(AWS_APPMESH_VIRTUAL_NODE, NODE, mandatory_only=True),
    Baseline(AWS_APPMESH_VIRTUAL_GATEWAY, VGW, mandatory_only=True),
    Baseline(AWS_APPMESH_MESH, MESH_BAG, mandatory_only=True),
]
