"""Every Kubernetes object of every stack against the schema of the version that will run it, and a
planted bogus field, enum, type or missing field in each family of objects fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from offline.artefacts import check_artefacts
from offline.artefacts.objects import object_problems
from offline.artefacts.plan_view import PlanView
from offline.commands.check import from_plan
from tests.offline.artefacts.support import Contract, each, one, resources
from tests.support.plans import STACKS, planned
from tests.support.types import EKS_CLUSTER, GKE_CLUSTER, HELM_RELEASE, K8S_DEPLOYMENT

DR = "kubernetes:networking.istio.io/v1:DestinationRule"
PEER_AUTHENTICATION = "kubernetes:security.istio.io/v1:PeerAuthentication"
POD_MONITORING = "kubernetes:monitoring.googleapis.com/v1:PodMonitoring"
MESH = "kubernetes:appmesh.k8s.aws/v1beta2:Mesh"
VIRTUAL_NODE = "kubernetes:appmesh.k8s.aws/v1beta2:VirtualNode"
SERVICE = "kubernetes:core/v1:Service"
NAMESPACE = "kubernetes:core/v1:Namespace"


def schema_findings(stack: str, plant: Callable[[Contract], object]) -> list[tuple[str, str]]:
    return [
        (f.resource_name, f.message)
        for f in check_artefacts(resources(stack, plant))
        if f.check == "kubernetes-object-schema"
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_every_object_of_every_stack_fits_its_schema_live_and_saved(stack: str) -> None:
    live = from_plan(planned(stack)).resources
    view = PlanView(live)
    assert len(view.objects()) >= 30
    assert {r.name: object_problems(view, r) for r in view.objects()} == {r.name: [] for r in view.objects()}
    assert check_artefacts(resources(stack)) == []  # secrets masked, as a saved plan has them


def test_the_stacks_render_every_family_of_object_the_checks_cover() -> None:
    groups = {
        r.type.split(":")[1].rsplit("/", 1)[0]
        for stack in STACKS
        for r in PlanView(from_plan(planned(stack)).resources).objects()
    }
    assert {
        "networking.istio.io",
        "security.istio.io",
        "telemetry.istio.io",
        "appmesh.k8s.aws",
        "monitoring.googleapis.com",
        "core",
        "apps",
        "policy",
        "rbac.authorization.k8s.io",
    } <= groups


def test_a_bogus_field_a_bad_enum_and_a_missing_required_field_in_istio_objects_fail() -> None:
    def plant(saved: Contract) -> None:
        spec = one(saved, DR, "istio-aws-payment-dr")["inputs"]["spec"]
        spec["trafficPolicy"]["outlierDetection"]["consecutive5xxError"] = 5
        del spec["host"]
        one(saved, PEER_AUTHENTICATION, "istio-gcp-mesh-strict-mtls")["inputs"]["spec"]["mtls"]["mode"] = (
            "STRICTEST"
        )

    assert schema_findings("dev", plant) == [
        ("istio-aws-payment-dr", "spec.trafficPolicy.outlierDetection: unknown field 'consecutive5xxError'"),
        ("istio-aws-payment-dr", "spec: 'host' is required"),
        (
            "istio-gcp-mesh-strict-mtls",
            "spec.mtls.mode: 'STRICTEST' is not one of ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT']",
        ),
    ]


def test_a_bogus_metadata_field_fails_against_object_meta() -> None:
    def plant(saved: Contract) -> None:
        metadata = one(saved, DR, "istio-aws-payment-dr")["inputs"]["metadata"]
        metadata["lables"] = {"app": "payment"}

    assert schema_findings("dev", plant) == [("istio-aws-payment-dr", "metadata: unknown field 'lables'")]


def test_app_mesh_and_gmp_objects_are_held_to_their_crds() -> None:
    def plant(saved: Contract) -> None:
        one(saved, MESH)["inputs"]["spec"]["egressFilter"]["type"] = "DENY_ALL"
        one(saved, VIRTUAL_NODE, "appmesh-orders")["inputs"]["spec"]["listener"] = []
        endpoint = one(saved, POD_MONITORING)["inputs"]["spec"]["endpoints"][0]
        endpoint["port"] = True

    found = schema_findings("legacy", plant)
    assert (
        "appmesh-mesh",
        "spec.egressFilter.type: 'DENY_ALL' is not one of ['ALLOW_ALL', 'DROP_ALL']",
    ) in found
    assert ("appmesh-orders", "spec: unknown field 'listener'") in found
    assert [m for name, m in found if name == "gcp-observability-istiod-metrics"] == [
        "spec.endpoints.0.port: True is not valid under any of the given schemas"
    ]
    assert len(found) == 3


def test_int_or_string_takes_a_name_where_kubernetes_does() -> None:
    def plant(saved: Contract) -> None:
        one(saved, POD_MONITORING)["inputs"]["spec"]["endpoints"][0]["port"] = "metrics"
        one(saved, SERVICE, "appmesh-gateway")["inputs"]["spec"]["ports"][0]["targetPort"] = "https"

    assert schema_findings("legacy", plant) == []


def test_built_in_objects_are_held_to_the_clusters_kubernetes() -> None:
    def plant(saved: Contract) -> None:
        one(saved, K8S_DEPLOYMENT)["inputs"]["spec"]["replica"] = 2
        one(saved, SERVICE, "appmesh-gateway")["inputs"]["spec"]["ports"][0]["port"] = "443"

    assert schema_findings("legacy", plant) == [
        ("appmesh-gateway", "spec: unknown field 'replica'"),
        ("appmesh-gateway", "spec.ports.0.port: '443' is not of type 'integer'"),
    ]


def _pod_level_resources(saved: Contract) -> dict[str, Any]:
    deployment = one(saved, K8S_DEPLOYMENT)
    deployment["inputs"]["spec"]["template"]["spec"]["resources"] = {"requests": {"cpu": 1}}
    return deployment


def test_a_field_newer_than_the_clusters_kubernetes_fails_only_there() -> None:
    """Pod-level resources exist from Kubernetes 1.32 on."""

    def on_eks(version: str) -> Callable[[Contract], None]:
        def plant(saved: Contract) -> None:
            _pod_level_resources(saved)
            one(saved, EKS_CLUSTER)["inputs"]["version"] = version

        return plant

    assert schema_findings("legacy", on_eks("1.31")) == [
        ("appmesh-gateway", "spec.template.spec: unknown field 'resources'")
    ]
    assert schema_findings("legacy", on_eks("1.32")) == []


def test_a_gke_object_must_fit_every_minor_the_channel_may_run() -> None:
    def on_gke(min_master_version: str | None) -> Callable[[Contract], None]:
        def plant(saved: Contract) -> None:
            deployment = _pod_level_resources(saved)
            deployment["provider"] = one(saved, NAMESPACE, "istio-gcp-istio-system")["provider"]
            if min_master_version:
                one(saved, GKE_CLUSTER)["inputs"]["minMasterVersion"] = min_master_version

        return plant

    assert schema_findings("legacy", on_gke(None)) == [
        ("appmesh-gateway", "spec.template.spec: unknown field 'resources' (Kubernetes 1.31)")
    ]
    assert schema_findings("legacy", on_gke("1.32")) == []


def test_a_minor_without_recorded_schemas_is_reported_not_passed() -> None:
    def plant(saved: Contract) -> None:
        one(saved, EKS_CLUSTER)["inputs"]["version"] = "1.29"

    found = schema_findings("legacy", plant)
    assert found and all(m.startswith("no Kubernetes 1.29 schemas are recorded") for _, m in found)


def test_a_custom_object_without_its_crd_in_the_cluster_fails() -> None:
    def no_istio_base_on_aws(saved: Contract) -> None:
        saved["resources"].remove(one(saved, HELM_RELEASE, "istio-aws-base"))

    found = schema_findings("dev", no_istio_base_on_aws)
    assert (
        "istio-aws-payment-dr",
        "no CRD of networking.istio.io/v1 DestinationRule is installed in this "
        "cluster by a chart of the plan or by the cluster",
    ) in found
    assert not [name for name, _ in found if name.startswith("istio-gcp")]

    def no_managed_prometheus(saved: Contract) -> None:
        one(saved, GKE_CLUSTER)["inputs"]["monitoringConfig"]["managedPrometheus"]["enabled"] = False

    gmp = sorted(m.split(" is installed")[0] for _, m in schema_findings("dev", no_managed_prometheus))
    assert gmp == [
        "no CRD of monitoring.googleapis.com/v1 ClusterPodMonitoring",
        "no CRD of monitoring.googleapis.com/v1 PodMonitoring",
    ]


def test_crds_of_an_unrecorded_chart_version_are_named_for_refresh() -> None:
    def plant(saved: Contract) -> None:
        for base in each(saved, HELM_RELEASE):
            if base["inputs"]["chart"] == "base":
                base["inputs"]["version"] = "1.30.9"

    found = schema_findings("dev", plant)
    assert found and all("the CRDs of base 1.30.9 are not recorded" in m for _, m in found)
