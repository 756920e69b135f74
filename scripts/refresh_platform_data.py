"""Refresh the platform data the program checks stack files against (components/data/).

    python scripts/refresh_platform_data.py eks       # EKS calendar, from endoflife.date's API
    python scripts/refresh_platform_data.py gke       # GKE calendar (endoflife.date) and, with gcloud
                                                      # logged in, the minors each release channel offers
    python scripts/refresh_platform_data.py regions   # AWS regions from an installed botocore,
                                                      # Google Cloud regions with gcloud logged in

Each file keeps its shape; its `read` date becomes today and its `source` names what was read. Review
the diff before committing: a calendar date that moved changes what `pulumi up` accepts. Needs network
access (and gcloud for the Google parts); the offline tests never run it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import subprocess
import sys
import urllib.request
from importlib import resources
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "components" / "data"
EOL_API = "https://endoflife.date/api/{product}.json"
OLDEST_MINOR = (1, 28)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["eks", "gke", "regions"])
    args = parser.parse_args(argv)
    today = datetime.date.today().isoformat()
    {"eks": refresh_eks, "gke": refresh_gke, "regions": refresh_regions}[args.what](today)
    return 0


def refresh_eks(today: str) -> None:
    cycles = _endoflife("amazon-eks")
    document = _read("eks_versions.json")
    document["versions"] = [
        {
            "minor": cycle["cycle"],
            "release": cycle["releaseDate"],
            "endOfStandardSupport": cycle["eol"],
            "endOfExtendedSupport": cycle["extendedSupport"]
            if isinstance(cycle["extendedSupport"], str)
            else None,
        }
        for cycle in _minors(cycles)
    ]
    document["source"] = [{"type": "url", "url": EOL_API.format(product="amazon-eks"), "read_on": today}]
    _write("eks_versions.json", document, today)


def refresh_gke(today: str) -> None:
    cycles = _endoflife("google-kubernetes-engine")
    document = _read("gke_versions.json")
    document["versions"] = [
        {
            "minor": cycle["cycle"],
            "regularChannelAvailable": cycle["releaseDate"],
            "endOfStandardSupport": cycle["eol"],
        }
        for cycle in _minors(cycles)
    ]
    sources: list[dict[str, Any]] = [
        {"type": "url", "url": EOL_API.format(product="google-kubernetes-engine"), "read_on": today}
    ]
    if shutil.which("gcloud"):
        config = json.loads(_run(["gcloud", "container", "get-server-config", "--format=json"]))
        channels: dict[str, Any] = {"asOf": today}
        for channel in config.get("channels", []):
            minors = {".".join(version.split(".")[:2]) for version in channel.get("validVersions", [])}
            channels[channel["channel"]] = sorted(minors, key=lambda m: tuple(int(p) for p in m.split(".")))
        document["channels"] = channels
        sources.append({"type": "command", "command": "gcloud container get-server-config", "read_on": today})
    else:
        print("gcloud not found: the channel snapshot is kept as it was", file=sys.stderr)
    document["source"] = sources
    _write("gke_versions.json", document, today)


def refresh_regions(today: str) -> None:
    document = _read("regions.json")
    try:
        partitions = json.loads(resources.files("botocore").joinpath("data/partitions.json").read_text())
    except ModuleNotFoundError:
        sys.exit("botocore is not installed here: pip install botocore, then run this again")
    document["aws"]["regions"] = [
        {"code": code, "partition": partition["id"], "name": region.get("description", "")}
        for partition in partitions["partitions"]
        for code, region in sorted(partition.get("regions", {}).items())
        if not code.endswith("-global") and code != partition["id"]
    ]
    document["aws"]["source"] = [
        {"type": "pypi", "package": "botocore", "file": "botocore/data/partitions.json"}
    ]
    if shutil.which("gcloud"):
        names = _run(["gcloud", "compute", "regions", "list", "--format=value(name)"]).split()
        document["gcp"] = {
            "source": [{"type": "command", "command": "gcloud compute regions list", "read_on": today}],
            "regions": sorted(names),
        }
    else:
        print("gcloud not found: the Google Cloud regions are kept as they were", file=sys.stderr)
    _write("regions.json", document, today)


def _minors(cycles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def number(cycle: dict[str, Any]) -> tuple[int, ...]:
        return tuple(int(part) for part in str(cycle["cycle"]).split("."))

    return sorted((c for c in cycles if number(c) >= OLDEST_MINOR), key=number)


def _endoflife(product: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(EOL_API.format(product=product), timeout=30) as response:
        cycles: list[dict[str, Any]] = json.load(response)
    return cycles


def _run(argv: list[str]) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=120).stdout


def _read(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DATA / name).read_text())
    return document


def _write(name: str, document: dict[str, Any], today: str) -> None:
    document["read"] = today
    (DATA / name).write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote components/data/{name}")


if __name__ == "__main__":
    sys.exit(main())
