"""How long `crossmesh diff` takes on large plans, planning excluded.

Two cases, each `crossmesh diff` in a fresh process as a user runs it (median of three):
- the prod stack's plan against itself (target: under 3 s, reporting 0 changes);
- two plans of a generated 500-service stack, the second with larger tunnels planned `--against` the
  first, so it holds the replacements and their cascades (target: under 5 s).
Run it with `make bench-diff`; it writes bench/results/diff_scale.md (ignored by git: docs/diff.md
quotes the figures of one run by hand).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench.plan_scale import PROJECT_DIR, REPEATS, generated_services, write_stack
from offline.sdk_loading import CACHE_VARIABLE

TARGET_SELF_SECONDS = 3.0
TARGET_500_SECONDS = 5.0
SERVICES = 500


def crossmesh(project: Path, environment: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "offline", "--project-dir", str(project), *argv]
    return subprocess.run(
        command, cwd=PROJECT_DIR, env=environment, capture_output=True, text=True, check=False
    )


def timed_diff(project: Path, environment: dict[str, str], old: Path, new: Path) -> tuple[float, str]:
    """The median wall time of `crossmesh diff old new`, and its summary line."""
    times = []
    summary = ""
    for _ in range(REPEATS):
        started = time.perf_counter()
        done = crossmesh(project, environment, "diff", str(old), str(new))
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise RuntimeError(f"crossmesh diff failed: {done.stderr}")
        summary = done.stdout.strip().splitlines()[-1]
    return statistics.median(times), summary


def plan(project: Path, environment: dict[str, str], stack: str, out: Path, *extra: str) -> int:
    done = crossmesh(project, environment, "plan", "--stack", stack, "--json", str(out), *extra)
    if done.returncode != 0:
        raise RuntimeError(f"planning {stack} failed: {done.stderr}")
    return len(json.loads(out.read_text())["resources"])


def run() -> list[str]:
    with tempfile.TemporaryDirectory(prefix="crossmesh-bench-diff-") as directory:
        project = Path(directory)
        for entry in ("Pulumi.yaml", "__main__.py", "components"):
            (project / entry).symlink_to(PROJECT_DIR / entry)
        environment = {**os.environ, CACHE_VARIABLE: str(project / "sdk-cache")}
        (project / "Pulumi.prod.yaml").write_text((PROJECT_DIR / "Pulumi.prod.yaml").read_text())
        prod = project / "prod.json"
        prod_resources = plan(project, environment, "prod", prod)
        self_seconds, self_summary = timed_diff(project, environment, prod, prod)

        write_stack(project, "s500", generated_services(SERVICES))
        before, after = project / "before.json", project / "after.json"
        resources = plan(project, environment, "s500", before)
        stack_file = project / "Pulumi.s500.yaml"
        document = yaml.safe_load(stack_file.read_text())
        document["config"]["crossmesh:link"]["tunnelBandwidth"] = "large"
        stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
        plan(project, environment, "s500", after, "--against", str(before))
        large_seconds, large_summary = timed_diff(project, environment, before, after)
    return [
        "| case | resources per plan | diff wall time | target |",
        "|---|---:|---:|---:|",
        f"| prod against itself | {prod_resources} | {self_seconds:.2f} s | < {TARGET_SELF_SECONDS:.0f} s |",
        f"| {SERVICES} services, larger tunnels | {resources} | {large_seconds:.2f} s"
        f" | < {TARGET_500_SECONDS:.0f} s |",
        "",
        f"- prod against itself: `{self_summary}`",
        f"- {SERVICES} services: `{large_summary}`",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write bench/results/diff_scale.md")
    args = parser.parse_args()
    report = "\n".join(run()) + "\n"
    print(report)
    if args.write:
        (PROJECT_DIR / "bench" / "results").mkdir(exist_ok=True)
        (PROJECT_DIR / "bench" / "results" / "diff_scale.md").write_text(
            f"Measured by `make bench-diff` on {os.cpu_count()} cores, Python {sys.version.split()[0]}.\n\n"
            + report
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
