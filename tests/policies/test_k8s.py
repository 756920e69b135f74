"""Workload and namespace rules: a locked-down Deployment as the baseline (the shape of the App Mesh
gateway), one changed field per case, Checkov's failing shapes among them; and stacks of namespaces
with and without their NetworkPolicy. The runner in test_pack.py runs CASES and BASELINES."""

from __future__ import annotations

from typing import Any

from tests.support.policy_cases import (
    ABSENT,
    Baseline,
    PolicyCase,
    StackCase,
    bad,
    changed,
    ok,
    res,
)
from tests.support.types import K8S_CRON_JOB, K8S_DEPLOYMENT, K8S_NAMESPACE, K8S_NETWORK_POLICY, K8S_POD

DIGEST = "sha256:" + "ab" * 32
CONTAINER: dict[str, Any] = {
    "name": "envoy",
    "image": f"registry.example/envoy:v1@{DIGEST}",
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    },
    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
    "readinessProbe": {"httpGet": {"path": "/ready", "port": 9901}},
    "livenessProbe": {"tcpSocket": {"port": 9901}},
}
POD_SPEC: dict[str, Any] = {
    "automountServiceAccountToken": False,
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 1337,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "containers": [CONTAINER],
}
DEPLOYMENT = {"metadata": {"name": "gw", "namespace": "bridge"}, "spec": {"template": {"spec": POD_SPEC}}}
POD = {"metadata": {"name": "p"}, "spec": POD_SPEC}
CRON_JOB = {
    "metadata": {"name": "c"},
    "spec": {"jobTemplate": {"spec": {"template": {"spec": {**POD_SPEC, "restartPolicy": "OnFailure"}}}}},
}


def container(**changes: Any) -> dict[str, Any]:
    """The deployment with its container changed (dotted paths with '__')."""
    return changed(DEPLOYMENT, spec__template__spec__containers=[changed(CONTAINER, **changes)])


def pod(**changes: Any) -> dict[str, Any]:
    return changed(DEPLOYMENT, spec__template__spec=changed(POD_SPEC, **changes))


NS = res(K8S_NAMESPACE, "ns", {"metadata": {"name": "shop"}})
FENCE = res(
    K8S_NETWORK_POLICY,
    "fence",
    {"metadata": {"name": "private-ingress-only", "namespace": "shop"}, "spec": {"podSelector": {}}},
)
PARTIAL_FENCE = res(
    K8S_NETWORK_POLICY,
    "partial",
    {
        "metadata": {"name": "one-app", "namespace": "shop"},
        "spec": {"podSelector": {"matchLabels": {"app": "frontend"}}},
    },
)
OTHER_NS_FENCE = res(
    K8S_NETWORK_POLICY,
    "elsewhere",
    {"metadata": {"name": "private-ingress-only", "namespace": "payments"}, "spec": {"podSelector": {}}},
)

