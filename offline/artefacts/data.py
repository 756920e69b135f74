"""The upstream data the artefact checks read (offline/data/; scripts/refresh_upstream_data.py writes it).

Each file is read once per process. A lookup that finds no data answers None: the checks report that
as a finding naming the refresh, never as a pass.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data"


@cache
def _read(relative: str) -> Any:
    path = DATA / relative
    return json.loads(path.read_text()) if path.is_file() else None


def chart_index() -> dict[str, Any]:
    """The pins and each chart repository's published versions (charts/index.json)."""
    index: dict[str, Any] = _read("charts/index.json")
    return index


def chart_values(chart: str, version: str) -> dict[str, Any] | None:
    """values.yaml, values.schema.json and template paths of one chart version, if recorded."""
    values: dict[str, Any] | None = _read(f"charts/values/{chart}-{version}.json")
    return values


def crd_files() -> list[dict[str, Any]]:
    """Every recorded set of CRDs, each with what installs it (a chart version or a cluster service)."""
    return [_read(f"crds/{path.name}") for path in sorted((DATA / "crds").glob("*.json"))]


def crd_charts() -> set[str]:
    """The charts that install CRDs, whichever versions of them are recorded."""
    return {str(f["installed_by"]["chart"]) for f in crd_files() if "chart" in f["installed_by"]}


def kubernetes(minor: str) -> dict[str, Any] | None:
    """The OpenAPI definitions of the kinds crossmesh renders, for one Kubernetes minor, if recorded."""
    schemas: dict[str, Any] | None = _read(f"kubernetes/{minor}.json")
    return schemas


def gke_versions() -> dict[str, Any]:
    versions: dict[str, Any] = _read("kubernetes/gke-versions.json")
    return versions
