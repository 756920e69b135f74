"""The offline engine: what it records, the contract it writes, and the fake cloud's answers."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from components.config import ConfigError
from offline import engine
from offline.diff import PlanSnapshot
from offline.engine import ENCRYPTED_PLACEHOLDER, StackFileError, plan_stack, read_stack_file, run_program
from offline.fake_cloud import AWS_PUBLIC_POOL, FakeCloud
from offline.record import SECRET_MASK, Registration, Secret, mask, reveal, secret_paths
from tests.support.plans import PROJECT_DIR, STACKS, planned
from tests.support.types import AWS_EIP, AWS_SUBNET, AWS_VPC, RANDOM_PASSWORD, STACK

CONTRACT_KEYS = {"project", "stack", "resources", "outputs", "warnings"}
RESOURCE_KEYS = {
    "urn",
    "type",
    "name",
    "custom",
    "parent",
    "provider",
    "dependencies",
    "protect",
    "options",
    "id",
    "generation",
    "inputs",
    "secretHashes",
    "reads",
}


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_file_plans_and_follows_the_contract(stack: str) -> None:
    contract = planned(stack).to_contract()
    assert set(contract) == CONTRACT_KEYS
    assert contract["project"] == "crossmesh" and contract["stack"] == stack
    urns = {resource["urn"] for resource in contract["resources"]}
    assert len(urns) == len(contract["resources"]), "URNs are unique"
    for resource in contract["resources"]:
        assert set(resource) == RESOURCE_KEYS
        assert resource["urn"].startswith(f"urn:pulumi:{stack}::crossmesh::")
        assert resource["urn"].endswith("::" + resource["name"])
        assert (
            resource["parent"] is None
            or resource["parent"] in urns
            or resource["parent"].endswith("pulumi:pulumi:Stack::crossmesh-" + stack)
        )
        assert all(dependency in urns for dependency in resource["dependencies"])
        # Dynamic resources run in the program's own provider, which Pulumi supplies and no one declares.
        if resource["custom"] and not resource["type"].startswith(
            ("pulumi:providers:", "pulumi-python:dynamic")
        ):
            assert resource["provider"] in urns, f"{resource['urn']} uses an explicit provider"
    json.dumps(contract)


def test_contract_inputs_use_wire_names() -> None:
    subnet = planned("dev").one(AWS_SUBNET, "aws-network-private-0")
    assert {"vpcId", "cidrBlock", "availabilityZone", "mapPublicIpOnLaunch"} <= set(subnet.inputs)
    assert "vpc_id" not in subnet.inputs


def test_dependencies_follow_outputs_used_as_inputs() -> None:
    plan = planned("dev")
    vpc = plan.one(AWS_VPC)
    subnet = plan.one(AWS_SUBNET, "aws-network-private-0")
    assert vpc.urn in subnet.dependencies
    assert subnet.inputs["vpcId"] == vpc.id


def test_plans_are_identical_from_run_to_run() -> None:
    first = plan_stack(PROJECT_DIR, "dev").to_contract()
    assert first == planned("dev").to_contract()


def test_resources_come_parents_first() -> None:
    seen: set[str] = set()
    for resource in planned("dev").resources:
        if resource.parent and resource.parent.split("::")[-2] != STACK:
            assert resource.parent in seen, f"{resource.urn} listed before its parent"
        seen.add(resource.urn)


def test_invalid_config_raises_before_anything_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monitors: list[engine.RecordingMonitor] = []

    class WatchedMonitor(engine.RecordingMonitor):
        def __init__(self, fake_mocks: engine.FakeCloudMocks, against: PlanSnapshot | None = None) -> None:
            super().__init__(fake_mocks, against)
            monitors.append(self)

    monkeypatch.setattr(engine, "RecordingMonitor", WatchedMonitor)
    project, config, secret_keys = read_stack_file(PROJECT_DIR, "dev")
    config["crossmesh:link"] = json.dumps({"tunnelGroups": 0})
    with pytest.raises(ConfigError) as raised:
        run_program(PROJECT_DIR, project, "dev", config, secret_keys)
    assert any(line.startswith("crossmesh:link.tunnelGroups:") for line in raised.value.problems)
    assert len(monitors) == 1 and monitors[0].registrations == []


def test_encrypted_stack_values_stay_secret(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: crossmesh\nruntime: python\n")
    (tmp_path / "Pulumi.s.yaml").write_text(
        "config:\n  crossmesh:token:\n    secure: AAABADxyz\n  region: x\n"
    )
    project, config, secret_keys = read_stack_file(tmp_path, "s")
    assert project == "crossmesh"
    assert config == {"crossmesh:token": ENCRYPTED_PLACEHOLDER, "crossmesh:region": "x"}
    assert secret_keys == ["crossmesh:token"]


def test_secure_values_at_any_depth_plan_with_a_stand_in_and_keep_their_outputs_secret(
    tmp_path: Path,
) -> None:
    # `pulumi config set --secret --path gcp.project ...` writes the secure value inside crossmesh:gcp.
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).write_text((PROJECT_DIR / name).read_text())
    (tmp_path / "components").symlink_to(PROJECT_DIR / "components")
    text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    text = text.replace("    project: crossmesh-dev-000000", "    project:\n      secure: AAABAJjRUO4=")
    (tmp_path / "Pulumi.dev.yaml").write_text(text)
    _, config, secret_keys = read_stack_file(tmp_path, "dev")
    assert secret_keys == ["crossmesh:gcp"]
    assert json.loads(config["crossmesh:gcp"])["project"] == "crossmesh-dev-000000"  # the schema's example
    plan = plan_stack(tmp_path, "dev")
    assert isinstance(plan.outputs["gcpProject"], Secret) and isinstance(plan.outputs["gcpRegion"], Secret)
    assert not isinstance(plan.outputs["awsRegion"], Secret)
    assert plan.to_contract()["outputs"]["gcpProject"] == SECRET_MASK
    assert any(w.startswith("crossmesh:gcp.project is encrypted (secure:)") for w in plan.warnings)
    assert any(w.startswith("crossmesh:gcp is held as a secret") for w in plan.warnings)


def test_unknown_stack_names_the_stacks_that_exist() -> None:
    with pytest.raises(StackFileError, match="stacks here: dev, legacy, prod"):
        read_stack_file(PROJECT_DIR, "staging")


def test_secrets_are_masked_in_the_contract_and_readable_in_the_record() -> None:
    registration = Registration(
        urn="urn:pulumi:dev::crossmesh::random:index/randomPassword:RandomPassword::psk",
        type=RANDOM_PASSWORD,
        name="psk",
        custom=True,
        parent=None,
        provider=None,
        dependencies=[],
        protect=False,
        inputs={"keepers": {"group": Secret("g1")}, "items": [1, Secret({"k": "v"})]},
    )
    assert registration.to_contract("crossmesh/dev")["inputs"] == {
        "keepers": {"group": SECRET_MASK},
        "items": [1, SECRET_MASK],
    }
    assert registration.plain_inputs == {"keepers": {"group": "g1"}, "items": [1, {"k": "v"}]}
    assert list(secret_paths(registration.inputs)) == ["keepers.group", "items[1]"]
    assert reveal(Secret(Secret("x"))) == "x" and mask(Secret("x")) == SECRET_MASK


def test_fake_public_ips_are_distinct_and_in_the_benchmarking_range() -> None:
    cloud = FakeCloud()
    addresses = [cloud.public_ip(AWS_PUBLIC_POOL, "same-seed") for _ in range(500)]
    assert len(set(addresses)) == 500
    assert all(ipaddress.IPv4Address(address) in AWS_PUBLIC_POOL for address in addresses)


def test_nat_gateways_get_distinct_public_ips_in_the_plan() -> None:
    nats = planned("dev").of_type(AWS_EIP)
    addresses = [nat.outputs["publicIp"] for nat in nats]
    assert len(addresses) == 3 and len(set(addresses)) == 3


def test_an_invoke_without_a_fake_names_the_token() -> None:
    from offline.fake_cloud import invoke

    with pytest.raises(NotImplementedError, match="aws:index/getNothing:getNothing"):
        invoke("aws:index/getNothing:getNothing", {}, {})
