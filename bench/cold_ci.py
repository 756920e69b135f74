"""A cold CI run, as .ci/run does it on a machine with only Python: a fresh clone, empty package caches.

Clones the repository (its committed HEAD, or --ref), then runs `make plan`, `make test` and `make test`
again (warm) in the clone with empty uv and pip caches and no uv on the PATH, so the Makefile installs uv
from PyPI and every package is downloaded. For each step: wall time, CPU time (user + system, of the
step and all it started) and the peak memory of its largest process. Also checks that the first plan
says, in one line, that it builds the SDK cache.

The machine is shared: wall times wander with the load (printed beside them); CPU times much less.

    python bench/cold_ci.py [--ref REF] [--write]

Targets on the 2-core machine: fresh clone to both commands done in under 90 s, peak memory under
3 GB, a warm `make test` under 30 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = PROJECT_DIR / "bench" / "results"
STEPS = (
    ("make plan", ["make", "plan"]),
    ("make test", ["make", "test"]),
    ("make test, warm", ["make", "test"]),
)
TARGET_COLD_SECONDS = 90.0
TARGET_PEAK_GIB = 3.0
TARGET_WARM_TEST_SECONDS = 30.0
CACHE_LINE = "crossmesh: building the SDK cache in "


@dataclass(frozen=True)
class Step:
    name: str
    seconds: float
    cpu_seconds: float
    peak_mib: float
    load: float
    output: str
    exit_code: int


def clean_environment(scratch: Path) -> dict[str, str]:
    """This process's environment with empty caches, no virtualenv and no uv on the PATH."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("UV_", "VIRTUAL_ENV", "CROSSMESH_", "PYTEST_", "MYPY"))
    }
    path = [
        entry for entry in environment.get("PATH", "").split(os.pathsep) if not (Path(entry) / "uv").exists()
    ]
    environment.update(
        PATH=os.pathsep.join(path),
        UV_CACHE_DIR=str(scratch / "uv-cache"),
        PIP_NO_CACHE_DIR="1",
        XDG_CACHE_HOME=str(scratch / "xdg-cache"),
        CI="true",
    )
    return environment


def run_step(name: str, argv: list[str], clone: Path, environment: dict[str, str]) -> Step:
    load = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=clone, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"{name} exited {code}:\n{output[-3000:]}", file=sys.stderr)
    return Step(name, seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, load, output, code)


def cold_run(ref: str) -> list[Step]:
    with tempfile.TemporaryDirectory(prefix="crossmesh-cold-ci-") as directory:
        scratch = Path(directory)
        clone = scratch / "crossmesh"
        subprocess.run(["git", "clone", "--quiet", "--no-local", str(PROJECT_DIR), str(clone)], check=True)
        subprocess.run(["git", "checkout", "--quiet", ref], cwd=clone, check=True)
        environment = clean_environment(scratch)
        return [run_step(name, argv, clone, environment) for name, argv in STEPS]


def report(ref: str, steps: list[Step]) -> str:
    cold = steps[:2]
    lines = [
        f"Cold CI run of `{ref}` by `python bench/cold_ci.py` on {os.cpu_count()} cores,"
        f" Python {sys.version.split()[0]}.",
        "",
        "| step | exit | wall time | CPU time | peak memory (largest process) | load at start |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {s.name} | {s.exit_code} | {s.seconds:.0f} s | {s.cpu_seconds:.0f} s | {s.peak_mib:,.0f} MiB"
        f" | {s.load:.1f} |"
        for s in steps
    ]
    announced = sum(line.startswith(CACHE_LINE) for line in steps[0].output.splitlines())
    peak = max(s.peak_mib for s in cold) / 1024
    lines += [
        "",
        f"- fresh clone to `make plan` and `make test` done: {sum(s.seconds for s in cold):.0f} s"
        f" (target < {TARGET_COLD_SECONDS:.0f} s), {sum(s.cpu_seconds for s in cold):.0f} s of CPU",
        f"- peak memory: {peak:.2f} GiB (target < {TARGET_PEAK_GIB:.0f} GiB)",
        f"- warm `make test`: {steps[2].seconds:.0f} s (target < {TARGET_WARM_TEST_SECONDS:.0f} s)",
        f"- the first plan said it builds the SDK cache: {announced} time(s)",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="HEAD", help="the commit to clone and run (default: HEAD)")
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS_DIR.name}/cold_ci.md")
    args = parser.parse_args()
    ref = subprocess.run(
        ["git", "rev-parse", "--short", args.ref], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    ).stdout.strip()
    text = report(ref, cold_run(ref))
    print(text)
    if args.write:
        RESULTS_DIR.mkdir(exist_ok=True)
        (RESULTS_DIR / "cold_ci.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
