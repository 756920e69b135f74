"""Pinned artefacts exist: every Helm release's chart version is in its repository's recorded index."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offline.artefacts import data

REFRESH = "scripts/refresh_upstream_data.py"


def repository_of(release_inputs: Mapping[str, Any]) -> str | None:
    options = release_inputs.get("repositoryOpts")
    repo = options.get("repo") if isinstance(options, Mapping) else None
    return repo.rstrip("/") if isinstance(repo, str) else None


def pin_problem(release_inputs: Mapping[str, Any], index: Mapping[str, Any] | None = None) -> str | None:
    """Why the release's chart version cannot be shown to be published, or None when the index has it."""
    repositories = (index or data.chart_index())["repositories"]
    chart, version, repo = (
        release_inputs.get("chart"),
        release_inputs.get("version"),
        repository_of(release_inputs),
    )
    if not isinstance(version, str) or not version:
        return f"chart {chart} has no pinned version: Helm would install whatever is newest at `pulumi up`"
    if repo not in repositories:
        return (
            f"chart repository {repo} is not recorded in offline/data/charts/index.json; add it to {REFRESH}"
        )
    recorded = repositories[repo]
    versions = recorded["charts"].get(chart)
    if versions is None:
        return f"chart {chart} of {repo} is not recorded; add it to {REFRESH}"
    entry = next((e for e in versions if e["version"] == version), None)
    as_of = _as_of(recorded["source"])
    if entry is None:
        newest = next((e["version"] for e in versions if "-" not in e["version"]), None)
        return (
            f"{chart} {version} is not published in {repo} (index as of {as_of}; newest release {newest}); "
            f"pin a published version, or refresh the index with {REFRESH} if it is newer"
        )
    if "-" in version:
        return f"{chart} {version} is a prerelease; pin a release"
    if entry.get("deprecated"):
        return f"{chart} {version} is marked deprecated in {repo}"
    return None


def _as_of(source: Mapping[str, Any]) -> str:
    return str(source.get("index_generated") or source.get("commit_date") or source.get("newest_commit_date"))
