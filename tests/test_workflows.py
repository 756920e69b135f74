"""The GitHub Actions workflows: structure, pinned actions given only the inputs they declare, least
privilege, no expression inside a script, and the two linters (zizmor, actionlint) clean.

The pins and each action's inputs are data: tests/fixtures/github_actions.json, read from the actions'
repositories by scripts/refresh_action_pins.py. An input an action does not declare is silently
ignored by GitHub, so a typo would only show as a preview that never runs the policy pack.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import CaConfig
from components.mesh.leaf_certificate import LEAF_RENEWAL_DAYS
from tests.support.plans import PROJECT_DIR, STACKS

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"
PINS: dict[str, Any] = json.loads((PROJECT_DIR / "tests" / "fixtures" / "github_actions.json").read_text())
ACTIONS: dict[str, Any] = PINS["actions"]
PINNED_USE = re.compile(
    r"^\s*(?:- )?uses: (?P<action>[\w./$-]+)(?:@(?P<ref>\S+))?(?: # (?P<version>\S+))?\s*$"
)
SELF_REPOSITORY = "$/"
STATIC_CREDENTIAL_INPUTS = {
    "aws-access-key-id",
    "aws-secret-access-key",
    "aws-session-token",
    "credentials_json",
}
CLOUD_LOGIN_ACTIONS = {"aws-actions/configure-aws-credentials", "google-github-actions/auth"}
WORKFLOW_FILES = sorted(path.name for path in WORKFLOWS.glob("*.yml"))


def _load(name: str) -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as the boolean true.
    if True in document:
        document["on"] = document.pop(True)
    return document


def _jobs(name: str) -> dict[str, dict[str, Any]]:
    jobs: dict[str, dict[str, Any]] = _load(name)["jobs"]
    return jobs


def _steps(name: str) -> Iterator[dict[str, Any]]:
    for job in _jobs(name).values():
        yield from job.get("steps", [])


def _action(step: dict[str, Any]) -> str:
    return str(step["uses"]).split("@")[0]


def _step_named(name: str, job: str, step_name: str) -> dict[str, Any]:
    (step,) = [step for step in _jobs(name)[job]["steps"] if step.get("name") == step_name]
    found: dict[str, Any] = step
    return found


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_every_workflow_is_well_formed(name: str) -> None:
    document = _load(name)
    assert {"name", "on", "jobs", "permissions"} <= set(document)
    for job_id, job in document["jobs"].items():
        assert "uses" in job or ("runs-on" in job and job.get("steps")), f"{name}:{job_id}"


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_every_action_is_pinned_to_its_release_commit_with_the_version_beside_it(name: str) -> None:
    for line in (WORKFLOWS / name).read_text().splitlines():
        match = PINNED_USE.match(line)
        if not match:
            assert "uses:" not in line, f"{name}: cannot read {line.strip()!r}"
            continue
        action, ref, version = match["action"], match["ref"], match["version"]
        if action.startswith(SELF_REPOSITORY):
            continue
        assert action in ACTIONS, f"{name}: {action} is not in tests/fixtures/github_actions.json"
        pin = ACTIONS[action]
        assert (ref, version) == (pin["commit"], pin["version"]), f"{name}: {line.strip()}"
        assert re.fullmatch(r"[0-9a-f]{40}", ref)


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_actions_are_given_only_inputs_they_declare_and_never_static_keys(name: str) -> None:
    for step in _steps(name):
        if "uses" not in step:
            continue
        given = set(step.get("with", {}))
        declared = set(ACTIONS[_action(step)]["inputs"])
        assert given <= declared, f"{name}: {_action(step)} has no input {given - declared}"
        assert not given & STATIC_CREDENTIAL_INPUTS, f"{name}: long-lived cloud keys"


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_least_privilege_each_job_asks_for_its_own_and_only_cloud_jobs_get_oidc(name: str) -> None:
    document = _load(name)
    assert document["permissions"] == {}, f"{name}: the workflow grants nothing; each job asks"
    for job_id, job in document["jobs"].items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict) and permissions, f"{name}:{job_id} names its permissions"
        assert permissions.get("contents") == "read"
        assert all(level in ("read", "write") for level in permissions.values())
        logs_in = any(_action(step) in CLOUD_LOGIN_ACTIONS for step in job.get("steps", []) if "uses" in step)
        deploys = str(job.get("uses", "")).endswith("pulumi-up.yml")
        assert (permissions.get("id-token") == "write") == (logs_in or deploys), f"{name}:{job_id}"


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_no_expression_inside_a_script_and_no_inherited_secrets(name: str) -> None:
    for step in _steps(name):
        assert "${{" not in step.get("run", ""), f"{name}: pass {step.get('name')!r} its values in env:"
    for job_id, job in _jobs(name).items():
        assert job.get("secrets") != "inherit", f"{name}:{job_id}"


@pytest.mark.parametrize("name", ["preview.yml", "pulumi-up.yml"])
def test_cloud_workflows_use_oidc_and_no_shared_cache(name: str) -> None:
    text = (WORKFLOWS / name).read_text()
    assert "AWS_SECRET_ACCESS_KEY" not in text and "GOOGLE_CREDENTIALS" not in text
    (uv,) = [step for step in _steps(name) if step.get("uses", "").startswith("astral-sh/setup-uv@")]
    assert uv["with"]["enable-cache"] is False
    assert not [step for step in _steps(name) if step.get("uses", "").startswith("actions/cache@")]


def test_every_pulumi_run_enforces_the_policy_pack_and_hides_the_outputs() -> None:
    pulumi_steps = [
        step for name in WORKFLOW_FILES for step in _steps(name) if step.get("uses", "").startswith("pulumi/")
    ]
    assert {step["with"]["command"] for step in pulumi_steps} == {"preview", "up"}
    for step in pulumi_steps:
        assert step["with"]["policyPacks"] == "policies"
        assert step["with"]["suppress-outputs"] is True


def test_preview_runs_for_every_stack_file_and_comments_on_the_pr() -> None:
    job = _jobs("preview.yml")["preview"]
    assert sorted(job["strategy"]["matrix"]["stack"]) == STACKS
    assert job["strategy"]["fail-fast"] is False
    (pulumi,) = [step for step in job["steps"] if step.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"]["comment-on-pr"] is True
    assert job["permissions"]["pull-requests"] == "write"


def test_deploys_wait_for_the_offline_checks_and_prod_for_dev_behind_its_environment() -> None:
    document = _load("deploy.yml")
    assert document["on"]["push"] == {"branches": ["main"]}
    jobs = document["jobs"]
    assert jobs["checks"]["uses"] == "$/.github/workflows/checks.yml"
    assert jobs["checks"]["permissions"] == {"contents": "read", "security-events": "write"}
    assert jobs["dev"]["needs"] == "checks"
    assert "workflow_call" in _load("checks.yml")["on"]
    assert jobs["dev"]["with"]["stack"] == "dev"
    assert jobs["prod"]["needs"] == "dev"
    assert jobs["prod"]["with"] == {"stack": "prod", "environment": "production"}
    declared = set(_load("pulumi-up.yml")["on"]["workflow_call"]["secrets"])
    assert set(jobs["prod"]["secrets"]) == declared == {"PULUMI_ACCESS_TOKEN"}
    up = _jobs("pulumi-up.yml")["up"]
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


def test_the_deploy_is_verified_after_pulumi_up() -> None:
    steps = _jobs("pulumi-up.yml")["up"]["steps"]
    up = next(i for i, step in enumerate(steps) if step.get("uses", "").startswith("pulumi/actions@"))
    verify = next(i for i, step in enumerate(steps) if "crossmesh verify" in step.get("run", ""))
    istioctl = next(i for i, step in enumerate(steps) if "istioctl" in step.get("run", ""))
    assert up < istioctl < verify
    assert '-s "$STACK"' in steps[verify]["run"]
    assert "sha256sum --check" in steps[istioctl]["run"]


def test_the_test_job_restores_the_uv_and_mypy_caches_and_runs_make_test() -> None:
    steps = _jobs("checks.yml")["test"]["steps"]
    (uv,) = [step for step in steps if step.get("uses", "").startswith("astral-sh/setup-uv@")]
    assert uv["with"]["enable-cache"] is True and uv["with"]["cache-dependency-glob"] == "uv.lock"
    (mypy,) = [step for step in steps if step.get("uses", "").startswith("actions/cache@")]
    assert mypy["with"]["path"] == ".mypy_cache"
    assert mypy["with"]["restore-keys"] in mypy["with"]["key"]
    assert steps[-1]["run"] == "make test"


def test_the_tests_also_run_with_the_standard_sdk_loading() -> None:
    job = _jobs("checks.yml")["standard-loading"]
    assert job["env"] == {"CROSSMESH_SDK_IMPORTS": "standard"}
    assert job["steps"][-1]["run"] == "make unit"


def _fake_crossmesh(project: Path, failing_stack: str) -> Path:
    """A .venv/bin/crossmesh that logs its arguments, writes --output, and fails `check` of one stack
    (after writing its report, as the real one does)."""
    script = project / ".venv" / "bin" / "crossmesh"
    script.parent.mkdir(parents=True)
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{project}/calls"\n'
        'case "$*" in *--output*) : > "$(echo "$*" | sed "s/.*--output //")";; esac\n'
        f'case "$*" in *"-s {failing_stack} "*) exit 1;; esac\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_every_stack_is_checked_and_reported_even_when_one_fails(tmp_path: Path) -> None:
    """The step's own script, run as GitHub runs it (bash -eo pipefail), with one stack failing."""
    step = _step_named("checks.yml", "policy", "crossmesh check, every stack file")
    for stack in ("alpha", "beta", "gamma"):
        (tmp_path / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
    _fake_crossmesh(tmp_path, "beta")
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"]},
        timeout=60,
    )
    assert done.returncode == 1
    assert "::error::crossmesh check failed for: beta" in done.stdout
    calls = (tmp_path / "calls").read_text().splitlines()
    assert [call.split()[2] for call in calls if "--format github" in call] == ["alpha", "beta", "gamma"]
    assert sorted(path.name for path in (tmp_path / "results").iterdir()) == [
        "alpha.sarif",
        "beta.sarif",
        "gamma.sarif",
    ]


