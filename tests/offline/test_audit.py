"""crossmesh audit: the converter (always), the anchor probes' pack verdicts (always), and Checkov's
verdicts on the probes and the shipped stacks (only where Checkov is installed: `make audit`)."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import pytest
from crossmesh_policy import POLICIES

from offline.commands import audit
from offline.commands.check import Violation, from_plan, run_policies
from offline.record import Plan, Registration, mask
from offline.terraform_names import snake, terraform_types
from offline.terraform_plan import Converted, Declared, convert
from tests.support.plans import PROJECT_DIR, STACKS, planned
from tests.support.policy_cases import BY_NAME, resource_violations

FIXTURE: dict[str, Any] = json.loads((PROJECT_DIR / "tests" / "fixtures" / "checkov_probes.json").read_text())
PROBES: list[dict[str, Any]] = FIXTURE["probes"]
UNPROBED: list[dict[str, Any]] = json.loads(
    (PROJECT_DIR / "offline" / "data" / "checkov_unprobed.json").read_text()
)["unprobed"]
"""Cited Checkov checks with no probe, each with the reason none can be made."""


def declared(plan: Plan) -> list[Declared]:
    return [Declared(r.urn, r.type, r.name, mask(r.inputs), r.provider, r.id) for r in plan.resources]


@cache
def converted(stack: str) -> Converted:
    return convert(declared(planned(stack)), terraform_types(PROJECT_DIR))


def resource(stack: str, address: str) -> dict[str, Any]:
    found = [
        r
        for r in converted(stack).terraform_plan["planned_values"]["root_module"]["resources"]
        if r["address"] == address
    ]
    assert len(found) == 1, address
    values: dict[str, Any] = found[0]["values"]
    return values


# --- the converter ----------------------------------------------------------------------------------


def test_snake_case_is_the_terraform_spelling_of_unrenamed_names() -> None:
    assert snake("tunnel1Phase1DhGroupNumbers") == "tunnel1_phase1_dh_group_numbers"
    assert snake("cidrIpv4") == "cidr_ipv4"
    assert snake("kmsKeyId") == "kms_key_id"


def test_the_dev_plan_converts_to_terraform_names_blocks_and_types() -> None:
    cluster = resource("dev", "aws_eks_cluster.eks-cluster")
    (vpc_config,) = cluster["vpc_config"]  # a block of one, as Terraform writes it
    assert vpc_config["endpoint_private_access"] is True
    assert vpc_config["public_access_cidrs"] == ["203.0.113.0/24"]
    assert cluster["enabled_cluster_log_types"]
    assert cluster["tags"] == {"Name": cluster["tags"]["Name"]}  # map keys stay as written

    firewall = resource("dev", "google_compute_firewall.peer-firewalls-from-aws")
    assert "allow" in firewall and "allows" not in firewall  # Pulumi pluralised allow
    assert firewall["source_ranges"]

    subnet = resource("dev", "google_compute_subnetwork.gcp-network-subnet")
    assert {r["range_name"] for r in subnet["secondary_ip_range"]}
    (log_config,) = subnet["log_config"]
    assert "aggregation_interval" in log_config

    gke = resource("dev", "google_container_cluster.gke-cluster")
    assert gke["datapath_provider"] == "ADVANCED_DATAPATH"
    assert gke["network_policy"] == [{"enabled": False}]
    assert gke["private_cluster_config"][0]["enable_private_nodes"] is True

    alarms = [
        r["values"]
        for r in converted("dev").terraform_plan["planned_values"]["root_module"]["resources"]
        if r["type"] == "aws_cloudwatch_metric_alarm" and "metric_query" in r["values"]
    ]
    assert alarms and all("metricQueries" not in a and "metric_queries" not in a for a in alarms)


def test_secrets_are_masked_before_anything_is_written() -> None:
    vpn = resource("dev", "aws_vpn_connection.link-0-vpn-0")
    assert vpn["tunnel1_preshared_key"] == "[secret]"


def test_references_follow_ids_so_checkov_sees_the_graph() -> None:
    configuration = converted("dev").terraform_plan["configuration"]["root_module"]["resources"]
    flow_log = next(c for c in configuration if c["type"] == "aws_flow_log")
    assert "aws_vpc.aws-network-vpc" in flow_log["expressions"]["vpc_id"]["references"]


def test_providers_and_kubernetes_objects_convert_too() -> None:
    conversion = converted("legacy")
    aws_provider = conversion.terraform_plan["configuration"]["provider_config"]["aws.aws"]
    assert aws_provider["expressions"]["region"] == {"constant_value": "us-east-1"}
    kinds = {(m["apiVersion"], m["kind"]) for m in conversion.manifests}
    assert ("apps/v1", "Deployment") in kinds and ("v1", "Namespace") in kinds
    assert ("networking.k8s.io/v1", "NetworkPolicy") in kinds


@pytest.mark.parametrize("stack", STACKS)
def test_every_cloud_resource_of_the_shipped_stacks_has_a_terraform_form(stack: str) -> None:
    conversion = converted(stack)
    assert set(conversion.not_converted) <= {"kubernetes:helm.sh/v3:Release"}
    assert len(set(conversion.addresses)) == len(conversion.addresses)


# --- the probes --------------------------------------------------------------------------------------


def _set(target: Any, path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is None:
        target.pop(leaf, None)
    else:
        target[leaf] = value


def shipped(probe: Mapping[str, Any]) -> Registration:
    """The resource of the shipped stack that the probe changes."""
    return planned(probe["stack"]).one(probe["type"], probe["name"])


def probe_inputs(probe: Mapping[str, Any]) -> dict[str, Any]:
    inputs: dict[str, Any] = copy.deepcopy(shipped(probe).plain_inputs)
    for path, value in probe.get("set", {}).items():
        _set(inputs, path, value)
    return inputs


def probed_plan(probe: Mapping[str, Any]) -> Plan:
    """The shipped plan with the probe's change: its resource removed, or its inputs changed."""
    plan = planned(probe["stack"])
    target = shipped(probe)
    resources = [
        dataclasses.replace(r, inputs=probe_inputs(probe)) if r is target else r
        for r in plan.resources
        if not (r is target and probe.get("remove"))
    ]
    return dataclasses.replace(plan, resources=resources)