CASES: list[PolicyCase] = [
    ok("xc-k8s-image-digest", K8S_DEPLOYMENT, DEPLOYMENT),
    ok("xc-k8s-image-digest", K8S_CRON_JOB, CRON_JOB, "cron-job"),
    bad("xc-k8s-image-digest", K8S_DEPLOYMENT, container(image="registry.example/envoy:v1"), "tag-only"),
    bad(
        "xc-k8s-image-digest",
        K8S_DEPLOYMENT,
        pod(initContainers=[{"name": "init", "image": "busybox:1.36"}]),
        "init-container-by-tag",
    ),
    bad("xc-k8s-image-digest", K8S_POD, changed(POD, spec__containers=[{"image": "nginx"}]), "pod"),
    ok("xc-k8s-drop-capabilities", K8S_DEPLOYMENT, DEPLOYMENT),
    bad(
        "xc-k8s-drop-capabilities",
        K8S_DEPLOYMENT,
        container(securityContext__capabilities=ABSENT),
        "nothing-dropped",
    ),
    bad(
        "xc-k8s-drop-capabilities",
        K8S_DEPLOYMENT,
        container(securityContext__capabilities={"drop": ["NET_RAW"]}),
        "net-raw-only",
    ),
    bad(
        "xc-k8s-drop-capabilities",
        K8S_DEPLOYMENT,
        container(securityContext__capabilities={"drop": ["ALL"], "add": ["NET_ADMIN"]}),
        "added-back",
    ),
    ok("xc-k8s-read-only-root", K8S_DEPLOYMENT, DEPLOYMENT),
    bad(
        "xc-k8s-read-only-root",
        K8S_DEPLOYMENT,
        container(securityContext__readOnlyRootFilesystem=ABSENT),
        "default-writable",
    ),
    ok("xc-k8s-non-root-seccomp", K8S_DEPLOYMENT, DEPLOYMENT),
    ok(
        "xc-k8s-non-root-seccomp",
        K8S_DEPLOYMENT,
        changed(
            container(
                securityContext__runAsNonRoot=True, securityContext__seccompProfile={"type": "Localhost"}
            ),
            spec__template__spec__securityContext=ABSENT,
        ),
        "set-on-the-container",
    ),
    bad("xc-k8s-non-root-seccomp", K8S_DEPLOYMENT, pod(securityContext=ABSENT), "no-pod-context"),
    bad(
        "xc-k8s-non-root-seccomp",
        K8S_DEPLOYMENT,
        pod(securityContext__seccompProfile={"type": "Unconfined"}),
        "unconfined",
    ),
    bad(
        "xc-k8s-non-root-seccomp",
        K8S_DEPLOYMENT,
        container(securityContext__allowPrivilegeEscalation=ABSENT),
        "escalation-default",
    ),
    bad("xc-k8s-non-root-seccomp", K8S_DEPLOYMENT, container(securityContext__privileged=True), "privileged"),
    ok("xc-k8s-no-token-automount", K8S_DEPLOYMENT, DEPLOYMENT),
    bad("xc-k8s-no-token-automount", K8S_DEPLOYMENT, pod(automountServiceAccountToken=ABSENT), "default"),
    ok("xc-k8s-resources", K8S_DEPLOYMENT, DEPLOYMENT),
    bad("xc-k8s-resources", K8S_DEPLOYMENT, container(resources__limits=ABSENT), "no-limits"),
    bad("xc-k8s-resources", K8S_DEPLOYMENT, container(resources__requests__memory=ABSENT), "no-memory"),
    ok("xc-k8s-probes", K8S_DEPLOYMENT, DEPLOYMENT),
    ok(
        "xc-k8s-probes",
        K8S_CRON_JOB,
        changed(
            CRON_JOB,
            spec__jobTemplate__spec__template__spec__containers=[
                changed(CONTAINER, livenessProbe=ABSENT, readinessProbe=ABSENT)
            ],
        ),
        "jobs-run-to-completion",
    ),
    bad("xc-k8s-probes", K8S_DEPLOYMENT, container(livenessProbe=ABSENT), "no-liveness"),
    bad("xc-k8s-probes", K8S_DEPLOYMENT, container(readinessProbe=ABSENT), "no-readiness"),
    StackCase("xc-k8s-network-policy", [NS, FENCE], False, "fenced"),
    StackCase("xc-k8s-network-policy", [NS], True, "unfenced"),
    StackCase("xc-k8s-network-policy", [NS, PARTIAL_FENCE], True, "selects-some-pods-only"),
    StackCase("xc-k8s-network-policy", [NS, OTHER_NS_FENCE], True, "policy-in-another-namespace"),
]

BASELINES = [
    Baseline(K8S_DEPLOYMENT, DEPLOYMENT),
    Baseline(K8S_POD, POD, "pod"),
    Baseline(K8S_CRON_JOB, CRON_JOB, "cron-job"),
]
