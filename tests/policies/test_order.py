"""Creation order over the stack's dependency graph: the Workload Identity pool before its bindings,
what installs a CRD before its objects, a namespace before what lives in it. Each case builds a small
stack with its dependencies and providers; the runner in test_pack.py runs CASES."""

from __future__ import annotations

from pulumi_policy import PolicyProviderResource, PolicyResource

from tests.support.policy_cases import Baseline, PolicyCase, StackCase, as_analyzer_sees, res

GKE = "gcp:container/cluster:Cluster"
WI_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
WI_BINDING = "gcp:serviceaccount/iAMBinding:IAMBinding"
RELEASE = "kubernetes:helm.sh/v3:Release"
GATEWAY = "kubernetes:networking.istio.io/v1:Gateway"
POD_MONITORING = "kubernetes:monitoring.googleapis.com/v1:PodMonitoring"
CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
WIDGET = "kubernetes:example.com/v1:Widget"
NAMESPACE = "kubernetes:core/v1:Namespace"
SECRET = "kubernetes:core/v1:Secret"
K8S_PROVIDER = "pulumi:providers:kubernetes"

CLUSTER = res(GKE, "gke", {"workloadIdentityConfig": {"workloadPool": "proj-1.svc.id.goog"}})
MEMBER = "serviceAccount:proj-1.svc.id.goog[observability/otel-collector]"


def member(*depends_on: PolicyResource, pool_member: str = MEMBER) -> PolicyResource:
    return res(
        WI_MEMBER,
        "collector-wi",
        {"role": "roles/iam.workloadIdentityUser", "member": pool_member},
        depends_on,
    )


def provider(name: str, *depends_on: PolicyResource) -> tuple[PolicyResource, PolicyProviderResource]:
    """A Kubernetes provider as the stack holds it (a resource with dependencies) and as its objects
    name it."""
    resource = res(K8S_PROVIDER, name, {}, depends_on)
    return resource, PolicyProviderResource(K8S_PROVIDER, as_analyzer_sees({}), resource.urn, name)


GKE_K8S, GKE_PROVIDER = provider("gke-k8s", CLUSTER)
OTHER_K8S, OTHER_PROVIDER = provider("eks-k8s")
BASE = res(RELEASE, "istio-base", {"chart": "base", "namespace": "istio-system"}, (), GKE_PROVIDER)
ISTIOD = res(RELEASE, "istiod", {"chart": "istiod", "namespace": "istio-system"}, (BASE,), GKE_PROVIDER)
OTHER_BASE = res(RELEASE, "other-base", {"chart": "base"}, (), OTHER_PROVIDER)


def gateway(*depends_on: PolicyResource) -> PolicyResource:
    return res(
        GATEWAY,
        "cross-network",
        {"metadata": {"name": "g", "namespace": "istio-system"}},
        depends_on,
        GKE_PROVIDER,
    )


WIDGET_CRD = res(
    CRD, "widgets", {"spec": {"group": "example.com", "names": {"kind": "Widget"}}}, (), GKE_PROVIDER
)
SHOP = res(NAMESPACE, "ns-shop", {"metadata": {"name": "shop"}}, (), GKE_PROVIDER)
MESH = [CLUSTER, GKE_K8S, OTHER_K8S, BASE, ISTIOD]


def in_shop(
    type_: str, *depends_on: PolicyResource, on: PolicyProviderResource = GKE_PROVIDER
) -> PolicyResource:
    props = (
        {"namespace": "shop", "chart": "app"}
        if type_ == RELEASE
        else {"metadata": {"name": "x", "namespace": "shop"}}
    )
    return res(type_, "in-shop", props, depends_on, on)


CASES: list[PolicyCase] = [
    StackCase("xc-order-workload-identity-pool", [CLUSTER, member(CLUSTER)], False, "waits-for-the-cluster"),
    StackCase("xc-order-workload-identity-pool", [CLUSTER, member()], True, "binding-before-the-pool"),
    StackCase(
        "xc-order-workload-identity-pool",
        [CLUSTER, GKE_K8S, member(GKE_K8S)],
        False,
        "waits-through-another-resource",
    ),
    StackCase(
        "xc-order-workload-identity-pool",
        [CLUSTER, member(pool_member="serviceAccount:elsewhere.svc.id.goog[a/b]")],
        False,
        "pool-of-a-cluster-elsewhere",
    ),
    StackCase(
        "xc-order-workload-identity-pool",
        [CLUSTER, res(WI_BINDING, "binding", {"role": "r", "members": ["user:a@b.c", MEMBER]})],
        True,
        "binding-with-members",
    ),
    StackCase(
        "xc-order-crds-before-custom-resources", [*MESH, gateway(ISTIOD)], False, "through-istiod-to-base"
    ),
    StackCase("xc-order-crds-before-custom-resources", [*MESH, gateway()], True, "gateway-before-base"),
    StackCase(
        "xc-order-crds-before-custom-resources",
        [*MESH, OTHER_BASE, gateway(OTHER_BASE)],
        True,
        "waits-for-the-other-clusters-base",
    ),
    StackCase(
        "xc-order-crds-before-custom-resources",
        [*MESH, res(POD_MONITORING, "istiod", {}, (), GKE_PROVIDER)],
        False,
        "gke-provides-managed-prometheus-through-the-provider",
    ),
    StackCase(
        "xc-order-crds-before-custom-resources",
        [CLUSTER, OTHER_K8S, res(POD_MONITORING, "istiod", {}, (), OTHER_PROVIDER)],
        True,
        "provider-not-waiting-for-the-cluster",
    ),
    StackCase(
        "xc-order-crds-before-custom-resources",
        [*MESH, WIDGET_CRD, res(WIDGET, "w", {}, (WIDGET_CRD,), GKE_PROVIDER)],
        False,
        "crd-in-the-stack",
    ),
    StackCase(
        "xc-order-crds-before-custom-resources",
        [*MESH, WIDGET_CRD, res(WIDGET, "w", {}, (), GKE_PROVIDER)],
        True,
        "object-before-its-crd",
    ),
    StackCase(
        "xc-order-crds-before-custom-resources",
        [*MESH, res(WIDGET, "w", {}, (), GKE_PROVIDER)],
        False,
        "definition-from-outside-the-stack",
    ),
    StackCase(
        "xc-order-crds-before-custom-resources",
        [
            *MESH,
            res(RELEASE, "widgets", {"chart": "widgets"}, (), GKE_PROVIDER),
            res(WIDGET, "w", {}, (), GKE_PROVIDER),
        ],
        True,
        "a-configured-chart-source",
        config={"crdSources": {"example.com": ["chart:widgets"]}},
    ),
    StackCase(
        "xc-order-namespace-first", [*MESH, SHOP, in_shop(SECRET, SHOP)], False, "waits-for-its-namespace"
    ),
    StackCase("xc-order-namespace-first", [*MESH, SHOP, in_shop(SECRET)], True, "secret-before-namespace"),
    StackCase("xc-order-namespace-first", [*MESH, SHOP, in_shop(RELEASE)], True, "chart-before-namespace"),
    StackCase(
        "xc-order-namespace-first",
        [*MESH, SHOP, in_shop(SECRET, on=OTHER_PROVIDER)],
        False,
        "same-name-in-another-cluster",
    ),
    StackCase(
        "xc-order-namespace-first", [*MESH, in_shop(SECRET)], False, "namespace-from-outside-the-stack"
    ),
]

BASELINES: list[Baseline] = []
