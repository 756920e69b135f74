"""`crossmesh check`, `crossmesh policies` and the violations `crossmesh plan` shows, end to end:
every shipped stack passes every mandatory policy, and a saved dev plan with one hardening undone
exits 1 naming the policy and the resource."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from crossmesh_policy import POLICIES

from offline.commands import check
from offline.commands.cli import main
from offline.commands.exit_codes import INVALID_INPUT, MANDATORY_VIOLATION, NO_MANDATORY_VIOLATION, OK
from tests.support.plans import PROJECT_DIR, STACKS, planned, stack_config
from tests.support.types import (
    AWS_FLOW_LOG,
    AWS_SUBNET,
    AWS_VPC,
    AWS_VPN_CONNECTION,
    EKS_CLUSTER,
    GCP_ROUTER,
    GCP_SUBNETWORK,
    RANDOM_PASSWORD,
)


@pytest.fixture(autouse=True, scope="module")
def _runtime_config_restored() -> Iterator[None]:
    """Planning in-process leaves the stack's config in the Pulumi runtime's globals; put back what
    was there so later tests see the process as they would alone."""
    from pulumi.runtime import config as runtime_config

    before = dict(runtime_config.CONFIG.get())
    yield
    runtime_config.set_all_config(before, [])


@pytest.fixture
def cached_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI plans through the session's cached plans (planning itself is tested elsewhere)."""
    monkeypatch.setattr(
        "offline.engine.plan_stack", lambda _dir, stack, overrides=None, against=None: planned(stack)
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["-C", str(PROJECT_DIR), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("stack", STACKS)
def test_every_shipped_stack_passes_every_mandatory_policy(
    stack: str, cached_plans: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "check", "--stack", stack, "--json", str(tmp_path / "r.json"))
    results = json.loads((tmp_path / "r.json").read_text())
    assert code == NO_MANDATORY_VIOLATION, out
    # The plan's warnings, as `crossmesh plan` prints them: on the day the tests pin (2026-11-30) the
    # shipped Istio 1.30 reaches its expected end of support.
    assert "warning: crossmesh:mesh.istio.revisions.default: '1.30.3': Istio 1.30 reaches the end" in err
    assert results["passed"] is True and results["mandatory"] == 0
    assert results["policies"] == len(POLICIES) and results["stack"] == stack


def test_check_runs_as_a_command_on_a_saved_dev_plan(tmp_path: Path) -> None:
    # The console script, as CI and users run it; a saved plan keeps the cloud SDKs out of the child.
    saved = tmp_path / "dev.json"
    saved.write_text(json.dumps(planned("dev").to_contract()))
    done = subprocess.run(
        [str(Path(sys.executable).parent / "crossmesh"), "check", "--plan", str(saved)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == NO_MANDATORY_VIOLATION, done.stdout + done.stderr
    assert "0 mandatory" in done.stdout
    # The saved plan keeps the warnings of the day it was made, and check repeats them.
    assert "warning: crossmesh:mesh.istio.revisions.default: '1.30.3': Istio 1.30" in done.stderr


def dev_contract() -> dict[str, Any]:
    contract: dict[str, Any] = copy.deepcopy(planned("dev").to_contract())
    return contract


def one(contract: dict[str, Any], type_token: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [r for r in contract["resources"] if r["type"] == type_token]
    assert len(found) == 1, type_token
    return found[0]


def add(contract: dict[str, Any], type_token: str, name: str, inputs: dict[str, Any]) -> None:
    contract["resources"].append(
        {
            "urn": f"urn:pulumi:dev::crossmesh::{type_token}::{name}",
            "type": type_token,
            "name": name,
            "custom": True,
            "parent": None,
            "provider": None,
            "dependencies": [],
            "protect": False,
            "inputs": inputs,
        }
    )


def public_subnet(c: dict[str, Any]) -> str:
    subnet = next(r for r in c["resources"] if r["type"] == AWS_SUBNET)
    subnet["inputs"]["mapPublicIpOnLaunch"] = True
    return str(subnet["name"])


def no_flow_log(c: dict[str, Any]) -> str:
    c["resources"] = [r for r in c["resources"] if r["type"] != AWS_FLOW_LOG]
    return str(one(c, AWS_VPC)["name"])


def overlapping_pods(c: dict[str, Any]) -> str:
    subnet = one(c, GCP_SUBNETWORK)
    subnet["inputs"]["secondaryIpRanges"][0]["ipCidrRange"] = "10.10.0.0/18"
    return str(subnet["name"])


def rotation_off(c: dict[str, Any]) -> str:
    key = next(r for r in c["resources"] if r["name"] == "aws-network-logs-key")
    del key["inputs"]["enableKeyRotation"]
    return str(key["name"])


def no_subnet_logs(c: dict[str, Any]) -> str:
    subnet = one(c, GCP_SUBNETWORK)
    del subnet["inputs"]["logConfig"]
    return str(subnet["name"])


def public_router_asn(c: dict[str, Any]) -> str:
    router = one(c, GCP_ROUTER)
    router["inputs"]["bgp"]["asn"] = 15169
    return str(router["name"])


def named(c: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in c["resources"] if r["name"] == name)
    return found


def keys_from_config(c: dict[str, Any]) -> str:
    passwords = {r["urn"] for r in c["resources"] if r["type"] == RANDOM_PASSWORD}
    connection = named(c, "link-0-vpn-0")
    connection["dependencies"] = [urn for urn in connection["dependencies"] if urn not in passwords]
    return "link-0-vpn-0"


def missing_tgw_route(c: dict[str, Any]) -> str:
    c["resources"] = [r for r in c["resources"] if r["name"] != "link-hub-to-gcp-0-pods"]
    return "aws-network-private-rt-0"


def icmp_dropped(c: dict[str, Any]) -> None:
    c["resources"] = [r for r in c["resources"] if not r["name"].endswith("icmp-frag")]


def cgw_asn_mismatch(c: dict[str, Any]) -> str:
    named(c, "link-0-cgw-1")["inputs"]["bgpAsn"] = "65001"
    return "link-0-cgw-1"


def reused_inside_cidr(c: dict[str, Any]) -> str:
    named(c, "link-0-vpn-1")["inputs"]["tunnel2InsideCidr"] = "169.254.10.0/30"
    return "link-0-vpn-1"


def gcp_ikev1(c: dict[str, Any]) -> str:
    named(c, "link-0-tunnel-2")["inputs"]["ikeVersion"] = 1
    return "link-0-tunnel-2"


def ecmp_off(c: dict[str, Any]) -> str:
    named(c, "link-hub-tgw")["inputs"]["vpnEcmpSupport"] = "disable"
    return "link-hub-tgw"


def permissive_mtls(c: dict[str, Any]) -> str:
    named(c, "istio-aws-mesh-strict-mtls")["inputs"]["spec"]["mtls"]["mode"] = "PERMISSIVE"
    return "istio-aws-mesh-strict-mtls"


def open_control_plane(c: dict[str, Any]) -> str:
    named(c, "eks-cluster")["inputs"]["vpcConfig"]["publicAccessCidrs"] = ["0.0.0.0/0"]
    return "eks-cluster"


def reserved_inside_cidr(c: dict[str, Any]) -> str:
    named(c, "link-0-vpn-0")["inputs"]["tunnel1InsideCidr"] = "169.254.1.0/30"
    return "link-0-vpn-0"


def binding_before_the_pool(c: dict[str, Any]) -> str:
    """As the collector's Workload Identity binding was first written: a plain member string, so it did
    not wait for the GKE cluster that creates the pool."""
    binding = named(c, "gcp-observability-collector-workload-identity")
    cluster = named(c, "gke-cluster")["urn"]
    binding["dependencies"] = [urn for urn in binding["dependencies"] if urn != cluster]
    return "gcp-observability-collector-workload-identity"


UNDONE: dict[str, tuple[Callable[[dict[str, Any]], str | None], str]] = {
    "binding-before-the-pool": (binding_before_the_pool, "xc-order-workload-identity-pool"),
    "keys-from-config": (keys_from_config, "xc-vpn-psk-secret"),
    "missing-tgw-route": (missing_tgw_route, "xc-x-routes-advertised"),
    "icmp-dropped": (icmp_dropped, "xc-x-icmp-pmtu"),
    "cgw-asn-mismatch": (cgw_asn_mismatch, "xc-vpn-asn-pairing"),
    "reused-inside-cidr": (reused_inside_cidr, "xc-vpn-inside-cidr-unique"),
    "gcp-ikev1": (gcp_ikev1, "xc-vpn-ikev2-single-proposal"),
    "public-subnet": (public_subnet, "xc-aws-node-subnets-private"),
    "no-flow-log": (no_flow_log, "xc-aws-vpc-flow-logs"),
    "overlapping-pods": (overlapping_pods, "xc-x-cidr-no-overlap"),
    "kms-rotation-off": (rotation_off, "xc-aws-kms-rotation"),
    "no-subnet-flow-logs": (no_subnet_logs, "xc-gcp-subnet-flow-logs"),
    "public-router-asn": (public_router_asn, "xc-vpn-asn-ranges"),
    "ecmp-off": (ecmp_off, "xc-vpn-ha-topology"),
    "permissive-mtls": (permissive_mtls, "xc-istio-strict-mtls"),
    "open-control-plane": (open_control_plane, "xc-eks-no-open-public-cidr"),
    "reserved-inside-cidr": (reserved_inside_cidr, "xc-vpn-inside-cidr"),
}


def test_a_saved_dev_plan_passes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(dev_contract()))
    code, out, _ = run(capsys, "check", "--plan", str(path))
    assert code == NO_MANDATORY_VIOLATION, out


def test_against_a_saved_plan_the_day2_rules_refuse_a_change_with_its_procedure(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    link = stack_config("dev", "link")
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    before.write_text(json.dumps(dev_contract()))
    after.write_text(json.dumps(planned("dev", {"link": {**link, "tunnelBandwidth": "large"}}).to_contract()))
    code, out, _ = run(capsys, "check", "--plan", str(after), "--against", str(before))
    assert code == MANDATORY_VIOLATION
    assert "[mandatory]  day2-link-group-replaced (stack)" in out
    assert "see docs/runbooks/change-tunnel-bandwidth.md" in out
    code, out, _ = run(capsys, "check", "--plan", str(before), "--against", str(before))
    assert code == NO_MANDATORY_VIOLATION and "day2-" not in out


def test_against_a_plan_of_another_stack_is_invalid_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    dev, prod = tmp_path / "dev.json", tmp_path / "prod.json"
    dev.write_text(json.dumps(dev_contract()))
    prod.write_text(json.dumps(planned("prod").to_contract()))
    code, _, err = run(capsys, "check", "--plan", str(dev), "--against", str(prod))
    errors = [line for line in err.splitlines() if not line.startswith("warning: ")]
    assert code == INVALID_INPUT and errors == [f"error: {prod} is a plan of stack prod, not of dev"]


@pytest.mark.parametrize("undo", sorted(UNDONE))
def test_a_saved_plan_with_one_hardening_undone_names_the_policy_and_resource(
    undo: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    mutate, policy = UNDONE[undo]
    contract = dev_contract()
    resource = mutate(contract)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(contract))
    code, out, _ = run(capsys, "check", "--plan", str(path), "--json", str(tmp_path / "r.json"))
    results = json.loads((tmp_path / "r.json").read_text())
    level = next(p for p in POLICIES if p.name == policy).enforcement_level
    assert level is not None
    if level.value == "mandatory":
        assert code == MANDATORY_VIOLATION
        assert f"[mandatory]  {policy} (" in out
    else:
        assert code == NO_MANDATORY_VIOLATION
        assert f"[advisory]  {policy} (" in out
    assert {v["resourceName"] for v in results["violations"] if v["policy"] == policy} == {resource}
    assert f": {resource})" in out if resource else f"{policy} (stack)" in out


def test_pack_config_changes_a_level_as_pulumi_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    contract = dev_contract()
    public_subnet(contract)
    (tmp_path / "plan.json").write_text(json.dumps(contract))
    (tmp_path / "advisory.json").write_text(json.dumps({"xc-aws-node-subnets-private": "advisory"}))
    (tmp_path / "disabled.json").write_text(
        json.dumps({"xc-aws-node-subnets-private": {"enforcementLevel": "disabled"}})
    )
    code, out, _ = run(
        capsys,
        "check",
        "--plan",
        str(tmp_path / "plan.json"),
        "--policy-config",
        str(tmp_path / "advisory.json"),
    )
    assert code == NO_MANDATORY_VIOLATION and "[advisory]  xc-aws-node-subnets-private" in out
    code, out, _ = run(
        capsys,
        "check",
        "--plan",
        str(tmp_path / "plan.json"),
        "--policy-config",
        str(tmp_path / "disabled.json"),
    )
    assert code == NO_MANDATORY_VIOLATION and "xc-aws-node-subnets-private" not in out


def test_per_policy_config_reaches_the_rule(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    contract = dev_contract()
    add(
        contract,
        EKS_CLUSTER,
        "eks",
        {"version": "1.33", "vpcConfig": {"endpointPublicAccess": False}},
    )
    (tmp_path / "plan.json").write_text(json.dumps(contract))
    (tmp_path / "config.json").write_text(
        json.dumps({"xc-eks-supported-version": {"supportedVersions": ["1.35"]}})
    )
    _, out, _ = run(
        capsys,
        "check",
        "--plan",
        str(tmp_path / "plan.json"),
        "--policy-config",
        str(tmp_path / "config.json"),
    )
    assert "xc-eks-supported-version (aws:eks/cluster:Cluster: eks)" in out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not JSON: line 1 column 2"),
        ('{"resources": [{"type": "x"}]}', "/resources/0/urn: missing"),
        ("[]", "(root): a JSON list; a plan is an object"),
    ],
)
def test_a_bad_plan_file_is_invalid_input(
    content: str, expected: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "plan.json").write_text(content)
    code, _, err = run(capsys, "check", "--plan", str(tmp_path / "plan.json"))
    assert code == INVALID_INPUT
    assert expected in err


def test_pack_config_naming_an_unknown_policy_is_invalid_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "plan.json").write_text(json.dumps(dev_contract()))
    (tmp_path / "config.json").write_text(json.dumps({"xc-no-such-rule": "advisory"}))
    code, _, err = run(
        capsys,
        "check",
        "--plan",
        str(tmp_path / "plan.json"),
        "--policy-config",
        str(tmp_path / "config.json"),
    )
    assert code == INVALID_INPUT and "xc-no-such-rule" in err


def test_an_unknown_stack_is_invalid_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "--stack", "no-such-stack")
    assert code == INVALID_INPUT and err.startswith("error:")


def test_plan_shows_the_same_violations(cached_plans: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--stack", "dev")
    planned_stack = check.from_plan(planned("dev"))
    assert code == OK
    assert check.render(check.run_policies(planned_stack), planned_stack, len(POLICIES)) in out
    assert "\n0 mandatory, " in out


def test_policies_lists_name_level_types_and_anchors(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "policies", "--json")
    listed = json.loads(out)
    assert code == 0 and len(listed) == len(POLICIES)
    eks = next(p for p in listed if p["name"] == "xc-eks-no-open-public-cidr")
    assert eks == {
        "name": "xc-eks-no-open-public-cidr",
        "level": "mandatory",
        "severity": "critical",
        "kind": "resource",
        "resourceTypes": [EKS_CLUSTER],
        "anchors": ["CKV_AWS_38", "AVD-AWS-0041", "KICS 61cf9883", "CIS EKS 5.4.1"],
    }
    code, out, _ = run(capsys, "policies")
    assert code == 0 and "xc-vpn-asn-pairing" in out and "mandatory" in out


def test_secret_inputs_reach_rules_but_never_the_report(tmp_path: Path) -> None:
    from offline.record import Secret

    plan = copy.deepcopy(planned("dev"))
    subnet = plan.one(GCP_SUBNETWORK)
    plan.resources.append(
        type(subnet)(
            urn="urn:pulumi:dev::crossmesh::aws:ec2/vpnConnection:VpnConnection::conn",
            type=AWS_VPN_CONNECTION,
            name="conn",
            custom=True,
            parent=None,
            provider=None,
            dependencies=[],
            protect=False,
            inputs={"tunnel1PresharedKey": Secret("0secretvalue_abcdef")},
        )
    )
    planned_stack = check.from_plan(plan)
    violations = check.run_policies(planned_stack)
    report = check.render(violations, planned_stack, len(POLICIES))
    assert any(v.policy == "xc-vpn-psk-format" for v in violations)
    assert "0secretvalue_abcdef" not in report + json.dumps(check.results_json(violations, planned_stack, 1))
    masked = check.from_contract(plan.to_contract())
    assert not any(v.policy == "xc-vpn-psk-format" for v in check.run_policies(masked))
