"""KubeCluster on the shipped plans: every chart and every custom object enters a cluster the same way."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from components.clusters.kube_cluster import HELM_RELEASE_TIMEOUT_SECONDS
from offline.record import Plan
from tests.support.plans import STACKS
from tests.support.types import HELM_RELEASE, KUBERNETES_PROVIDER

# The API groups of the custom resource definitions crossmesh creates objects of.
CRD_GROUPS = (
    "appmesh.k8s.aws/",
    "monitoring.googleapis.com/",
    "networking.istio.io/",
    "security.istio.io/",
    "telemetry.istio.io/",
)


def is_custom_object(type_token: str) -> bool:
    return type_token.removeprefix("kubernetes:").startswith(CRD_GROUPS)


@pytest.mark.parametrize("stack", STACKS)
def test_every_helm_release_is_atomic_cleans_up_on_failure_and_has_the_one_timeout(
    plan_of: Callable[..., Plan], stack: str
) -> None:
    releases = plan_of(stack).of_type(HELM_RELEASE)
    assert releases
    for release in releases:
        inputs = release.inputs
        assert (inputs["atomic"], inputs["cleanupOnFail"]) == (True, True), release.name
        assert inputs["timeout"] == HELM_RELEASE_TIMEOUT_SECONDS, release.name
        assert inputs["version"], release.name
        assert inputs["repositoryOpts"]["repo"].startswith("https://"), release.name


@pytest.mark.parametrize("stack", STACKS)
def test_every_release_and_custom_object_goes_through_a_cluster_provider(
    plan_of: Callable[..., Plan], stack: str
) -> None:
    plan = plan_of(stack)
    in_cluster = [r for r in plan.resources if r.type == HELM_RELEASE or is_custom_object(r.type)]
    assert in_cluster
    for resource in in_cluster:
        assert resource.provider is not None, resource.name
        assert plan.by_urn(resource.provider).type == KUBERNETES_PROVIDER, resource.name


@pytest.mark.parametrize("stack", STACKS)
def test_every_custom_object_waits_for_a_release_in_its_own_cluster(
    plan_of: Callable[..., Plan], stack: str
) -> None:
    """The CRD and its admission webhook come with a chart (istiod, the App Mesh controller) or, for
    Managed Prometheus, with GKE, whose objects still wait for istiod, the workload they scrape."""
    plan = plan_of(stack)
    releases = {release.urn: release for release in plan.of_type(HELM_RELEASE)}
    objects = [r for r in plan.resources if is_custom_object(r.type)]
    assert objects
    for custom in objects:
        awaited = [releases[urn] for urn in custom.dependencies if urn in releases]
        assert any(release.provider == custom.provider for release in awaited), custom.name
