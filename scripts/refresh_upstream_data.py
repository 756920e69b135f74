"""Refresh the upstream data the offline checks hold the plan against (docs/upstream-data.md).

What it writes:
  offline/data/charts/index.json          every tracked chart repository's published versions; the pins
                                          section is ours and is kept as it is
  offline/data/charts/values/C-V.json     chart C at version V: values.yaml as JSON, values.schema.json,
                                          and the `.Values` paths its templates read
  offline/data/crds/C-V.json              the CustomResourceDefinitions chart (or service) C installs at V
  offline/data/kubernetes/1.N.json        the Kubernetes OpenAPI definitions of the kinds we render
  offline/data/kubernetes/gke-versions.json  the Kubernetes versions GKE offers, from its release notes

Two ways to reach upstream:
  --online       the chart repositories' published index.yaml and packaged charts, and files of the
                 upstream repositories on GitHub (needs HTTPS to those hosts)
  --clones DIR   git clones (bare or not), DIR/<owner>/<name>, with their tags and gh-pages branches;
                 Istio's versions are then its release tags (Istio publishes its charts at every tag)

    python scripts/refresh_upstream_data.py --online
    python scripts/refresh_upstream_data.py --clones ~/src/upstream --read-date 2026-11-30
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import re
import subprocess
import tarfile
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

DATA = Path(__file__).resolve().parents[1] / "offline" / "data"

ISTIO_REPOSITORY = "https://istio-release.storage.googleapis.com/charts"


@dataclass(frozen=True)
class ChartRepository:
    """A Helm repository and where its charts' sources live."""

    url: str
    github: str  # owner/name of the repository the charts are built from
    charts: tuple[str, ...]
    # Where chart C at version V lives in the source repository: (tag, directory), or None when only
    # the packaged chart on the gh-pages branch holds it.
    source_of: Mapping[str, tuple[str, str]] | None
    index_from_tags: bool = False


REPOSITORIES = (
    ChartRepository(
        ISTIO_REPOSITORY,
        "istio/istio",
        ("base", "istiod", "gateway"),
        {
            "base": ("{version}", "manifests/charts/base"),
            "istiod": ("{version}", "manifests/charts/istio-control/istio-discovery"),
            "gateway": ("{version}", "manifests/charts/gateway"),
        },
        index_from_tags=True,
    ),
    ChartRepository(
        "https://open-telemetry.github.io/opentelemetry-helm-charts",
        "open-telemetry/opentelemetry-helm-charts",
        ("opentelemetry-collector",),
        {"opentelemetry-collector": ("opentelemetry-collector-{version}", "charts/opentelemetry-collector")},
    ),
    ChartRepository("https://aws.github.io/eks-charts", "aws/eks-charts", ("appmesh-controller",), None),
    ChartRepository(
        "https://kubernetes.github.io/autoscaler",
        "kubernetes/autoscaler",
        ("cluster-autoscaler",),
        {
            "cluster-autoscaler": (
                "cluster-autoscaler-chart-{version}",
                "cluster-autoscaler/charts/cluster-autoscaler",
            )
        },
    ),
)

# Chart versions whose values are recorded beside the pinned ones: the cluster autoscaler for EKS
# (9.59.0 runs autoscaler 1.35, 9.53.0 autoscaler 1.34), whose pin follows the EKS version.
EXTRA_VALUES = {"cluster-autoscaler": ("9.59.0", "9.53.0")}

# Charts that install CRDs, and where in the chart they are.
CRD_FILES = {"base": "files/crd-all.gen.yaml", "appmesh-controller": "crds/crds.yaml"}

# GKE's managed collection installs these CRDs itself; which prometheus-engine release a GKE version
# runs is not published, so the newest stable release is recorded.
GMP = {
    "name": "gke-managed-prometheus",
    "repo": "GoogleCloudPlatform/prometheus-engine",
    "version": "v0.17.2",
    "paths": (
        "charts/operator/crds/monitoring.googleapis.com_podmonitorings.yaml",
        "charts/operator/crds/monitoring.googleapis.com_clusterpodmonitorings.yaml",
    ),
}

