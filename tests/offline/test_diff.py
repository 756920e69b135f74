"""The diff between two plans, on hand-built pairs: one verdict per case, with what it names."""

from __future__ import annotations

from typing import Any

import pytest

from offline.diff import (
    CREATE,
    DELETE,
    DELETE_BLOCKED,
    REPLACE,
    RETAINED,
    UNCHANGED,
    UPDATE,
    DiffResult,
    PlanFormatError,
    Verdict,
    diff_plans,
    plan_snapshot,
)
from tests.support.contracts import contract, resource, urn
from tests.support.types import (
    AWS_PROVIDER,
    AWS_SUBNET,
    AWS_VPC,
    AWS_VPN_CONNECTION,
    EKS_CLUSTER,
    GCP_EXTERNAL_VPN_GATEWAY,
    GCP_SUBNETWORK,
    GCP_VPN_TUNNEL,
    K8S_NAMESPACE,
    KUBERNETES_PROVIDER,
    TGW,
)

TUNNEL_ADDRESS = "198.18.10.20"
GATEWAY_ID = "projects/p/global/externalVpnGateways/cm-dev-aws-0"


def diff(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> DiffResult:
    return diff_plans(plan_snapshot(contract(*old)), plan_snapshot(contract(*new)))


def verdict_of(result: DiffResult, name: str) -> Verdict:
    found = [verdict for verdict in result.verdicts if verdict.name == name]
    assert len(found) == 1, f"{name}: {[v.name for v in result.verdicts]}"
    return found[0]


def vpc(**inputs: Any) -> dict[str, Any]:
    return resource(AWS_VPC, "vpc", {"cidrBlock": "10.10.0.0/16", "tags": {"Name": "cm-dev"}, **inputs})


def subnet(cidr: str) -> dict[str, Any]:
    return resource(
        AWS_SUBNET, "subnet", {"vpcId": "vpc-1", "cidrBlock": cidr, "availabilityZone": "us-east-1a"}
    )


def test_the_same_plan_has_no_change() -> None:
    result = diff([vpc(), subnet("10.10.0.0/24")], [vpc(), subnet("10.10.0.0/24")])
    assert result.verdicts == [] and result.counts[UNCHANGED] == 2 and result.total_changes == 0


def test_a_new_resource_is_created() -> None:
    result = diff([vpc()], [vpc(), subnet("10.10.0.0/24")])
    assert verdict_of(result, "subnet").kind == CREATE
    assert result.counts[CREATE] == 1 and result.counts[UNCHANGED] == 1


def test_a_changed_tag_is_an_update_with_its_path_old_and_new() -> None:
    result = diff([vpc()], [vpc(tags={"Name": "cm-dev", "team": "platform"})])
    verdict = verdict_of(result, "vpc")
    assert verdict.kind == UPDATE and verdict.causes == []
    [change] = verdict.changes
    assert (change.path, change.present_before, change.new) == ("tags.team", False, "platform")


def test_a_forcing_input_replaces_and_names_the_rule_and_its_source() -> None:
    verdict = verdict_of(diff([subnet("10.10.0.0/24")], [subnet("10.10.8.0/24")]), "subnet")
    assert verdict.kind == REPLACE and not verdict.cascade
    [cause] = verdict.causes
    assert cause.path == "cidrBlock" and cause.reads == ()
    assert cause.source.startswith("hashicorp/terraform-provider-aws internal/service/ec2/vpc_subnet.go @ v")


def link(bandwidth: str, address: str, gateway_id: str = GATEWAY_ID) -> list[dict[str, Any]]:
    """A VPN connection, the external gateway that records its outside address, a tunnel to it."""
    connection = resource(
        AWS_VPN_CONNECTION, "vpn-0", {"tunnelBandwidth": bandwidth, "type": "ipsec.1"}, resource_id="vpn-1"
    )
    gateway = resource(
        GCP_EXTERNAL_VPN_GATEWAY,
        "gw",
        {"name": "cm-dev-aws-0", "interfaces": [{"id": 0, "ipAddress": address}]},
        reads={"interfaces[0].ipAddress": [connection["urn"]]},
        resource_id=gateway_id,
    )
    tunnel = resource(
        GCP_VPN_TUNNEL,
        "tunnel-0",
        {"peerExternalGateway": gateway_id, "peerExternalGatewayInterface": 0, "ikeVersion": 2},
        reads={"peerExternalGateway": [gateway["urn"]]},
    )
    return [connection, gateway, tunnel]


def test_a_replacement_cascades_to_what_reads_its_new_values() -> None:
    # As two independent plans: the new one still shows the old address; the reads carry the cascade.
    result = diff(link("standard", TUNNEL_ADDRESS), link("large", TUNNEL_ADDRESS))
    connection, gateway, tunnel = (verdict_of(result, name) for name in ("vpn-0", "gw", "tunnel-0"))
    assert connection.kind == REPLACE and [c.path for c in connection.causes] == ["tunnelBandwidth"]
    assert gateway.kind == REPLACE and gateway.cascade
    assert [(c.path, c.reads) for c in gateway.causes] == [("interfaces", ("vpn-0",))]
    assert tunnel.kind == REPLACE and tunnel.cascade
    assert [(c.path, c.reads) for c in tunnel.causes] == [("peerExternalGateway", ("gw",))]
    assert result.counts[REPLACE] == 3 and [v.name for v in result.verdicts if v.alarming] == ["vpn-0", "gw"]


def test_a_cascade_with_the_new_values_planned_names_them() -> None:
    # As `plan --against` makes it: the new connection's address is in the new plan.
    result = diff(link("standard", TUNNEL_ADDRESS), link("large", "198.18.99.1"))
    [change] = verdict_of(result, "gw").changes
    assert (change.old, change.new, change.reads) == (TUNNEL_ADDRESS, "198.18.99.1", ("vpn-0",))


def test_without_a_replacement_nothing_cascades() -> None:
    result = diff(link("standard", TUNNEL_ADDRESS), link("standard", TUNNEL_ADDRESS))
    assert result.total_changes == 0


def test_a_protected_resource_removed_is_a_blocked_delete() -> None:
    kept = resource(TGW, "tgw", {"amazonSideAsn": 64512}, protect=True)
    result = diff([vpc(), kept], [vpc()])
    verdict = verdict_of(result, "tgw")
    assert verdict.kind == DELETE_BLOCKED and verdict.alarming
    assert result.has("delete") and not result.has("replace")


def test_a_resource_removed_with_retain_on_delete_is_retained_not_deleted() -> None:
    namespace = resource(
        K8S_NAMESPACE, "orders", {"metadata": {"name": "orders"}}, options={"retainOnDelete": True}
    )
    result = diff([vpc(), namespace], [vpc()])
    assert verdict_of(result, "orders").kind == RETAINED
    assert result.counts[DELETE] == 0 and not result.has("delete")


def test_a_resource_removed_is_deleted_and_a_critical_one_is_listed_first() -> None:
    namespace = resource(K8S_NAMESPACE, "orders", {"metadata": {"name": "orders"}})
    result = diff([vpc(tags={"Name": "old"}), namespace], [vpc()])
    assert [(v.name, v.kind) for v in result.verdicts] == [("orders", DELETE), ("vpc", UPDATE)]
    assert result.verdicts[0].critical is not None


def test_an_alias_rename_is_neither_a_delete_nor_a_create() -> None:
    old_urn = urn(AWS_VPC, "vpc")
    renamed = resource(AWS_VPC, "network", vpc()["inputs"], options={"aliases": [old_urn]})
    result = diff([vpc()], [renamed])
    assert result.verdicts == [] and result.counts[UNCHANGED] == 1
    assert [(v.name, v.renamed_from) for v in result.renamed] == [("network", old_urn)]


def test_a_renamed_resource_without_an_alias_is_deleted_and_created() -> None:
    renamed = resource(AWS_VPC, "network", vpc()["inputs"])
    result = diff([vpc()], [renamed])
    assert (result.counts[CREATE], result.counts[DELETE]) == (1, 1)


def test_a_changed_secret_shows_as_changed_from_its_hash() -> None:
    def connection(psk: str) -> dict[str, Any]:
        return resource(
            AWS_VPN_CONNECTION, "vpn-0", {"type": "ipsec.1"}, secrets={"tunnel1PresharedKey": psk}
        )

    verdict = verdict_of(diff([connection("first-key")], [connection("second-key")]), "vpn-0")
    assert verdict.kind == UPDATE
    [change] = verdict.changes
    assert change.path == "tunnel1PresharedKey" and change.secret
    assert diff([connection("same")], [connection("same")]).total_changes == 0


def kubernetes(cluster_secret: str, identifier: str | None = None) -> list[dict[str, Any]]:
    inputs: dict[str, Any] = {"enableServerSideApply": "true"}
    if identifier:
        inputs["clusterIdentifier"] = identifier
    provider = resource(KUBERNETES_PROVIDER, "eks-k8s", inputs, secrets={"kubeconfig": cluster_secret})
    namespace = resource(K8S_NAMESPACE, "shop", {"metadata": {"name": "shop"}}, provider=f"{provider['urn']}")
    return [provider, namespace]


def test_a_provider_whose_cluster_changes_is_replaced_with_everything_on_it() -> None:
    result = diff(kubernetes("endpoint-a"), kubernetes("endpoint-b"))
    provider, namespace = verdict_of(result, "eks-k8s"), verdict_of(result, "shop")
    assert provider.kind == REPLACE and [c.path for c in provider.causes] == ["kubeconfig"]
    assert namespace.kind == REPLACE and namespace.cascade and namespace.causes[0].path == "provider"


def test_a_cluster_identifier_keeps_the_provider_and_its_objects() -> None:
    result = diff(kubernetes("endpoint-a", "eks"), kubernetes("endpoint-b", "eks"))
    assert verdict_of(result, "eks-k8s").kind == UPDATE
    assert result.counts[REPLACE] == 0


def test_a_cluster_identifier_read_from_a_replaced_cluster_replaces_the_provider() -> None:
    # Two plans made apart: the new one still shows the old identifier, but it reads a cluster that is
    # replaced, so it is unknown until the new cluster exists, and the provider goes with it.
    def cluster(role: str) -> dict[str, Any]:
        return resource(EKS_CLUSTER, "eks-cluster", {"name": "cm-dev-eks", "roleArn": role})

    def on_cluster() -> list[dict[str, Any]]:
        provider, namespace = kubernetes("endpoint-a", "arn:aws:eks:us-east-1:1:cluster/cm-dev-eks")
        provider["reads"] = {"clusterIdentifier": [cluster("any")["urn"]]}
        return [provider, namespace]

    unchanged = diff([cluster("role/a"), *on_cluster()], [cluster("role/a"), *on_cluster()])
    assert unchanged.total_changes == 0
    result = diff([cluster("role/a"), *on_cluster()], [cluster("role/b"), *on_cluster()])
    assert verdict_of(result, "eks-cluster").kind == REPLACE
    provider = verdict_of(result, "eks-k8s")
    assert provider.kind == REPLACE and provider.cascade
    assert [(c.path, c.reads) for c in provider.causes] == [("clusterIdentifier", ("eks-cluster",))]
    assert verdict_of(result, "shop").kind == REPLACE


def test_ignored_changes_are_not_changes() -> None:
    def subnetwork(cidr: str, ignored: list[str]) -> dict[str, Any]:
        return resource(
            GCP_SUBNETWORK, "sub", {"ipCidrRange": cidr, "name": "s"}, options={"ignoreChanges": ignored}
        )

    assert (
        diff([subnetwork("10.0.0.0/20", [])], [subnetwork("10.0.0.0/24", ["ipCidrRange"])]).total_changes == 0
    )


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        ("10.0.0.0/20", "10.0.0.0/19", UPDATE),
        ("10.0.0.0/20", "10.0.0.0/21", REPLACE),
        ("10.0.0.0/20", "10.1.0.0/20", REPLACE),
    ],
)
def test_a_subnetwork_grows_in_place_and_is_replaced_to_shrink_or_move(
    before: str, after: str, kind: str
) -> None:
    def subnetwork(cidr: str) -> dict[str, Any]:
        return resource(GCP_SUBNETWORK, "sub", {"ipCidrRange": cidr, "name": "s"})

    assert verdict_of(diff([subnetwork(before)], [subnetwork(after)]), "sub").kind == kind


