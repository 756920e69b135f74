"""`crossmesh plan` and `crossmesh config-docs` as a user runs them: exit codes, output, the JSON file."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from offline.commands.cli import (
    HANDLERS,
    SUMMARIES,
    StackChoiceError,
    command_line,
    main,
    stack_name,
    version,
)
from offline.commands.exit_codes import CHECK_FAILED, CURRENT, INVALID_INPUT, OK, PROGRAM_ERROR, UNVERIFIED
from tests.support.plans import PROJECT_DIR, planned


def _project_copy(tmp_path: Path, stack_text: str) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    (tmp_path / "components").symlink_to(PROJECT_DIR / "components")
    (tmp_path / "Pulumi.dev.yaml").write_text(stack_text)
    return tmp_path


def test_plan_prints_the_summary_and_writes_the_contract(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "plan.json"
    assert main(["-C", str(PROJECT_DIR), "plan", "--stack", "dev", "--json", str(out_file)]) == OK
    printed = capsys.readouterr().out
    assert "crossmesh plan: stack dev (project crossmesh)" in printed
    assert (
        "aws-network (crossmesh:aws:AwsNetwork)" in printed
        and "gcp-network (crossmesh:gcp:GcpNetwork)" in printed
    )
    contract = json.loads(out_file.read_text())
    assert contract["stack"] == "dev" and contract["resources"]
    managed = [
        r for r in contract["resources"] if r["custom"] and not r["type"].startswith("pulumi:providers:")
    ]
    components = [r for r in contract["resources"] if not r["custom"]]
    providers = len(contract["resources"]) - len(managed) - len(components)
    assert f"  {len(contract['resources'])} resources: {len(managed)} custom (" in printed
    assert f"), {len(components)} components, {providers} providers\n" in printed
    fixed = contract["cost"]["totals"]["fixed"]
    assert f"  fixed: ${fixed['desired']:,.2f} at desired nodes, ${fixed['max']:,.2f} at max" in printed


def test_bad_stack_file_exits_2_with_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    text = text.replace("azCount: 3", "azCont: 3").replace("awsAsn: 64512", "awsAsn: 65535")
    project = _project_copy(tmp_path, text)
    assert main(["-C", str(project), "plan"]) == INVALID_INPUT
    captured = capsys.readouterr()
    errors = captured.err.splitlines()
    assert errors[0].startswith("error: invalid configuration in Pulumi.dev.yaml")
    assert "error: Pulumi.dev.yaml:8:5: crossmesh:aws.azCont: unknown key; did you mean 'azCount'?" in (
        line[: len("error: Pulumi.dev.yaml:8:5: crossmesh:aws.azCont: unknown key; did you mean 'azCount'?")]
        for line in errors
    )
    assert any(
        line.startswith("error: Pulumi.dev.yaml:19:5: crossmesh:link.awsAsn:") and "65535" in line
        for line in errors
    )
    assert "Traceback" not in captured.err and captured.out == ""


def test_overlapping_ranges_exit_2_naming_both_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        (PROJECT_DIR / "Pulumi.dev.yaml")
        .read_text()
        .replace("podsCidr: 10.24.0.0/14", "podsCidr: 10.8.0.0/14")
    )
    assert main(["-C", str(_project_copy(tmp_path, text)), "plan"]) == INVALID_INPUT
    errors = capsys.readouterr().err
    assert "crossmesh:gcp.podsCidr: '10.8.0.0/14' overlaps crossmesh:aws.vpcCidr" in errors


def test_unknown_stack_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(PROJECT_DIR), "plan", "--stack", "staging"]) == INVALID_INPUT
    assert "no stack file Pulumi.staging.yaml" in capsys.readouterr().err


def test_program_error_exits_3_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project_copy(tmp_path, (PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    (project / "__main__.py").write_text("raise RuntimeError('boom')\n")
    assert main(["-C", str(project), "plan"]) == PROGRAM_ERROR
    err = capsys.readouterr().err
    assert "error: the program failed: RuntimeError: boom" in err and "Traceback" not in err


def test_config_docs_check_passes_on_the_committed_reference() -> None:
    assert main(["-C", str(PROJECT_DIR), "config-docs", "--check"]) == CURRENT


# --- the conventions every subcommand keeps -------------------------------------------------------

STACK_COMMANDS = ("plan", "check", "graph", "verify")


def _help(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", sorted(HANDLERS))
def test_help_says_what_it_does_in_one_sentence_and_gives_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = _help(command, capsys)
    description = shown.split("\n\n")[1].strip()
    assert description == SUMMARIES[command]
    assert description.endswith(".") and description.count(". ") == 0, "one sentence"
    example = shown.split("example:\n", 1)[1].splitlines()[0].strip()
    assert example.startswith(f"crossmesh {command}")
    assert "exit codes:\n" in shown


@pytest.mark.parametrize("command", sorted(HANDLERS))
def test_every_subcommand_takes_cwd_and_debug_before_or_after_it(command: str) -> None:
    parser = command_line()
    operands = ["old.json", "new.json"] if command == "diff" else []
    after = parser.parse_args([command, *operands, "-C", "docs", "--debug"])
    before = parser.parse_args(["--cwd", "docs", "--debug", command, *operands])
    assert (after.cwd, after.debug) == (before.cwd, before.debug) == ("docs", True)
    plain = parser.parse_args([command, *operands])
    assert (plain.cwd, plain.debug) == (".", False)


@pytest.mark.parametrize("command", STACK_COMMANDS)
def test_stack_is_spelt_as_pulumi_spells_it_with_no_default(command: str) -> None:
    parser = command_line()
    assert parser.parse_args([command, "-s", "prod"]).stack == "prod"
    assert parser.parse_args([command, "--stack", "prod"]).stack == "prod"
    assert parser.parse_args([command]).stack is None


def test_without_a_stack_the_only_stack_file_is_chosen_and_several_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project_copy(tmp_path, "config: {}\n")
    assert stack_name(command_line().parse_args(["plan"]), project) == "dev"
    (project / "Pulumi.prod.yaml").write_text("config: {}\n")
    with pytest.raises(StackChoiceError, match="choose a stack with -s/--stack: dev, prod"):
        stack_name(command_line().parse_args(["check"]), project)
    for command in ("plan", "check", "graph"):
        assert main(["-C", str(project), command]) == INVALID_INPUT
        assert "error: choose a stack with -s/--stack: dev, prod" in capsys.readouterr().err
    assert main(["-C", str(project), "verify"]) == UNVERIFIED
    assert "choose a stack" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["plan", "diff", "check", "policies", "verify"])
def test_json_takes_a_file_or_dash_or_nothing_for_stdout(command: str) -> None:
    parser = command_line()
    operands = ["old.json", "new.json"] if command == "diff" else []
    assert parser.parse_args([command, *operands, "--json", "out.json"]).json == "out.json"
    assert parser.parse_args([command, *operands, "--json", "-"]).json == "-"
    assert parser.parse_args([command, *operands, "--json"]).json == "-"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"crossmesh {version()}\n"
    assert version() == tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]["version"]


def test_the_top_level_help_is_whole_and_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "and regenerate the configuration and policy references." in shown
    for command in HANDLERS:
        assert f"{command} {SUMMARIES[command]}" in shown


def test_the_readme_command_table_lists_every_subcommand() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    table = readme[readme.index("| command | what it does |") :].split("\n\n")[0]
    listed = [row.split("`crossmesh ")[1].split()[0].rstrip("`") for row in table.splitlines()[2:]]
    assert sorted(listed) == sorted(HANDLERS)


def test_plan_json_to_stdout_is_the_contract_alone(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The process's cached plan of dev: the command's output is under test here, not the planning.
    monkeypatch.setattr("offline.engine.plan_stack", lambda _dir, stack, **_: planned(stack))
    assert main(["-C", str(PROJECT_DIR), "plan", "-s", "dev", "--format", "json"]) == OK
    contract = json.loads(capsys.readouterr().out)
    assert contract["stack"] == "dev"
    assert main(["-C", str(PROJECT_DIR), "plan", "-s", "dev", "--json", "-"]) == OK
    assert json.loads(capsys.readouterr().out) == contract


def test_verify_json_writes_the_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text("{}")
    code = main(["-C", str(PROJECT_DIR), "verify", "-s", "dev", "--outputs", str(outputs), "--json"])
    findings = json.loads(capsys.readouterr().out)
    counts = findings["counts"]
    assert findings["verified"] is False and sum(counts.values()) == len(findings["findings"]) > 0
    assert code == (CHECK_FAILED if counts["fail"] else UNVERIFIED)


def test_the_readme_gives_one_resource_count_for_dev_the_one_the_plan_prints() -> None:
    from offline.commands.summary import render_summary

    readme = (PROJECT_DIR / "README.md").read_text()
    counted = render_summary(planned("dev")).splitlines()[1]
    assert counted in readme.splitlines(), "the README's plan excerpt differs from `crossmesh plan -s dev`"
    total = len(planned("dev").resources)
    assert f"| dev | 4 | {total} |" in readme and f"print: {total} for dev" in readme