# The Kubernetes kinds the program renders outside Helm charts, and ObjectMeta for custom objects.
KUBERNETES_KINDS = (
    "v1/Namespace",
    "v1/Secret",
    "v1/Service",
    "v1/ServiceAccount",
    "v1/ConfigMap",
    "apps/v1/Deployment",
    "networking.k8s.io/v1/NetworkPolicy",
    "policy/v1/PodDisruptionBudget",
    "rbac.authorization.k8s.io/v1/ClusterRole",
    "rbac.authorization.k8s.io/v1/ClusterRoleBinding",
    "rbac.authorization.k8s.io/v1/Role",
    "rbac.authorization.k8s.io/v1/RoleBinding",
)
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
GKE_RELEASES = ("endoflife-date/release-data", "main", "releases/google-kubernetes-engine.json")
CLIENT_REPO = "kubernetes-client/python"


# Each chart's published versions, newest first.
Index = dict[str, list[dict[str, Any]]]


class Upstream(Protocol):
    """Where the data is read from: the published artefacts, or git clones."""

    def index(self, repository: ChartRepository) -> tuple[Index, dict[str, Any]]:
        """Each chart's published versions (newest first) and the source they were read from."""
        ...

    def chart(
        self, repository: ChartRepository, chart: str, version: str, entry: Mapping[str, Any]
    ) -> tuple[dict[str, bytes], dict[str, Any]]:
        """The chart's files, by path inside the chart, and their source."""
        ...

    def file(self, repo: str, ref: str, path: str) -> tuple[bytes, dict[str, Any]]: ...

    def kubernetes_openapi(self, minor: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The OpenAPI v2 document of a Kubernetes minor, and its source."""
        ...


def _get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "crossmesh-refresh"})
    with urllib.request.urlopen(request, timeout=60) as response:
        body: bytes = response.read()
        return body


def _untar(archive: bytes) -> dict[str, bytes]:
    """A packaged chart's files by path below its top directory."""
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar.getmembers():
            extracted = tar.extractfile(member) if member.isfile() else None
            if extracted is not None:
                files[member.name.split("/", 1)[1]] = extracted.read()
    return files


def _helm_index(text: bytes, charts: Iterable[str]) -> Index:
    entries = yaml.load(text, Loader=_Loader)["entries"]
    keep = ("version", "appVersion", "created", "digest", "urls", "kubeVersion", "deprecated")
    return {
        chart: sorted(
            ({key: entry[key] for key in keep if key in entry} for entry in entries.get(chart, [])),
            key=lambda entry: _version_key(entry["version"]),
            reverse=True,
        )
        for chart in charts
    }


class Online:
    """Published index.yaml and packaged charts; upstream files from GitHub."""

    def index(self, repository: ChartRepository) -> tuple[Index, dict[str, Any]]:
        url = f"{repository.url}/index.yaml"
        text = _get(url)
        generated = yaml.load(text, Loader=_Loader).get("generated")
        return _helm_index(text, repository.charts), {"url": url, "index_generated": generated}

    def chart(
        self, repository: ChartRepository, chart: str, version: str, entry: Mapping[str, Any]
    ) -> tuple[dict[str, bytes], dict[str, Any]]:
        url = urllib.parse.urljoin(repository.url + "/", entry["urls"][0])
        return _untar(_get(url)), {"url": url, "digest": entry.get("digest")}

    def file(self, repo: str, ref: str, path: str) -> tuple[bytes, dict[str, Any]]:
        url = f"https://raw.githubusercontent.com/{repo}/{ref}/{path}"
        return _get(url), {"repo": repo, "ref": ref, "path": path, "url": url}

    def kubernetes_openapi(self, minor: str) -> tuple[dict[str, Any], dict[str, Any]]:
        body, source = self.file("kubernetes/kubernetes", f"release-{minor}", "api/openapi-spec/swagger.json")
        document: dict[str, Any] = json.loads(body)
        return document, source


class Clones:
    """Git clones under one directory, DIR/<owner>/<name>."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _git(self, repo: str, *args: str) -> bytes:
        return subprocess.run(
            ["git", "-C", str(self.root / repo), *args], check=True, capture_output=True
        ).stdout

    def _commit(self, repo: str, ref: str) -> dict[str, str]:
        commit, date = self._git(repo, "log", "-1", "--format=%H %cI", ref).decode().split()
        return {"commit": commit, "commit_date": date}

    def file(self, repo: str, ref: str, path: str) -> tuple[bytes, dict[str, Any]]:
        return self._git(repo, "show", f"{ref}:{path}"), {
            "repo": repo,
            "ref": ref,
            "path": path,
            **self._commit(repo, ref),
        }

    def index(self, repository: ChartRepository) -> tuple[Index, dict[str, Any]]:
        if repository.index_from_tags:
            return self._tag_index(repository)
        text, source = self.file(repository.github, "gh-pages", "index.yaml")
        source["index_generated"] = yaml.load(text, Loader=_Loader).get("generated")
        return _helm_index(text, repository.charts), source

    def _tag_index(
        self, repository: ChartRepository
    ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
        """Release tags as chart versions, with the dates of their commits."""
        lines = self._git(
            repository.github,
            "for-each-ref",
            "--format=%(refname:short) %(*committerdate:iso-strict)%(committerdate:iso-strict)",
            "refs/tags",
        )
        versions = []
        for line in lines.decode().splitlines():
            tag, date = line.split()
            if re.fullmatch(r"\d+\.\d+\.\d+(-(alpha|beta|rc)\.\d+)?", tag) and _version_key(tag) >= (1, 28):
                versions.append({"version": tag, "appVersion": tag, "created": date})
        versions.sort(key=lambda entry: _version_key(entry["version"]), reverse=True)
        newest = self._git(repository.github, "log", "--all", "-1", "--format=%H %cI").decode().split()
        source = {
            "repo": repository.github,
            "ref": "refs/tags",
            "note": "release tags; Istio publishes base, istiod and gateway at every release tag",
            "newest_commit": newest[0],
            "newest_commit_date": newest[1],
        }
        return {chart: versions for chart in repository.charts}, source

    def chart(
        self, repository: ChartRepository, chart: str, version: str, entry: Mapping[str, Any]
    ) -> tuple[dict[str, bytes], dict[str, Any]]:
        if repository.source_of is None:
            name = entry["urls"][0].rsplit("/", 1)[1]
            archive, source = self.file(repository.github, "gh-pages", name)
            return _untar(archive), source
        tag_pattern, directory = repository.source_of[chart]
        tag = tag_pattern.format(version=version)
        listing = self._git(repository.github, "ls-tree", "-r", "--name-only", tag, directory + "/")
        files = {
            path[len(directory) + 1 :]: self._git(repository.github, "show", f"{tag}:{path}")
            for path in listing.decode().splitlines()
        }
        return files, {
            "repo": repository.github,
            "ref": tag,
            "path": directory,
            **self._commit(repository.github, tag),
        }

    def kubernetes_openapi(self, minor: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """kubernetes-client/python's copy of the upstream spec (kubernetes/kubernetes is too large to
        clone for this): the newest stable client release built from release-<minor>."""
        major = minor.split(".")[1]
        tags = [
            tag
            for tag in self._git(CLIENT_REPO, "tag", "-l", f"v{major}.*").decode().split()
            if re.fullmatch(rf"v{major}\.\d+\.\d+", tag)
        ]
        tag = max(tags, key=lambda t: tuple(int(part) for part in t[1:].split(".")))
        constants, _ = self.file(CLIENT_REPO, tag, "scripts/constants.py")
        if f'KUBERNETES_BRANCH = "release-{minor}"' not in constants.decode():
            raise SystemExit(f"{CLIENT_REPO} {tag} is not built from release-{minor}")
        body, source = self.file(CLIENT_REPO, tag, "kubernetes/swagger.json.unprocessed")
        source["built_from"] = f"kubernetes/kubernetes release-{minor}, api/openapi-spec/swagger.json"
        document: dict[str, Any] = json.loads(body)
        return document, source


class _Loader(yaml.SafeLoader):
    """YAML as Helm reads it, except that timestamps stay strings (JSON has no dates)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}


