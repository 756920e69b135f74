"""How the offline plan scales with the number of services.

Generates stacks of 10, 50, 200 and 500 services spread over both clouds (each calling the one
before it, so every other call crosses the link), plans each in a fresh process as a user would
(`crossmesh plan --json`), and reports wall time, peak memory of the whole process and resources per
service. Plans run with the SDK cache built (offline/sdk_loading.py), as every plan after the first
in an environment does; the first, which builds it, is reported apart. Each figure is the median of
three runs. Run it with `make bench`; it writes bench/results/plan_scale.md (ignored by git: the README
quotes the figures of one run, on the 2-core machine class, by hand).

Targets on the 2-core build machine: dev plan under 3 s, 500 services under 30 s, and 500 services
no more than 12 times the time of 50 (growth close to linear).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from offline.sdk_loading import CACHE_VARIABLE

PROJECT_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = PROJECT_DIR / "bench" / "results"
SIZES = (10, 50, 200, 500)
TARGET_DEV_SECONDS = 3.0
TARGET_500_SECONDS = 30.0
TARGET_GROWTH_500_OVER_50 = 12.0
# This machine's speed wanders by a fifth from minute to minute: each figure is the median of runs.
REPEATS = 3


@dataclass(frozen=True)
class Measurement:
    services: int
    seconds: float
    peak_mib: float
    resources: int
    # User and system time of the process: what the plan costs, whatever else the machine is doing.
    cpu_seconds: float = 0.0

    @property
    def resources_per_service(self) -> float:
        return self.resources / self.services if self.services else 0.0


def generated_services(count: int) -> list[dict[str, Any]]:
    """count services alternating between the clouds; each calls the next, the first calls nothing."""
    services: list[dict[str, Any]] = []
    for index in range(count):
        cloud = "aws" if index % 2 else "gcp"
        service: dict[str, Any] = {
            "name": f"svc-{index:03d}",
            "cloud": cloud,
            "namespace": f"team-{index // 25:02d}",
            "port": 8000 + index % 20,
        }
        if index:
            service["callers"] = [f"svc-{index - 1:03d}"]
        services.append(service)
    return services


def write_stack(project: Path, name: str, services: list[dict[str, Any]] | None) -> None:
    """A copy of the dev stack file, its services replaced when given."""
    document = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    if services is not None:
        document["config"]["crossmesh:services"] = services
    (project / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))


def measure(project: Path, stack: str, services: int, environment: dict[str, str]) -> Measurement:
    """Plan the stack in a fresh process; wall time and peak RSS are that process's own."""
    plan_file = project / f"{stack}.json"
    command = [
        sys.executable,
        "-m",
        "offline",
        "--cwd",
        str(project),
        "plan",
        "--stack",
        stack,
        "--json",
        str(plan_file),
    ]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(
            f"planning {services} services failed: {process.stderr.read().decode() if process.stderr else ''}"
        )
    # Every resource the program registers, as `crossmesh plan` and `crossmesh check` count them.
    resources = json.loads(plan_file.read_text())["resources"]
    cpu = usage.ru_utime + usage.ru_stime
    return Measurement(services, seconds, usage.ru_maxrss / 1024, len(resources), cpu)


def median_of_runs(project: Path, stack: str, services: int, environment: dict[str, str]) -> Measurement:
    """The run with the median wall time, with the highest peak memory of all runs."""
    runs = sorted(
        (measure(project, stack, services, environment) for _ in range(REPEATS)), key=lambda m: m.seconds
    )
    middle = runs[len(runs) // 2]
    peak = max(m.peak_mib for m in runs)
    return Measurement(services, middle.seconds, peak, middle.resources, middle.cpu_seconds)


def run(sizes: tuple[int, ...]) -> tuple[Measurement, Measurement, list[Measurement]]:
    """The dev plan with an empty SDK cache, then with it built, then each generated stack."""
    with tempfile.TemporaryDirectory(prefix="crossmesh-bench-") as directory:
        project = Path(directory)
        for entry in ("Pulumi.yaml", "__main__.py", "components"):
            (project / entry).symlink_to(PROJECT_DIR / entry)
        environment = {**os.environ, CACHE_VARIABLE: str(project / "sdk-cache")}
        write_stack(project, "dev", None)
        dev_services = len(
            yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"]["crossmesh:services"]
        )
        first = measure(project, "dev", dev_services, environment)
        dev = median_of_runs(project, "dev", dev_services, environment)
        results = []
        for size in sizes:
            write_stack(project, f"s{size}", generated_services(size))
            results.append(median_of_runs(project, f"s{size}", size, environment))
    return first, dev, results


def table(dev: Measurement, results: list[Measurement]) -> str:
    lines = [
        "| stack | services | resources | resources per service | plan wall time | plan CPU time"
        " | peak memory |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| dev | {dev.services} | {dev.resources} | - | {dev.seconds:.2f} s | {dev.cpu_seconds:.2f} s"
        f" | {dev.peak_mib:.0f} MiB |",
    ]
    # Resources per service at the margin: what each added service costs beyond the fixed estate.
    for previous, result in zip([None, *results], results, strict=False):
        marginal = (
            f"{(result.resources - previous.resources) / (result.services - previous.services):.1f}"
            if previous
            else "-"
        )
        lines.append(
            f"| generated | {result.services} | {result.resources} | {marginal} | "
            f"{result.seconds:.2f} s | {result.cpu_seconds:.2f} s | {result.peak_mib:.0f} MiB |"
        )
    return "\n".join(lines) + "\n"


def verdicts(dev: Measurement, results: list[Measurement]) -> list[str]:
    by_size = {result.services: result for result in results}
    lines = [f"dev plan {dev.seconds:.2f} s (target < {TARGET_DEV_SECONDS:.0f} s)"]
    if 500 in by_size:
        lines.append(f"500 services {by_size[500].seconds:.2f} s (target < {TARGET_500_SECONDS:.0f} s)")
    if 500 in by_size and 50 in by_size:
        growth = by_size[500].seconds / by_size[50].seconds
        lines.append(
            f"500 / 50 services: {growth:.1f}x the time (target <= {TARGET_GROWTH_500_OVER_50:.0f}x)"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS_DIR.name}/plan_scale.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    first, dev, results = run(tuple(args.sizes))
    notes = [
        *verdicts(dev, results),
        f"the first plan in a new environment, which compiles the SDK modules it loads into the cache:"
        f" {first.seconds:.2f} s, once",
    ]
    report = table(dev, results) + "\n" + "\n".join(f"- {line}" for line in notes) + "\n"
    print(report)
    if args.write:
        RESULTS_DIR.mkdir(exist_ok=True)
        (RESULTS_DIR / "plan_scale.md").write_text(
            f"Measured by `make bench` on {os.cpu_count()} cores, Python {sys.version.split()[0]}, load"
            f" average {load:.1f} at the start.\n\n" + report
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
