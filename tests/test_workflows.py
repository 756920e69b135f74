"""The GitHub Actions workflows: structure, the inputs each action really has, and the safety rules.

Action inputs are those declared in each action's action.yml at the pinned release (read from the
actions' repositories); an input an action does not declare is silently ignored by GitHub, so a typo
would only show as a preview that never runs the policy pack.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.config import CaConfig
from components.mesh.leaf_certificate import LEAF_RENEWAL_DAYS
from tests.support.plans import PROJECT_DIR, STACKS

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"

ACTION_INPUTS: dict[str, set[str]] = {
    # github.com/actions/checkout v7 action.yml (only what we use, and a few neighbours)
    "actions/checkout@v7": {"ref", "fetch-depth", "persist-credentials", "token", "path"},
    # github.com/actions/setup-python v7 action.yml
    "actions/setup-python@v7": {
        "python-version",
        "python-version-file",
        "cache",
        "architecture",
        "check-latest",
        "token",
        "cache-dependency-path",
        "update-environment",
        "allow-prereleases",
        "freethreaded",
        "pip-version",
    },
    # github.com/astral-sh/setup-uv v10.0.1 action.yml (subset)
    "astral-sh/setup-uv@v10.0.1": {
        "version",
        "version-file",
        "enable-cache",
        "python-version",
        "working-directory",
    },
    # github.com/aws-actions/configure-aws-credentials v6 action.yml (subset; no static-key inputs allowed)
    "aws-actions/configure-aws-credentials@v6": {
        "aws-region",
        "role-to-assume",
        "role-session-name",
        "role-duration-seconds",
        "audience",
        "mask-aws-account-id",
        "role-skip-session-tagging",
        "allowed-account-ids",
    },
    # github.com/google-github-actions/auth v3 action.yml (subset; credentials_json not allowed)
    "google-github-actions/auth@v3": {
        "workload_identity_provider",
        "service_account",
        "project_id",
        "audience",
        "create_credentials_file",
        "export_environment_variables",
        "token_format",
        "access_token_lifetime",
    },
    # github.com/pulumi/actions v7 action.yml
    "pulumi/actions@v7": {
        "always-include-summary",
        "cloud-url",
        "color",
        "command",
        "comment-on-pr",
        "comment-on-pr-number",
        "comment-on-summary",
        "config-map",
        "continue-on-error",
        "debug",
        "diff",
        "edit-pr-comment",
        "exclude",
        "exclude-dependents",
        "exclude-protected",
        "expect-no-changes",
        "github-token",
        "log-flow",
        "log-verbosity",
        "message",
        "parallel",
        "plan",
        "policyPackConfigs",
        "policyPacks",
        "pulumi-version",
        "pulumi-version-file",
        "refresh",
        "remove",
        "replace",
        "secrets-provider",
        "stack-name",
        "suppress-outputs",
        "suppress-progress",
        "target",
        "target-dependents",
        "upsert",
        "work-dir",
    },
}
STATIC_CREDENTIAL_INPUTS = {
    "aws-access-key-id",
    "aws-secret-access-key",
    "aws-session-token",
    "credentials_json",
}


def _load(name: str) -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as the boolean true.
    if True in document:
        document["on"] = document.pop(True)
    return document


def _steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


WORKFLOW_FILES = sorted(path.name for path in WORKFLOWS.glob("*.yml"))


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_every_workflow_is_well_formed(name: str) -> None:
    document = _load(name)
    assert {"name", "on", "jobs", "permissions"} <= set(document)
    for job_id, job in document["jobs"].items():
        assert "uses" in job or ("runs-on" in job and job.get("steps")), f"{name}:{job_id}"


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_actions_are_pinned_and_given_only_inputs_they_declare(name: str) -> None:
    for step in _steps(_load(name)):
        if "uses" not in step:
            continue
        assert step["uses"] in ACTION_INPUTS, f"{name}: {step['uses']} is not a known pinned action"
        given = set(step.get("with", {}))
        assert given <= ACTION_INPUTS[step["uses"]], (
            f"{name}: {step['uses']} has no input {given - ACTION_INPUTS[step['uses']]}"
        )
        assert not given & STATIC_CREDENTIAL_INPUTS, f"{name}: long-lived cloud keys"


@pytest.mark.parametrize("name", ["preview.yml", "pulumi-up.yml", "deploy.yml"])
def test_cloud_workflows_use_oidc(name: str) -> None:
    document = _load(name)
    assert document["permissions"]["id-token"] == "write"
    text = (WORKFLOWS / name).read_text()
    assert "AWS_SECRET_ACCESS_KEY" not in text and "GOOGLE_CREDENTIALS" not in text


def test_every_pulumi_run_enforces_the_policy_pack() -> None:
    pulumi_steps = [
        step
        for name in WORKFLOW_FILES
        for step in _steps(_load(name))
        if step.get("uses") == "pulumi/actions@v7"
    ]
    assert {step["with"]["command"] for step in pulumi_steps} == {"preview", "up"}
    assert all(step["with"]["policyPacks"] == "policies" for step in pulumi_steps)


def test_preview_runs_for_every_stack_file_and_comments_on_the_pr() -> None:
    job = _load("preview.yml")["jobs"]["preview"]
    assert sorted(job["strategy"]["matrix"]["stack"]) == STACKS
    (pulumi,) = [step for step in job["steps"] if step.get("uses") == "pulumi/actions@v7"]
    assert pulumi["with"]["comment-on-pr"] is True
    assert _load("preview.yml")["permissions"]["pull-requests"] == "write"


def test_deploys_wait_for_the_offline_checks_and_prod_for_dev_behind_its_environment() -> None:
    document = _load("deploy.yml")
    assert document["on"]["push"] == {"branches": ["main"]}
    jobs = document["jobs"]
    assert jobs["checks"]["uses"] == "./.github/workflows/checks.yml"
    assert jobs["dev"]["needs"] == "checks"
    assert "workflow_call" in _load("checks.yml")["on"]
    assert jobs["dev"]["with"]["stack"] == "dev"
    assert jobs["prod"]["needs"] == "dev"
    assert jobs["prod"]["with"] == {"stack": "prod", "environment": "production"}
    up = _load("pulumi-up.yml")["jobs"]["up"]
    assert up["environment"] == "${{ inputs.environment }}"
    assert up["concurrency"]["cancel-in-progress"] is False


def test_deploys_also_run_weekly_inside_every_renewal_window() -> None:
    """Two weekly runs fit in the shortest early-renewal window a stack can have (certificates renew
    only when pulumi up runs)."""
    (entry,) = _load("deploy.yml")["on"]["schedule"]
    minute, hour, day_of_month, month, day_of_week = entry["cron"].split()
    assert (
        (day_of_month, month) == ("*", "*") and day_of_week.isdigit() and minute.isdigit() and hour.isdigit()
    )
    shortest_window_days = min(
        CaConfig.model_fields["early_renewal_days"].metadata[0].ge,
        LEAF_RENEWAL_DAYS,
    )
    assert shortest_window_days >= 2 * 7


def test_pull_requests_run_the_readme_test_command_offline() -> None:
    steps = _steps(_load("checks.yml"))
    commands = "\n".join(step.get("run", "") for step in steps)
    assert "make test" in commands
    assert "crossmesh check --stack" in commands
