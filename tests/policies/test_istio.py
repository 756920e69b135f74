"""Istio rules: compliant custom resources, then one changed field per case, and whole clusters
running istiod for the mesh-wide rules.

The strict-mTLS failing cases are Kyverno's enforce-strict-mtls pa-bad fixtures (PERMISSIVE, DISABLE,
DISABLE with a selector); the passing ones cover the modes its pattern admits (UNSET, STRICT, absent).
The runner in test_pack.py runs CASES and BASELINES."""

from __future__ import annotations

from pulumi_policy import PolicyProviderResource, PolicyResource

from tests.support.policy_cases import (
    ABSENT,
    BY_NAME,
    Baseline,
    PolicyCase,
    StackCase,
    bad,
    changed,
    ok,
    res,
    resource_violations,
)
from tests.support.types import (
    HELM_RELEASE,
    ISTIO_AUTHORIZATION_POLICY,
    ISTIO_DESTINATION_RULE,
    ISTIO_GATEWAY,
    ISTIO_PEER_AUTHENTICATION,
    ISTIO_PEER_AUTHENTICATION_V1BETA1,
    ISTIO_VIRTUAL_SERVICE,
    K8S_DEPLOYMENT,
    K8S_NAMESPACE,
    K8S_POD,
    K8S_SECRET,
    KUBERNETES_PROVIDER,
)


def cr(kind: str, name: str, namespace: str, spec: dict[str, object]) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


STRICT_PA = cr("PeerAuthentication", "default", "istio-system", {"mtls": {"mode": "STRICT"}})
DEST = cr(
    "DestinationRule",
    "payments",
    "shop",
    {"host": "payments.shop.svc.cluster.local", "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}}},
)
AUTHZ = cr(
    "AuthorizationPolicy",
    "allow-frontend",
    "shop",
    {
        "action": "ALLOW",
        "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/shop/sa/frontend"]}}]}],
    },
)
VSERVICE = cr("VirtualService", "payments", "shop", {"hosts": ["payments.shop.svc.cluster.local"]})
GATEWAY = cr(
    "Gateway", "east-west", "istio-system", {"servers": [{"port": {"number": 15443}, "hosts": ["*.local"]}]}
)
WORKLOAD = {
    "metadata": {"name": "api"},
    "spec": {
        "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"automountServiceAccountToken": False}}
    },
}
CACERTS = {
    "metadata": {"name": "cacerts", "namespace": "istio-system"},
    "stringData": {
        "ca-cert.pem": "[secret]",
        "ca-key.pem": "[secret]",
        "root-cert.pem": "[secret]",
        "cert-chain.pem": "[secret]",
    },
}


def istio_cluster(
    *extra: PolicyResource, namespaces: dict[str, dict[str, str]] | None = None
) -> list[PolicyResource]:
    """One cluster (one kubernetes provider) running istiod, with application namespaces."""
    provider = PolicyProviderResource(KUBERNETES_PROVIDER, {}, "urn:k8s-eks", "eks")
    labels = namespaces if namespaces is not None else {"shop": {"istio-injection": "enabled"}}
    resources = [
        res(HELM_RELEASE, "istiod", {"chart": "istiod", "namespace": "istio-system"}, provider=provider)
    ]
    for name, ns_labels in labels.items():
        resources.append(
            res(K8S_NAMESPACE, name, {"metadata": {"name": name, "labels": ns_labels}}, provider=provider)
        )
    for resource in extra:
        resources.append(res(resource.resource_type, resource.name, resource.props, provider=provider))
    return resources


MESH_STRICT = res(ISTIO_PEER_AUTHENTICATION, "mesh-strict", STRICT_PA)
ALLOW_NOTHING = res(
    ISTIO_AUTHORIZATION_POLICY,
    "allow-nothing",
    cr("AuthorizationPolicy", "allow-nothing", "istio-system", {}),
)
SHOP_DENY = res(
    ISTIO_AUTHORIZATION_POLICY, "shop-deny", cr("AuthorizationPolicy", "allow-nothing", "shop", {})
)

