"""The Kubernetes workloads and namespaces the program declares itself (charts are judged by their own
projects): images pinned, containers locked down, resources and probes set, and every namespace fenced
by a NetworkPolicy. Checkov's Kubernetes checks are the anchors."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from crossmesh_policy.kit import (
    MANDATORY,
    Config,
    Props,
    StackView,
    TypedResourceCheck,
    as_list,
    get,
    known,
    resource_rule,
    stack_rule,
)

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
REPLICA_SET = "kubernetes:apps/v1:ReplicaSet"
JOB = "kubernetes:batch/v1:Job"
CRON_JOB = "kubernetes:batch/v1:CronJob"
POD = "kubernetes:core/v1:Pod"
WORKLOADS = (DEPLOYMENT, STATEFUL_SET, DAEMON_SET, REPLICA_SET, JOB, CRON_JOB, POD)
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SECCOMP_PROFILES = ("RuntimeDefault", "Localhost")


def pod_spec(resource_type: str, props: Props) -> Mapping[str, Any]:
    """The pod template's spec of a workload (a Pod's own spec)."""
    path = {POD: "spec", CRON_JOB: "spec.jobTemplate.spec.template.spec"}.get(
        resource_type, "spec.template.spec"
    )
    spec = get(props, path, {})
    return spec if isinstance(spec, Mapping) else {}


def containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(label, container) of every container and init container."""
    for field in ("initContainers", "containers"):
        for index, container in enumerate(as_list(spec.get(field))):
            if isinstance(container, Mapping):
                yield f"{field}[{index}] {container.get('name', '')}".rstrip(), container


def _per_pod(check: Callable[[Mapping[str, Any]], Iterator[str]]) -> TypedResourceCheck:
    """A check of one pod spec, run on the pod template of whichever workload type it is given."""

    @functools.wraps(check)
    def each_workload(resource_type: str, props: Props, _: Config) -> Iterator[str]:
        yield from check(pod_spec(resource_type, props))

    return each_workload


