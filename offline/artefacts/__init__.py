"""The upstream artefacts a plan installs, checked against recorded upstream data (offline/data/):

- chart-version-published: every Helm release pins a chart version its repository's index publishes;
- helm-values-known: every value passed to a chart is a key of that chart version;
- kubernetes-object-schema: every Kubernetes object fits the schema of the version that will run it,
  CEL rules included.

docs/upstream-data.md says where the data comes from and what these checks prove.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from offline.artefacts.chart_values import values_problems
from offline.artefacts.objects import object_problems
from offline.artefacts.pins import pin_problem
from offline.artefacts.plan_view import PlanView
from offline.planned import PlannedResource

CHECKS: Mapping[str, str] = {
    "chart-version-published": "Every Helm release pins a chart version that its repository's recorded "
    "index publishes, not a prerelease; else Helm fails at `pulumi up`.",
    "helm-values-known": "Every value passed to a chart is a key of the pinned chart version "
    "(values.yaml, values.schema.json, the paths its templates read) and fits its values schema; Helm "
    "silently ignores unknown keys.",
    "kubernetes-object-schema": "Every Kubernetes object fits the schema of the version that will run it: "
    "CRD schemas of the chart that installs them, with their CEL rules, OpenAPI of the cluster's Kubernetes "
    "minors; unknown fields are errors, as the API server prunes or drops them.",
}


@dataclass(frozen=True)
class Finding:
    check: str
    urn: str
    resource_type: str
    resource_name: str
    message: str


def check_artefacts(resources: Sequence[PlannedResource]) -> list[Finding]:
    """Every finding of the three checks over the plan's resources, in plan order."""
    view = PlanView(resources)
    findings: list[Finding] = []

    def found(check: str, resource: PlannedResource, messages: Sequence[str]) -> None:
        findings.extend(Finding(check, resource.urn, resource.type, resource.name, m) for m in messages)

    for release in view.releases():
        problem = pin_problem(release.inputs)
        if problem is not None:
            found("chart-version-published", release, [problem])
            continue
        values = release.inputs.get("values") or {}
        chart, version = str(release.inputs["chart"]), str(release.inputs["version"])
        found("helm-values-known", release, values_problems(chart, version, values))
    for resource in view.objects():
        found("kubernetes-object-schema", resource, object_problems(view, resource))
    return findings
