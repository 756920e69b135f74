"""Refresh the platform data the program checks stack files against (components/data/).

    python scripts/refresh_platform_data.py eks       # EKS calendar, from endoflife.date's API
    python scripts/refresh_platform_data.py gke       # GKE calendar (endoflife.date) and, with gcloud
                                                      # logged in, the minors each release channel offers
    python scripts/refresh_platform_data.py regions   # AWS regions from an installed botocore,
                                                      # Google Cloud regions with gcloud logged in
    python scripts/refresh_platform_data.py istio     # Istio calendar: istio.io's support-status
                                                      # table (data/compatibility/supportStatus.yml)
                                                      # and istio/istio's release tags (git)

Each file keeps its shape; its `read` date becomes today and its `source` names what was read. Review
the diff before committing: a calendar date that moved changes what `pulumi up` accepts. Needs network
access (and gcloud for the Google parts); the offline tests never run it.
"""

from __future__ import annotations

import argparse
import calendar
import datetime
import json
import re
import shutil
import subprocess
import sys
import urllib.request
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parents[1] / "components" / "data"
EOL_API = "https://endoflife.date/api/{product}.json"
OLDEST_MINOR = (1, 28)
ISTIO_IO = "istio/istio.io"
SUPPORT_STATUS = "data/compatibility/supportStatus.yml"
SUPPORT_STATUS_URL = f"https://raw.githubusercontent.com/{ISTIO_IO}/master/{SUPPORT_STATUS}"
SUPPORT_STATUS_COMMITS = f"https://api.github.com/repos/{ISTIO_IO}/commits?path={SUPPORT_STATUS}&per_page=1"
ISTIO_REPO = "https://github.com/istio/istio"
OLDEST_ISTIO_MINOR = (1, 26)
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["eks", "gke", "regions", "istio"])
    args = parser.parse_args(argv)
    today = datetime.date.today().isoformat()
    refresh = {"eks": refresh_eks, "gke": refresh_gke, "regions": refresh_regions, "istio": refresh_istio}
    refresh[args.what](today)
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


def refresh_istio(today: str) -> None:
    """istio.io's support-status table, each minor's newest release tag; the files istio.io publishes
    about each minor's end (announcements) are not read here: review the table's dates by them."""
    with urllib.request.urlopen(SUPPORT_STATUS_URL, timeout=30) as response:
        rows = yaml.safe_load(response.read())
    with urllib.request.urlopen(SUPPORT_STATUS_COMMITS, timeout=30) as response:
        newest = json.load(response)[0]
    tags = _run(["git", "ls-remote", "--tags", "--refs", ISTIO_REPO]).split()
    document = _read("istio_versions.json")
    document["versions"] = istio_versions(rows, [t.removeprefix("refs/tags/") for t in tags])
    document["source"] = [
        {
            "type": "repo",
            "repo": ISTIO_IO,
            "path": SUPPORT_STATUS,
            "commit": newest["sha"],
            "snapshot_date": newest["commit"]["committer"]["date"],
            "read_on": today,
        },
        {"type": "command", "command": f"git ls-remote --tags {ISTIO_REPO}", "read_on": today},
    ]
    _write("istio_versions.json", document, today)


def istio_versions(rows: list[dict[str, Any]], tags: list[str]) -> list[dict[str, Any]]:
    """The calendar's rows from istio.io's support-status rows and istio/istio's tag names, oldest first."""
    versions = []
    for row in rows:
        minor = str(row["version"])
        if not re.fullmatch(r"\d+\.\d+", minor) or _minor_number(minor) < OLDEST_ISTIO_MINOR:
            continue
        patches = [t for t in tags if re.fullmatch(rf"{re.escape(minor)}\.\d+", t)]
        versions.append(
            {
                "minor": minor,
                "release": parse_istio_date(str(row["releaseDate"]))[0].isoformat(),
                "endOfSupport": istio_end_of_support(row.get("eolDate")),
                "kubernetes": [str(v) for v in row.get("k8sVersions") or []],
                "newestPatch": max(patches, key=_minor_number) if patches else None,
                "sources": {"all": f"{ISTIO_IO} {SUPPORT_STATUS}; {ISTIO_REPO} tags"},
            }
        )
    return sorted(versions, key=lambda v: _minor_number(v["minor"]))


def istio_end_of_support(text: str | None) -> dict[str, Any] | None:
    """An End of Life cell as the calendar keeps it: a month only ('~Nov 2026 (Expected)') is
    `expected` and dated its last day; a day is `announced`. (`ended`, for a minor whose end istio.io
    has announced as past, is set by hand from its announcements: the table does not say it.)"""
    if not text:
        return None
    day, precision = parse_istio_date(text)
    return {
        "date": day.isoformat(),
        "status": "expected" if precision == "month" else "announced",
        "asWritten": text,
    }


def parse_istio_date(text: str) -> tuple[datetime.date, str]:
    """istio.io's free-text dates ('Sept 5, 2023', '12 Oct 2026 (Expected)', '~Feb 2027 (Expected)')
    as a date and its precision, `day` or `month` (then the month's last day)."""
    words = re.findall(r"[A-Za-z]+|\d+", text.replace("(Expected)", ""))
    months = [w for w in words if w[:3].lower() in _MONTHS and not w.isdigit()]
    numbers = [int(w) for w in words if w.isdigit()]
    years = [n for n in numbers if n > 31]
    days = [n for n in numbers if n <= 31]
    if len(months) != 1 or len(years) != 1 or len(days) > 1:
        raise ValueError(f"not a date istio.io writes: {text!r}")
    month, year = _MONTHS[months[0][:3].lower()], years[0]
    if days:
        return datetime.date(year, month, days[0]), "day"
    return datetime.date(year, month, calendar.monthrange(year, month)[1]), "month"


def _minor_number(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


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
