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
    CrossmeshPolicy,
    CrossmeshResourcePolicy,
    Props,
    as_list,
    get,
)

VIRTUAL_NODE = "aws:appmesh/virtualNode:VirtualNode"
VIRTUAL_GATEWAY = "aws:appmesh/virtualGateway:VirtualGateway"
MESH = "aws:appmesh/mesh:Mesh"
END_OF_SUPPORT = "2026-09-30"


def _listeners(props: Props) -> list[tuple[str, Any]]:
    return [
        (f"spec.listeners[{i}]", listener) for i, listener in enumerate(as_list(get(props, "spec.listeners")))
    ]


def _listener_strict(props: Props, _: Config) -> Iterator[str]:
    for path, listener in _listeners(props):
        if get(listener, "tls.mode") != "STRICT":
            yield f"{path}.tls.mode is {get(listener, 'tls.mode', 'unset (plaintext)')}: use STRICT."


def _file_or_sds(block: Any) -> bool:
    return get(block, "file") is not None or get(block, "sds") is not None


def _mtls_trust(props: Props, _: Config) -> Iterator[str]:
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


def _client_policies(props: Props) -> list[tuple[str, Any]]:
    policies = [("spec.backendDefaults.clientPolicy", get(props, "spec.backendDefaults.clientPolicy"))]
    for index, backend in enumerate(as_list(get(props, "spec.backends"))):
        policy = get(backend, "virtualService.clientPolicy")
        if policy is not None:
            policies.append((f"spec.backends[{index}].virtualService.clientPolicy", policy))
    return policies


def _client_enforce(props: Props, _: Config) -> Iterator[str]:
    has_backends = (
        bool(as_list(get(props, "spec.backends"))) or get(props, "spec.backendDefaults") is not None
    )
    if not has_backends:
        return
    for path, policy in _client_policies(props):
        if policy is None and path.startswith("spec.backendDefaults"):
            yield f"{path} is unset: backends are called without TLS."
            continue
        if policy is None:
            continue
        tls = get(policy, "tls")
        if tls is None or get(tls, "enforce", True) is False:
            yield f"{path}.tls is not enforced."
            continue
        if not _file_or_sds(get(tls, "validation.trust")):
            yield f"{path}.tls.validation.trust is not file or SDS."
        if not _file_or_sds(get(tls, "certificate")):
            yield f"{path}.tls.certificate is unset: the client presents no certificate (not mutual TLS)."


def _egress(props: Props, _: Config) -> Iterator[str]:
    if get(props, "spec.egressFilter.type", "DROP_ALL") == "ALLOW_ALL":
        yield "spec.egressFilter.type ALLOW_ALL lets meshed services reach any destination."


def _eol(props: Props, _: Config) -> Iterator[str]:
    yield (
        f"AWS App Mesh reaches end of support on {END_OF_SUPPORT}; plan the move to Istio on EKS "
        "(the default engine)."
    )


POLICIES: list[CrossmeshPolicy] = [
    CrossmeshResourcePolicy(
        "xc-appmesh-listener-strict",
        ["App Mesh TLS encryption: listener mode STRICT"],
        "Every App Mesh listener requires TLS (mode STRICT).",
        Severity.HIGH,
        MANDATORY,
        [VIRTUAL_NODE, VIRTUAL_GATEWAY],
        _listener_strict,
    ),
    CrossmeshResourcePolicy(
        "xc-appmesh-mtls-trust",
        ["App Mesh mutual TLS authentication"],
        "Listeners validate client certificates against file or SDS trust, with non-ACM certificates.",
        Severity.HIGH,
        MANDATORY,
        [VIRTUAL_NODE, VIRTUAL_GATEWAY],
        _mtls_trust,
    ),
    CrossmeshResourcePolicy(
        "xc-appmesh-client-enforce",
        ["App Mesh mutual TLS authentication: client policy"],
        "Client policies enforce TLS, validate the server and present a client certificate.",
        Severity.HIGH,
        MANDATORY,
        [VIRTUAL_NODE, VIRTUAL_GATEWAY],
        _client_enforce,
    ),
    CrossmeshResourcePolicy(
        "xc-appmesh-egress-drop-all",
        ["App Mesh Mesh spec egressFilter"],
        "The mesh drops egress to destinations outside it.",
        Severity.MEDIUM,
        ADVISORY,
        [MESH],
        _egress,
    ),
    CrossmeshResourcePolicy(
        "xc-appmesh-eol",
        ["AWS App Mesh end of support 2026-09-30"],
        "App Mesh resources warn that the service reaches end of support.",
        Severity.MEDIUM,
        ADVISORY,
        ["aws:appmesh/*"],
        _eol,
    ),
]