CASES: list[PolicyCase] = [
    # Kyverno enforce-strict-mtls
    ok("xc-istio-strict-mtls", ISTIO_PEER_AUTHENTICATION, STRICT_PA, "strict"),
    ok(
        "xc-istio-strict-mtls",
        ISTIO_PEER_AUTHENTICATION_V1BETA1,
        changed(STRICT_PA, spec__mtls__mode="UNSET"),
        "unset",
    ),
    ok("xc-istio-strict-mtls", ISTIO_PEER_AUTHENTICATION, changed(STRICT_PA, spec__mtls=ABSENT), "no-mtls"),
    ok("xc-istio-strict-mtls", ISTIO_PEER_AUTHENTICATION, changed(STRICT_PA, spec=ABSENT), "no-spec"),
    ok(
        "xc-istio-strict-mtls",
        ISTIO_PEER_AUTHENTICATION,
        changed(STRICT_PA, spec__selector={"matchLabels": {"app": "finance"}}),
        "selector-strict",
    ),
    bad(
        "xc-istio-strict-mtls",
        ISTIO_PEER_AUTHENTICATION_V1BETA1,
        changed(STRICT_PA, spec__mtls__mode="PERMISSIVE"),
        "pa-bad01",
    ),
    bad(
        "xc-istio-strict-mtls",
        ISTIO_PEER_AUTHENTICATION_V1BETA1,
        changed(STRICT_PA, spec__mtls__mode="DISABLE"),
        "pa-bad02",
    ),
    bad(
        "xc-istio-strict-mtls",
        ISTIO_PEER_AUTHENTICATION_V1BETA1,
        changed(STRICT_PA, spec__mtls__mode="DISABLE", spec__selector={"matchLabels": {"app": "finance"}}),
        "pa-bad03",
    ),
    bad(
        "xc-istio-strict-mtls",
        ISTIO_PEER_AUTHENTICATION,
        changed(STRICT_PA, spec__portLevelMtls={"8080": {"mode": "PERMISSIVE"}}),
        "port-level",
    ),
    ok("xc-istio-authz-safe-patterns", ISTIO_AUTHORIZATION_POLICY, AUTHZ),
    bad(
        "xc-istio-authz-safe-patterns",
        ISTIO_AUTHORIZATION_POLICY,
        changed(AUTHZ, spec__rules=[{"from": [{"source": {"notNamespaces": ["prod"]}}]}]),
        "allow-negative",
    ),
    bad(
        "xc-istio-authz-safe-patterns",
        ISTIO_AUTHORIZATION_POLICY,
        changed(AUTHZ, spec__action="DENY", spec__rules=[{"to": [{"operation": {"paths": ["/admin"]}}]}]),
        "deny-positive-path",
    ),
    ok("xc-istio-dr-tls-verify", ISTIO_DESTINATION_RULE, DEST),
    ok(
        "xc-istio-dr-tls-verify",
        ISTIO_DESTINATION_RULE,
        changed(DEST, spec__trafficPolicy__tls={"mode": "SIMPLE", "caCertificates": "/etc/certs/ca.pem"}),
        "simple-with-ca",
    ),
    bad(
        "xc-istio-dr-tls-verify",
        ISTIO_DESTINATION_RULE,
        changed(DEST, spec__trafficPolicy__tls={"mode": "SIMPLE"}),
        "IST0128",
    ),
    bad(
        "xc-istio-dr-tls-verify",
        ISTIO_DESTINATION_RULE,
        changed(DEST, spec__subsets=[{"name": "v1", "trafficPolicy": {"tls": {"mode": "MUTUAL"}}}]),
        "IST0129-subset",
    ),
    bad(
        "xc-istio-dr-tls-verify",
        ISTIO_DESTINATION_RULE,
        changed(
            DEST,
            spec__trafficPolicy__tls={
                "mode": "SIMPLE",
                "caCertificates": "/ca.pem",
                "insecureSkipVerify": True,
            },
        ),
        "skip-verify",
    ),
    ok("xc-istio-dr-no-tls-disable", ISTIO_DESTINATION_RULE, DEST),
    bad(
        "xc-istio-dr-no-tls-disable",
        ISTIO_DESTINATION_RULE,
        changed(DEST, spec__trafficPolicy__tls__mode="DISABLE"),
        "host",
    ),
    bad(
        "xc-istio-dr-no-tls-disable",
        ISTIO_DESTINATION_RULE,
        changed(
            DEST,
            spec__trafficPolicy__portLevelSettings=[{"port": {"number": 80}, "tls": {"mode": "DISABLE"}}],
        ),
        "port",
    ),
    ok("xc-istio-injection-workloads", K8S_DEPLOYMENT, WORKLOAD),
    bad(
        "xc-istio-injection-workloads",
        K8S_DEPLOYMENT,
        changed(WORKLOAD, spec__template__metadata__annotations={"sidecar.istio.io/inject": "false"}),
        "annotation",
    ),
    bad(
        "xc-istio-injection-workloads",
        K8S_POD,
        {"metadata": {"labels": {"sidecar.istio.io/inject": "false"}}},
        "pod-label",
    ),
    ok("xc-istio-no-wildcard-hosts", ISTIO_VIRTUAL_SERVICE, VSERVICE),
    ok("xc-istio-no-wildcard-hosts", ISTIO_GATEWAY, GATEWAY, "east-west-star-dot-local"),
    bad("xc-istio-no-wildcard-hosts", ISTIO_VIRTUAL_SERVICE, changed(VSERVICE, spec__hosts=["*"]), "star"),
    bad(
        "xc-istio-no-wildcard-hosts",
        ISTIO_GATEWAY,
        changed(GATEWAY, spec__servers=[{"hosts": ["shop/*"]}]),
        "namespace-star",
    ),
    ok("xc-istio-cacerts-shape", K8S_SECRET, CACERTS),
    ok("xc-istio-cacerts-shape", K8S_SECRET, {"metadata": {"name": "other"}}, "other-secret"),
    bad(
        "xc-istio-cacerts-shape",
        K8S_SECRET,
        changed(CACERTS, metadata__namespace="default"),
        "wrong-namespace",
    ),
    bad(
        "xc-istio-cacerts-shape",
        K8S_SECRET,
        changed(CACERTS, stringData={"ca-cert.pem": "x", "ca-key.pem": "y"}),
        "missing-keys",
    ),
    # Whole stacks
    StackCase("xc-istio-mesh-strict-mtls", istio_cluster(MESH_STRICT), False, "mesh-wide-strict"),
    StackCase("xc-istio-mesh-strict-mtls", istio_cluster(), True, "none"),
    StackCase(
        "xc-istio-mesh-strict-mtls",
        istio_cluster(
            res(
                ISTIO_PEER_AUTHENTICATION,
                "ns-only",
                cr("PeerAuthentication", "default", "shop", {"mtls": {"mode": "STRICT"}}),
            )
        ),
        True,
        "namespace-only",
    ),
    StackCase("xc-istio-default-deny", istio_cluster(ALLOW_NOTHING), False, "root-allow-nothing"),
    StackCase("xc-istio-default-deny", istio_cluster(SHOP_DENY), False, "per-namespace"),
    StackCase("xc-istio-default-deny", istio_cluster(), True, "none"),
    StackCase(
        "xc-istio-default-deny",
        istio_cluster(res(ISTIO_AUTHORIZATION_POLICY, "allow-fe", AUTHZ)),
        True,
        "only-allow-rules",
    ),
    StackCase("xc-istio-injection-namespace", istio_cluster(), False, "labelled"),
    StackCase(
        "xc-istio-injection-namespace",
        istio_cluster(namespaces={"shop": {"istio.io/rev": "1-24"}}),
        False,
        "revision",
    ),
    StackCase("xc-istio-injection-namespace", istio_cluster(namespaces={"shop": {}}), True, "unlabelled"),
    StackCase(
        "xc-istio-injection-namespace",
        istio_cluster(namespaces={"observability": {"istio-injection": "disabled"}}),
        False,
        "explicit-opt-out-IST0102",
    ),
    StackCase(
        "xc-istio-default-deny",
        istio_cluster(namespaces={"observability": {"istio-injection": "disabled"}}),
        False,
        "no-sidecars-no-authz",
    ),
    StackCase(
        "xc-istio-injection-namespace", istio_cluster(namespaces={"kube-system": {}}), False, "system-exempt"
    ),
    StackCase(
        "xc-istio-injection-namespace",
        [res(K8S_NAMESPACE, "shop", {"metadata": {"name": "shop"}})],
        False,
        "cluster-without-istio",
    ),
]

BASELINES = [
    Baseline(ISTIO_PEER_AUTHENTICATION, STRICT_PA),
    Baseline(ISTIO_DESTINATION_RULE, DEST),
    Baseline(ISTIO_AUTHORIZATION_POLICY, AUTHZ),
    Baseline(ISTIO_VIRTUAL_SERVICE, VSERVICE),
    Baseline(ISTIO_GATEWAY, GATEWAY),
    Baseline(K8S_SECRET, CACERTS),
    Baseline(K8S_DEPLOYMENT, WORKLOAD),
]


def test_kyverno_message_is_kept() -> None:
    [message] = resource_violations(
        BY_NAME["xc-istio-strict-mtls"],
        ISTIO_PEER_AUTHENTICATION,
        changed(STRICT_PA, spec__mtls__mode="PERMISSIVE"),
    )
    assert message.startswith("PeerAuthentication resources may only set UNSET or STRICT for the mode.")
