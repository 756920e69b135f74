"""scripts/refresh_action_pins.py reads a tag's commit and its action.yml's inputs from a repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from scripts import refresh_action_pins


def _git(repository: Path, *argv: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *argv],
        cwd=repository,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture
def action_repository(tmp_path: Path) -> Path:
    """owner+action: v1.0.0 (annotated) declares `path`; a later commit adds `token` on main only."""
    repository = tmp_path / "owner+action"
    repository.mkdir()
    _git(repository, "init", "--quiet")
    (repository / "action.yml").write_text("name: a\ninputs:\n  path: {}\nruns: {using: node24}\n")
    _git(repository, "add", ".")
    _git(repository, "commit", "--quiet", "-m", "one")
    _git(repository, "tag", "-a", "v1.0.0", "-m", "release")
    (repository / "action.yml").write_text(
        "name: a\ninputs:\n  path: {}\n  token: {}\nruns: {using: node24}\n"
    )
    _git(repository, "commit", "--quiet", "-am", "two")
    return repository


@pytest.mark.parametrize("template", ["{root}/{owner}+{name}", "file://{root}/{owner}+{name}"])
def test_the_tag_commit_and_its_inputs_are_read(
    action_repository: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, template: str
) -> None:
    pins = tmp_path / "pins.json"
    pins.write_text(
        json.dumps(
            {
                "read": "",
                "actions": {
                    "owner/action": {
                        "repository": "owner/action",
                        "version": "v1.0.0",
                        "path": "action.yml",
                        "commit": "",
                        "inputs": [],
                    }
                },
            }
        )
    )
    monkeypatch.setattr(refresh_action_pins, "PINS_FILE", pins)
    document = refresh_action_pins.refresh(template.replace("{root}", str(tmp_path)))
    pin = document["actions"]["owner/action"]
    assert pin["commit"] == _git(action_repository, "rev-parse", "v1.0.0^{commit}")
    assert pin["commit"] != _git(action_repository, "rev-parse", "v1.0.0"), "the tag object is not the commit"
    assert pin["inputs"] == ["path"]
    assert document["read"]