@pytest.mark.parametrize(
    ("before", "after", "kind"), [("enable", "disable", UPDATE), ("disable", "enable", REPLACE)]
)
def test_a_transit_gateway_replaces_only_to_turn_default_association_on(
    before: str, after: str, kind: str
) -> None:
    def tgw(value: str) -> dict[str, Any]:
        return resource(TGW, "tgw", {"defaultRouteTableAssociation": value})

    assert verdict_of(diff([tgw(before)], [tgw(after)]), "tgw").kind == kind


def test_replace_on_changes_set_by_the_program_replaces() -> None:
    def tagged(name: str) -> dict[str, Any]:
        return vpc(tags={"Name": name}) | {"options": {"replaceOnChanges": ["tags.Name"]}}

    verdict = verdict_of(diff([tagged("a")], [tagged("b")]), "vpc")
    assert verdict.kind == REPLACE and verdict.causes[0].source == "the program's resource options"


def test_a_region_left_to_the_provider_replaces_when_the_provider_moves() -> None:
    def stack(region: str) -> list[dict[str, Any]]:
        provider = resource(AWS_PROVIDER, "aws", {"region": region})
        return [provider, vpc() | {"provider": provider["urn"]}]

    result = diff(stack("us-east-1"), stack("us-west-2"))
    assert verdict_of(result, "aws").kind == UPDATE
    verdict = verdict_of(result, "vpc")
    assert verdict.kind == REPLACE and verdict.causes[0].path == "region"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (contract(stack="dev"), contract(stack="prod"), "different stacks: dev and prod"),
        (contract(project="crossmesh"), contract(project="other"), "different projects"),
    ],
)
def test_plans_of_different_stacks_or_projects_are_refused(
    old: dict[str, Any], new: dict[str, Any], message: str
) -> None:
    with pytest.raises(PlanFormatError, match=message):
        diff_plans(plan_snapshot(old), plan_snapshot(new))


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"resources": {}},
        {"project": "p", "resources": []},
        {"project": "p", "stack": "s", "resources": [{"urn": "u"}]},
    ],
)
def test_what_is_not_a_plan_is_refused(document: Any) -> None:
    with pytest.raises(PlanFormatError):
        plan_snapshot(document)
