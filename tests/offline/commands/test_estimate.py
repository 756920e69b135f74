"""The deploy-time estimate: critical path arithmetic, and that the program serialises nothing extra."""

from __future__ import annotations

import pytest

from offline.commands.estimate import CREATION_TIMES, DEFAULT_SECONDS, estimate_deploy, format_minutes
from offline.record import Plan, Registration
from tests.support.plans import STACKS, planned
from tests.support.types import (
    COMPONENT_EKS_CLUSTER,
    EKS_CLUSTER,
    EKS_NODE_GROUP,
    GKE_CLUSTER,
    HELM_RELEASE,
    KUBERNETES_PROVIDER,
    RANDOM_ID,
)


def _resource(
    name: str,
    type_: str,
    *,
    deps: tuple[str, ...] = (),
    data: tuple[str, ...] = (),
    parent: str | None = None,
    provider: str | None = None,
    custom: bool = True,
) -> Registration:
    return Registration(
        urn=name,
        type=type_,
        name=name,
        custom=custom,
        parent=parent,
        provider=provider,
        dependencies=sorted(set(deps) | set(data)),
        protect=False,
        inputs={},
        data_dependencies=sorted(data),
    )


def _seconds(type_: str) -> int:
    return CREATION_TIMES[type_].seconds


def test_critical_path_is_the_longest_weighted_chain() -> None:
    plan = Plan(
        "p",
        "s",
        [
            _resource("cluster", EKS_CLUSTER),
            _resource("nodes", EKS_NODE_GROUP, data=("cluster",)),
            _resource("short", RANDOM_ID),
            _resource("after-short", EKS_NODE_GROUP, data=("short",)),
        ],
        {},
    )
    estimate = estimate_deploy(plan)
    assert estimate.critical_path == ("cluster", "nodes")
    assert estimate.critical_seconds == _seconds(EKS_CLUSTER) + _seconds(EKS_NODE_GROUP)
    assert estimate.total_seconds == _seconds(EKS_CLUSTER) + 2 * _seconds(EKS_NODE_GROUP) + DEFAULT_SECONDS


def test_a_dependency_on_a_component_waits_for_everything_inside_it() -> None:
    plan = Plan(
        "p",
        "s",
        [
            _resource("cluster-component", COMPONENT_EKS_CLUSTER, custom=False),
            _resource("cluster", EKS_CLUSTER, parent="cluster-component"),
            _resource("mesh", HELM_RELEASE, deps=("cluster-component",)),
        ],
        {},
    )
    assert estimate_deploy(plan).critical_seconds == _seconds(EKS_CLUSTER) + _seconds(HELM_RELEASE)
    assert estimate_deploy(plan, required_only=True).critical_seconds == _seconds(EKS_CLUSTER)


def test_resources_wait_for_what_their_provider_waits_for() -> None:
    plan = Plan(
        "p",
        "s",
        [
            _resource("cluster", EKS_CLUSTER),
            _resource("k8s", KUBERNETES_PROVIDER, data=("cluster",)),
            _resource("istiod", HELM_RELEASE, provider="k8s"),
        ],
        {},
    )
    estimate = estimate_deploy(plan)
    assert estimate.critical_path == ("cluster", "istiod")
    assert estimate.resource_count == 2


@pytest.mark.parametrize("stack", STACKS)
def test_the_program_serialises_at_most_a_tenth_beyond_what_the_clouds_require(stack: str) -> None:
    plan = planned(stack)
    actual = estimate_deploy(plan).critical_seconds
    required = estimate_deploy(plan, required_only=True).critical_seconds
    assert actual <= 1.1 * required, f"{stack}: {actual} s against {required} s the clouds impose"


def test_an_ordering_the_clouds_do_not_require_is_not_counted_as_required() -> None:
    plan = Plan(
        "p",
        "s",
        [
            _resource("cluster", EKS_CLUSTER),
            _resource("gke", GKE_CLUSTER, deps=("cluster",)),
        ],
        {},
    )
    assert estimate_deploy(plan).critical_seconds == _seconds(EKS_CLUSTER) + _seconds(GKE_CLUSTER)
    assert estimate_deploy(plan, required_only=True).critical_seconds == _seconds(EKS_CLUSTER)


def test_the_plan_runs_in_parallel() -> None:
    assert estimate_deploy(planned("dev")).parallelism > 2


@pytest.mark.parametrize(("seconds", "text"), [(45, "45 s"), (60, "1 min 00 s"), (754, "12 min 34 s")])
def test_minutes_are_written_for_people(seconds: int, text: str) -> None:
    assert format_minutes(seconds) == text
