"""AppMesh and IstioBridge in the legacy plan: the controller and its IAM, the mesh, each service's
objects and certificates, the bridge in both directions, secrecy, and the end-of-support warning.

The legacy stack: storefront (GKE) -> orders (EKS, App Mesh) -> inventory (GKE).
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from components.clusters.namespace_specs import private_ingress_spec
from components.config import ServiceConfig, load_config
from components.mesh import appmesh_specs as specs
from components.mesh import bridge_specs
from components.mesh.app_mesh import END_OF_SUPPORT
from components.mesh.appmesh_traffic_specs import duration_ms
from components.mesh.traffic_specs import duration_ms as istio_ms
from components.mesh.traffic_specs import retry_events
from offline import engine
from offline.commands import cli
from offline.commands.appmesh_summary import appmesh_lines
from offline.commands.estimate import estimate_deploy, is_required_ordering
from offline.commands.summary import render_summary
from offline.fake_cloud import FAKE_AWS_ACCOUNT
from offline.record import Plan, Registration, Secret, secret_paths
from tests.support.crd_schema import appmesh_problems, istio_problems
from tests.support.plans import PROJECT_DIR, planned
from tests.support.traffic_checks import same_numbers
from tests.support.types import (
    AWS_VPC,
    CLOUD_MAP_INSTANCE,
    CLOUD_MAP_PRIVATE_DNS_NAMESPACE,
    COMPONENT_APP_MESH,
    COMPONENT_ISTIO_BRIDGE,
    COMPONENT_ISTIO_MESH,
    GCP_ADDRESS,
    HELM_RELEASE,
    IAM_OIDC_PROVIDER,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    ISSUED_CERTIFICATE,
    ISTIO_AUTHORIZATION_POLICY,
    ISTIO_DESTINATION_RULE,
    ISTIO_GATEWAY,
    ISTIO_SERVICE_ENTRY,
    ISTIO_VIRTUAL_SERVICE,
    K8S_DEPLOYMENT,
    K8S_NAMESPACE,
    K8S_NETWORK_POLICY,
    K8S_POD_DISRUPTION_BUDGET,
    K8S_SECRET,
    K8S_SERVICE,
    TLS_PRIVATE_KEY,
    TLS_SELF_SIGNED_CERT,
)

APPMESH = "kubernetes:appmesh.k8s.aws/v1beta2"
TRUST_DOMAIN = "legacy.crossmesh.local"
MESH = "crossmesh-legacy"
ORDERS_ID = "spiffe://legacy.crossmesh.local/ns/orders/sa/orders"
STOREFRONT_ID = "spiffe://legacy.crossmesh.local/ns/shop/sa/storefront"
GATEWAY_ID = "spiffe://legacy.crossmesh.local/ns/crossmesh-bridge/sa/crossmesh-bridge"
INGRESS_ID = "spiffe://legacy.crossmesh.local/ns/istio-system/sa/crossmesh-bridge-gateway"
ROOT_FILE = "/certs/root.pem"
LEGACY = load_config(
    {
        key.removeprefix("crossmesh:"): value
        for key, value in yaml.safe_load((PROJECT_DIR / "Pulumi.legacy.yaml").read_text())["config"].items()
    }
)
GKE_SERVICES = {s.name for s in LEGACY.services if s.cloud == "gcp"}


@pytest.fixture(scope="module")
def plan() -> Plan:
    return planned("legacy")


def appmesh_objects(plan: Plan, kind: str) -> list[Registration]:
    return plan.of_type(f"{APPMESH}:{kind}")


def appmesh_object(plan: Plan, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
    found = [
        r
        for r in appmesh_objects(plan, kind)
        if r.inputs["metadata"]["name"] == name and r.inputs["metadata"].get("namespace") == namespace
    ]
    assert len(found) == 1, [r.name for r in found]
    spec: dict[str, Any] = found[0].inputs["spec"]
    return spec


def policy_document(plan: Plan, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(plan.one(IAM_ROLE_POLICY, name).inputs["policy"])
    return document


# --- honesty -------------------------------------------------------------------------------------------


def appmesh_warnings(plan: Plan) -> list[str]:
    """The plan's warnings about App Mesh (a stack's Kubernetes version may warn too)."""
    return [warning for warning in plan.warnings if "App Mesh" in warning]


def test_choosing_app_mesh_warns_with_the_end_of_support_date_and_the_migration(plan: Plan) -> None:
    assert len(appmesh_warnings(plan)) == 1
    assert END_OF_SUPPORT == "2026-09-30"
    assert "2026-09-30" in appmesh_warnings(plan)[0]
    assert "docs/runbooks/move-off-app-mesh.md" in appmesh_warnings(plan)[0]


def test_plan_summary_and_the_command_show_the_warning(
    plan: Plan, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    warning = appmesh_warnings(plan)[0]
    assert f"  warning: {warning}" in render_summary(plan)
    monkeypatch.setattr(engine, "plan_stack", lambda project_dir, stack, against=None: plan)
    assert cli.main(["plan", "--stack", "legacy"]) == 0
    assert f"warning: {warning}\n" in capsys.readouterr().err


def test_plan_summary_shows_the_controller_mesh_tls_and_bridge(plan: Plan) -> None:
    text = "\n".join(appmesh_lines(plan))
    assert (
        "controller: appmesh-controller 1.13.3 from https://aws.github.io/eks-charts, tracing x-ray" in text
    )
    assert f"mesh {MESH}: egress DROP_ALL" in text
    assert f"virtual node orders/orders: 8080/http, TLS STRICT, clients {GATEWAY_ID}" in text
    assert "router orders/orders: -> orders, 2 retries, timeout 15s" in text
    assert f"virtual gateway crossmesh-bridge/crossmesh-bridge: TLS STRICT, clients {STOREFRONT_ID}" in text
    assert f"inventory.shop.svc.cluster.local MUTUAL, clients {ORDERS_ID}" in text
    assert appmesh_lines(planned("dev")) == []


def test_the_istio_topology_does_not_warn_about_app_mesh() -> None:
    assert appmesh_warnings(planned("dev")) == []


def test_istio_runs_only_on_gke_when_eks_runs_app_mesh(plan: Plan) -> None:
    components = {r.name for r in plan.resources if r.type == COMPONENT_ISTIO_MESH}
    assert components == {"istio-gcp"}
    assert plan.one(COMPONENT_APP_MESH).name == "appmesh"


# --- the controller ------------------------------------------------------------------------------------


def test_controller_is_the_pinned_eks_chart_with_its_crds_and_x_ray(plan: Plan) -> None:
    release = plan.one(HELM_RELEASE, "appmesh-controller")
    inputs = release.inputs
    assert (inputs["chart"], inputs["version"]) == ("appmesh-controller", "1.13.3")
    assert inputs["repositoryOpts"] == {"repo": "https://aws.github.io/eks-charts"}
    assert inputs["namespace"] == "appmesh-system"
    assert inputs.get("skipCrds", False) is False
    values = inputs["values"]
    assert values["region"] == "us-east-1"
    assert values["clusterName"] == "cm-legacy-eks"
    assert values["tracing"] == {"enabled": True, "provider": "x-ray", "samplingRate": 0.01}
    role_arn = plan.one(IAM_ROLE, "appmesh-controller-irsa").outputs["arn"]
    assert values["serviceAccount"] == {
        "create": True,
        "name": "appmesh-controller",
        "annotations": {"eks.amazonaws.com/role-arn": role_arn},
    }


def test_controller_role_trusts_only_its_service_account_through_the_eks_oidc_provider(plan: Plan) -> None:
    trust = json.loads(plan.one(IAM_ROLE, "appmesh-controller-irsa").inputs["assumeRolePolicy"])
    oidc = plan.one(IAM_OIDC_PROVIDER)
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Federated": oidc.outputs["arn"]}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    conditions = statement["Condition"]["StringEquals"]
    issuer = oidc.inputs["url"].removeprefix("https://")
    assert conditions == {
        f"{issuer}:sub": "system:serviceaccount:appmesh-system:appmesh-controller",
        f"{issuer}:aud": "sts.amazonaws.com",
    }


# The calls the controller's code makes (pkg/aws/services of aws-app-mesh-controller-for-k8s v1.13.3).
CONTROLLER_CALLS = {
    *(
        f"appmesh:{verb}{kind}"
        for verb in ("Create", "Describe", "Update", "Delete")
        for kind in (
            "Mesh",
            "VirtualGateway",
            "GatewayRoute",
            "VirtualNode",
            "VirtualRouter",
            "Route",
            "VirtualService",
        )
    ),
    "appmesh:ListRoutes",
    "iam:CreateServiceLinkedRole",
    "servicediscovery:CreateService",
    "servicediscovery:DeleteService",
    "servicediscovery:DeregisterInstance",
    "servicediscovery:GetInstance",
    "servicediscovery:GetInstancesHealthStatus",
    "servicediscovery:GetService",
    "servicediscovery:ListInstances",
    "servicediscovery:RegisterInstance",
    "servicediscovery:GetOperation",
    "servicediscovery:ListNamespaces",
    "servicediscovery:ListServices",
    "route53:ChangeResourceRecordSets",
}


def actions_of(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def test_controller_policy_grants_exactly_the_calls_the_controller_makes(plan: Plan) -> None:
    document = policy_document(plan, "appmesh-controller-irsa")
    granted = [action for statement in document["Statement"] for action in actions_of(statement)]
    assert sorted(granted) == sorted(CONTROLLER_CALLS)
    assert all(
        statement["Effect"] == "Allow" and "*" not in actions_of(statement)
        for statement in document["Statement"]
    )
    assert not any(action.startswith(("acm", "acm-pca", "route53:CreateHealthCheck")) for action in granted)


def test_controller_policy_reaches_only_this_mesh_namespace_and_zone(plan: Plan) -> None:
    document = policy_document(plan, "appmesh-controller-irsa")
    by_sid = {statement["Sid"]: statement for statement in document["Statement"]}
    mesh_arn = f"arn:aws:appmesh:us-east-1:{FAKE_AWS_ACCOUNT}:mesh/{MESH}"
    assert by_sid["ThisMesh"]["Resource"] == [mesh_arn, f"{mesh_arn}/*"]
    namespace = plan.one(CLOUD_MAP_PRIVATE_DNS_NAMESPACE)
    assert by_sid["CloudMapServicesOfThisNamespace"]["Resource"] == namespace.outputs["arn"]
    assert (
        by_sid["CloudMapRecords"]["Resource"]
        == f"arn:aws:route53:::hostedzone/{namespace.outputs['hostedZone']}"
    )
    assert (
        by_sid["CloudMapInstances"]["Resource"]
        == f"arn:aws:servicediscovery:us-east-1:{FAKE_AWS_ACCOUNT}:service/*"
    )
    unscoped = [a for s in document["Statement"] if s["Resource"] == "*" for a in actions_of(s)]
    assert sorted(unscoped) == [
        "servicediscovery:GetOperation",
        "servicediscovery:ListNamespaces",
        "servicediscovery:ListServices",
    ]
    assert by_sid["AppMeshServiceLinkedRole"]["Condition"] == {
        "StringLike": {"iam:AWSServiceName": "appmesh.amazonaws.com"}
    }


@pytest.mark.parametrize(
    ("role", "resource"),
    [
        ("appmesh-orders-irsa", "virtualNode/orders_orders"),
        ("appmesh-gateway-irsa", "virtualGateway/crossmesh-bridge_crossmesh-bridge"),
    ],
)
def test_each_envoy_may_fetch_only_its_own_configuration(plan: Plan, role: str, resource: str) -> None:
    statements = {s["Sid"]: s for s in policy_document(plan, role)["Statement"]}
    assert statements["OwnConfiguration"]["Action"] == "appmesh:StreamAggregatedResources"
    assert (
        statements["OwnConfiguration"]["Resource"]
        == f"arn:aws:appmesh:us-east-1:{FAKE_AWS_ACCOUNT}:mesh/{MESH}/{resource}"
    )
    assert set(statements) == {"OwnConfiguration", "Traces"}
    assert all(action.startswith("xray:") for action in statements["Traces"]["Action"])


def test_cloud_map_namespace_is_private_dns_on_the_vpc(plan: Plan) -> None:
    namespace = plan.one(CLOUD_MAP_PRIVATE_DNS_NAMESPACE)
    assert namespace.inputs["name"] == f"{MESH}.appmesh.internal"
    assert namespace.inputs["vpc"] == plan.one(AWS_VPC).id


# --- the mesh and each service -------------------------------------------------------------------------


def test_mesh_drops_all_egress_to_undeclared_backends(plan: Plan) -> None:
    spec = appmesh_object(plan, "Mesh", MESH)
    assert spec["egressFilter"] == {"type": "DROP_ALL"}
    assert spec["namespaceSelector"] == {"matchLabels": {"mesh": MESH}}


def test_mesh_namespaces_join_the_mesh_and_get_sidecars(plan: Plan) -> None:
    namespaces = {
        r.inputs["metadata"]["name"]: r.inputs["metadata"].get("labels")
        for r in plan.of_type(K8S_NAMESPACE)
        if r.parent and r.parent.endswith("AppMesh::appmesh")
    }
    labels = {"mesh": MESH, "appmesh.k8s.aws/sidecarInjectorWebhook": "enabled"}
    # shop only holds the placeholder that makes inventory's GKE host resolve on EKS.
    assert namespaces == {"appmesh-system": None, "orders": labels, "crossmesh-bridge": labels, "shop": None}


def test_leaving_app_mesh_never_deletes_an_application_namespace(plan: Plan) -> None:
    retained = {
        r.inputs["metadata"]["name"]: r.retain_on_delete
        for r in plan.of_type(K8S_NAMESPACE)
        if r.parent and r.parent.endswith("AppMesh::appmesh")
    }
    assert retained == {"appmesh-system": False, "orders": True, "crossmesh-bridge": False, "shop": False}


def test_every_aws_service_has_a_node_a_router_with_its_route_and_a_service(plan: Plan) -> None:
    node = appmesh_object(plan, "VirtualNode", "orders", "orders")
    router = appmesh_object(plan, "VirtualRouter", "orders", "orders")
    service = appmesh_object(plan, "VirtualService", "orders", "orders")
    assert node["podSelector"] == {"matchLabels": {"app": "orders"}}
    assert node["serviceDiscovery"] == {
        "awsCloudMap": {"namespaceName": f"{MESH}.appmesh.internal", "serviceName": "orders"}
    }
    (route,) = router["routes"]
    assert route["httpRoute"]["action"]["weightedTargets"] == [
        {"virtualNodeRef": {"name": "orders", "namespace": "orders"}, "weight": 100}
    ]
    assert service == {
        "awsName": "orders.orders.svc.cluster.local",
        "provider": {"virtualRouter": {"virtualRouterRef": {"name": "orders", "namespace": "orders"}}},
    }


def test_every_app_mesh_object_has_the_v1beta2_structure(plan: Plan) -> None:
    registrations = [r for r in plan.resources if r.type.startswith(APPMESH)]
    kinds = sorted(r.type.rsplit(":", 1)[-1] for r in registrations)
    assert kinds == [
        "GatewayRoute",
        "Mesh",
        "VirtualGateway",
        "VirtualNode",
        "VirtualNode",
        "VirtualRouter",
        "VirtualRouter",
        "VirtualService",
        "VirtualService",
    ]
    for registration in registrations:
        kind = registration.type.rsplit(":", 1)[-1]
        assert registration.inputs["apiVersion"] == "appmesh.k8s.aws/v1beta2"
        assert appmesh_problems(kind, registration.inputs["spec"]) == [], registration.name


def test_app_mesh_objects_wait_for_the_controller_the_mesh_and_cloud_map(plan: Plan) -> None:
    controller = plan.one(HELM_RELEASE, "appmesh-controller").urn
    mesh = plan.one(f"{APPMESH}:Mesh").urn
    discovery = plan.one(CLOUD_MAP_PRIVATE_DNS_NAMESPACE).urn
    for registration in (r for r in plan.resources if r.type.startswith(APPMESH)):
        assert controller in registration.dependencies, registration.name
        if registration.urn != mesh:
            assert {mesh, discovery} <= set(registration.dependencies), registration.name


def test_the_deploy_estimate_counts_app_mesh_orderings_as_required(plan: Plan) -> None:
    for kind in ("VirtualNode", "VirtualRouter", "VirtualService", "VirtualGateway", "GatewayRoute"):
        dependent = f"{APPMESH}:{kind}"
        assert is_required_ordering(dependent, f"{APPMESH}:Mesh")
        assert is_required_ordering(dependent, CLOUD_MAP_PRIVATE_DNS_NAMESPACE)
        assert is_required_ordering(dependent, HELM_RELEASE)
    assert not is_required_ordering(f"{APPMESH}:VirtualNode", IAM_ROLE)
    assert (
        estimate_deploy(plan).critical_seconds == estimate_deploy(plan, required_only=True).critical_seconds
    )


def test_the_schema_check_would_catch_a_misspelt_field_and_a_bad_enum() -> None:
    assert appmesh_problems("Mesh", {"egressFilter": {"type": "DENY_ALL"}}) == [
        "spec.egressFilter.type: 'DENY_ALL' is not one of ['ALLOW_ALL', 'DROP_ALL']"
    ]
    assert appmesh_problems("VirtualNode", {"listener": []}) == ["spec: unknown field 'listener'"]


# --- mTLS from the shared root -------------------------------------------------------------------------


def test_listener_is_strict_with_file_certificates_validated_against_the_root(plan: Plan) -> None:
    (listener,) = appmesh_object(plan, "VirtualNode", "orders", "orders")["listeners"]
    tls = listener["tls"]
    assert tls["mode"] == "STRICT"
    assert tls["certificate"] == {
        "file": {"certificateChain": "/certs/cert_chain.pem", "privateKey": "/certs/key.pem"}
    }
    assert tls["validation"]["trust"] == {"file": {"certificateChain": ROOT_FILE}}


def test_listener_accepts_exactly_its_callers_identities(plan: Plan) -> None:
    # orders is called by storefront on GKE, which arrives through the VirtualGateway.
    (listener,) = appmesh_object(plan, "VirtualNode", "orders", "orders")["listeners"]
    assert listener["tls"]["validation"]["subjectAlternativeNames"] == {"match": {"exact": [GATEWAY_ID]}}


def test_backends_enforce_tls_with_the_root_and_exact_sans(plan: Plan) -> None:
    (backend,) = appmesh_object(plan, "VirtualNode", "orders", "orders")["backends"]
    virtual_service = backend["virtualService"]
    assert virtual_service["virtualServiceRef"] == {"name": "inventory-shop", "namespace": "crossmesh-bridge"}
    tls = virtual_service["clientPolicy"]["tls"]
    assert tls["enforce"] is True
    assert tls["validation"] == {
        "trust": {"file": {"certificateChain": ROOT_FILE}},
        "subjectAlternativeNames": {"match": {"exact": [INGRESS_ID]}},
    }
    assert tls["certificate"]["file"]["privateKey"] == "/certs/key.pem"


def test_workload_certificate_carries_the_spiffe_uri_and_discovery_dns_names(plan: Plan) -> None:
    request = plan.one(ISSUED_CERTIFICATE, "appmesh-orders").inputs
    assert request["uris"] == [ORDERS_ID]
    assert request["dnsNames"] == [f"orders.{MESH}.appmesh.internal", "orders.orders.svc.cluster.local"]


def test_workload_certificate_is_issued_by_the_eks_intermediate(plan: Plan) -> None:
    cert = plan.one(ISSUED_CERTIFICATE, "appmesh-orders").plain_inputs
    intermediate = plan.one(ISSUED_CERTIFICATE, "mesh-ca-aws").outputs
    assert cert["issuerCertPem"] == intermediate["certPem"]
    assert cert["issuerPrivateKeyPem"] == intermediate["privateKeyPem"].value
    assert (cert["keyAlgorithm"], cert["ecdsaCurve"]) == ("ECDSA", "P256")
    # No key_encipherment: an ECDSA key does not transport keys.
    assert sorted(cert["allowedUses"]) == ["client_auth", "digital_signature", "server_auth"]
    assert cert.get("isCaCertificate", False) is False
    assert cert["earlyRenewalHours"] < cert["validityPeriodHours"]


def test_workload_secret_holds_chain_key_and_root_and_is_secret(plan: Plan) -> None:
    secret = plan.one(K8S_SECRET, "appmesh-orders-tls")
    assert list(secret_paths(secret.inputs)) == ["stringData"]
    assert secret.inputs["metadata"] == {"name": "orders-mesh-tls", "namespace": "orders"}
    data = secret.plain_inputs["stringData"]
    leaf = plan.one(ISSUED_CERTIFICATE, "appmesh-orders").outputs
    intermediate = plan.one(ISSUED_CERTIFICATE, "mesh-ca-aws").outputs["certPem"]
    root = plan.one(TLS_SELF_SIGNED_CERT).outputs["certPem"]
    assert data == {
        "cert_chain.pem": leaf["certPem"] + intermediate,
        "key.pem": leaf["privateKeyPem"].value,
        "root.pem": root,
    }
    assert plan.outputs["appMeshSecretMounts"] == {"orders": "orders-mesh-tls:/certs"}


def test_no_private_key_appears_anywhere_in_clear(plan: Plan) -> None:
    keys = [
        r.outputs["privateKeyPem"]
        for r in (*plan.of_type(TLS_PRIVATE_KEY), *plan.of_type(ISSUED_CERTIFICATE))
    ]
    assert all(isinstance(key, Secret) for key in keys)
    clear = json.dumps([[r.inputs for r in plan.resources], plan.outputs], default=lambda _: "[secret]")
    for key in keys:
        assert key.value not in clear


# --- the bridge: App Mesh -> Istio ---------------------------------------------------------------------


def test_gke_ingress_address_is_reserved_once_and_used_by_both_clouds(plan: Plan) -> None:
    address = plan.one(GCP_ADDRESS, "appmesh-bridge-ingress")
    assert address.inputs["addressType"] == "INTERNAL"
    assert address.inputs["address"] == "10.50.15.253"
    instance = plan.one(CLOUD_MAP_INSTANCE).inputs
    assert instance["attributes"] == {"AWS_INSTANCE_IPV4": "10.50.15.253", "AWS_INSTANCE_PORT": "443"}
    values = plan.one(HELM_RELEASE, "istio-bridge-ingress").inputs["values"]
    assert values["service"]["loadBalancerIP"] == "10.50.15.253"
    assert values["service"]["annotations"] == {"networking.gke.io/load-balancer-type": "Internal"}
    assert values["service"]["loadBalancerSourceRanges"] == ["10.40.0.0/16"]


def test_app_mesh_reaches_gke_services_through_a_router_with_their_policy(plan: Plan) -> None:
    service = appmesh_object(plan, "VirtualService", "inventory-shop", "crossmesh-bridge")
    assert service["awsName"] == "inventory.shop.svc.cluster.local"
    (route,) = appmesh_object(plan, "VirtualRouter", "inventory-shop", "crossmesh-bridge")["routes"]
    assert route["httpRoute"]["action"]["weightedTargets"] == [
        {"virtualNodeRef": {"name": "gke-ingress", "namespace": "crossmesh-bridge"}, "weight": 100}
    ]
    ingress = appmesh_object(plan, "VirtualNode", "gke-ingress", "crossmesh-bridge")
    assert ingress["serviceDiscovery"]["awsCloudMap"]["serviceName"] == "gke-ingress"


def test_gke_hosts_resolve_on_eks_through_selectorless_placeholders(plan: Plan) -> None:
    placeholder = plan.one(K8S_SERVICE, "appmesh-inventory-shop-placeholder").inputs
    assert placeholder["metadata"]["name"] == "inventory"
    assert placeholder["metadata"]["namespace"] == "shop"
    assert "selector" not in placeholder["spec"]
    assert placeholder["spec"]["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]


def test_istio_ingress_gateway_is_mutual_tls_against_the_root_with_sni_per_service(plan: Plan) -> None:
    gateway = plan.one(ISTIO_GATEWAY, "istio-bridge-ingress-gateway").inputs["spec"]
    (server,) = gateway["servers"]
    assert server["hosts"] == ["inventory.shop.svc.cluster.local"]
    assert server["tls"] == {
        "mode": "MUTUAL",
        "credentialName": "crossmesh-bridge-credential",
        "subjectAltNames": [ORDERS_ID],
        "minProtocolVersion": "TLSV1_2",
    }
    credential = plan.one(K8S_SECRET, "istio-bridge-ingress-credential")
    assert list(secret_paths(credential.inputs)) == ["stringData"]
    data = credential.plain_inputs["stringData"]
    assert data["ca.crt"] == plan.one(TLS_SELF_SIGNED_CERT).outputs["certPem"]
    assert data["tls.crt"].endswith(plan.one(ISSUED_CERTIFICATE, "mesh-ca-gcp").outputs["certPem"])
    assert plan.one(ISSUED_CERTIFICATE, "istio-bridge-ingress").inputs["uris"] == [INGRESS_ID]


def test_gateway_identity_is_let_through_the_services_deny_by_default(plan: Plan) -> None:
    policy = plan.one(ISTIO_AUTHORIZATION_POLICY, "istio-bridge-inventory-from-bridge")
    assert policy.inputs["metadata"]["namespace"] == "shop"
    assert policy.inputs["spec"]["rules"] == [
        {
            "from": [
                {
                    "source": {
                        "principals": ["legacy.crossmesh.local/ns/istio-system/sa/crossmesh-bridge-gateway"]
                    }
                }
            ]
        }
    ]


# --- the bridge: Istio -> App Mesh ---------------------------------------------------------------------


def test_virtual_gateway_is_strict_and_accepts_only_declared_gke_callers(plan: Plan) -> None:
    spec = appmesh_object(plan, "VirtualGateway", "crossmesh-bridge", "crossmesh-bridge")
    (listener,) = spec["listeners"]
    assert listener["tls"]["mode"] == "STRICT"
    assert listener["tls"]["validation"] == {
        "trust": {"file": {"certificateChain": ROOT_FILE}},
        "subjectAlternativeNames": {"match": {"exact": [STOREFRONT_ID]}},
    }
    backend_tls = spec["backendDefaults"]["clientPolicy"]["tls"]
    assert backend_tls["enforce"] is True
    assert backend_tls["validation"]["subjectAlternativeNames"] == {"match": {"exact": [ORDERS_ID]}}
    route = appmesh_object(plan, "GatewayRoute", "orders-orders", "crossmesh-bridge")
    assert route["httpRoute"]["match"]["hostname"] == {"exact": "orders.orders.svc.cluster.local"}


def test_virtual_gateway_sits_behind_an_internal_nlb_open_to_gke_only(plan: Plan) -> None:
    service = plan.one(K8S_SERVICE, "appmesh-gateway")
    assert (
        service.inputs["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-scheme"]
        == "internal"
    )
    assert service.inputs["spec"]["loadBalancerSourceRanges"] == ["10.50.0.0/20", "10.52.0.0/14"]
    assert service.inputs["spec"]["ports"][0]["targetPort"] == specs.VIRTUAL_GATEWAY_PORT


def test_virtual_gateway_pods_mount_their_certificate_and_survive_drains(plan: Plan) -> None:
    deployment = plan.one(K8S_DEPLOYMENT, "appmesh-gateway").inputs["spec"]
    pod = deployment["template"]["spec"]
    assert deployment["replicas"] == 2
    assert pod["serviceAccountName"] == "crossmesh-bridge"
    assert pod["volumes"] == [
        {"name": "mesh-tls", "secret": {"secretName": "crossmesh-bridge-mesh-tls"}},
        {"name": "tmp", "emptyDir": {"medium": "Memory"}},
    ]
    assert pod["containers"][0]["volumeMounts"] == [
        {"name": "mesh-tls", "mountPath": "/certs", "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    assert deployment["template"]["metadata"]["labels"] == {"app": "crossmesh-bridge"}
    budget = plan.one(K8S_POD_DISRUPTION_BUDGET, "appmesh-gateway").inputs["spec"]
    assert budget == {"minAvailable": 1, "selector": {"matchLabels": {"app": "crossmesh-bridge"}}}
    spec = appmesh_object(plan, "VirtualGateway", "crossmesh-bridge", "crossmesh-bridge")
    assert spec["podSelector"] == {"matchLabels": {"app": "crossmesh-bridge"}}


def test_the_gateway_runs_envoy_by_digest_locked_down_with_resources_and_probes(plan: Plan) -> None:
    pod = plan.one(K8S_DEPLOYMENT, "appmesh-gateway").inputs["spec"]["template"]["spec"]
    (envoy,) = pod["containers"]
    digest = "sha256:" + "0" * 64  # Pulumi.legacy.yaml's placeholder
    assert envoy["image"] == f"{specs.ENVOY_REPOSITORY}:{specs.ENVOY_TAG}@{digest}"
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 1337,
        "runAsGroup": 1337,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert envoy["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert envoy["resources"] == specs.GATEWAY_RESOURCES
    assert envoy["readinessProbe"]["httpGet"] == {"path": "/ready", "port": specs.ENVOY_ADMIN_PORT}
    assert envoy["livenessProbe"]["tcpSocket"] == {"port": specs.ENVOY_ADMIN_PORT}
    values = plan.one(HELM_RELEASE, "appmesh-controller").inputs["values"]
    assert values["sidecar"]["image"] == {
        "repository": specs.ENVOY_REPOSITORY,
        "tag": f"{specs.ENVOY_TAG}@{digest}",
    }


def test_every_namespace_app_mesh_creates_admits_private_ingress_only(plan: Plan) -> None:
    namespaces = {
        r.inputs["metadata"]["name"] for r in plan.of_type(K8S_NAMESPACE) if r.name.startswith("appmesh-")
    }
    fenced = {
        r.inputs["metadata"]["namespace"]
        for r in plan.of_type(K8S_NETWORK_POLICY)
        if r.inputs["spec"] == private_ingress_spec()
    }
    assert namespaces and namespaces <= fenced
    assert private_ingress_spec()["podSelector"] == {}
    assert {b["ipBlock"]["cidr"] for b in private_ingress_spec()["ingress"][0]["from"]} == {
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
    }


def test_gke_callers_reach_app_mesh_through_a_service_entry_on_the_nlb(plan: Plan) -> None:
    hostname = plan.one(K8S_SERVICE, "appmesh-gateway").outputs["status"]["loadBalancer"]["ingress"][0][
        "hostname"
    ]
    entry = plan.one(ISTIO_SERVICE_ENTRY).inputs["spec"]
    assert entry["hosts"] == ["orders.orders.svc.cluster.local"]
    assert entry["endpoints"] == [{"address": hostname, "ports": {"http-orders": 443}}]
    (address,) = entry["addresses"]
    assert ipaddress.IPv4Address(address) in ipaddress.IPv4Network("240.241.0.0/16")
    assert plan.outputs["appMeshVirtualGateway"] == hostname


def test_gke_caller_originates_mutual_tls_with_its_own_identity_and_checks_the_gateway(plan: Plan) -> None:
    rule = plan.one(ISTIO_DESTINATION_RULE, "istio-bridge-orders-from-storefront").inputs
    assert rule["metadata"]["namespace"] == "shop"
    spec = rule["spec"]
    assert spec["workloadSelector"] == {"matchLabels": {"app": "storefront"}}
    assert spec["trafficPolicy"]["tls"] == {
        "mode": "MUTUAL",
        "credentialName": "storefront-appmesh-client",
        "subjectAltNames": [GATEWAY_ID],
        "sni": "orders.orders.svc.cluster.local",
    }
    assert plan.one(ISSUED_CERTIFICATE, "istio-bridge-storefront").inputs["uris"] == [STOREFRONT_ID]
    client = plan.one(K8S_SECRET, "istio-bridge-storefront-credential")
    assert client.inputs["metadata"] == {"name": "storefront-appmesh-client", "namespace": "shop"}
    assert list(secret_paths(client.inputs)) == ["stringData"]


def test_istio_keeps_no_istio_mutual_rule_for_the_app_mesh_service(plan: Plan) -> None:
    hosts = [
        r.inputs["spec"]["host"]
        for r in plan.of_type(ISTIO_DESTINATION_RULE)
        if r.parent and r.parent.endswith("IstioMesh::istio-gcp")
    ]
    assert "orders.orders.svc.cluster.local" not in hosts
    assert sorted(hosts) == ["inventory.shop.svc.cluster.local", "storefront.shop.svc.cluster.local"]


def test_every_istio_object_of_the_bridge_has_the_istio_crd_structure(plan: Plan) -> None:
    bridge = [
        r
        for r in plan.resources
        if r.type.startswith(("kubernetes:networking.istio.io/", "kubernetes:security.istio.io/"))
        and r.parent
        and r.parent.endswith("IstioBridge::istio-bridge")
    ]
    kinds = sorted(r.type.rsplit(":", 1)[-1] for r in bridge)
    assert kinds == ["AuthorizationPolicy", "DestinationRule", "Gateway", "ServiceEntry", "VirtualService"]
    for registration in bridge:
        kind = registration.type.rsplit(":", 1)[-1]
        assert istio_problems(kind, registration.inputs["spec"]) == [], registration.name


# --- one policy, both meshes, every service ------------------------------------------------------------


def istio_vs(plan: Plan, service: str) -> dict[str, Any]:
    spec: dict[str, Any] = plan.one(ISTIO_VIRTUAL_SERVICE, f"istio-gcp-{service}-vs").inputs["spec"]
    return spec


def test_every_app_mesh_service_carries_the_same_policy_as_its_istio_callers_use(plan: Plan) -> None:
    aws_services = [s for s in LEGACY.services if s.cloud == "aws"]
    assert aws_services
    for service in aws_services:
        name, namespace = service.name, service.namespace
        (route,) = appmesh_object(plan, "VirtualRouter", name, namespace)["routes"]
        (listener,) = appmesh_object(plan, "VirtualNode", name, namespace)["listeners"]
        for caller in (c for c in service.callers if c in GKE_SERVICES):
            rule = plan.one(ISTIO_DESTINATION_RULE, f"istio-bridge-{name}-from-{caller}").inputs["spec"]
            same_numbers(rule, istio_vs(plan, name), route, listener, service.protocol)


def test_every_gke_service_called_from_app_mesh_gets_its_istio_retries_and_timeout(plan: Plan) -> None:
    called = [s for s in LEGACY.services if s.cloud == "gcp" and set(s.callers) - GKE_SERVICES]
    assert [s.name for s in called] == ["inventory"]
    for service in called:
        remote = f"{service.name}-{service.namespace}"
        (route,) = appmesh_object(plan, "VirtualRouter", remote, "crossmesh-bridge")["routes"]
        http = istio_vs(plan, service.name)["http"][0]
        retry = route["httpRoute"]["retryPolicy"]
        assert retry["maxRetries"] == http["retries"]["attempts"]
        assert duration_ms(retry["perRetryTimeout"]) == istio_ms(http["retries"]["perTryTimeout"])
        assert sorted(retry["httpRetryEvents"] + retry["tcpRetryEvents"]) == sorted(
            retry_events(http["retries"]["retryOn"])
        )
        assert duration_ms(route["httpRoute"]["timeout"]["perRequest"]) == istio_ms(http["timeout"])


def test_bridge_ingress_address_is_the_subnets_last_usable_address() -> None:
    assert bridge_specs.ingress_address("10.50.0.0/20") == "10.50.15.253"
    assert bridge_specs.ingress_address("192.168.4.0/24") == "192.168.4.253"


def test_switching_the_engine_to_istio_removes_app_mesh_and_the_bridge() -> None:
    migrated = planned(
        "legacy",
        {
            "mesh": {
                "engines": {"aws": "istio", "gcp": "istio"},
                "meshId": MESH,
                "trustDomain": TRUST_DOMAIN,
            }
        },
    )
    types = {r.type for r in migrated.resources}
    assert not any(t.startswith(APPMESH) or t.startswith("aws:servicediscovery") for t in types)
    assert COMPONENT_APP_MESH not in types and COMPONENT_ISTIO_BRIDGE not in types
    assert appmesh_warnings(migrated) == []
    meshes = {r.name for r in migrated.resources if r.type == COMPONENT_ISTIO_MESH}
    assert meshes == {"istio-aws", "istio-gcp"}
    gke_rule = migrated.one(ISTIO_DESTINATION_RULE, "istio-gcp-orders-dr").inputs["spec"]
    assert gke_rule["trafficPolicy"]["tls"] == {"mode": "ISTIO_MUTUAL"}


@given(st.lists(st.from_regex(r"^[a-z]{1,8}\.[a-z]{1,8}\.svc\.cluster\.local$", fullmatch=True), max_size=30))
def test_service_entry_addresses_are_distinct_unrouted_and_stable(hosts: list[str]) -> None:
    addresses = bridge_specs.service_entry_addresses(hosts)
    assert sorted(addresses) == sorted(set(hosts))
    assert len(set(addresses.values())) == len(addresses)
    block = ipaddress.IPv4Network("240.241.0.0/16")
    assert all(
        ipaddress.IPv4Address(a) in block and a != str(block.network_address) for a in addresses.values()
    )
    assert bridge_specs.service_entry_addresses(list(reversed(hosts))) == addresses
    # A new host that sorts after the others never takes an address from them.
    more = bridge_specs.service_entry_addresses([*hosts, "zzzzzzzzz.added.svc.cluster.local"])
    assert {host: more[host] for host in addresses} == addresses


# --- who may call whom, for any call graph -------------------------------------------------------------

NAMES = ["a", "b", "c", "d", "e", "f"]


@st.composite
def call_graphs(draw: st.DrawFn) -> list[ServiceConfig]:
    clouds = draw(st.lists(st.sampled_from(["aws", "gcp"]), min_size=len(NAMES), max_size=len(NAMES)))
    services = []
    for name, cloud in zip(NAMES, clouds, strict=True):
        callers = draw(st.lists(st.sampled_from([n for n in NAMES if n != name]), unique=True))
        services.append(
            ServiceConfig.model_validate(
                {"name": name, "cloud": cloud, "namespace": f"ns-{name}", "callers": callers}
            )
        )
    return services


@given(call_graphs())
def test_every_listener_and_backend_names_exactly_the_declared_identities(
    services: list[ServiceConfig],
) -> None:
    td = "example.local"
    ingress = bridge_specs.ingress_gateway_id(td)
    calls = specs.topology(services, td, ingress)
    by_name = {s.name: s for s in services}
    for service in (s for s in services if s.cloud == "aws"):
        aws_callers = {
            f"spiffe://{td}/ns/ns-{c}/sa/{c}" for c in service.callers if by_name[c].cloud == "aws"
        }
        from_gke = any(by_name[c].cloud == "gcp" for c in service.callers)
        expected = aws_callers | ({specs.gateway_id(td)} if from_gke else set())
        assert set(calls.caller_ids[service.name]) == expected
        assert len(calls.caller_ids[service.name]) == len(expected)
        assert (service in calls.bridged) == from_gke
        for backend in calls.backends[service.name]:
            if backend.namespace == specs.BRIDGE_NAMESPACE:
                assert backend.answering_ids == (ingress,)
            else:
                assert backend.answering_ids == (f"spiffe://{td}/ns/{backend.namespace}/sa/{backend.name}",)
        called = {s.name for s in services if service.name in s.callers}
        assert {b.name.split("-")[0] for b in calls.backends[service.name]} == called
    gke_callers_of_aws = {
        f"spiffe://{td}/ns/ns-{c}/sa/{c}"
        for s in services
        if s.cloud == "aws"
        for c in s.callers
        if by_name[c].cloud == "gcp"
    }
    assert calls.gke_caller_ids == sorted(gke_callers_of_aws)
    assert {s.name for s in calls.called_on_gke} == {
        s.name for s in services if s.cloud == "gcp" and any(by_name[c].cloud == "aws" for c in s.callers)
    }


# --- the IAM documents, for any partition ----------------------------------------------------------------


def arns_in(document: dict[str, Any]) -> list[str]:
    resources = [s["Resource"] for s in document["Statement"]]
    flat = [r for item in resources for r in (item if isinstance(item, list) else [item])]
    return [r for r in flat if r != "*"]


def test_iam_documents_name_the_partition_of_the_region() -> None:
    scope = specs.AwsScope(partition="aws-us-gov", region="us-gov-west-1", account="210987654321")
    namespace_arn = "arn:aws-us-gov:servicediscovery:us-gov-west-1:210987654321:namespace/ns-1"
    controller = json.loads(specs.controller_policy(scope, "m", namespace_arn, "Z1"))
    envoy = json.loads(specs.envoy_policy(scope, "m", "virtualNode/a_b", tracing=True))
    for arn in arns_in(controller) + arns_in(envoy):
        assert arn.startswith("arn:aws-us-gov:"), arn
    assert "arn:aws-us-gov:appmesh:us-gov-west-1:210987654321:mesh/m/virtualNode/a_b" in arns_in(envoy)


def test_an_envoy_without_tracing_gets_no_x_ray_permissions() -> None:
    scope = specs.AwsScope(partition="aws", region="us-east-1", account="210987654321")
    document = json.loads(specs.envoy_policy(scope, "m", "virtualNode/a_b", tracing=False))
    assert [s["Sid"] for s in document["Statement"]] == ["OwnConfiguration"]


def test_tracing_off_turns_the_controllers_x_ray_off_and_the_rate_follows_the_config() -> None:
    off = specs.controller_values(
        "us-east-1", "c", "arn:aws:iam::210987654321:role/r", False, 1.0, "sha256:" + "1" * 64
    )
    assert off["tracing"]["enabled"] is False
    on = specs.controller_values(
        "us-east-1", "c", "arn:aws:iam::210987654321:role/r", True, 12.5, "sha256:" + "1" * 64
    )
    assert on["tracing"] == {"enabled": True, "provider": "x-ray", "samplingRate": 0.125}


def test_during_a_root_rotation_app_mesh_and_bridge_files_trust_every_root() -> None:
    # File-mounted trust does not follow istiod: it must carry the whole bundle, or the window of
    # docs/runbooks/rotate-ca.md would cut App Mesh off from workloads already on the new root.
    mesh = yaml.safe_load((PROJECT_DIR / "Pulumi.legacy.yaml").read_text())["config"]["crossmesh:mesh"]
    window = {**mesh, "ca": {**mesh.get("ca", {}), "roots": [1, 2], "signingRoot": 1}}
    plan = planned("legacy", {"mesh": window})
    bundle = plan.outputs["meshTrustBundlePem"]
    assert bundle.count("BEGIN CERTIFICATE") == 2
    files = [
        s.plain_inputs["stringData"]
        for s in plan.of_type(K8S_SECRET)
        if specs.ROOT_KEY in (s.plain_inputs.get("stringData") or {})
        or "ca.crt" in (s.plain_inputs.get("stringData") or {})
    ]
    assert files
    assert all(data.get(specs.ROOT_KEY, data.get("ca.crt")) == bundle for data in files)
