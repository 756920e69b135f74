"""Rewrite components/data/cluster_autoscaler.json from the cluster autoscaler's release tags.

The program runs, on EKS, the newest patch release of the autoscaler minor that matches the cluster's
Kubernetes minor (the chart is pinned in components/clusters/autoscaler_specs.py; the image tag comes
from this file). The tags are read with `git ls-remote`, so a machine with network access needs no
clone:

    .venv/bin/python scripts/refresh_cluster_autoscaler.py
    .venv/bin/python scripts/refresh_cluster_autoscaler.py --remote /path/to/a/clone --since 1.31

It records each minor's newest `cluster-autoscaler-1.<minor>.<patch>` tag and the commit it points at.
That the release's image was published to registry.k8s.io is not checked.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_FILE = PROJECT_DIR / "components" / "data" / "cluster_autoscaler.json"
REMOTE = "https://github.com/kubernetes/autoscaler"
_TAG = re.compile(r"^refs/tags/cluster-autoscaler-1\.(\d+)\.(\d+)(\^\{\})?$")


def newest_per_minor(ls_remote: str, since_minor: int) -> dict[str, dict[str, str]]:
    """From `git ls-remote --tags` output: per minor, the newest patch tag and its commit (peeled)."""
    found: dict[int, tuple[int, str]] = {}
    commits: dict[tuple[int, int], str] = {}
    for line in ls_remote.splitlines():
        commit, _, ref = line.partition("\t")
        match = _TAG.match(ref)
        if match is None or int(match[1]) < since_minor:
            continue
        minor, patch = int(match[1]), int(match[2])
        # An annotated tag appears twice; the peeled line (^{}) names the commit.
        if match[3] or (minor, patch) not in commits:
            commits[(minor, patch)] = commit
        if patch >= found.get(minor, (-1, ""))[0]:
            found[minor] = (patch, ref)
    return {
        f"1.{minor}": {
            "version": f"1.{minor}.{patch}",
            "tag": f"cluster-autoscaler-1.{minor}.{patch}",
            "commit": commits[(minor, patch)],
        }
        for minor, (patch, _) in sorted(found.items())
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--remote", default=REMOTE, help=f"git remote or clone to read (default {REMOTE})")
    parser.add_argument("--since", default="1.31", help="oldest Kubernetes minor to record (default 1.31)")
    args = parser.parse_args()
    since_minor = int(args.since.split(".")[1])
    tags = subprocess.run(
        ["git", "ls-remote", "--tags", args.remote], capture_output=True, text=True, check=True
    ).stdout
    head = subprocess.run(
        ["git", "ls-remote", args.remote, "HEAD"], capture_output=True, text=True, check=True
    ).stdout.split()
    releases = newest_per_minor(tags, since_minor)
    if not releases:
        raise SystemExit(f"no cluster-autoscaler-1.x.y tag from 1.{since_minor} on in {args.remote}")
    previous = json.loads(DATA_FILE.read_text()) if DATA_FILE.is_file() else {}
    data = {
        "description": previous.get("description", ""),
        "source": {
            "repo": "kubernetes/autoscaler",
            "ref": "refs/tags/cluster-autoscaler-<version>",
            "head": head[0] if head else None,
            "image": "registry.k8s.io/autoscaling/cluster-autoscaler:v<version>",
            "note": "release tags of the repository; that each tag's image was published is not checked here",
        },
        "read": datetime.date.today().isoformat(),
        "releases": releases,
    }
    DATA_FILE.write_text(json.dumps(data, indent=1) + "\n")
    print(
        f"wrote {DATA_FILE.relative_to(PROJECT_DIR)}: " + ", ".join(r["version"] for r in releases.values())
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
