"""Istio custom resources and namespaces, as the Kubernetes provider receives them.

Rules follow Kyverno's Istio policies (kyverno/policies istio/*), istioctl analyze messages
(IST0102, IST0128, IST0129) and Istio's security best practices
(https://istio.io/latest/docs/ops/best-practices/security/).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource, Severity

from crossmesh_policy.kit import (
    ADVISORY,
    MANDATORY,
    Config,
    Props,
    StackView,
    as_list,
    get,
    has,
    is_masked,
    resource_rule,
    stack_rule,
)

PEER_AUTHENTICATION = "kubernetes:security.istio.io/*:PeerAuthentication"
AUTHORIZATION_POLICY = "kubernetes:security.istio.io/*:AuthorizationPolicy"
DESTINATION_RULE = "kubernetes:networking.istio.io/*:DestinationRule"
VIRTUAL_SERVICE = "kubernetes:networking.istio.io/*:VirtualService"
GATEWAY = "kubernetes:networking.istio.io/*:Gateway"
NAMESPACE = "kubernetes:core/v1:Namespace"
SECRET = "kubernetes:core/v1:Secret"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
WORKLOADS = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:core/v1:Pod",
)

STRICT_MODES = ("UNSET", "STRICT")
SYSTEM_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease", "istio-system"]
CACERTS_KEYS = ("ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem")
# The settings of the rules over a whole mesh.
MESH_CONFIG: dict[str, dict[str, Any]] = {
    "rootNamespace": {"type": "string", "default": "istio-system"},
    "exemptNamespaces": {"type": "array", "items": {"type": "string"}, "default": SYSTEM_NAMESPACES},
}


@resource_rule(
    id="xc-istio-strict-mtls",
    anchors=["Kyverno enforce-strict-mtls", "Istio security best practices"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[PEER_AUTHENTICATION],
)
def strict_mtls(props: Props, _: Config) -> Iterator[str]:
    """PeerAuthentication modes, including port-level ones, are UNSET or STRICT."""
    mode = get(props, "spec.mtls.mode")
    if mode is not None and mode not in STRICT_MODES:
        yield f"PeerAuthentication resources may only set UNSET or STRICT for the mode. Found {mode}."
    for port, setting in (get(props, "spec.portLevelMtls", {}) or {}).items():
        port_mode = get(setting, "mode")
        if port_mode is not None and port_mode not in STRICT_MODES:
            yield f"portLevelMtls {port} sets mode {port_mode}: only UNSET or STRICT."


def _namespace(props: Props) -> str:
    return str(get(props, "metadata.namespace", "default"))


def _mesh_namespaces(
    stack: StackView, root: str, exempt: list[str]
) -> dict[str | None, list[PolicyResource]]:
    """Application namespaces by provider (cluster), for clusters that run istiod."""
    istio_clusters = {
        _cluster(r) for r in stack.of_type(HELM_RELEASE) if str(r.props.get("chart", "")).endswith("istiod")
    }
    by_cluster: dict[str | None, list[PolicyResource]] = defaultdict(list)
    for namespace in stack.of_type(NAMESPACE):
        name = get(namespace.props, "metadata.name")
        if _cluster(namespace) in istio_clusters and name not in exempt and name != root:
            by_cluster[_cluster(namespace)].append(namespace)
    return by_cluster


def _cluster(resource: PolicyResource) -> str | None:
    return resource.provider.urn if resource.provider is not None else None


@stack_rule(
    id="xc-istio-mesh-strict-mtls",
    anchors=["Istio security best practices", "Kyverno enforce-strict-mtls"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[PEER_AUTHENTICATION, HELM_RELEASE],
    config=MESH_CONFIG,
)
def mesh_strict_mtls(stack: StackView, config: Config) -> Iterator[tuple[str, str | None]]:
    """Every istiod's mesh has a mesh-wide STRICT PeerAuthentication in the root namespace."""
    root = str(config.get("rootNamespace"))
    for release in stack.of_type(HELM_RELEASE):
        if not str(release.props.get("chart", "")).endswith("istiod"):
            continue
        mesh_wide = [
            p
            for p in stack.of_type(PEER_AUTHENTICATION)
            if _cluster(p) == _cluster(release)
            and _namespace(p.props) == root
            and not get(p.props, "spec.selector")
            and get(p.props, "spec.mtls.mode") == "STRICT"
        ]
        if not mesh_wide:
            yield (
                f"no mesh-wide STRICT PeerAuthentication in {root} for the mesh of {release.name}.",
                release.urn,
            )


