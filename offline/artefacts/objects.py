"""Every Kubernetes object of the plan against the schema of the version that will run it (schemas.py
says how the schemas are applied)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from offline.artefacts import data, schemas
from offline.artefacts.pins import REFRESH
from offline.artefacts.plan_view import Cluster, PlanView, enabled
from offline.planned import PlannedResource


def api_version_and_kind(resource: PlannedResource) -> tuple[str, str]:
    """From the inputs, or from the type token (`kubernetes:core/v1:Namespace` is v1 Namespace)."""
    _, group_version, kind = resource.type.split(":")
    api_version = resource.inputs.get("apiVersion") or group_version.removeprefix("core/")
    return str(api_version), str(resource.inputs.get("kind") or kind)


def object_problems(view: PlanView, resource: PlannedResource) -> list[str]:
    """Each way the object breaks its schema on the minors its cluster may run; a minor is named only
    when the problem is not on every one of them."""
    cluster = view.cluster_of(resource)
    if cluster.problem is not None:
        return [f"cannot tell which Kubernetes runs it: {cluster.problem}"]
    api_version, kind = api_version_and_kind(resource)
    by_problem: dict[str, list[str]] = {}
    for minor in cluster.minors:
        for problem in _problems_on(view, resource, cluster, minor, api_version, kind):
            by_problem.setdefault(problem, []).append(minor)
    return [
        problem if len(minors) == len(cluster.minors) else f"{problem} (Kubernetes {', '.join(minors)})"
        for problem, minors in by_problem.items()
    ]


def _problems_on(
    view: PlanView, resource: PlannedResource, cluster: Cluster, minor: str, api_version: str, kind: str
) -> list[str]:
    minor_data = data.kubernetes(minor)
    if minor_data is None:
        return [f"no Kubernetes {minor} schemas are recorded; add the minor with {REFRESH}"]
    if f"{api_version}/{kind}" in minor_data["kinds"]:
        validator = schemas.built_in_validator(minor, api_version, kind)
        assert validator is not None
        return schemas.problems(validator, resource.inputs)
    found = _crd(view, resource, cluster, api_version, kind)
    if isinstance(found, str):
        return [found]
    source, crd = found
    problems = [f"{api_version} {kind} is deprecated in {source}"] if crd["deprecated"] else []
    validator = schemas.custom_validator(source, crd["schema"], minor)
    assert validator is not None
    return problems + schemas.problems(validator, resource.inputs)


def _crd(
    view: PlanView, resource: PlannedResource, cluster: Cluster, api_version: str, kind: str
) -> tuple[str, Mapping[str, Any]] | str:
    """The CRD of the object's kind that this cluster gets (from a chart release of the plan or from
    the cluster itself), or why there is none."""
    group, _, version = api_version.rpartition("/")
    installed_here = {
        (str(r.inputs.get("chart")), str(r.inputs.get("version"))) for r in view.releases_beside(resource)
    }
    for crd_file in data.crd_files():
        by = crd_file["installed_by"]
        if not _installs_here(by, installed_here, cluster):
            continue
        for crd in crd_file["crds"]:
            if (crd["group"], crd["version"], crd["kind"]) == (group, version, kind):
                return schemas.source_name(crd_file), crd
    recorded = {
        (f["installed_by"]["chart"], f["installed_by"]["version"])
        for f in data.crd_files()
        if "chart" in f["installed_by"]
    }
    unrecorded = sorted(
        f"{chart} {version}"
        for chart, version in installed_here
        if chart in data.crd_charts() and (chart, version) not in recorded
    )
    hint = (
        f"; the CRDs of {', '.join(unrecorded)} are not recorded: add them with {REFRESH}"
        if unrecorded
        else ""
    )
    return (
        f"no CRD of {api_version} {kind} is installed in this cluster by a chart of the plan or by the "
        f"cluster{hint}"
    )


def _installs_here(by: Mapping[str, Any], installed_here: set[tuple[str, str]], cluster: Cluster) -> bool:
    if "chart" in by:
        return (by["chart"], by["version"]) in installed_here
    return (
        cluster.resource is not None
        and cluster.resource.type == by["cluster_type"]
        and enabled(cluster.resource.inputs, by["enabled_by"])
    )


def all_object_problems(view: PlanView, objects: Sequence[PlannedResource]) -> dict[str, list[str]]:
    return {resource.urn: object_problems(view, resource) for resource in objects}
