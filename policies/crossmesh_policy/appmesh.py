"""AWS App Mesh (the legacy topology's EKS engine): mutual TLS on every listener and client, no
open egress, and a warning that App Mesh reaches end of support on 2026-09-30
(https://docs.aws.amazon.com/app-mesh/latest/userguide/mutual-tls.html)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from crossmesh_policy.kit import (
    ADVISORY,
    MANDATORY,
    Config,
    Props,
    as_list,
    get,
    resource_rule,
)

VIRTUAL_NODE = "aws:appmesh/virtualNode:VirtualNode"
VIRTUAL_GATEWAY = "aws:appmesh/virtualGateway:VirtualGateway"
MESH = "aws:appmesh/mesh:Mesh"
# The same objects as the App Mesh controller's custom resources on EKS (appmesh.k8s.aws), whose
# specs use the App Mesh API's field names.
K8S_VIRTUAL_NODE = "kubernetes:appmesh.k8s.aws/*:VirtualNode"
K8S_VIRTUAL_GATEWAY = "kubernetes:appmesh.k8s.aws/*:VirtualGateway"
K8S_MESH = "kubernetes:appmesh.k8s.aws/*:Mesh"
NODES_AND_GATEWAYS = [VIRTUAL_NODE, VIRTUAL_GATEWAY, K8S_VIRTUAL_NODE, K8S_VIRTUAL_GATEWAY]
END_OF_SUPPORT = "2026-09-30"


def _listeners(props: Props) -> list[tuple[str, Any]]:
    return [
        (f"spec.listeners[{i}]", listener) for i, listener in enumerate(as_list(get(props, "spec.listeners")))
    ]


def _without_envoy(resource_type: str, props: Props) -> bool:
    """A controller VirtualNode that selects no pods stands for a backend outside the mesh (say, a
    peer cluster's ingress): no Envoy serves its listeners, so their TLS settings do nothing."""
    return (
        resource_type.startswith("kubernetes:")
        and resource_type.endswith(":VirtualNode")
        and (get(props, "spec.podSelector") is None)
    )


@resource_rule(
    id="xc-appmesh-listener-strict",
    anchors=["App Mesh TLS encryption: listener mode STRICT"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=NODES_AND_GATEWAYS,
    by_type=True,
)
def listener_strict(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """Every App Mesh listener requires TLS (mode STRICT)."""
    if not _without_envoy(resource_type, props):
        yield from _strict_listeners(props)


def _strict_listeners(props: Props) -> Iterator[str]:
    for path, listener in _listeners(props):
        if get(listener, "tls.mode") != "STRICT":
            yield f"{path}.tls.mode is {get(listener, 'tls.mode', 'unset (plaintext)')}: use STRICT."


def _file_or_sds(block: Any) -> bool:
    return get(block, "file") is not None or get(block, "sds") is not None


@resource_rule(
    id="xc-appmesh-mtls-trust",
    anchors=["App Mesh mutual TLS authentication"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=NODES_AND_GATEWAYS,
    by_type=True,
)
def mtls_trust(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """Listeners validate client certificates against file or SDS trust, with non-ACM certificates."""
    if not _without_envoy(resource_type, props):
        yield from _trusted_listeners(props)


def _trusted_listeners(props: Props) -> Iterator[str]:
    for path, listener in _listeners(props):
        if get(listener, "tls") is None:
            continue
        if not _file_or_sds(get(listener, "tls.validation.trust")):
            yield (
                f"{path}.tls.validation.trust is unset: clients are not verified (mutual TLS needs "
                "file or SDS trust)."
            )
        if get(listener, "tls.certificate.acm") is not None:
            yield f"{path}.tls.certificate uses ACM, which App Mesh cannot use for mutual TLS."


def _client_policies(props: Props) -> Iterator[tuple[str, Any]]:
    """(path, client policy) of every call the node or gateway makes; None where a call has none."""
    defaults = get(props, "spec.backendDefaults.clientPolicy")
    backends = as_list(get(props, "spec.backends"))
    if defaults is not None or not backends:
        yield "spec.backendDefaults.clientPolicy", defaults
    for index, backend in enumerate(backends):
        policy = get(backend, "virtualService.clientPolicy")
        if policy is not None or defaults is None:
            yield f"spec.backends[{index}].virtualService.clientPolicy", policy


@resource_rule(
    id="xc-appmesh-client-enforce",
    anchors=["App Mesh mutual TLS authentication: client policy"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=NODES_AND_GATEWAYS,
    by_type=True,
)
def client_enforce(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """Client policies enforce TLS, validate the server and present a client certificate."""
    gateway = resource_type.endswith(":VirtualGateway")
    if (
        not gateway
        and not as_list(get(props, "spec.backends"))
        and get(props, "spec.backendDefaults") is None
    ):
        return  # a node that calls nothing
    for path, policy in _client_policies(props):
        tls = get(policy, "tls")
        if tls is None:
            yield f"{path}.tls is unset: calls go out without TLS."
            continue
        if get(tls, "enforce", True) is False:
            yield f"{path}.tls.enforce is false."
        if not _file_or_sds(get(tls, "validation.trust")):
            yield f"{path}.tls.validation.trust is not file or SDS."
        if not _file_or_sds(get(tls, "certificate")):
            yield f"{path}.tls.certificate is unset: the client presents no certificate (not mutual TLS)."


@resource_rule(
    id="xc-appmesh-egress-drop-all",
    anchors=["App Mesh Mesh spec egressFilter"],
    severity=Severity.MEDIUM,
    level=ADVISORY,
    types=[MESH, K8S_MESH],
)
def egress_drop_all(props: Props, _: Config) -> Iterator[str]:
    """The mesh drops egress to destinations outside it."""
    if get(props, "spec.egressFilter.type", "DROP_ALL") == "ALLOW_ALL":
        yield "spec.egressFilter.type ALLOW_ALL lets meshed services reach any destination."


@resource_rule(
    id="xc-appmesh-eol",
    anchors=["AWS App Mesh end of support 2026-09-30"],
    severity=Severity.MEDIUM,
    level=ADVISORY,
    types=[MESH, K8S_MESH],
)
def eol(props: Props, _: Config) -> Iterator[str]:
    """Each App Mesh mesh warns that the service reaches end of support."""
    yield (
        f"AWS App Mesh reaches end of support on {END_OF_SUPPORT}; plan the move to Istio on EKS "
        "(the default engine)."
    )