def judged(probe: Mapping[str, Any]) -> Registration:
    """The resource whose verdict counts: the changed one, or the one a graph check or a stack rule
    judges because of the change (a VPC for its flow log, a workload for its namespace's policy)."""
    other = probe.get("judged")
    return planned(probe["stack"]).one(other["type"], other["name"]) if other else shipped(probe)


def pack_fails(probe: Mapping[str, Any], plan: Plan | None) -> bool:
    """Whether the probe's rule fails the probe (plan None: the shipped stack's resource)."""
    rule = BY_NAME[probe["rule"]]
    if probe.get("scope") == "stack":
        return bool(run_policies(from_plan(plan or planned(probe["stack"])), [rule]))
    inputs = probe_inputs(probe) if plan else copy.deepcopy(shipped(probe).plain_inputs)
    return bool(resource_violations(rule, probe["type"], inputs))


def test_every_probe_names_a_rule_that_cites_its_check() -> None:
    for probe in PROBES:
        assert probe["check"] in BY_NAME[probe["rule"]].anchors, probe["id"]
        assert probe.get("scope", "resource") in ("resource", "stack"), probe["id"]
        assert ("set" in probe) != bool(probe.get("remove")), probe["id"]


def test_probes_where_the_tools_differ_are_listed_disagreements() -> None:
    known = {(d["check"], d["verdict"]) for d in audit.load_disagreements(PROJECT_DIR)}
    for probe in PROBES:
        if probe["pack"] != probe["checkov"]:
            verdict = "pack-only" if probe["pack"] == "fail" else "checkov-only"
            assert (probe["check"], verdict) in known, probe["id"]


def _cited() -> set[tuple[str, str]]:
    return {(p.name, a) for p in POLICIES for a in p.anchors if a.startswith(("CKV_", "CKV2_"))}


