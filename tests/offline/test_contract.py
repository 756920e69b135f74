"""What the plan contract adds for the diff: resource options, secret hashes and the inputs that read
another resource's new-with-every-replacement values."""

from __future__ import annotations

import json

from pulumi.runtime.proto import alias_pb2, resource_pb2

from offline.engine import _options
from offline.record import Plan, Secret, reveal, secret_hashes
from tests.support.plans import planned
from tests.support.types import (
    AWS_NAT_GATEWAY,
    EKS_CLUSTER,
    EKS_NODE_GROUP,
    GCP_EXTERNAL_VPN_GATEWAY,
    GCP_VPN_TUNNEL,
    K8S_NAMESPACE,
    KUBERNETES_PROVIDER,
)


def test_the_options_the_program_sets_are_in_the_plan_and_no_others(dev_plan: Plan) -> None:
    contract = {item["name"]: item for item in dev_plan.to_contract()["resources"]}
    (node_group,) = dev_plan.of_type(EKS_NODE_GROUP)
    assert contract[node_group.name]["options"]["ignoreChanges"] == ["scalingConfig.desiredSize"]
    assert contract["link-0-tunnel-0"]["options"]["deleteBeforeReplace"] is True
    nat = dev_plan.one(AWS_NAT_GATEWAY, "aws-network-nat-0")
    assert [urn.rsplit("::", 1)[1] for urn in nat.options["dependsOn"]] == ["aws-network-igw"]
    assert contract["istio-aws-cacerts"]["options"]["additionalSecretOutputs"] == ["data", "stringData"]
    assert contract["aws-network-vpc"]["options"] == {}


def test_retain_on_delete_is_recorded() -> None:
    legacy = planned("legacy")
    kept = [resource for resource in legacy.of_type(K8S_NAMESPACE) if resource.retain_on_delete]
    assert kept and all(resource.options["retainOnDelete"] is True for resource in kept)


def test_every_option_of_a_registration_reads_back_under_its_pulumi_name() -> None:
    request = resource_pb2.RegisterResourceRequest(
        type="aws:ec2/vpc:Vpc",
        name="vpc",
        retainOnDelete=True,
        ignoreChanges=["tags"],
        deleteBeforeReplace=False,
        deleteBeforeReplaceDefined=True,
        replaceOnChanges=["cidrBlock"],
        dependencies=["urn:a", "urn:b"],
        additionalSecretOutputs=["arn"],
        customTimeouts=resource_pb2.RegisterResourceRequest.CustomTimeouts(create="30m", delete="1h"),
        aliases=[alias_pb2.Alias(urn="urn:old")],
    )
    assert _options(request, ["urn:old"], ["urn:b"]) == {
        "retainOnDelete": True,
        "ignoreChanges": ["tags"],
        "deleteBeforeReplace": False,
        "replaceOnChanges": ["cidrBlock"],
        "aliases": ["urn:old"],
        "dependsOn": ["urn:a"],
        "additionalSecretOutputs": ["arn"],
        "customTimeouts": {"create": "30m", "delete": "1h"},
    }
    assert _options(resource_pb2.RegisterResourceRequest(type="t", name="n"), [], []) == {}


def test_secrets_leave_the_engine_as_salted_hashes_only(dev_plan: Plan) -> None:
    contract = dev_plan.to_contract()
    text = json.dumps(contract)
    tunnel = dev_plan.one(GCP_VPN_TUNNEL, "link-0-tunnel-0")
    psk = reveal(tunnel.inputs["sharedSecret"])
    assert psk not in text
    [item] = [item for item in contract["resources"] if item["urn"] == tunnel.urn]
    assert item["inputs"]["sharedSecret"] == "[secret]"
    assert item["secretHashes"]["sharedSecret"].startswith("sha256:")
    assert item["secretHashes"]["sharedSecret"] != secret_hashes({"k": Secret(psk)}, "crossmesh/prod")["k"]


def test_secret_hash_paths_quote_keys_that_are_not_plain() -> None:
    hashes = secret_hashes({"data": {"ca.crt": Secret("x"), "token": [Secret("y")]}}, "s")
    assert set(hashes) == {'data["ca.crt"]', "data.token[0]"}
    assert hashes['data["ca.crt"]'] != secret_hashes({"data": {"ca.crt": Secret("z")}}, "s")['data["ca.crt"]']


def test_an_input_that_holds_another_resources_id_or_assigned_output_reads_it(dev_plan: Plan) -> None:
    gateway = dev_plan.one(GCP_EXTERNAL_VPN_GATEWAY)
    tunnel = dev_plan.one(GCP_VPN_TUNNEL, "link-0-tunnel-0")
    assert tunnel.reads["peerExternalGateway"] == [gateway.urn]
    connections = {urn for urns in gateway.reads.values() for urn in urns}
    assert len(connections) == 2 and set(gateway.reads) == {f"interfaces[{i}].ipAddress" for i in range(4)}
    # The kubeconfig is secret, yet the engine sees that it holds the cluster's endpoint and CA.
    provider = dev_plan.one(KUBERNETES_PROVIDER, "eks-k8s")
    cluster = dev_plan.one(EKS_CLUSTER).urn
    assert provider.reads == {"kubeconfig": [cluster], "clusterIdentifier": [cluster]}


def test_an_input_that_echoes_a_name_reads_nothing(dev_plan: Plan) -> None:
    # The node group names its cluster by name, which a replacement keeps: no cascade through it.
    node_group = dev_plan.one(EKS_NODE_GROUP)
    assert "clusterName" not in node_group.reads
    assert all(not namespace.reads for namespace in dev_plan.of_type(K8S_NAMESPACE))
