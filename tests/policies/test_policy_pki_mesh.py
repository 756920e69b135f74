"""PKI, Istio, App Mesh and secrets rules.

The strict-mTLS failing cases are Kyverno's enforce-strict-mtls pa-bad fixtures (PERMISSIVE, DISABLE,
DISABLE with a selector); the passing ones cover the modes its pattern admits (UNSET, STRICT, absent)."""

from __future__ import annotations

import pytest
from crossmesh_policy.appmesh import MESH, VIRTUAL_GATEWAY, VIRTUAL_NODE
from crossmesh_policy.pki import LOCALLY_SIGNED, PRIVATE_KEY, SELF_SIGNED
from pulumi_policy import PolicyProviderResource, PolicyResource

from tests.support.policy_cases import (
    ABSENT,
    BY_NAME,
    Case,
    StackCase,
    bad,
    baseline_violations,
    changed,
    ok,
    res,
    stack_violations,
)
from tests.support.types import (
    APPMESH_MESH,
    APPMESH_VIRTUAL_GATEWAY,
    APPMESH_VIRTUAL_NODE,
    AWS_INSTANCE,
    AWS_VPC,
    AWS_VPN_CONNECTION,
    HELM_RELEASE,
    ISTIO_AUTHORIZATION_POLICY,
    ISTIO_DESTINATION_RULE,
    ISTIO_GATEWAY,
    ISTIO_PEER_AUTHENTICATION,
    ISTIO_PEER_AUTHENTICATION_V1BETA1,
    ISTIO_VIRTUAL_SERVICE,
    K8S_CONFIG_MAP,
    K8S_DEPLOYMENT,
    K8S_NAMESPACE,
    K8S_POD,
    K8S_SECRET,
    KUBERNETES_PROVIDER,
    STACK,
    TLS_SELF_SIGNED_CERT,
)

DAY = 24
ROOT = {
    "isCaCertificate": True,
    "validityPeriodHours": 3650 * DAY,
    "earlyRenewalHours": 365 * DAY,
    "allowedUses": ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
    "subject": {"commonName": "crossmesh root", "organization": "crossmesh"},
}
INTERMEDIATE = {
    "isCaCertificate": True,
    "validityPeriodHours": 730 * DAY,
    "earlyRenewalHours": 60 * DAY,
    "maxPathLength": 0,
    "allowedUses": ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
}
KEY = {"algorithm": "RSA", "rsaBits": 4096}


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
WORKLOAD = {"metadata": {"name": "api"}, "spec": {"template": {"metadata": {"labels": {"app": "api"}}}}}
CACERTS = {
    "metadata": {"name": "cacerts", "namespace": "istio-system"},
    "stringData": {
        "ca-cert.pem": "[secret]",
        "ca-key.pem": "[secret]",
        "root-cert.pem": "[secret]",
        "cert-chain.pem": "[secret]",
    },
}
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
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----\n"