def test_every_cited_checkov_anchor_has_a_probe_or_a_reason_it_has_none() -> None:
    probed = {(p["rule"], p["check"]) for p in PROBES}
    unprobed = {(rule, entry["check"]) for entry in UNPROBED for rule in entry["rules"]}
    assert _cited() - probed == unprobed, "a cited Checkov check needs a probe or an unprobed entry"
    assert not probed & unprobed, "an anchor with a probe is not unprobed"


def test_unprobed_anchors_give_their_reason() -> None:
    for entry in UNPROBED:
        assert entry["kind"] in ("not-declared", "not-evaluated"), entry["check"]
        assert len(entry["reason"]) > 60, entry["check"]
        assert entry["kind"] != "not-declared" or entry["types"], entry["check"]


@pytest.mark.parametrize("stack", STACKS)
def test_no_shipped_stack_declares_what_an_unprobed_check_fails_on(stack: str) -> None:
    declared_types = {address.split(".", 1)[0] for address in converted(stack).addresses}
    for entry in UNPROBED:
        assert not declared_types & set(entry.get("types", ())), entry["check"]


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: p["id"])
def test_the_pack_reaches_the_probe_s_verdict(probe: Mapping[str, Any]) -> None:
    assert pack_fails(probe, probed_plan(probe)) == (probe["pack"] == "fail")


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: p["id"])
def test_the_pack_reaches_the_shipped_resource_s_verdict(probe: Mapping[str, Any]) -> None:
    """The other side of each probe: the shipped resource passes (or, for the few advisories every
    stack fails on purpose, fails, and the probe is the compliant change)."""
    assert pack_fails(probe, None) == (probe.get("shipped", "pass") == "fail")


def test_disagreements_are_listed_with_their_reasons() -> None:
    for entry in audit.load_disagreements(PROJECT_DIR):
        assert entry["verdict"] in ("checkov-only", "pack-only")
        assert entry["check"].startswith(("CKV_", "CKV2_")) and len(entry["reason"]) > 40


def test_compare_joins_the_tools_by_anchor() -> None:
    urn = "urn:pulumi:dev::crossmesh::aws:iam/role:Role::r"
    other = "urn:pulumi:dev::crossmesh::aws:iam/role:Role::s"
    results = [
        audit.CheckovResult("CKV_AWS_60", "trust *", False, "aws_iam_role.r", urn),
        audit.CheckovResult("CKV_AWS_61", "trust root", True, "aws_iam_role.s", other),
        audit.CheckovResult("CKV_AWS_60", "trust *", True, "aws_iam_role.s", other),
        audit.CheckovResult("CKV_K8S_40", "high uid", False, "Deployment.crossmesh-bridge.gw", None),
        audit.CheckovResult("CKV2_AWS_5", "sg attached", False, "aws_security_group.x", None),
    ]
    violation = Violation("xc-aws-iam-trust-not-public", "mandatory", "critical", "", "m", urn, None, "r")
    pack_only = Violation("xc-aws-iam-trust-not-public", "mandatory", "critical", "", "n", other, None, "s")
    known = audit.load_disagreements(PROJECT_DIR)
    findings = {
        (f.verdict, f.check): f for f in audit.compare(results, [violation, pack_only], POLICIES, known)
    }
    assert findings[("agree", "CKV_AWS_60")].rules == ("xc-aws-iam-trust-not-public",)
    assert findings[("checkov-only", "CKV_K8S_40")].known
    assert findings[("checkov-only", "CKV2_AWS_5")].known is None
    assert findings[("pack-only", "CKV_AWS_60/CKV_AWS_61")].urn == other
    assert [f.check for f in audit.new_disagreements(findings.values())] == [
        "CKV2_AWS_5",
        "CKV_AWS_60/CKV_AWS_61",
    ]


