"""Routine changes: edits a stack file takes every week, which plan as creates and in-place updates."""

from __future__ import annotations

from typing import Any

from tests.support.day2 import Case, Config, Edit, Expect, Step
from tests.support.types import ISSUED_CERTIFICATE, TLS_SELF_SIGNED_CERT

# Routine edits touch nothing that protection changes: dev stands for prod, and legacy stands for
# App Mesh where an edit reaches the mesh; the clusters and the link are the same on both.
ROUTINE_STACKS = ("dev", "legacy")
DEV = ("dev",)


def _services(config: Config) -> list[dict[str, Any]]:
    services: list[dict[str, Any]] = config["services"]
    return services


def add_service(config: Config) -> None:
    first = next(s for s in _services(config) if s["cloud"] == "gcp")
    _services(config).append(
        {
            "name": "search",
            "cloud": "gcp",
            "namespace": first["namespace"],
            "port": 8080,
            "callers": [first["name"]],
        }
    )


def remove_service(config: Config) -> None:
    """The last service that shares its namespace and that no service of the other cloud calls, so
    that no namespace of either cluster empties; also from the callers lists."""
    services = _services(config)
    cloud_of = {s["name"]: s["cloud"] for s in services}
    for service in reversed(services):
        neighbours = [s for s in services if s["namespace"] == service["namespace"] and s is not service]
        remote_callers = [c for c in service.get("callers", []) if cloud_of[c] != service["cloud"]]
        if neighbours and not remote_callers:
            services.remove(service)
            for other in services:
                other["callers"] = [c for c in other.get("callers", []) if c != service["name"]]
            return
    raise AssertionError("no service to remove")


def traffic_timeout(config: Config) -> None:
    config.setdefault("trafficPolicy", {})["timeout"] = "20s"


def sampling(config: Config) -> None:
    config.setdefault("observability", {})["samplingPercent"] = 25


def add_tunnel_group(config: Config) -> None:
    config["link"]["tunnelGroups"] = config["link"].get("tunnelGroups", 1) + 1


def gke_channel(config: Config) -> None:
    gke = config["clusters"]["gke"]
    gke["releaseChannel"] = "STABLE" if gke.get("releaseChannel", "REGULAR") != "STABLE" else "REGULAR"


def reorder_services(config: Config) -> None:
    config["services"] = list(reversed(_services(config)))


def reorder_retry_events(config: Config) -> None:
    policy = config.setdefault("trafficPolicy", {})
    retries = policy.setdefault("retries", {})
    events = retries.get("events", ["gateway-error", "connection-error", "stream-error"])
    retries["events"] = list(reversed(events))


def add_admin_role(config: Config) -> None:
    eks = config["clusters"]["eks"]
    eks["adminRoleArns"] = [*eks.get("adminRoleArns", []), "arn:aws:iam::111122223333:role/platform-admin"]


def change_port(config: Config) -> None:
    service = next(s for s in _services(config) if s["cloud"] == "aws")
    service["port"] = service.get("port", 8080) + 1


def ca(**keys: object) -> Edit:
    def edit(config: Config) -> None:
        config.setdefault("mesh", {}).setdefault("ca", {}).update(keys)

    return edit


ROOT_ROTATION = Case(
    id="rotate-root",
    title="Rotate the mesh's root CA",
    procedure="docs/runbooks/rotate-ca.md",
    steps=(
        Step(
            "mesh.ca: roots [1, 2]",
            ca(roots=[1, 2], signingRoot=1),
            "creates root 2; istiod restarts with both roots in its bundle",
        ),
        Step(
            "mesh.ca: signingRoot 2",
            ca(roots=[1, 2], signingRoot=2),
            "reissues both intermediates under root 2",
            critical=(Expect("replace", ISSUED_CERTIFICATE),),
        ),
        Step(
            "mesh.ca: roots [2]",
            ca(roots=[2], signingRoot=2),
            "deletes root 1 (in a protected stack after `pulumi state unprotect`)",
            critical=(Expect("delete", TLS_SELF_SIGNED_CERT, "mesh-ca-root"),),
        ),
    ),
)


def routine(
    case_id: str,
    title: str,
    change: str,
    edit: Edit,
    effect: str,
    procedure: str = "",
    stacks: tuple[str, ...] = ROUTINE_STACKS,
) -> Case:
    return Case(case_id, title, (Step(change, edit, effect),), stacks=stacks, procedure=procedure)


CASES: tuple[Case, ...] = (
    routine("add-service", "Add a service", "services: + search", add_service, "creates its mesh objects"),
    routine(
        "remove-service",
        "Remove a service that shares its namespace",
        "services: - the last such service",
        remove_service,
        "deletes its mesh objects",
    ),
    routine(
        "global-timeout",
        "Change the global timeout",
        "trafficPolicy.timeout: 20s",
        traffic_timeout,
        "updates every route in place",
    ),
    routine(
        "sampling",
        "Change trace sampling",
        "observability.samplingPercent: 25",
        sampling,
        "updates the tracing configuration",
    ),
    routine(
        "add-tunnel-group",
        "Add a tunnel group",
        "link.tunnelGroups: + 1",
        add_tunnel_group,
        "creates the group beside the others",
        procedure="docs/runbooks/add-tunnel-group.md",
        stacks=DEV,
    ),
    routine(
        "gke-channel",
        "Change the GKE release channel",
        "clusters.gke.releaseChannel",
        gke_channel,
        "updates the cluster's channel in place",
        stacks=DEV,
    ),
    routine("reorder-services", "Reorder the services", "services: reversed", reorder_services, "nothing"),
    routine(
        "reorder-retry-events",
        "Reorder a list value",
        "trafficPolicy.retries.events: reversed",
        reorder_retry_events,
        "updates the routes' retry conditions in place, in the new order",
    ),
    routine(
        "add-admin-role",
        "Add an EKS admin role",
        "clusters.eks.adminRoleArns: + one",
        add_admin_role,
        "grants it an access entry",
        stacks=DEV,
    ),
    routine(
        "change-port",
        "Change a service's port",
        "services[aws].port: + 1",
        change_port,
        "updates its mesh objects and the firewall rules in place",
    ),
    ROOT_ROTATION,
)
