"""The `crossmesh` console script, the only package the crossmesh wheel installs.

The command plans the project it is run in: that directory's `__main__.py` imports `components` from
there, so the offline engine, the command and the policy pack are taken from there too, never from an
installed copy that could differ from the program it plans. This package finds the project directory
(`-C/--cwd`, default the current directory), puts it first on the import path and starts the
command it holds (offline/commands/launch.py). docs/adr/0005-packaging.md says why.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

# exit_codes.INVALID_INPUT, which cannot be imported before the project is found.
NOT_A_PROJECT = 2


def project_dir(argv: Sequence[str]) -> Path:
    """The directory `crossmesh` runs in, read from the command line as the command itself reads it."""
    parser = argparse.ArgumentParser(prog="crossmesh", add_help=False)
    parser.add_argument("-C", "--cwd", "--project-dir", dest="cwd", default=".")
    known, _ = parser.parse_known_args(argv)
    return Path(known.cwd).resolve()


def main() -> NoReturn:
    if sys.argv[1:] == ["--version"]:
        # Answered by the installed distribution, in a project or not.
        print(f"crossmesh {importlib.metadata.version('crossmesh')}")
        sys.exit(0)
    project = project_dir(sys.argv[1:])
    if not (project / "offline" / "commands").is_dir():
        print(
            f"error: {project} holds no crossmesh project (no offline/commands/); run crossmesh in the"
            " directory with Pulumi.yaml, or pass -C/--cwd DIR",
            file=sys.stderr,
        )
        sys.exit(NOT_A_PROJECT)
    sys.path.insert(0, str(project))
    from offline.commands.launch import run

    run()
