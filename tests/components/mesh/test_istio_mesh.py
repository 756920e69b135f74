"""IstioMesh and IstioPeering in the dev plan: plug-in CA, charts, mesh security, policies, remote secrets."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.config import ConfigError, ServiceConfig
from components.mesh import istio_specs as specs
from components.mesh.istio_peering import READER_ACCOUNT
from offline.record import Plan, Registration, Secret, secret_paths
from tests.support.crd_schema import istio_problems
from tests.support.plans import planned, stack_config
from tests.support.types import (
    COMPONENT_ISTIO_MESH,
    COMPONENT_ISTIO_PEERING,
    EKS_CLUSTER,
    GKE_CLUSTER,
    HELM_RELEASE,
    ISSUED_CERTIFICATE,
    ISTIO_AUTHORIZATION_POLICY,
    ISTIO_DESTINATION_RULE,
    ISTIO_GATEWAY,
    ISTIO_PEER_AUTHENTICATION,
    ISTIO_VIRTUAL_SERVICE,
    K8S_CLUSTER_ROLE_BINDING,
    K8S_NAMESPACE,
    K8S_SECRET,
    K8S_SERVICE_ACCOUNT,
    TLS_SELF_SIGNED_CERT,
)

CLOUDS = ("aws", "gcp")
CLUSTER_NAMES = {"aws": "cm-dev-eks", "gcp": "cm-dev-gke"}
PROVIDERS = {"aws": "eks-k8s", "gcp": "gke-k8s"}
ISTIO_KIND_PREFIXES = ("kubernetes:networking.istio.io/", "kubernetes:security.istio.io/")


def in_cluster(plan: Plan, type_token: str, cloud: str) -> list[Registration]:
    return [
        r for r in plan.of_type(type_token) if r.provider and r.provider.endswith(f"::{PROVIDERS[cloud]}")
    ]


def named(resources: list[Registration], name: str, namespace: str | None = None) -> Registration:
    found = [
        r
        for r in resources
        if r.inputs["metadata"]["name"] == name
        and (namespace is None or r.inputs["metadata"].get("namespace") == namespace)
    ]
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def istiod_values(plan: Plan, cloud: str) -> dict[str, Any]:
    values: dict[str, Any] = plan.one(HELM_RELEASE, f"istio-{cloud}-istiod").inputs["values"]
    return values


# --- the plug-in CA ------------------------------------------------------------------------------------


@pytest.mark.parametrize("cloud", CLOUDS)
def test_cacerts_holds_the_clusters_intermediate_key_root_and_chain(dev_plan: Plan, cloud: str) -> None:
    cacerts = named(in_cluster(dev_plan, K8S_SECRET, cloud), "cacerts", "istio-system")
    data = cacerts.plain_inputs["stringData"]
    intermediate = dev_plan.one(ISSUED_CERTIFICATE, f"mesh-ca-{cloud}").outputs
    key = intermediate["privateKeyPem"]
    root = dev_plan.one(TLS_SELF_SIGNED_CERT).outputs["certPem"]
    assert sorted(data) == sorted(specs.CACERTS_KEYS)
    assert data["ca-cert.pem"] == intermediate["certPem"]
    assert data["ca-key.pem"] == key.value
    assert data["root-cert.pem"] == root
    assert data["cert-chain.pem"] == intermediate["certPem"] + root


def test_both_clusters_trust_the_same_root_through_different_intermediates(dev_plan: Plan) -> None:
    data = {
        c: named(in_cluster(dev_plan, K8S_SECRET, c), "cacerts").plain_inputs["stringData"] for c in CLOUDS
    }
    assert data["aws"]["root-cert.pem"] == data["gcp"]["root-cert.pem"]
    assert data["aws"]["ca-cert.pem"] != data["gcp"]["ca-cert.pem"]
    assert data["aws"]["ca-key.pem"] != data["gcp"]["ca-key.pem"]


@pytest.mark.parametrize("cloud", CLOUDS)
def test_cacerts_is_secret_and_exists_before_istiod(dev_plan: Plan, cloud: str) -> None:
    cacerts = named(in_cluster(dev_plan, K8S_SECRET, cloud), "cacerts")
    assert list(secret_paths(cacerts.inputs)) == ["stringData"]
    istiod = dev_plan.one(HELM_RELEASE, f"istio-{cloud}-istiod")
    assert cacerts.urn in istiod.dependencies
    assert dev_plan.one(HELM_RELEASE, f"istio-{cloud}-base").urn in istiod.dependencies


# --- the charts ----------------------------------------------------------------------------------------


def test_every_release_is_one_pinned_istio_version_from_the_official_repository(dev_plan: Plan) -> None:
    meshes = {mesh.urn for mesh in dev_plan.of_type(COMPONENT_ISTIO_MESH)}
    releases = [r for r in dev_plan.of_type(HELM_RELEASE) if r.parent in meshes]
    assert sorted(r.name for r in releases) == sorted(
        f"istio-{cloud}-{chart}" for cloud in CLOUDS for chart in ("base", "istiod", "gateway")
    )
    for release in releases:
        assert release.inputs["version"] == specs.ISTIO_VERSION
        assert release.inputs["repositoryOpts"] == {
            "repo": "https://istio-release.storage.googleapis.com/charts"
        }
        assert release.inputs["namespace"] == "istio-system"


@pytest.mark.parametrize("cloud", CLOUDS)
def test_istiod_knows_the_mesh_its_cluster_network_and_trust_domain(dev_plan: Plan, cloud: str) -> None:
    values = istiod_values(dev_plan, cloud)
    assert values["global"] == {
        "meshID": "crossmesh",
        "multiCluster": {"clusterName": CLUSTER_NAMES[cloud]},
        "network": cloud,
    }
    assert values["meshConfig"]["trustDomain"] == "crossmesh.local"


def test_istiod_restarts_when_its_ca_chain_changes(dev_plan: Plan) -> None:
    fingerprints = {}
    for cloud in CLOUDS:
        chain = named(in_cluster(dev_plan, K8S_SECRET, cloud), "cacerts").plain_inputs["stringData"][
            "cert-chain.pem"
        ]
        values = istiod_values(dev_plan, cloud)
        fingerprints[cloud] = values["podAnnotations"]["crossmesh.io/ca-chain-sha256"]
        assert fingerprints[cloud] == hashlib.sha256(chain.encode()).hexdigest()
        assert values["autoscaleMin"] == 2
    assert fingerprints["aws"] != fingerprints["gcp"]


def test_the_clusters_share_one_mesh_id_on_distinct_networks(dev_plan: Plan) -> None:
    values = [istiod_values(dev_plan, cloud)["global"] for cloud in CLOUDS]
    assert values[0]["meshID"] == values[1]["meshID"]
    assert values[0]["network"] != values[1]["network"]
    assert values[0]["multiCluster"] != values[1]["multiCluster"]


@pytest.mark.parametrize("cloud", CLOUDS)
def test_istio_system_carries_the_cluster_network_label(dev_plan: Plan, cloud: str) -> None:
    namespace = named(in_cluster(dev_plan, K8S_NAMESPACE, cloud), "istio-system")
    assert namespace.inputs["metadata"]["labels"] == {"topology.istio.io/network": cloud}


def test_east_west_gateways_sit_on_internal_load_balancers(dev_plan: Plan) -> None:
    aws = dev_plan.one(HELM_RELEASE, "istio-aws-gateway").inputs["values"]
    gcp = dev_plan.one(HELM_RELEASE, "istio-gcp-gateway").inputs["values"]
    assert aws["service"]["annotations"] == {
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
        "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    }
    assert gcp["service"]["annotations"] == {"networking.gke.io/load-balancer-type": "Internal"}
    assert (aws["networkGateway"], gcp["networkGateway"]) == ("aws", "gcp")
    assert aws["labels"]["istio"] == "eastwestgateway"
    assert aws["autoscaling"] == gcp["autoscaling"] == {"minReplicas": 2}


@pytest.mark.parametrize("cloud", CLOUDS)
def test_sidecars_resolve_services_that_run_only_in_the_other_cluster(dev_plan: Plan, cloud: str) -> None:
    metadata = istiod_values(dev_plan, cloud)["meshConfig"]["defaultConfig"]["proxyMetadata"]
    assert metadata == {"ISTIO_META_DNS_CAPTURE": "true"}


@pytest.mark.parametrize("cloud", CLOUDS)
def test_the_cross_network_gateway_passes_mesh_traffic_through_on_15443(dev_plan: Plan, cloud: str) -> None:
    gateway = named(in_cluster(dev_plan, ISTIO_GATEWAY, cloud), "cross-network-gateway")
    assert gateway.inputs["spec"] == {
        "selector": {"istio": "eastwestgateway"},
        "servers": [
            {
                "port": {"number": 15443, "name": "tls", "protocol": "TLS"},
                "tls": {"mode": "AUTO_PASSTHROUGH"},
                "hosts": ["*.local"],
            }
        ],
    }
    assert dev_plan.one(HELM_RELEASE, f"istio-{cloud}-istiod").urn in gateway.dependencies


# --- security in the mesh ----------------------------------------------------------------------------


@pytest.mark.parametrize("cloud", CLOUDS)
def test_mtls_is_strict_mesh_wide(dev_plan: Plan, cloud: str) -> None:
    peer = in_cluster(dev_plan, ISTIO_PEER_AUTHENTICATION, cloud)
    assert len(peer) == 1
    assert peer[0].inputs["metadata"] == {"name": "default", "namespace": "istio-system"}
    assert peer[0].inputs["spec"] == {"mtls": {"mode": "STRICT"}}


@pytest.mark.parametrize("cloud", CLOUDS)
def test_every_app_namespace_injects_sidecars_and_denies_by_default(dev_plan: Plan, cloud: str) -> None:
    for ns in ("shop", "payments"):
        namespace = named(in_cluster(dev_plan, K8S_NAMESPACE, cloud), ns)
        assert namespace.inputs["metadata"]["labels"] == {"istio-injection": "enabled"}
        deny = named(in_cluster(dev_plan, ISTIO_AUTHORIZATION_POLICY, cloud), "allow-nothing", ns)
        assert deny.inputs["spec"] == {}


def test_only_declared_callers_are_allowed_by_identity_in_the_services_cluster(dev_plan: Plan) -> None:
    allowed = {
        (cloud, policy.inputs["metadata"]["name"]): policy.inputs["spec"]
        for cloud in CLOUDS
        for policy in in_cluster(dev_plan, ISTIO_AUTHORIZATION_POLICY, cloud)
        if policy.inputs["metadata"]["name"] != "allow-nothing"
    }

    def allow(app: str, caller: str) -> dict[str, Any]:
        return {
            "selector": {"matchLabels": {"app": app}},
            "action": "ALLOW",
            "rules": [{"from": [{"source": {"principals": [caller]}}]}],
        }

    assert allowed == {
        ("gcp", "checkout-callers"): allow("checkout", "crossmesh.local/ns/shop/sa/frontend"),
        ("aws", "payment-callers"): allow("payment", "crossmesh.local/ns/shop/sa/checkout"),
        ("aws", "ledger-callers"): allow("ledger", "crossmesh.local/ns/payments/sa/payment"),
    }


def test_principals_are_written_without_the_spiffe_scheme_istio_adds() -> None:
    caller = ServiceConfig(name="checkout", cloud="gcp", namespace="shop")
    assert specs.service_principal("example.org", caller) == "example.org/ns/shop/sa/checkout"


# --- one policy in both clusters -------------------------------------------------------------------


@pytest.mark.parametrize("kind", [ISTIO_DESTINATION_RULE, ISTIO_VIRTUAL_SERVICE])
def test_every_service_gets_the_same_routing_objects_in_both_clusters(dev_plan: Plan, kind: str) -> None:
    def specs_in(cloud: str) -> dict[tuple[str, str], Any]:
        return {
            (r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r.inputs["spec"]
            for r in in_cluster(dev_plan, kind, cloud)
        }

    expected = {("shop", "frontend"), ("shop", "checkout"), ("payments", "payment"), ("payments", "ledger")}
    assert set(specs_in("aws")) == expected
    assert specs_in("aws") == specs_in("gcp")


def test_the_override_reaches_the_cluster_objects(dev_plan: Plan) -> None:
    payment = named(in_cluster(dev_plan, ISTIO_VIRTUAL_SERVICE, "gcp"), "payment", "payments").inputs["spec"][
        "http"
    ][0]
    checkout = named(in_cluster(dev_plan, ISTIO_VIRTUAL_SERVICE, "gcp"), "checkout", "shop").inputs["spec"][
        "http"
    ][0]
    assert (payment["timeout"], payment["retries"]["attempts"]) == ("5s", 1)
    assert (checkout["timeout"], checkout["retries"]["attempts"]) == ("10s", 2)


def test_every_istio_object_in_the_plan_passes_the_istio_schema(dev_plan: Plan) -> None:
    objects = [r for r in dev_plan.resources if r.type.startswith(ISTIO_KIND_PREFIXES)]
    # per cluster: gateway, mtls, deny in 2 namespaces, 4 DRs, 4 VSs; 3 caller policies in all
    assert len(objects) == 2 * (1 + 1 + 2 + 4 + 4) + 3
    for resource in objects:
        kind = resource.type.rsplit(":", 1)[-1]
        assert resource.inputs["kind"] == kind
        assert istio_problems(kind, resource.inputs["spec"]) == [], resource.name


# --- the remote secrets --------------------------------------------------------------------------------


@pytest.mark.parametrize(("reader", "remote"), [("aws", "gcp"), ("gcp", "aws")])
def test_each_cluster_reads_the_other_through_a_remote_secret(
    dev_plan: Plan, reader: str, remote: str
) -> None:
    remote_name = CLUSTER_NAMES[remote]
    secret = named(
        in_cluster(dev_plan, K8S_SECRET, reader), f"istio-remote-secret-{remote_name}", "istio-system"
    )
    metadata = secret.inputs["metadata"]
    assert metadata["labels"] == {"istio/multiCluster": "true"}
    assert metadata["annotations"] == {"networking.istio.io/cluster": remote_name}
    kubeconfig = json.loads(secret.plain_inputs["stringData"][remote_name])

    token_secret = named(in_cluster(dev_plan, K8S_SECRET, remote), "crossmesh-remote-reader-token")
    token = base64.b64decode(token_secret.outputs["data"].value["token"]).decode()
    cluster_type = {"aws": EKS_CLUSTER, "gcp": GKE_CLUSTER}[remote]
    cluster = dev_plan.of_type(cluster_type)[0].outputs
    server = (
        cluster["endpoint"]
        if remote == "aws"
        else f"https://{cluster['privateClusterConfig']['privateEndpoint']}"
    )
    ca_data = (
        cluster["certificateAuthority"]["data"]
        if remote == "aws"
        else cluster["masterAuth"]["clusterCaCertificate"]
    )

    assert kubeconfig["clusters"] == [
        {"name": remote_name, "cluster": {"server": server, "certificate-authority-data": ca_data}}
    ]
    assert kubeconfig["users"] == [{"name": remote_name, "user": {"token": token}}]
    assert kubeconfig["current-context"] == remote_name


@pytest.mark.parametrize("cloud", CLOUDS)
def test_the_reader_account_is_bound_to_istiods_reader_role(dev_plan: Plan, cloud: str) -> None:
    binding = in_cluster(dev_plan, K8S_CLUSTER_ROLE_BINDING, cloud)
    assert len(binding) == 1
    assert binding[0].inputs["roleRef"]["name"] == "istio-reader-clusterrole-istio-system"
    assert binding[0].inputs["subjects"] == [
        {"kind": "ServiceAccount", "name": "crossmesh-remote-reader", "namespace": "istio-system"}
    ]
    token = named(in_cluster(dev_plan, K8S_SECRET, cloud), "crossmesh-remote-reader-token")
    assert token.inputs["type"] == "kubernetes.io/service-account-token"
    assert token.inputs["metadata"]["annotations"] == {
        "kubernetes.io/service-account.name": "crossmesh-remote-reader"
    }


def test_no_token_or_kubeconfig_is_ever_plain(dev_plan: Plan) -> None:
    for cloud in CLOUDS:
        token = named(in_cluster(dev_plan, K8S_SECRET, cloud), "crossmesh-remote-reader-token")
        assert isinstance(token.outputs["data"], Secret)
        for secret in in_cluster(dev_plan, K8S_SECRET, cloud):
            if "stringData" in secret.inputs:
                assert isinstance(secret.inputs["stringData"], Secret), secret.name
    tokens = [
        base64.b64decode(
            named(in_cluster(dev_plan, K8S_SECRET, c), "crossmesh-remote-reader-token")
            .outputs["data"]
            .value["token"]
        ).decode()
        for c in CLOUDS
    ]
    for name, value in dev_plan.outputs.items():
        if not isinstance(value, Secret):
            assert not any(token in json.dumps(value) for token in tokens), name


def test_with_app_mesh_on_aws_istio_runs_on_gke_alone(plan_of: Callable[..., Plan]) -> None:
    plan = plan_of("legacy")
    assert [r.name for r in plan.of_type(COMPONENT_ISTIO_MESH)] == ["istio-gcp"]
    assert plan.of_type(COMPONENT_ISTIO_PEERING) == []
    aws_charts = [r.inputs["chart"] for r in in_cluster(plan, HELM_RELEASE, "aws")]
    assert sorted(aws_charts) == ["appmesh-controller", "cluster-autoscaler"]


# --- pure renderings -----------------------------------------------------------------------------------


def test_the_remote_kubeconfig_names_one_cluster_user_and_context() -> None:
    config = json.loads(specs.remote_kubeconfig("east", "https://10.0.0.2", "Q0E=", "tok"))
    assert config["contexts"] == [{"name": "east", "context": {"cluster": "east", "user": "east"}}]
    assert config["clusters"][0]["cluster"] == {
        "server": "https://10.0.0.2",
        "certificate-authority-data": "Q0E=",
    }
    assert config["users"][0]["user"] == {"token": "tok"}


def test_security_renderings_pass_the_istio_schema() -> None:
    caller = ServiceConfig(name="a", cloud="aws", namespace="x")
    callee = ServiceConfig(name="b", cloud="gcp", namespace="y", callers=["a"])
    assert istio_problems("PeerAuthentication", specs.strict_mtls_spec()) == []
    assert istio_problems("AuthorizationPolicy", specs.allow_nothing_spec()) == []
    assert istio_problems("AuthorizationPolicy", specs.callers_policy_spec(callee, [caller], "td")) == []
    assert istio_problems("Gateway", specs.cross_network_gateway_spec()) == []


def test_without_a_peer_no_reader_account_or_token_exists(plan_of: Callable[..., Plan]) -> None:
    plan = plan_of("legacy")
    accounts = [a.inputs["metadata"]["name"] for a in plan.of_type(K8S_SERVICE_ACCOUNT)]
    assert READER_ACCOUNT not in accounts
    assert [
        s for s in plan.of_type(K8S_SECRET) if s.inputs.get("type") == "kubernetes.io/service-account-token"
    ] == []


@st.composite
def call_graphs(draw: st.DrawFn) -> list[ServiceConfig]:
    count = draw(st.integers(2, 12))
    names = [f"svc{i}" for i in range(count)]
    return [
        ServiceConfig(
            name=name,
            cloud=draw(st.sampled_from(["aws", "gcp"])),
            namespace=draw(st.sampled_from(["shop", "payments", "ops"])),
            callers=draw(st.lists(st.sampled_from([other for other in names if other != name]), unique=True)),
        )
        for name in names
    ]


@given(call_graphs())
def test_allow_policies_name_exactly_the_declared_callers(services: list[ServiceConfig]) -> None:
    by_name = {s.name: s for s in services}
    for service in services:
        if not service.callers:
            continue
        spec = specs.callers_policy_spec(service, [by_name[c] for c in service.callers], "mesh.example")
        assert istio_problems("AuthorizationPolicy", spec) == []
        (rule,) = spec["rules"]
        (source,) = rule["from"]
        assert source["source"]["principals"] == [
            f"mesh.example/ns/{by_name[c].namespace}/sa/{c}" for c in service.callers
        ]
        assert spec["selector"] == {"matchLabels": {"app": service.name}}


def test_the_plan_contract_carries_no_key_token_or_kubeconfig(dev_plan: Plan) -> None:
    contract = json.dumps(dev_plan.to_contract())
    tokens = [
        base64.b64decode(
            named(in_cluster(dev_plan, K8S_SECRET, c), "crossmesh-remote-reader-token")
            .outputs["data"]
            .value["token"]
        ).decode()
        for c in CLOUDS
    ]
    assert "PRIVATE KEY" not in contract
    assert not any(token in contract for token in tokens)
    assert '"current-context"' not in contract


# --- revisions ---------------------------------------------------------------------------------------


def with_istio(**istio: object) -> Plan:
    mesh = stack_config("dev", "mesh")
    return planned("dev", {"mesh": {**mesh, "istio": istio}})


def test_a_second_revision_runs_beside_the_first_with_the_newest_crds() -> None:
    plan = with_istio(revisions={"default": "1.29.6", "1-30": "1.30.3"})
    releases = {r.name: r.plain_inputs for r in plan.of_type(HELM_RELEASE) if r.name.startswith("istio-aws-")}
    assert (releases["istio-aws-istiod"]["name"], releases["istio-aws-istiod"]["version"]) == (
        "istiod",
        "1.29.6",
    )
    canary = releases["istio-aws-istiod-1-30"]
    assert (canary["name"], canary["version"], canary["values"]["revision"]) == (
        "istiod-1-30",
        "1.30.3",
        "1-30",
    )
    assert "revision" not in releases["istio-aws-istiod"]["values"]
    assert releases["istio-aws-base"]["version"] == "1.30.3" and releases["istio-aws-base"]["values"] == {}
    # The namespaces and the gateways stay on the revision they had.
    assert releases["istio-aws-gateway"]["version"] == "1.29.6"
    namespace = plan.one(K8S_NAMESPACE, "istio-aws-ns-payments")
    assert namespace.inputs["metadata"]["labels"] == {"istio-injection": "enabled"}
    roles = {
        r.inputs["roleRef"]["name"] for r in plan.of_type(K8S_CLUSTER_ROLE_BINDING) if "aws-reader" in r.name
    }
    assert roles == {"istio-reader-clusterrole-istio-system", "istio-reader-clusterrole-1-30-istio-system"}


def test_namespaces_validation_and_gateways_follow_the_revisions_named() -> None:
    plan = with_istio(revisions={"default": "1.29.6", "1-30": "1.30.3"}, injection="1-30", gateways="1-30")
    namespace = plan.one(K8S_NAMESPACE, "istio-aws-ns-payments")
    assert namespace.inputs["metadata"]["labels"] == {"istio.io/rev": "1-30"}
    base = plan.one(HELM_RELEASE, "istio-aws-base")
    assert base.plain_inputs["values"] == {"defaultRevision": "1-30"}
    gateway = plan.one(HELM_RELEASE, "istio-aws-gateway").plain_inputs
    assert (gateway["version"], gateway["values"]["revision"]) == ("1.30.3", "1-30")


def test_a_revision_not_installed_cannot_be_followed() -> None:
    mesh = stack_config("dev", "mesh")
    with pytest.raises(ConfigError) as caught:
        planned("dev", {"mesh": {**mesh, "istio": {"revisions": {"1-30": "1.30.3"}}}})
    # Each problem starts with the stack file position of the key it names.
    assert [problem.split(": ", 1)[1] for problem in caught.value.problems] == [
        "crossmesh:mesh.istio.injection: 'default' is not one of crossmesh:mesh.istio.revisions (1-30); it "
        "must name an installed istiod",
        "crossmesh:mesh.istio.gateways: 'default' is not one of crossmesh:mesh.istio.revisions (1-30); it "
        "must name an installed istiod",
    ]
