"""Every subcommand's exit codes: one scheme, listed by `--help` and by the README, and what main does
with a failure no handler expected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline.commands import cli, exit_codes
from offline.commands.exit_codes import EXIT_CODES, INVALID_INPUT, PROGRAM_ERROR, UNVERIFIED
from tests.support.plans import PROJECT_DIR, planned


def test_every_subcommand_has_its_exit_codes() -> None:
    assert set(EXIT_CODES) == set(cli.HANDLERS)


@pytest.mark.parametrize("command", sorted(EXIT_CODES))
def test_codes_keep_one_meaning_across_subcommands(command: str) -> None:
    codes = EXIT_CODES[command]
    assert [int(code) for code in codes] == sorted({int(code) for code in codes}), "one meaning per code"
    assert int(codes[0]) == 0 and codes[-1] is PROGRAM_ERROR
    # argparse exits 2 on a bad command line, so 2 must mean bad input for every subcommand.
    assert any(code in (INVALID_INPUT, UNVERIFIED) and int(code) == 2 for code in codes)


@pytest.mark.parametrize("command", sorted(EXIT_CODES))
def test_help_lists_the_exit_codes(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([command, "--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    for code in EXIT_CODES[command]:
        assert f"  {int(code)}  {code.meaning}\n" in shown


def test_the_readme_shows_the_exit_codes_of_the_module() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    assert exit_codes.readme_table() in readme, (
        "README.md's exit code table differs from offline/commands/exit_codes.py; paste readme_table()"
    )


def test_a_bad_command_line_is_invalid_input(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["plan", "--no-such-option"])
    assert exited.value.code == INVALID_INPUT
    assert "unrecognized arguments" in capsys.readouterr().err


def test_an_unexpected_failure_is_a_program_error_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    saved = tmp_path / "dev.json"
    saved.write_text(json.dumps(planned("dev").to_contract()))

    def broken_render(*_: object) -> str:
        raise KeyError("severity")

    monkeypatch.setattr("offline.commands.check.render", broken_render)
    assert cli.main(["-C", str(PROJECT_DIR), "check", "--plan", str(saved)]) == PROGRAM_ERROR
    # The saved plan's warnings come first, as for any check; the failure itself is one line.
    errors = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("warning: ")]
    assert errors == ["error: crossmesh check failed: KeyError: 'severity'"]


def test_verify_with_an_unreadable_outputs_file_is_unverified(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "outputs.json").write_text("{not json")
    assert cli.main(["verify", "--stack", "dev", "--outputs", str(tmp_path / "outputs.json")]) == UNVERIFIED
    assert "outputs.json: not JSON: line 1 column 2" in capsys.readouterr().err
