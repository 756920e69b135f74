"""Refresh tests/fixtures/github_actions.json: for each action the workflows use, the commit its
release tag points at and the inputs its action.yml declares there.

The workflows pin every action to that commit (`uses: owner/repo@<commit> # <tag>`) and
tests/test_workflows.py holds them to this file: the pin, the tag in the comment, and the inputs each
step gives. To move an action to a new release, change its tag here, run this script where the
repositories can be reached, and paste the new commit into the workflows.

    python scripts/refresh_action_pins.py [--url-template https://github.com/{repository}.git]
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

PINS_FILE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "github_actions.json"


def git(*argv: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *argv], cwd=cwd, capture_output=True, text=True, check=True).stdout


def tag_commit(url: str, tag: str) -> str:
    """The commit a tag names; an annotated tag's `^{}` line is the commit it points at."""
    lines = git("ls-remote", url, f"refs/tags/{tag}", f"refs/tags/{tag}^{{}}").splitlines()
    refs: dict[str, str] = {}
    for line in lines:
        commit, ref = line.split("\t")
        refs[ref] = commit
    return refs.get(f"refs/tags/{tag}^{{}}") or refs[f"refs/tags/{tag}"]


def declared_inputs(url: str, tag: str, commit: str, path: str) -> list[str]:
    """The inputs of the action.yml at the tag, which must still name commit."""
    if Path(url).is_dir():  # a local clone: read it in place
        return _inputs(git("show", f"{commit}:{path}", cwd=Path(url)))
    with tempfile.TemporaryDirectory() as directory:
        repository = Path(directory)
        git("init", "--quiet", "--bare", cwd=repository)
        git("fetch", "--quiet", "--depth", "1", url, f"refs/tags/{tag}", cwd=repository)
        fetched = git("rev-parse", "FETCH_HEAD^{commit}", cwd=repository).strip()
        if fetched != commit:
            raise RuntimeError(f"{url} tag {tag} moved from {commit} to {fetched} while it was read")
        return _inputs(git("show", f"{commit}:{path}", cwd=repository))


def _inputs(action_yml: str) -> list[str]:
    metadata: dict[str, Any] = yaml.safe_load(action_yml)
    return sorted(metadata.get("inputs") or {})


def refresh(url_template: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(PINS_FILE.read_text())
    for action, pin in document["actions"].items():
        owner, name = pin["repository"].split("/")
        url = url_template.format(repository=pin["repository"], owner=owner, name=name)
        pin["commit"] = tag_commit(url, pin["version"])
        pin["inputs"] = declared_inputs(url, pin["version"], pin["commit"], pin["path"])
        print(f"{action}@{pin['commit']} # {pin['version']}: {len(pin['inputs'])} inputs")
    document["read"] = datetime.date.today().isoformat()
    return document


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url-template",
        default="https://github.com/{repository}.git",
        help="where each repository is fetched from: {repository}, or {owner} and {name}",
    )
    args = parser.parse_args()
    PINS_FILE.write_text(json.dumps(refresh(args.url_template), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
