"""The day-2 rules over hand-built plan pairs: each refuses what it names, with its procedure, and lets
through what a procedure does step by step. The matrix (tests/day2/) holds them on the real stacks."""

from __future__ import annotations

from typing import Any

from offline.day2 import RULES, Refusal, refusals
from offline.diff import diff_plans, plan_snapshot
from tests.support.contracts import contract, resource, urn
from tests.support.types import (
    AWS_SUBNET,
    AWS_VPN_CONNECTION,
    EKS_CLUSTER,
    EKS_NODE_GROUP,
    HELM_RELEASE,
    ISSUED_CERTIFICATE,
    K8S_NAMESPACE,
    TLS_SELF_SIGNED_CERT,
)

Resources = list[dict[str, Any]]


def judged(old: Resources, new: Resources) -> list[Refusal]:
    before, after = plan_snapshot(contract(*old)), plan_snapshot(contract(*new))
    return refusals(before, after, diff_plans(before, after))


def rules(old: Resources, new: Resources) -> list[str]:
    return sorted(refusal.rule for refusal in judged(old, new))


def connection(group: int, bandwidth: str = "standard") -> dict[str, Any]:
    return resource(
        AWS_VPN_CONNECTION, f"link-{group}-vpn-0", {"type": "ipsec.1", "tunnelBandwidth": bandwidth}
    )


def test_a_group_replaced_in_place_is_refused_naming_the_runbook() -> None:
    [refusal] = judged([connection(0)], [connection(0, "large")])
    assert refusal.rule == "link-group-replaced" and refusal.resources == ("link-0-vpn-0",)
    assert "tunnelBandwidth forces link-0-vpn-0" in refusal.message
    assert refusal.line().endswith("see docs/runbooks/change-tunnel-bandwidth.md")


def test_groups_added_beside_and_old_ones_removed_pass_but_removing_the_last_is_refused() -> None:
    assert rules([connection(0)], [connection(0), connection(1, "large")]) == []
    assert rules([connection(0), connection(1, "large")], [connection(1, "large")]) == []
    assert rules([connection(0)], []) == ["link-removed"]


def root(generation: int, organization: str = "crossmesh dev") -> dict[str, Any]:
    suffix = "" if generation == 1 else f"-g{generation}"
    return resource(
        TLS_SELF_SIGNED_CERT,
        f"mesh-ca-root{suffix}",
        {"isCaCertificate": True, "subject": {"organization": organization}},
    )


def intermediate(signer: int, cluster: str = "aws") -> dict[str, Any]:
    name = "mesh-ca-root" if signer == 1 else f"mesh-ca-root-g{signer}"
    return resource(
        ISSUED_CERTIFICATE,
        f"mesh-ca-{cluster}",
        {"isCaCertificate": True, "issuerCertPem": f"PEM of {name}"},
        reads={"issuerCertPem": [urn(TLS_SELF_SIGNED_CERT, name)]},
    )


def test_each_step_of_a_root_rotation_passes() -> None:
    assert rules([root(1), intermediate(1)], [root(1), root(2), intermediate(1)]) == []
    assert rules([root(1), root(2), intermediate(1)], [root(1), root(2), intermediate(2)]) == []
    assert rules([root(1), root(2), intermediate(2)], [root(2), intermediate(2)]) == []


def test_a_skipped_rotation_step_is_refused() -> None:
    # Step 1 skipped: root 2 signs at once.
    assert rules([root(1), intermediate(1)], [root(1), root(2), intermediate(2)]) == [
        "signing-root-untrusted"
    ]
    # Straight from [1] to [2]: untrusted signer, and the signing root deleted.
    assert rules([root(1), intermediate(1)], [root(2), intermediate(2)]) == [
        "signing-root-deleted",
        "signing-root-untrusted",
    ]
    # Step 2 skipped: root 1 dropped while it still signs.
    assert rules([root(1), root(2), intermediate(1)], [root(2), intermediate(2)]) == ["signing-root-deleted"]


def test_a_root_replaced_in_place_is_refused() -> None:
    [refusal] = judged([root(1), intermediate(1)], [root(1, "crossmesh other"), intermediate(1)])
    assert refusal.rule == "root-replaced" and refusal.procedure == "docs/runbooks/rotate-ca.md"
    assert "subject" in refusal.message


