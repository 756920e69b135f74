"""`crossmesh`: plan a stack offline, and regenerate the configuration reference.

Exit codes: 0 success, 2 invalid input (stack config or stack file; one `error:` line per problem,
no traceback), 1 a program error.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from components.config import ConfigError

EXIT_OK = 0
EXIT_PROGRAM_ERROR = 1
EXIT_INVALID_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    project_dir = Path(args.project_dir).resolve()
    handler = {"plan": _plan, "config-docs": _config_docs}[args.command]
    return handler(args, project_dir)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crossmesh", description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", default=".", help="the directory holding Pulumi.yaml (default: .)")
    commands = parser.add_subparsers(dest="command", required=True)

    plan = commands.add_parser("plan", help="run the program offline and summarise what it would create")
    plan.add_argument("--stack", default="dev", help="stack name: plans Pulumi.<stack>.yaml (default: dev)")
    plan.add_argument("--json", metavar="FILE", help="also write the plan contract as JSON to FILE")
    plan.add_argument("--debug", action="store_true", help="print the traceback of a program error")

    docs = commands.add_parser("config-docs", help="regenerate docs/configuration.md from StackConfig")
    docs.add_argument("--check", action="store_true", help="exit 1 if the file is stale, write nothing")
    return parser


def _plan(args: argparse.Namespace, project_dir: Path) -> int:
    from offline.engine import StackFileError, plan_stack
    from offline.summary import render_summary

    try:
        plan = plan_stack(project_dir, args.stack)
    except ConfigError as err:
        print(
            f"error: invalid configuration in Pulumi.{args.stack}.yaml; nothing was registered",
            file=sys.stderr,
        )
        for problem in err.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    except StackFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    except Exception as err:
        if args.debug:
            traceback.print_exc()
        print(f"error: the program failed: {type(err).__name__}: {err}", file=sys.stderr)
        return EXIT_PROGRAM_ERROR
    sys.stdout.write(render_summary(plan))
    if args.json:
        Path(args.json).write_text(json.dumps(plan.to_contract(), indent=2, sort_keys=False) + "\n")
        print(f"\nplan written to {args.json}")
    return EXIT_OK


def _config_docs(args: argparse.Namespace, project_dir: Path) -> int:
    from offline.config_reference import REFERENCE_PATH, render_reference, write_reference

    if args.check:
        current = (
            (project_dir / REFERENCE_PATH).read_text() if (project_dir / REFERENCE_PATH).exists() else ""
        )
        if current != render_reference(project_dir):
            print(f"error: {REFERENCE_PATH} is stale; run `crossmesh config-docs`", file=sys.stderr)
            return EXIT_PROGRAM_ERROR
        return EXIT_OK
    print(f"wrote {write_reference(project_dir)}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