def test_pull_requests_upload_the_findings_to_code_scanning() -> None:
    job = _jobs("checks.yml")["policy"]
    assert job["permissions"] == {"contents": "read", "security-events": "write"}
    (upload,) = [step for step in job["steps"] if "upload-sarif" in step.get("uses", "")]
    assert upload["with"] == {"sarif_file": "results"}
    assert "!cancelled()" in upload["if"], "uploaded when a mandatory rule fails the check step"
    run = _step_named("checks.yml", "policy", "crossmesh check, every stack file")["run"]
    assert '--format sarif --output "results/$stack.sarif"' in run and "--format github" in run


def test_pull_requests_get_one_comment_with_the_plan_diff_against_the_base_branch() -> None:
    document = _load("plan-diff.yml")
    assert document["on"] == {"pull_request": None}
    job = document["jobs"]["diff"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    checkouts = [step for step in job["steps"] if step.get("uses", "").startswith("actions/checkout@")]
    assert [c["with"]["path"] for c in checkouts] == ["head", "base"]
    assert checkouts[1]["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    plan = _step_named("plan-diff.yml", "diff", "plan every stack file, base and head")["run"]
    assert "make -C base env" in plan and "make -C head env" in plan
    diff = _step_named("plan-diff.yml", "diff", "crossmesh diff, every stack file")["run"]
    assert 'crossmesh diff "../plans/base-$stack.json" "../$head_plan"' in diff
    assert '>> "$GITHUB_STEP_SUMMARY"' in diff
    post = _step_named("plan-diff.yml", "diff", "post or update the plan diff comment")
    marker = "<!-- crossmesh plan diff -->"
    assert marker in diff and marker in post["run"]
    assert "--method PATCH" in post["run"] and "--method POST" in post["run"]
    assert set(post["env"]) == {"GH_TOKEN", "REPOSITORY", "PULL_REQUEST"}


def _linter(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent))
    if path is None:
        pytest.skip(f"{name} has no build for this platform")
    return path


def _lint(workflows: Path) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    files = sorted(str(path) for path in workflows.glob("*.yml"))
    zizmor = subprocess.run(
        [_linter("zizmor"), "--offline", "--no-progress", *files], capture_output=True, text=True
    )
    actionlint = subprocess.run([_linter("actionlint"), *files], capture_output=True, text=True)
    return zizmor, actionlint


def test_zizmor_and_actionlint_report_nothing() -> None:
    zizmor, actionlint = _lint(WORKFLOWS)
    assert zizmor.returncode == 0, zizmor.stdout + zizmor.stderr
    assert actionlint.returncode == 0, actionlint.stdout + actionlint.stderr


def test_zizmor_and_actionlint_catch_a_planted_script_injection(tmp_path: Path) -> None:
    shutil.copytree(WORKFLOWS, tmp_path / "workflows")
    checks = tmp_path / "workflows" / "checks.yml"
    checks.write_text(
        checks.read_text().replace(
            "        run: make test",
            '        run: echo "${{ github.event.pull_request.title }}" && make test',
        )
    )
    zizmor, actionlint = _lint(tmp_path / "workflows")
    assert zizmor.returncode != 0 and "template-injection" in zizmor.stdout
    assert actionlint.returncode != 0 and "github.event.pull_request.title" in actionlint.stdout


def test_pull_requests_judge_each_stack_change_from_the_base_by_the_day2_rules() -> None:
    job = _jobs("checks.yml")["day2"]
    commands = "\n".join(step.get("run", "") for step in job["steps"])
    assert "github.event.pull_request.base.sha" in str(job["steps"])
    assert "plan -s" in commands and "--json" in commands
    assert 'crossmesh check -s "$stack" --against' in commands