CASES: list[Case] = [
    ok("xc-pki-ca-shape", SELF_SIGNED, ROOT, "root"),
    ok("xc-pki-ca-shape", LOCALLY_SIGNED, INTERMEDIATE, "intermediate"),
    bad("xc-pki-ca-shape", SELF_SIGNED, changed(ROOT, allowedUses=["digital_signature"]), "root-cannot-sign"),
    bad("xc-pki-ca-shape", SELF_SIGNED, changed(ROOT, isCaCertificate=ABSENT), "self-signed-leaf"),
    bad("xc-pki-ca-shape", LOCALLY_SIGNED, changed(INTERMEDIATE, maxPathLength=ABSENT), "pathlen-unlimited"),
    bad("xc-pki-ca-shape", LOCALLY_SIGNED, changed(INTERMEDIATE, isCaCertificate=False), "signing-non-ca"),
    ok("xc-pki-key-strength", PRIVATE_KEY, KEY),
    ok("xc-pki-key-strength", PRIVATE_KEY, {"algorithm": "ECDSA", "ecdsaCurve": "P256"}, "p256"),
    ok("xc-pki-key-strength", PRIVATE_KEY, {"algorithm": "RSA"}, "rsa-default-2048"),
    bad("xc-pki-key-strength", PRIVATE_KEY, changed(KEY, rsaBits=1024), "rsa-1024"),
    bad("xc-pki-key-strength", PRIVATE_KEY, {"algorithm": "ECDSA"}, "ecdsa-default-p224"),
    ok("xc-pki-early-renewal", SELF_SIGNED, ROOT),
    ok(
        "xc-pki-early-renewal",
        LOCALLY_SIGNED,
        {"validityPeriodHours": 24, "earlyRenewalHours": 8},
        "workload-cert",
    ),
    bad("xc-pki-early-renewal", LOCALLY_SIGNED, changed(INTERMEDIATE, earlyRenewalHours=730 * DAY), "equal"),
    bad("xc-pki-early-renewal", SELF_SIGNED, changed(ROOT, earlyRenewalHours=ABSENT), "ca-default-0"),
    bad(
        "xc-pki-early-renewal", LOCALLY_SIGNED, changed(INTERMEDIATE, earlyRenewalHours=7 * DAY), "ca-7-days"
    ),
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
    ok("xc-appmesh-listener-strict", VIRTUAL_NODE, NODE),
    ok("xc-appmesh-listener-strict", VIRTUAL_GATEWAY, VGW, "gateway"),
    bad(
        "xc-appmesh-listener-strict",
        VIRTUAL_NODE,
        changed(NODE, spec__listeners=[{"portMapping": {"port": 8080}}]),
        "plaintext",
    ),
    bad(
        "xc-appmesh-listener-strict",
        VIRTUAL_GATEWAY,
        changed(VGW, spec__listeners=[{**LISTENER, "tls": {**LISTENER["tls"], "mode": "PERMISSIVE"}}]),  # type: ignore[dict-item]
        "permissive",
    ),
    ok("xc-appmesh-mtls-trust", VIRTUAL_NODE, NODE),
    bad(
        "xc-appmesh-mtls-trust",
        VIRTUAL_NODE,
        changed(NODE, spec__listeners=[{**LISTENER, "tls": {"mode": "STRICT", "certificate": FILE_CERT}}]),
        "no-client-validation",
    ),
    bad(
        "xc-appmesh-mtls-trust",
        VIRTUAL_NODE,
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
    ok("xc-appmesh-client-enforce", VIRTUAL_NODE, NODE),
    ok(
        "xc-appmesh-client-enforce",
        VIRTUAL_NODE,
        changed(NODE, spec__backends=ABSENT, spec__backendDefaults=ABSENT),
        "no-backends",
    ),
    bad(
        "xc-appmesh-client-enforce",
        VIRTUAL_NODE,
        changed(NODE, spec__backendDefaults=ABSENT),
        "backends-without-policy",
    ),
    bad(
        "xc-appmesh-client-enforce",
        VIRTUAL_NODE,
        changed(NODE, spec__backendDefaults__clientPolicy__tls__enforce=False),
        "not-enforced",
    ),
    bad(
        "xc-appmesh-client-enforce",
        VIRTUAL_GATEWAY,
        changed(VGW, spec__backendDefaults__clientPolicy__tls__certificate=ABSENT),
        "no-client-cert",
    ),
    ok("xc-appmesh-egress-drop-all", MESH, MESH_BAG),
    ok("xc-appmesh-egress-drop-all", MESH, {}, "default-drop-all"),
    bad(
        "xc-appmesh-egress-drop-all",
        MESH,
        changed(MESH_BAG, spec__egressFilter__type="ALLOW_ALL"),
        "allow-all",
    ),
    ok("xc-appmesh-eol", AWS_VPC, {"cidrBlock": "10.0.0.0/16"}, "not-app-mesh"),
    bad("xc-appmesh-eol", MESH, MESH_BAG, "a-mesh"),
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
    ok("xc-secrets-no-plaintext-config", AWS_INSTANCE, {"userData": "#!/bin/sh\necho hi"}),
    ok(
        "xc-secrets-no-plaintext-config",
        K8S_SECRET,
        {"stringData": {"key.pem": PEM}},
        "kubernetes-secret-carries-it",
    ),
    ok(
        "xc-secrets-no-plaintext-config",
        TLS_SELF_SIGNED_CERT,
        {"privateKeyPem": PEM},
        "tls-carries-it",
    ),
    bad(
        "xc-secrets-no-plaintext-config",
        AWS_INSTANCE,
        {"userData": f"cat > k <<EOF\n{PEM}EOF"},
        "pem",
    ),
    bad(
        "xc-secrets-no-plaintext-config",
        K8S_CONFIG_MAP,
        {"data": {"aws": "AKIAIOSFODNN7EXAMPLE"}},
        "aws-key-id",
    ),
    bad(
        "xc-secrets-no-plaintext-config",
        K8S_CONFIG_MAP,
        {"data": {"kubeconfig": "users:\n- user:\n    token: eyJhbGciOiJSUzI1NiIsImtpZCI6"}},
        "kubeconfig-token",
    ),
]


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
ROOT_R = res(SELF_SIGNED, "root", ROOT)
INTER_R = res(LOCALLY_SIGNED, "eks-intermediate", INTERMEDIATE, property_dependencies={"caCertPem": [ROOT_R]})
SCHEDULE = res("pulumiservice:index:DeploymentSchedule", "weekly-up", {"scheduleCron": "0 6 * * 1"})

STACK_CASES: list[StackCase] = [
    StackCase("xc-pki-validity-bounds", [ROOT_R, INTER_R], False, "istio-profile"),
    StackCase(
        "xc-pki-validity-bounds",
        [res(SELF_SIGNED, "root", changed(ROOT, validityPeriodHours=30 * DAY)), INTER_R],
        True,
        "root-30-days",
    ),
    StackCase(
        "xc-pki-validity-bounds",
        [ROOT_R, res(LOCALLY_SIGNED, "i", changed(INTERMEDIATE, validityPeriodHours=3650 * DAY))],
        True,
        "intermediate-outlives",
    ),
    StackCase(
        "xc-pki-validity-bounds",
        [ROOT_R, INTER_R],
        True,
        "stack-config-tightens",
        config={"intermediateMaxHours": 365 * DAY},
    ),
    StackCase("xc-pki-renewal-process", [ROOT_R, INTER_R, SCHEDULE], False, "scheduled"),
    StackCase("xc-pki-renewal-process", [res(AWS_VPC, "vpc", {})], False, "no-ca"),
    StackCase("xc-pki-renewal-process", [ROOT_R, INTER_R], True, "nothing-renews"),
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
    StackCase(
        "xc-secrets-outputs-secret",
        [res(STACK, "crossmesh-dev", {"awsVpcId": "vpc-1", "rootCaKey": "[secret]"})],
        False,
        "masked",
    ),
    StackCase(
        "xc-secrets-outputs-secret",
        [res(STACK, "crossmesh-dev", {"rootCaKey": PEM})],
        True,
        "plain-pem",
    ),
    StackCase(
        "xc-secrets-outputs-secret",
        [
            res(
                AWS_VPN_CONNECTION,
                "conn",
                {"tunnel1PresharedKey": "Aq1.key_one_abcdefghij"},
            ),
            res(STACK, "crossmesh-dev", {"tunnels": "Aq1.key_one_abcdefghij"}),
        ],
        True,
        "tunnel-key",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_verdict(case: Case) -> None:
    case.verify()


@pytest.mark.parametrize("case", STACK_CASES, ids=str)
def test_stack_verdict(case: StackCase) -> None:
    case.verify()


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        (SELF_SIGNED, ROOT),
        (LOCALLY_SIGNED, INTERMEDIATE),
        (PRIVATE_KEY, KEY),
        (ISTIO_PEER_AUTHENTICATION, STRICT_PA),
        (ISTIO_DESTINATION_RULE, DEST),
        (ISTIO_AUTHORIZATION_POLICY, AUTHZ),
        (ISTIO_VIRTUAL_SERVICE, VSERVICE),
        (ISTIO_GATEWAY, GATEWAY),
        (K8S_SECRET, CACERTS),
        (K8S_DEPLOYMENT, WORKLOAD),
    ],
)
def test_baseline_passes_every_rule_of_its_type(resource_type: str, props: dict[str, object]) -> None:
    assert baseline_violations(resource_type, props) == []


@pytest.mark.parametrize(
    ("resource_type", "props"), [(VIRTUAL_NODE, NODE), (VIRTUAL_GATEWAY, VGW), (MESH, MESH_BAG)]
)
def test_app_mesh_baselines_pass_every_mandatory_rule(resource_type: str, props: dict[str, object]) -> None:
    assert baseline_violations(resource_type, props, mandatory_only=True) == []


def test_secret_messages_name_the_path_not_the_value() -> None:
    [(message, _)] = stack_violations(
        BY_NAME["xc-secrets-outputs-secret"], [res(STACK, "s", {"rootCaKey": PEM})]
    )
    assert "rootCaKey" in message and "MIIE" not in message


def test_kyverno_message_is_kept() -> None:
    from tests.support.policy_cases import resource_violations

    [message] = resource_violations(
        BY_NAME["xc-istio-strict-mtls"],
        ISTIO_PEER_AUTHENTICATION,
        changed(STRICT_PA, spec__mtls__mode="PERMISSIVE"),
    )
    assert message.startswith("PeerAuthentication resources may only set UNSET or STRICT for the mode.")
