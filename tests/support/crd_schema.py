"""Rendered specs against the recorded CRD schemas of the pinned charts (offline/data/crds/), through
the same validation `crossmesh check` applies to the plan (offline/artefacts/schemas.py)."""

from __future__ import annotations

from typing import Any

from components.mesh.appmesh_specs import CONTROLLER_CHART_VERSION
from components.mesh.istio_specs import ISTIO_VERSION
from offline.artefacts import schemas

# Metadata is held to ObjectMeta of a Kubernetes minor; the specs do not depend on which.
KUBERNETES_MINOR = "1.35"
ISTIO_API_VERSIONS = {
    "DestinationRule": "networking.istio.io/v1",
    "VirtualService": "networking.istio.io/v1",
    "Gateway": "networking.istio.io/v1",
    "ServiceEntry": "networking.istio.io/v1",
    "PeerAuthentication": "security.istio.io/v1",
    "AuthorizationPolicy": "security.istio.io/v1",
    "Telemetry": "telemetry.istio.io/v1",
}
APPMESH_API_VERSION = "appmesh.k8s.aws/v1beta2"


def crd_problems(source: str, api_version: str, kind: str, spec: Any) -> list[str]:
    """Each way an object of `kind` with this spec breaks its CRD schema, as `spec.path: what`."""
    crd = schemas.recorded_crd(source, api_version, kind)
    assert crd is not None, f"{source} records no CRD of {api_version} {kind}"
    validator = schemas.custom_validator(source, crd["schema"], KUBERNETES_MINOR)
    assert validator is not None
    rendered = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "checked"}, "spec": spec}
    return schemas.problems(validator, rendered)


def istio_problems(kind: str, spec: Any) -> list[str]:
    """Against the CRDs of Istio's base chart at the pinned version."""
    return crd_problems(f"base {ISTIO_VERSION}", ISTIO_API_VERSIONS[kind], kind, spec)


def appmesh_problems(kind: str, spec: Any) -> list[str]:
    """Against the CRDs of the pinned appmesh-controller chart."""
    return crd_problems(f"appmesh-controller {CONTROLLER_CHART_VERSION}", APPMESH_API_VERSION, kind, spec)