@resource_rule(
    id="xc-k8s-image-digest",
    anchors=["CKV_K8S_43"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=WORKLOADS,
    by_type=True,
)
@_per_pod
def image_digest(spec: Mapping[str, Any]) -> Iterator[str]:
    """Every container image is pinned by digest (image@sha256:...), so what runs is what was reviewed."""
    for label, container in containers(spec):
        if "@sha256:" not in str(container.get("image", "")):
            yield f"{label}: the image is not pinned by digest (image@sha256:<digest>)."


@resource_rule(
    id="xc-k8s-drop-capabilities",
    anchors=["CKV_K8S_37", "CKV_K8S_28", "CKV_K8S_39"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=WORKLOADS,
    by_type=True,
)
@_per_pod
def drop_capabilities(spec: Mapping[str, Any]) -> Iterator[str]:
    """Containers drop ALL Linux capabilities and add none back (stricter than CKV_K8S_37, which allows
    adding some)."""
    for label, container in containers(spec):
        capabilities = get(container, "securityContext.capabilities", {})
        if "ALL" not in [str(c).upper() for c in as_list(capabilities.get("drop"))]:
            yield f"{label}: securityContext.capabilities.drop does not include ALL."
        if as_list(capabilities.get("add")):
            yield f"{label}: securityContext.capabilities.add gives capabilities back."


@resource_rule(
    id="xc-k8s-read-only-root",
    anchors=["CKV_K8S_22"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=WORKLOADS,
    by_type=True,
)
@_per_pod
def read_only_root(spec: Mapping[str, Any]) -> Iterator[str]:
    """Containers run with a read-only root filesystem (writable paths are volumes)."""
    for label, container in containers(spec):
        if get(container, "securityContext.readOnlyRootFilesystem") is not True:
            yield f"{label}: securityContext.readOnlyRootFilesystem is not true."


def _effective(spec: Mapping[str, Any], container: Mapping[str, Any], path: str) -> Any:
    """A security setting as Kubernetes applies it: the container's, else the pod's."""
    own = get(container, f"securityContext.{path}")
    return own if own is not None else get(spec, f"securityContext.{path}")


@resource_rule(
    id="xc-k8s-non-root-seccomp",
    anchors=["CKV_K8S_23", "CKV_K8S_20", "CKV_K8S_16", "CKV_K8S_29", "CKV_K8S_31"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=WORKLOADS,
    by_type=True,
)
@_per_pod
def non_root_seccomp(spec: Mapping[str, Any]) -> Iterator[str]:
    """Containers run as non-root, unprivileged, without privilege escalation, under the RuntimeDefault
    (or a Localhost) seccomp profile."""
    for label, container in containers(spec):
        if _effective(spec, container, "runAsNonRoot") is not True:
            yield f"{label}: runAsNonRoot is not true (pod or container securityContext)."
        if get(container, "securityContext.privileged") is True:
            yield f"{label}: the container is privileged."
        if get(container, "securityContext.allowPrivilegeEscalation") is not False:
            yield f"{label}: securityContext.allowPrivilegeEscalation is not false."
        if _effective(spec, container, "seccompProfile.type") not in SECCOMP_PROFILES:
            yield f"{label}: no RuntimeDefault seccomp profile (pod or container securityContext)."


@resource_rule(
    id="xc-k8s-no-token-automount",
    anchors=["CKV_K8S_38"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=WORKLOADS,
    by_type=True,
)
@_per_pod
def no_token_automount(spec: Mapping[str, Any]) -> Iterator[str]:
    """Pods do not mount a Kubernetes API token (automountServiceAccountToken: false): crossmesh's own
    workloads never call the API, and IRSA or Workload Identity mount their own projected tokens."""
    if spec.get("automountServiceAccountToken") is not False:
        yield "automountServiceAccountToken is not false: the pod gets an API token it does not use."


@resource_rule(
    id="xc-k8s-resources",
    anchors=["CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=WORKLOADS,
    by_type=True,
)
@_per_pod
def resources(spec: Mapping[str, Any]) -> Iterator[str]:
    """Containers request and limit CPU and memory, so the scheduler places them and a runaway one is
    contained."""
    for label, container in containers(spec):
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if not get(container, f"resources.{kind}.{resource}"):
                    yield f"{label}: resources.{kind}.{resource} is not set."


@resource_rule(
    id="xc-k8s-probes",
    anchors=["CKV_K8S_8", "CKV_K8S_9"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=WORKLOADS,
    by_type=True,
)
@_per_pod
def probes(spec: Mapping[str, Any]) -> Iterator[str]:
    """Long-running containers have liveness and readiness probes (init containers and Jobs excepted)."""
    for index, container in enumerate(as_list(spec.get("containers"))):
        if not isinstance(container, Mapping) or spec.get("restartPolicy") in ("Never", "OnFailure"):
            continue
        for probe in ("livenessProbe", "readinessProbe"):
            if not container.get(probe):
                yield f"containers[{index}] {container.get('name', '')}: no {probe}."


def _namespace_name(resource: Any) -> Any:
    return get(known(resource.props, "metadata") or {}, "name")


@stack_rule(
    id="xc-k8s-network-policy",
    anchors=["CKV2_K8S_6"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=[NAMESPACE, NETWORK_POLICY],
)
def network_policy(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """Every namespace the program creates has a NetworkPolicy that selects all its pods (matched by
    cluster provider and namespace name; stricter than CKV2_K8S_6, which takes a NetworkPolicy in any
    namespace)."""
    fenced = {
        (policy.provider.urn if policy.provider else None, get(policy.props, "metadata.namespace"))
        for policy in stack.of_type(NETWORK_POLICY)
        if get(policy.props, "spec.podSelector") is not None
        and not get(policy.props, "spec.podSelector.matchLabels")
        and not get(policy.props, "spec.podSelector.matchExpressions")
    }
    for namespace in stack.of_type(NAMESPACE):
        key = (namespace.provider.urn if namespace.provider else None, _namespace_name(namespace))
        if key not in fenced:
            yield (
                f"namespace {_namespace_name(namespace)} has no NetworkPolicy selecting all its pods.",
                namespace.urn,
            )
