"""Values the clouds refuse or retire: Kubernetes versions on given days, the stack name, reserved
namespaces, each held to the recorded data and to what the plans really build."""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path

import pytest
import yaml

from components.config import EksConfig, load_config
from components.config.cloud_rules import (
    NAMES_FROM_STACK,
    max_stack_name_length,
    stack_name_problems,
    version_problems,
    version_warnings,
)
from components.config.platform import eks_calendar, gke_calendar, name_limit
from components.config.schema import MESH_NAMESPACES, ClustersConfig
from offline.engine import plan_stack
from tests.support.config_samples import VALID
from tests.support.plans import PROJECT_DIR, planned
from tests.support.types import GCP_SERVICE_ACCOUNT, GKE_CLUSTER, K8S_NAMESPACE

READ = eks_calendar().read


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def eks(version: str) -> ClustersConfig:
    return ClustersConfig.model_validate({"eks": {"version": version}})


def gke(min_master_version: str, channel: str = "REGULAR") -> ClustersConfig:
    # EKS on a version far from its end of support, so that only GKE's findings show.
    return ClustersConfig.model_validate(
        {
            "eks": {"version": "1.36"},
            "gke": {"minMasterVersion": min_master_version, "releaseChannel": channel},
        }
    )


# --- EKS -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "on", "problem"),
    [
        ("1.31", "2026-11-30", "'1.31' reached the end of EKS extended support on 2026-11-26"),
        ("1.28", "2026-11-30", "'1.28' reached the end of EKS extended support on 2025-11-26"),
        ("1.37", "2026-11-30", "'1.37' is newer than any EKS version in the calendar read on 2026-11-30"),
        ("1.20", "2026-11-30", "'1.20' is not a EKS version"),
        ("1.33", "2027-07-29", "'1.33' reached the end of EKS extended support on 2027-07-29"),
    ],
)
def test_an_eks_version_eks_does_not_offer_is_a_problem(version: str, on: str, problem: str) -> None:
    problems = version_problems(eks(version), day(on))
    assert len(problems) == 1 and problem in problems[0]


@pytest.mark.parametrize("version", ["1.32", "1.33", "1.34", "1.35", "1.36"])
def test_every_offered_eks_version_loads(version: str) -> None:
    assert version_problems(eks(version), READ) == []


@pytest.mark.parametrize(
    ("version", "on", "warning"),
    [
        ("1.33", "2026-11-30", "'1.33' left EKS standard support on 2026-07-29; AWS upgrades"),
        ("1.34", "2026-11-30", "'1.34' leaves EKS standard support on 2026-12-02, in 2 days"),
        ("1.35", "2027-01-01", "'1.35' leaves EKS standard support on 2027-03-27, in 85 days"),
    ],
)
def test_an_eks_version_near_or_past_standard_support_warns_with_the_next_minor(
    version: str, on: str, warning: str
) -> None:
    warnings = version_warnings(eks(version), day(on))
    assert len(warnings) == 1 and warning in warnings[0]
    successor = eks_calendar().successor(version)
    assert successor is not None and f"set '{successor.minor}' (one minor up" in warnings[0]


@pytest.mark.parametrize(
    ("version", "on"), [("1.35", "2026-11-30"), ("1.36", "2026-11-30"), ("1.35", "2026-12-26")]
)
def test_an_eks_version_far_from_the_end_of_standard_support_does_not_warn(version: str, on: str) -> None:
    assert version_warnings(eks(version), day(on)) == []


def test_the_default_eks_version_is_one_minor_above_the_former_default_and_in_standard_support() -> None:
    # A stack that ran 1.33 (the earlier default) must be asked for one minor up, never two, never back.
    default = EksConfig().version
    successor = eks_calendar().successor("1.33")
    assert successor is not None and default == successor.minor
    found = eks_calendar().get(default)
    assert found is not None and found.end_of_standard_support > READ


@pytest.mark.parametrize("stack_file", sorted(PROJECT_DIR.glob("Pulumi.*.yaml")), ids=lambda p: p.name)
def test_every_shipped_stack_is_one_minor_step_from_the_former_version(stack_file: Path) -> None:
    version = yaml.safe_load(stack_file.read_text())["config"]["crossmesh:clusters"]["eks"]["version"]
    assert version == "1.34"


# --- GKE -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "problem"),
    [
        ("1.34", "1.34 reached the end of GKE standard support on 2026-10-01"),
        ("1.33.5-gke.100", "1.33 reached the end of GKE standard support on 2026-08-03"),
        ("1.40", "is newer than any GKE version in the calendar"),
    ],
)
def test_a_gke_version_gke_does_not_offer_is_a_problem(version: str, problem: str) -> None:
    problems = version_problems(gke(version), READ)
    assert len(problems) == 1 and problem in problems[0]


