"""The exit codes of every `crossmesh` subcommand, each with its meaning.

One scheme for all: 0 success, 1 the subcommand's answer is no (a mandatory rule broken, a check
failed, a stale file), 2 the input is wrong or missing, 3 the program, the command or a rule failed.
Each subcommand's `--help` and the README's table are generated from `EXIT_CODES`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class ExitCode(int):
    """An exit status and what it tells the caller."""

    meaning: str

    def __new__(cls, code: int, meaning: str) -> ExitCode:
        exit_code = super().__new__(cls, code)
        exit_code.meaning = meaning
        return exit_code


OK = ExitCode(0, "success")
NO_MANDATORY_VIOLATION = ExitCode(
    0, "no mandatory rule, upstream artefact check or day-2 rule broken (advisory violations are printed)"
)
VERIFIED = ExitCode(0, "every check passed")
CURRENT = ExitCode(0, "the file was written, or with --check is current")
AGREEMENT = ExitCode(0, "Checkov and the pack agree, or disagree only where a listed reason says why")

MANDATORY_VIOLATION = ExitCode(
    1, "at least one mandatory rule, upstream artefact check or day-2 rule is broken"
)
CHECK_FAILED = ExitCode(1, "at least one check failed")
DISAGREEMENT = ExitCode(1, "Checkov and the pack disagree where no listed reason explains it")
STALE = ExitCode(1, "with --check: the file differs from what the code generates; nothing written")
FAILED_ON = ExitCode(
    1, "with --fail-on: the diff holds a change of that kind (a replace, a delete, a day-2 refusal)"
)

INVALID_INPUT = ExitCode(
    2,
    "invalid input: the stack config or file, a plan or pack config file, or the options; or an output "
    "that cannot be written (an unwritable --json FILE, a closed pipe)",
)
UNVERIFIED = ExitCode(
    2,
    "some checks could not run: no usable stack outputs, a tool or credentials missing, or bad options; "
    "or a closed pipe",
)

CANNOT_AUDIT = ExitCode(
    2, "cannot audit: invalid stack config, plan file or options, or Checkov is not installed"
)

PROGRAM_ERROR = ExitCode(3, "the program, the command or a rule failed: a defect, not the input")

EXIT_CODES: Mapping[str, Sequence[ExitCode]] = {
    "plan": (OK, FAILED_ON, INVALID_INPUT, PROGRAM_ERROR),
    "diff": (OK, FAILED_ON, INVALID_INPUT, PROGRAM_ERROR),
    "check": (NO_MANDATORY_VIOLATION, MANDATORY_VIOLATION, INVALID_INPUT, PROGRAM_ERROR),
    "audit": (AGREEMENT, DISAGREEMENT, CANNOT_AUDIT, PROGRAM_ERROR),
    "policies": (OK, INVALID_INPUT, PROGRAM_ERROR),
    "graph": (OK, INVALID_INPUT, PROGRAM_ERROR),
    "verify": (VERIFIED, CHECK_FAILED, UNVERIFIED, PROGRAM_ERROR),
    "flow-docs": (CURRENT, STALE, INVALID_INPUT, PROGRAM_ERROR),
    "config-docs": (CURRENT, STALE, INVALID_INPUT, PROGRAM_ERROR),
    "cost-docs": (CURRENT, STALE, INVALID_INPUT, PROGRAM_ERROR),
    "policy-docs": (CURRENT, STALE, INVALID_INPUT, PROGRAM_ERROR),
}

README_START = "<!-- exit codes: generated from offline/commands/exit_codes.py, do not edit -->"
README_END = "<!-- end of exit codes -->"


def help_epilog(command: str) -> str:
    """The exit codes section of `crossmesh <command> --help`."""
    lines = [f"  {code}  {code.meaning}" for code in EXIT_CODES[command]]
    return "exit codes:\n" + "\n".join(lines)


def readme_table() -> str:
    """Every exit code once, with the subcommands that use it, as the README shows them."""
    rows: dict[tuple[int, str], list[str]] = {}
    for command, codes in EXIT_CODES.items():
        for code in codes:
            rows.setdefault((int(code), code.meaning), []).append(f"`{command}`")
    lines = ["| exit | meaning | subcommands |", "|---|---|---|"]
    lines += [
        f"| {code} | {meaning} | {', '.join(commands)} |"
        for (code, meaning), commands in sorted(rows.items(), key=lambda row: row[0][0])
    ]
    return "\n".join([README_START, *lines, README_END])