def test_a_pod_checkov_derives_from_a_workload_is_the_workload() -> None:
    addresses = {"Deployment.ns.gw": "urn:deployment", "PodDisruptionBudget.ns.gw": "urn:budget"}
    report = {
        "results": {
            "passed_checks": [{"check_id": "CKV2_K8S_6", "resource": "Pod.ns.gw.app-gw"}],
            "failed_checks": [{"check_id": "CKV_K8S_8", "resource": "Deployment.ns.gw"}],
        }
    }
    pod, deployment = audit.parse_reports(report, addresses)
    assert pod.urn == deployment.urn == "urn:deployment"


# --- Checkov itself ------------------------------------------------------------------------------------


def _checkov_installed() -> bool:
    try:
        audit.checkov_command()
    except audit.CheckovUnavailable:
        return False
    return True


needs_checkov = pytest.mark.skipif(
    not _checkov_installed(), reason="Checkov is not installed (make audit installs it)"
)


def _verdicts(results: list[audit.CheckovResult]) -> dict[tuple[str, str], bool]:
    """(urn, check) -> passed."""
    return {(r.urn, r.check): r.passed for r in results if r.urn}


@cache
def checkov_on_resource_probes() -> dict[tuple[str, str], bool]:
    """Every resource probe as its own resource in one plan, through one Checkov run."""
    resources = []
    for probe in PROBES:
        if probe.get("scope") == "stack":
            continue
        inputs = probe_inputs(probe)
        if "metadata" in inputs:  # Kubernetes objects are known to Checkov by kind, namespace and name
            inputs["metadata"] = {**inputs["metadata"], "name": probe["id"]}
        resources.append(Declared(probe["id"], probe["type"], probe["id"], mask(inputs), None, None))
    return _verdicts(audit.run_checkov(convert(resources, terraform_types(PROJECT_DIR))))


@cache
def checkov_on_stack_probe(probe_id: str) -> dict[tuple[str, str], bool]:
    """A stack probe's whole plan through Checkov: graph checks judge resources by their connections."""
    probe = next(p for p in PROBES if p["id"] == probe_id)
    plan = probed_plan(probe)
    return _verdicts(audit.run_checkov(convert(declared(plan), terraform_types(PROJECT_DIR))))


@cache
def checkov_on_stack(stack: str) -> tuple[audit.CheckovResult, ...]:
    return tuple(audit.run_checkov(converted(stack)))


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: p["id"])
@pytest.mark.checkov
@needs_checkov
def test_checkov_reaches_the_probe_s_verdict(probe: Mapping[str, Any]) -> None:
    if probe.get("scope") == "stack":
        passed = checkov_on_stack_probe(probe["id"]).get((judged(probe).urn, probe["check"]))
    else:
        passed = checkov_on_resource_probes().get((probe["id"], probe["check"]))
    assert passed is not None, f"Checkov did not run {probe['check']} on {probe['id']}"
    assert passed == (probe["checkov"] == "pass")


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: p["id"])
@pytest.mark.checkov
@needs_checkov
def test_checkov_reaches_the_shipped_resource_s_verdict(probe: Mapping[str, Any]) -> None:
    """The compliant side, judged where it lives: the shipped stack's own Checkov run."""
    passed = _verdicts(list(checkov_on_stack(probe["stack"]))).get((judged(probe).urn, probe["check"]))
    assert passed is not None, f"Checkov did not run {probe['check']} on the shipped {probe['name']}"
    assert passed == (probe.get("shipped", "pass") == "pass")


@pytest.mark.checkov
@needs_checkov
def test_checkov_reaches_no_verdict_where_an_anchor_is_listed_as_not_evaluated() -> None:
    evaluated = {r.check for stack in STACKS for r in checkov_on_stack(stack)}
    for entry in UNPROBED:
        if entry["kind"] == "not-evaluated":
            assert entry["check"] not in evaluated, entry["check"]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.checkov
@needs_checkov
def test_the_shipped_stacks_are_the_compliant_probes(stack: str) -> None:
    findings = audit.compare(
        list(checkov_on_stack(stack)),
        run_policies(from_plan(planned(stack))),
        POLICIES,
        audit.load_disagreements(PROJECT_DIR),
    )
    assert audit.new_disagreements(findings) == []