def _version_key(version: str) -> tuple[int, ...]:
    """Semantic version order: alpha, beta and rc before their release."""
    core, _, pre = version.lstrip("v").partition("-")
    numbers = tuple(int(part) for part in core.split(".") if part.isdigit())
    if not pre:
        return (*numbers, 3, 0)
    label, _, number = pre.partition(".")
    rank = {"alpha": 0, "beta": 1, "rc": 2}.get(label, 0)
    return (*numbers, rank, int(number) if number.isdigit() else 0)


def _template_paths(files: Mapping[str, bytes]) -> list[str]:
    """Every `.Values.a.b` path the chart's templates read."""
    found: set[str] = set()
    for path, text in files.items():
        if path.startswith("templates/"):
            found.update(re.findall(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", text.decode()))
    return sorted(path[1:] for path in found)


def _effective_values(values: dict[str, Any]) -> dict[str, Any]:
    """Istio's charts keep their defaults under _internal_defaults_do_not_set and merge them at the top
    (templates/zzz_profile.yaml), where users set keys."""
    defaults = values.get("_internal_defaults_do_not_set")
    if not isinstance(defaults, dict):
        return values
    return {
        **defaults,
        **{key: value for key, value in values.items() if key != "_internal_defaults_do_not_set"},
    }


def _crds(texts: Iterable[bytes]) -> dict[str, Any]:
    """Each served version of each CRD (group, version, kind, scope, storage, deprecated) naming its
    openAPIV3Schema in `schemas`, where versions with identical schemas share one entry."""
    crds: list[dict[str, Any]] = []
    schemas: dict[str, Any] = {}
    for text in texts:
        for document in yaml.load_all(text, Loader=_Loader):
            if not isinstance(document, dict) or document.get("kind") != "CustomResourceDefinition":
                continue
            spec = document["spec"]
            for version in spec["versions"]:
                if not version.get("served"):
                    continue
                schema = version["schema"]["openAPIV3Schema"]
                key = next((k for k, known in schemas.items() if known == schema), None)
                if key is None:
                    key = f"{spec['group']}/{version['name']}/{spec['names']['kind']}"
                    schemas[key] = schema
                crds.append(
                    {
                        "group": spec["group"],
                        "version": version["name"],
                        "kind": spec["names"]["kind"],
                        "scope": spec["scope"],
                        "storage": version.get("storage", False),
                        "deprecated": version.get("deprecated", False),
                        "schema": key,
                    }
                )
    crds.sort(key=lambda crd: (crd["group"], crd["kind"], crd["version"]))
    return {"crds": crds, "schemas": dict(sorted(schemas.items()))}


def _reachable(definitions: Mapping[str, Any], roots: Iterable[str]) -> dict[str, Any]:
    """The definitions the roots reach through $ref."""
    kept: dict[str, Any] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in kept:
            continue
        kept[name] = definitions[name]
        pending += re.findall(r'"#/definitions/([^"]+)"', json.dumps(definitions[name]))
    return dict(sorted(kept.items()))


def _definition_of(definitions: Mapping[str, Any], kind: str) -> str:
    *group_version, name = kind.split("/")
    group, version = ("", group_version[0]) if len(group_version) == 1 else tuple(group_version)
    for definition, schema in definitions.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            if (gvk["group"], gvk["version"], gvk["kind"]) == (group, version, name):
                return definition
    raise SystemExit(f"no definition of {kind}")


def _write(path: Path, content: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {path.relative_to(DATA.parents[1])}")


def refresh(upstream: Upstream, read: str) -> None:
    index_path = DATA / "charts" / "index.json"
    previous = json.loads(index_path.read_text()) if index_path.exists() else {}
    pins: list[dict[str, str]] = previous.get("pins", [])
    repositories = {}
    for repository in REPOSITORIES:
        versions, source = upstream.index(repository)
        repositories[repository.url] = {"source": source, "charts": versions}
        for chart in repository.charts:
            wanted = {pin["version"] for pin in pins if pin["chart"] == chart} | set(
                EXTRA_VALUES.get(chart, ())
            )
            for version in sorted(wanted):
                entry = next((e for e in versions[chart] if e["version"] == version), None)
                if entry is None:
                    print(f"skipped {chart} {version}: not in the index")
                    continue
                _refresh_chart(upstream, repository, chart, entry, read)
    _write(
        index_path,
        {
            "description": "Published versions of every chart crossmesh installs (each repository's "
            "index.yaml, or Istio's release tags), and the versions the program pins.",
            "read": read,
            "pins": pins,
            "repositories": repositories,
        },
    )
    _refresh_gmp(upstream, read)
    _refresh_kubernetes(upstream, read)


def _refresh_chart(
    upstream: Upstream, repository: ChartRepository, chart: str, entry: Mapping[str, Any], read: str
) -> None:
    version = entry["version"]
    files, source = upstream.chart(repository, chart, version, entry)
    values = yaml.load(files["values.yaml"], Loader=_Loader) or {}
    schema = json.loads(files["values.schema.json"]) if "values.schema.json" in files else None
    _write(
        DATA / "charts" / "values" / f"{chart}-{version}.json",
        {
            "source": source,
            "read": read,
            "repository": repository.url,
            "chart": chart,
            "version": version,
            "appVersion": entry.get("appVersion"),
            "values": _effective_values(values),
            "schema": schema,
            "template_paths": _template_paths(files),
        },
    )
    if chart in CRD_FILES:
        _write(
            DATA / "crds" / f"{chart}-{version}.json",
            {
                "source": {**source, "file": CRD_FILES[chart]},
                "read": read,
                "installed_by": {"chart": chart, "repository": repository.url, "version": version},
                **_crds([files[CRD_FILES[chart]]]),
            },
        )


def _refresh_gmp(upstream: Upstream, read: str) -> None:
    texts, sources = [], []
    for path in GMP["paths"]:
        text, source = upstream.file(str(GMP["repo"]), str(GMP["version"]), str(path))
        texts.append(text)
        sources.append(source)
    _write(
        DATA / "crds" / f"{GMP['name']}-{GMP['version']}.json",
        {
            "source": sources,
            "read": read,
            "installed_by": {
                "service": "GKE managed collection",
                "version": GMP["version"],
                "cluster_type": "gcp:container/cluster:Cluster",
                "enabled_by": "monitoringConfig.managedPrometheus.enabled",
            },
            **_crds(texts),
        },
    )


def _refresh_kubernetes(upstream: Upstream, read: str) -> None:
    text, source = upstream.file(*GKE_RELEASES) if isinstance(upstream, Online) else _gke_from_clone(upstream)
    releases = json.loads(text)["versions"]
    by_minor: dict[str, dict[str, str]] = {}
    for name, release in releases.items():
        minor = ".".join(name.split(".")[:2])
        newest = by_minor.get(minor)
        if newest is None or release["date"] > newest["date"]:
            by_minor[minor] = {"newest": name, "date": release["date"]}
    newest_date = max(release["date"] for release in releases.values())
    offered = sorted(
        (minor for minor, newest in by_minor.items() if newest["date"] == newest_date),
        key=lambda minor: int(minor.split(".")[1]),
    )
    _write(
        DATA / "kubernetes" / "gke-versions.json",
        {
            "source": {
                **source,
                "from": "Google Kubernetes Engine release notes, as endoflife.date reads them",
            },
            "read": read,
            "as_of": newest_date,
            "offered_minors": offered,
            "newest_by_minor": {minor: by_minor[minor] for minor in offered},
        },
    )
    for minor in offered:
        document, openapi_source = upstream.kubernetes_openapi(minor)
        definitions = document["definitions"]
        kinds = {kind: _definition_of(definitions, kind) for kind in KUBERNETES_KINDS}
        _write(
            DATA / "kubernetes" / f"{minor}.json",
            {
                "source": openapi_source,
                "read": read,
                "kubernetes_minor": minor,
                "kinds": kinds,
                "object_meta": OBJECT_META,
                "definitions": _reachable(definitions, [*kinds.values(), OBJECT_META]),
            },
        )


def _gke_from_clone(upstream: Upstream) -> tuple[bytes, dict[str, Any]]:
    repo, _, path = GKE_RELEASES
    return upstream.file(repo, "HEAD", path)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--online", action="store_true", help="read the published indexes and charts")
    source.add_argument("--clones", type=Path, metavar="DIR", help="read git clones DIR/<owner>/<name>")
    parser.add_argument("--read-date", default=datetime.date.today().isoformat(), help="the date recorded")
    args = parser.parse_args()
    refresh(Online() if args.online else Clones(args.clones), args.read_date)


if __name__ == "__main__":
    main()