def test_a_gke_minor_the_channel_did_not_offer_warns() -> None:
    assert version_problems(gke("1.37"), READ) == []
    assert "REGULAR channel offered 1.34, 1.35, 1.36 on 2026-09-17" in version_warnings(gke("1.37"), READ)[0]
    assert version_warnings(gke("1.36", channel="RAPID"), READ) == []


def test_a_gke_version_near_the_end_of_standard_support_warns() -> None:
    (warning,) = version_warnings(gke("1.35.7-gke.1222000"), day("2027-02-01"))
    assert "'1.35' leaves GKE standard support on 2027-04-11, in 69 days" in warning


def test_the_calendars_are_in_order_and_consistent() -> None:
    for calendar in (eks_calendar(), gke_calendar()):
        numbers = [version.number for version in calendar.versions]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    for version in eks_calendar().versions:
        assert version.end_of_extended_support is not None
        assert version.end_of_standard_support < version.end_of_extended_support


def test_load_config_judges_versions_on_the_day_it_is_given() -> None:
    raw = {**VALID, "clusters": {"eks": {"version": "1.34"}}}
    assert load_config(raw, today=READ).clusters.eks.version == "1.34"
    with pytest.raises(Exception, match="reached the end of EKS extended support on 2027-12-02"):
        load_config(raw, today=day("2027-12-02"))


# --- the stack name ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod", "legacy", "eu-west-staging", "a" * max_stack_name_length()])
def test_usable_stack_names_pass(stack: str) -> None:
    assert stack_name_problems(stack) == []


@pytest.mark.parametrize(
    ("stack", "problem"),
    [
        ("Prod", "has upper-case letters"),
        ("qa_1", "has characters other than letters, digits and '-'; "),
        ("qa.1", "has characters other than letters"),
        ("1st", "does not start with a letter"),
        ("dev-", "ends with '-'"),
        (
            "a" * 18,
            "is 18 characters, more than 17 (GCP service account ID cm-<stack>-gke-nodes is at most 30)",
        ),
    ],
)
def test_stack_names_the_clouds_cannot_use_are_problems(stack: str, problem: str) -> None:
    (line,) = stack_name_problems(stack)
    assert line.startswith(f"stack {stack!r}: ") and problem in line


def test_a_stack_name_problem_suggests_a_usable_name() -> None:
    assert "did you mean 'qa-1'?" in stack_name_problems("QA_1")[0]


def test_the_longest_stack_name_is_set_by_the_tightest_cloud_name() -> None:
    assert max_stack_name_length() == min(
        name_limit(kind) - len(template.format(stack="")) for _, template, kind in NAMES_FROM_STACK
    )


def test_a_plan_of_the_longest_stack_name_keeps_every_gcp_name_within_its_limit(tmp_path: Path) -> None:
    stack = "s" * max_stack_name_length()
    for file_name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / file_name, tmp_path / file_name)
    (tmp_path / "components").symlink_to(PROJECT_DIR / "components")
    shutil.copy(PROJECT_DIR / "Pulumi.legacy.yaml", tmp_path / f"Pulumi.{stack}.yaml")
    plan = plan_stack(tmp_path, stack)
    rfc1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
    for account in plan.of_type(GCP_SERVICE_ACCOUNT):
        account_id = account.inputs["accountId"]
        assert rfc1035.match(account_id) and len(account_id) <= name_limit("gcpServiceAccountId"), account_id
    (cluster,) = plan.of_type(GKE_CLUSTER)
    assert len(cluster.inputs["name"]) <= name_limit("gkeClusterName")
    for resource in plan.resources:
        name = resource.inputs.get("name")
        if resource.type.startswith("gcp:compute/") and isinstance(name, str) and stack in name:
            assert rfc1035.match(name) and len(name) <= name_limit("gcpResourceName"), name


# --- namespaces ---------------------------------------------------------------------------------------------


def test_the_mesh_namespaces_are_the_namespaces_the_plans_create_for_the_mesh() -> None:
    created: set[str] = set()
    services: set[str] = set()
    for stack in ("dev", "legacy"):
        plan = planned(stack)
        created |= {r.inputs["metadata"]["name"] for r in plan.of_type(K8S_NAMESPACE)}
        stack_file = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
        services |= {service["namespace"] for service in stack_file["config"]["crossmesh:services"]}
    # amazon-cloudwatch is the Container Insights add-on's own namespace, made by EKS, not the plan.
    assert created - services == set(MESH_NAMESPACES) - {"amazon-cloudwatch"}
