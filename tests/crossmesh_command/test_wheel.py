"""The crossmesh wheel: one distinctly named package, the console script, which runs the program,
engine and pack of the project it is pointed at.

The wheel is built with uv (`make test` passes the Makefile's UV; otherwise uv on PATH or .tools/).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from crossmesh_policy import POLICIES

import crossmesh_command
from offline.commands.cli import command_line
from offline.commands.exit_codes import INVALID_INPUT
from tests.support.plans import PROJECT_DIR


def _uv() -> str:
    configured = os.environ.get("UV", "uv")
    found = (
        shutil.which(configured)
        or shutil.which(PROJECT_DIR / configured)
        or shutil.which(PROJECT_DIR / ".tools" / "bin" / "uv")
    )
    if found is None:
        raise AssertionError("uv is needed to build the wheel: run `make test`, or put uv on PATH")
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out_dir = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [_uv(), "build", "--wheel", "--out-dir", str(out_dir), "--python", sys.executable, str(PROJECT_DIR)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out_dir.glob("crossmesh-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unpacked as an installer would lay it out in site-packages."""
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def _run_installed(installed: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """`crossmesh ARGV` with only the unpacked wheel and the dependencies importable: -S skips the
    editable install's path entry, and cwd is not the repository."""
    script = (
        "import sys\n"
        f"sys.path[:0] = [{str(installed)!r}, {sysconfig.get_paths()['purelib']!r}]\n"
        f"sys.argv = ['crossmesh', *{list(argv)!r}]\n"
        "from crossmesh_command import main\n"
        "main()\n"
    )
    return subprocess.run(
        [sys.executable, "-S", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_wheel_installs_one_distinctly_named_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert top_level == {"crossmesh_command"}
    assert "crossmesh = crossmesh_command:main" in entry_points


def test_the_installed_command_runs_the_project_it_is_pointed_at(installed: Path, tmp_path: Path) -> None:
    done = _run_installed(installed, tmp_path, "-C", str(PROJECT_DIR), "policies")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith(f"{len(POLICIES)} policies, ")


def test_outside_a_project_the_command_says_where_to_run_it(installed: Path, tmp_path: Path) -> None:
    done = _run_installed(installed, tmp_path, "policies")
    assert done.returncode == INVALID_INPUT
    assert done.stderr == (
        f"error: {tmp_path.resolve()} holds no crossmesh project (no offline/commands/); run crossmesh in"
        " the directory with Pulumi.yaml, or pass -C/--cwd DIR\n"
    )


def test_not_a_project_is_invalid_input() -> None:
    assert crossmesh_command.NOT_A_PROJECT == INVALID_INPUT


@pytest.mark.parametrize(
    "argv",
    [
        ["plan"],
        ["-C", "docs", "plan", "--stack", "prod"],
        ["--cwd=docs", "check", "--plan", "p.json"],
        ["--project-d", "docs", "policies"],
        ["-C", "docs", "graph", "--format", "dot"],
        ["check", "-C", "docs", "-s", "dev"],
    ],
)
def test_the_project_dir_is_read_as_the_command_reads_it(argv: Sequence[str]) -> None:
    expected = Path(command_line().parse_args(argv).cwd).resolve()
    assert crossmesh_command.project_dir(argv) == expected


def test_the_version_is_answered_outside_a_project(installed: Path, tmp_path: Path) -> None:
    done = _run_installed(installed, tmp_path, "--version")
    assert (done.returncode, done.stdout) == (0, "crossmesh 0.1.0\n"), done.stderr
