"""Kubernetes: namespaces, accounts, secrets, RBAC, Istio custom resources and Helm releases.

Objects come back as the API server returns them: the given metadata plus a uid, a resource version
and a creation time. A service-account token Secret comes back with the token the token controller
fills in; a Helm release with the status of a first, deployed revision.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from offline.fake_cloud import FakeResource, outputs_for
from offline.fakes.pki import ISSUED_AT, fake_pem

ISTIO_KINDS = (
    "kubernetes:networking.istio.io/v1:Gateway",
    "kubernetes:networking.istio.io/v1:DestinationRule",
    "kubernetes:networking.istio.io/v1:VirtualService",
    "kubernetes:security.istio.io/v1:PeerAuthentication",
    "kubernetes:security.istio.io/v1:AuthorizationPolicy",
)
SERVICE_ACCOUNT_TOKEN = "kubernetes.io/service-account-token"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _object(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    metadata = dict(resource.inputs.get("metadata") or {})
    metadata.setdefault("name", f"{resource.name}-{resource.hex(8)}")
    metadata["uid"] = str(uuid.UUID(resource.hex(32, "uid")))
    metadata["resourceVersion"] = str(int(resource.hex(6, "rv"), 16))
    metadata["creationTimestamp"] = ISSUED_AT.isoformat().replace("+00:00", "Z")
    namespace = metadata.get("namespace")
    resource_id = f"{namespace}/{metadata['name']}" if namespace else str(metadata["name"])
    return resource_id, {"metadata": metadata}


@outputs_for(
    "kubernetes:core/v1:Namespace",
    "kubernetes:core/v1:ServiceAccount",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    *ISTIO_KINDS,
)
def kubernetes_object(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    return _object(resource)


@outputs_for("kubernetes:core/v1:Secret")
def secret(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    resource_id, outputs = _object(resource)
    if resource.inputs.get("type") == SERVICE_ACCOUNT_TOKEN:
        # A JWT-shaped token: header.payload.signature, each base64url, as the token controller writes.
        token = ".".join(_b64(resource.hex(48, part)).rstrip("=") for part in ("header", "claims", "sig"))
        outputs["data"] = {
            "token": _b64(token),
            "ca.crt": _b64(fake_pem("CERTIFICATE", resource.seed + "ca")),
            "namespace": _b64(str(outputs["metadata"].get("namespace", "default"))),
        }
    return resource_id, outputs


@outputs_for("kubernetes:helm.sh/v3:Release")
def helm_release(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = str(resource.inputs.get("name") or f"{resource.name}-{resource.hex(8)}")
    namespace = str(resource.inputs.get("namespace") or "default")
    version = str(resource.inputs.get("version") or "0.0.0")
    return f"{namespace}/{name}", {
        "name": name,
        "status": {
            "name": name,
            "namespace": namespace,
            "chart": resource.inputs.get("chart"),
            "version": version,
            "appVersion": version,
            "revision": 1,
            "status": "deployed",
        },
    }
