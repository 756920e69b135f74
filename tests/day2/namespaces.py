"""Namespaces that hold workloads, which crossmesh never deletes: removing the last service of one,
renaming one, and moving the legacy stack's EKS side between App Mesh and Istio and back."""

from __future__ import annotations

from tests.support.day2 import Case, Config, Edit, Expect, Step
from tests.support.types import K8S_NAMESPACE

UNPROTECTED = ("dev", "legacy")
MOVE_OFF_APP_MESH = "docs/runbooks/move-off-app-mesh.md"
# The namespace leaves the program: retained where nothing protects it; a protected stack's `pulumi up`
# stops at its delete until it is unprotected.
NAMESPACE_LEFT = (
    Expect("retained", K8S_NAMESPACE, stacks=UNPROTECTED),
    Expect("delete", K8S_NAMESPACE, stacks=("prod",)),
)


def _last_aws_namespace(config: Config) -> str:
    return str(next(s["namespace"] for s in reversed(config["services"]) if s["cloud"] == "aws"))


def remove_namespace(config: Config) -> None:
    """Every service of the last AWS service's namespace, and them from every callers list."""
    namespace = _last_aws_namespace(config)
    gone = {s["name"] for s in config["services"] if s["namespace"] == namespace}
    config["services"] = [
        {**s, "callers": [c for c in s.get("callers", []) if c not in gone]}
        for s in config["services"]
        if s["name"] not in gone
    ]


def rename_namespace(config: Config) -> None:
    namespace = _last_aws_namespace(config)
    for service in config["services"]:
        if service["namespace"] == namespace:
            service["namespace"] = "billing"


def engine(name: str) -> Edit:
    def edit(config: Config) -> None:
        config["mesh"]["engines"]["aws"] = name

    return edit


CASES: tuple[Case, ...] = (
    Case(
        "remove-last-service-of-namespace",
        "Remove the last services of a namespace",
        (
            Step(
                "services: - every service of an AWS namespace",
                remove_namespace,
                "deletes their mesh objects; the namespace is retained on both clusters with its "
                "workloads (in a protected stack `pulumi up` stops until it is unprotected)",
                critical=NAMESPACE_LEFT,
            ),
        ),
        issue_case=2,
        procedure="docs/day2.md#namespaces",
    ),
    Case(
        "rename-namespace",
        "Move services to another namespace",
        (
            Step(
                "services[*].namespace: payments -> billing",
                rename_namespace,
                "creates the new namespace and moves the mesh objects into it; the old namespace is "
                "retained with its workloads (protected stacks: after `pulumi state unprotect`)",
                critical=NAMESPACE_LEFT,
            ),
        ),
        issue_case=2,
        procedure="docs/day2.md#namespaces",
    ),
    Case(
        "move-off-app-mesh",
        "Move the EKS side from App Mesh to Istio, and back",
        (
            Step(
                "mesh.engines.aws: istio",
                engine("istio"),
                "installs Istio on EKS; Istio takes over the application namespaces in place (their labels "
                "change); removes App Mesh and the bridge; App Mesh's own namespaces and the workloads' "
                "ServiceAccounts are retained",
                critical=(Expect("retained", K8S_NAMESPACE),),
            ),
            Step(
                "mesh.engines.aws: appmesh",
                engine("appmesh"),
                "installs App Mesh and the bridge again; App Mesh takes the namespaces back in place; "
                "removes Istio from EKS, whose namespaces are retained",
                critical=(Expect("retained", K8S_NAMESPACE),),
                by_hand="delete the namespaces App Mesh left (once empty) and the workloads' "
                "ServiceAccounts, in the restart window",
                cleared=(
                    "Namespace appmesh-system",
                    "Namespace crossmesh-bridge",
                    "ServiceAccount orders/orders",
                ),
            ),
        ),
        stacks=("legacy",),
        issue_case=4,
        procedure=MOVE_OFF_APP_MESH,
    ),
)