def _allow_nothing(policy: PolicyResource) -> bool:
    spec = get(policy.props, "spec", {}) or {}
    return not spec.get("rules") and not spec.get("selector") and spec.get("action", "ALLOW") == "ALLOW"


@stack_rule(
    id="xc-istio-default-deny",
    anchors=["Kyverno require-authorizationpolicy", "Istio security best practices"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[AUTHORIZATION_POLICY, NAMESPACE, HELM_RELEASE],
    config=MESH_CONFIG,
)
def default_deny(stack: StackView, config: Config) -> Iterator[tuple[str, str | None]]:
    """Meshed namespaces deny by default: an allow-nothing AuthorizationPolicy per namespace or in the root
    namespace."""
    root = str(config.get("rootNamespace"))
    exempt = [str(n) for n in as_list(config.get("exemptNamespaces"))]
    policies = [p for p in stack.of_type(AUTHORIZATION_POLICY) if _allow_nothing(p)]
    for cluster, namespaces in _mesh_namespaces(stack, root, exempt).items():
        denied = {_namespace(p.props) for p in policies if _cluster(p) == cluster}
        if root in denied:
            continue
        for namespace in namespaces:
            # Authorization policies act through sidecars: a namespace without them is the
            # injection rule's concern.
            if (
                _injection(namespace) in ("enabled", "revision")
                and get(namespace.props, "metadata.name") not in denied
            ):
                yield (
                    f"namespace {get(namespace.props, 'metadata.name')} has no allow-nothing "
                    "AuthorizationPolicy "
                    f"(nor has {root}): traffic is allowed by default.",
                    namespace.urn,
                )


@resource_rule(
    id="xc-istio-authz-safe-patterns",
    anchors=["Istio security best practices: ALLOW-with-positive, DENY-with-negative matching"],
    severity=Severity.MEDIUM,
    level=ADVISORY,
    types=[AUTHORIZATION_POLICY],
)
def authz_safe_patterns(props: Props, _: Config) -> Iterator[str]:
    """AuthorizationPolicies ALLOW with positive matches and DENY with negative ones."""
    action = get(props, "spec.action", "ALLOW")
    for index, rule in enumerate(as_list(get(props, "spec.rules"))):
        for part in ("from", "to"):
            for item in as_list(get(rule, part)):
                fields = get(item, "source" if part == "from" else "operation", {}) or {}
                for field in fields:
                    if action == "ALLOW" and field.startswith("not"):
                        yield f"rules[{index}] ALLOWs with negative match {field}: use positive matching."
                    if action == "DENY" and field in ("paths", "hosts", "methods"):
                        negative = f"not{field[0].upper()}{field[1:]}"
                        yield (
                            f"rules[{index}] DENYs with positive match {field}: path and host normalisation "
                            f"can bypass it; use {negative}."
                        )


def _tls_settings(props: Props) -> Iterator[tuple[str, Any]]:
    traffic = get(props, "spec.trafficPolicy", {}) or {}
    yield "trafficPolicy.tls", get(traffic, "tls")
    for index, setting in enumerate(as_list(get(traffic, "portLevelSettings"))):
        yield f"trafficPolicy.portLevelSettings[{index}].tls", get(setting, "tls")
    for index, subset in enumerate(as_list(get(props, "spec.subsets"))):
        yield f"subsets[{index}].trafficPolicy.tls", get(subset, "trafficPolicy.tls")
        for port_index, setting in enumerate(as_list(get(subset, "trafficPolicy.portLevelSettings"))):
            yield f"subsets[{index}].trafficPolicy.portLevelSettings[{port_index}].tls", get(setting, "tls")


@resource_rule(
    id="xc-istio-dr-tls-verify",
    anchors=["istioctl IST0128", "istioctl IST0129"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[DESTINATION_RULE],
)
def dr_tls_verify(props: Props, _: Config) -> Iterator[str]:
    """DestinationRules with SIMPLE or MUTUAL TLS verify the server (caCertificates or credentialName)."""
    host = get(props, "spec.host")
    for path, tls in _tls_settings(props):
        if tls is None or get(tls, "mode") not in ("SIMPLE", "MUTUAL"):
            continue
        if get(tls, "insecureSkipVerify") is True:
            yield f"{path} sets insecureSkipVerify for host {host}."
        elif not get(tls, "caCertificates") and not get(tls, "credentialName"):
            yield (
                f"{path} has TLS mode set to {get(tls, 'mode')} but no caCertificates are set to validate "
                f"server identity for host: {host}."
            )


@resource_rule(
    id="xc-istio-dr-no-tls-disable",
    anchors=["Kyverno enforce-tls-hosts-host-subnets"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[DESTINATION_RULE],
)
def dr_no_tls_disable(props: Props, _: Config) -> Iterator[str]:
    """DestinationRules never disable TLS, for the host, its ports or subsets."""
    for path, tls in _tls_settings(props):
        if get(tls, "mode") == "DISABLE":
            yield f"{path} disables TLS for host {get(props, 'spec.host')}."


def _injection(namespace: PolicyResource) -> str:
    """'enabled', 'revision', 'disabled' (an explicit opt-out) or 'unset'."""
    labels = get(namespace.props, "metadata.labels", {}) or {}
    if labels.get("istio.io/rev"):
        return "revision"
    return {"enabled": "enabled", "disabled": "disabled"}.get(str(labels.get("istio-injection")), "unset")


@stack_rule(
    id="xc-istio-injection-namespace",
    anchors=["Kyverno enforce-sidecar-injection-namespace", "istioctl IST0102"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[NAMESPACE, HELM_RELEASE],
    config=MESH_CONFIG,
)
def injection_namespace(stack: StackView, config: Config) -> Iterator[tuple[str, str | None]]:
    """In clusters running istiod, application namespaces are labelled for sidecar injection, or explicitly
    opted out (istio-injection=disabled, as IST0102 advises)."""
    root = str(config.get("rootNamespace"))
    exempt = [str(n) for n in as_list(config.get("exemptNamespaces"))]
    for namespaces in _mesh_namespaces(stack, root, exempt).values():
        for namespace in namespaces:
            if _injection(namespace) == "unset":
                name = get(namespace.props, "metadata.name")
                # IST0102's advice: label it enabled, or disabled to mark it as not needing injection.
                yield (
                    f"namespace {name} is not enabled for sidecar injection: label it "
                    "istio-injection=enabled (or istio.io/rev), or istio-injection=disabled to say "
                    "it needs none.",
                    namespace.urn,
                )


@resource_rule(
    id="xc-istio-injection-workloads",
    anchors=["Kyverno prevent-disabling-injection-pods"],
    severity=Severity.MEDIUM,
    level=ADVISORY,
    types=WORKLOADS,
    by_type=True,
)
def injection_workloads(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """Workloads do not opt out of sidecar injection."""
    meta = (
        get(props, "metadata", {})
        if resource_type.endswith(":Pod")
        else get(props, "spec.template.metadata", {})
    )
    for where in ("annotations", "labels"):
        if str(get(meta, where, {}).get("sidecar.istio.io/inject", "")).lower() == "false":
            yield f"pod {where} disable sidecar injection (sidecar.istio.io/inject: false)."


@resource_rule(
    id="xc-istio-no-wildcard-hosts",
    anchors=["Kyverno restrict-virtual-service-wildcard", "Istio security best practices"],
    severity=Severity.MEDIUM,
    level=ADVISORY,
    types=[VIRTUAL_SERVICE, GATEWAY],
    by_type=True,
)
def no_wildcard_hosts(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """VirtualServices and Gateways name their hosts instead of '*'."""
    hosts = as_list(get(props, "spec.hosts"))
    for server in as_list(get(props, "spec.servers")):
        hosts.extend(as_list(get(server, "hosts")))
    for host in hosts:
        if str(host) == "*" or str(host).endswith("/*"):
            yield f"host {host} matches every service: name the hosts."


@resource_rule(
    id="xc-istio-cacerts-shape",
    anchors=["Istio plug-in CA (cacerts)"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[SECRET],
)
def cacerts_shape(props: Props, _: Config) -> Iterator[str]:
    """The cacerts Secret sits in istio-system with ca-cert.pem, ca-key.pem, root-cert.pem and
    cert-chain.pem."""
    if get(props, "metadata.name") != "cacerts":
        return
    if _namespace(props) != "istio-system":
        yield "the cacerts secret must be in istio-system, where istiod reads it."
    blocks = [props.get(field) for field in ("data", "stringData") if has(props, field)]
    if any(is_masked(block) for block in blocks):
        return  # a saved plan masks the whole secret map: its keys are not readable there
    keys = {key for block in blocks if isinstance(block, Mapping) for key in block}
    missing = [key for key in CACERTS_KEYS if key not in keys]
    if missing:
        yield f"the cacerts secret lacks {', '.join(missing)}."