def istiod(trust_domain: str) -> dict[str, Any]:
    return resource(
        HELM_RELEASE, "istio-aws-istiod", {"values": {"meshConfig": {"trustDomain": trust_domain}}}
    )


def test_a_trust_domain_changed_in_place_is_refused() -> None:
    assert rules([istiod("a.local")], [istiod("b.local")]) == ["trust-domain-changed"]
    assert rules([istiod("a.local")], [istiod("a.local")]) == []


def test_other_critical_replacements_and_deletions_are_refused_but_routine_ones_pass() -> None:
    def cluster(name: str) -> dict[str, Any]:
        return resource(EKS_CLUSTER, "eks-cluster", {"name": name})

    def nodes(ami: str) -> dict[str, Any]:
        return resource(EKS_NODE_GROUP, "eks-nodes", {"clusterName": "cm-dev-eks", "amiType": ami})

    assert rules([cluster("cm-dev-eks")], [cluster("cm-dev-eks-2")]) == ["critical-replaced"]
    assert rules([nodes("AL2023_x86_64_STANDARD")], [nodes("AL2023_ARM_64_STANDARD")]) == []
    namespace = resource(K8S_NAMESPACE, "ns", {"metadata": {"name": "shop"}})
    assert rules([namespace], []) == ["critical-deleted"]
    retained = resource(K8S_NAMESPACE, "ns", {"metadata": {"name": "shop"}}, options={"retainOnDelete": True})
    protected = resource(K8S_NAMESPACE, "ns", {"metadata": {"name": "shop"}}, protect=True)
    assert rules([retained], []) == [] and rules([protected], []) == []


def test_every_rule_names_a_procedure_that_exists() -> None:
    from tests.support.plans import PROJECT_DIR

    for rule in RULES.values():
        assert (PROJECT_DIR / rule.procedure.split("#")[0]).is_file(), rule.id


def release(chart: str, version: str) -> dict[str, Any]:
    return resource(HELM_RELEASE, f"istio-aws-{chart}", {"chart": chart, "version": version})


def test_istiod_moved_to_another_minor_in_place_is_refused_but_a_patch_or_a_gateway_is_not() -> None:
    assert rules([release("istiod", "1.29.6")], [release("istiod", "1.30.3")]) == ["istio-minor-in-place"]
    assert rules([release("istiod", "1.30.2")], [release("istiod", "1.30.3")]) == []
    assert rules([release("gateway", "1.29.6")], [release("gateway", "1.30.3")]) == []


def test_a_zones_subnets_go_with_it_but_not_every_subnet_at_once() -> None:
    def subnet(index: int) -> dict[str, Any]:
        return resource(
            AWS_SUBNET, f"aws-network-private-{index}", {"vpcId": "vpc-1", "cidrBlock": f"10.0.{index}.0/24"}
        )

    assert rules([subnet(0), subnet(1)], [subnet(0)]) == []
    assert rules([subnet(0)], []) == ["critical-deleted"]
    # A node group replaced by a new one under another name is a roll, not a loss.
    group = resource(EKS_NODE_GROUP, "eks-nodes-a", {"clusterName": "cm-dev-eks"})
    rolled = resource(EKS_NODE_GROUP, "eks-nodes-b", {"clusterName": "cm-dev-eks"})
    assert rules([group], [rolled]) == []


def eks(version: str) -> dict[str, Any]:
    return resource(EKS_CLUSTER, "eks-cluster", {"name": "cm-dev-eks", "version": version})


def test_eks_moves_one_minor_up_at_a_time_and_never_back() -> None:
    assert rules([eks("1.34")], [eks("1.35")]) == []
    [skipped] = judged([eks("1.34")], [eks("1.36")])
    assert skipped.rule == "kubernetes-minor-skipped" and skipped.resources == ("eks-cluster",)
    assert "set clusters.eks.version to 1.35" in skipped.message
    assert skipped.line().endswith("see docs/runbooks/upgrade-kubernetes.md")
    [back] = judged([eks("1.35")], [eks("1.34")])
    assert "never moves back a minor: keep clusters.eks.version at 1.35" in back.message
    assert rules([eks("1.34")], [eks("2.0")]) == ["kubernetes-minor-skipped"]
