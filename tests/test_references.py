"""Every path of this repository that the README, docs/ and the product code name exists, so a file
moved or a document cited from outside the repository shows up here."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

from tests.support.plans import PROJECT_DIR

# A repository path starts at a top-level directory, after neither a word character, a slash nor a dot
# (which would make it part of a URL or of a longer path).
REPOSITORY_PATH = re.compile(
    r"(?<![\w/.-])((?:components|offline|policies|tests|bench|docs|scripts|crossmesh_command)/[\w./-]*[\w/])"
)


def cited_paths(root: Path, files: Iterable[Path]) -> list[str]:
    """`file: path` for every repository path a file names that does not exist under root."""
    return [
        f"{file.relative_to(root)}: {cited}"
        for file in files
        for cited in REPOSITORY_PATH.findall(file.read_text())
        if not (root / cited).exists()
    ]


def _documents_and_product_code() -> list[Path]:
    files = [PROJECT_DIR / "README.md", PROJECT_DIR / "Makefile", PROJECT_DIR / "__main__.py"]
    files += sorted(PROJECT_DIR.glob("Pulumi*.yaml"))
    files += sorted((PROJECT_DIR / ".github" / "workflows").glob("*.yml"))
    files += sorted((PROJECT_DIR / "docs").rglob("*.md"))
    for directory in ("components", "offline", "policies", "crossmesh_command", "bench"):
        files += sorted((PROJECT_DIR / directory).rglob("*.py"))
    files += sorted((PROJECT_DIR / "policies").glob("*.md"))
    return files


def test_every_path_the_docs_and_the_code_name_exists() -> None:
    files = _documents_and_product_code()
    assert PROJECT_DIR / "docs" / "adr" / "0005-packaging.md" in files
    assert PROJECT_DIR / "Pulumi.legacy.yaml" in files
    missing = [entry for entry in cited_paths(PROJECT_DIR, files) if not _made_by_a_command(entry)]
    assert missing == [], "\n".join(missing)


def _made_by_a_command(entry: str) -> bool:
    """A path git ignores is one a command writes (bench results, the policy pack's venv)."""
    cited = entry.split(": ", 1)[1]
    done = subprocess.run(["git", "check-ignore", "--quiet", "--no-index", cited], cwd=PROJECT_DIR)
    return done.returncode == 0


def test_a_moved_file_and_not_a_url_is_reported(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "mesh.md").write_text("")
    page = tmp_path / "README.md"
    page.write_text(
        "See docs/mesh.md and docs/gone.md, components/link/vpn.py,\n"
        "https://istio.io/latest/docs/setup/install/ and ../docs/elsewhere.md.\n"
    )
    assert cited_paths(tmp_path, [page]) == ["README.md: docs/gone.md", "README.md: components/link/vpn.py"]


def test_what_pulumi_and_the_tools_make_is_ignored_by_git() -> None:
    """`pulumi preview --policy-pack policies` makes the pack's virtualenv beside it (PulumiPolicy.yaml)."""
    made = ["policies/venv/bin/python", ".venv/bin/python", ".mypy_cache/x", "bench/results/plan_scale.md"]
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *made], cwd=PROJECT_DIR, capture_output=True, text=True
    ).stdout.split()
    assert ignored == made


URN = re.compile(r"urn:pulumi:[\w.-]+::[\w.-]+::[^\s'`\"]+::[\w.-]+")


def test_every_urn_the_docs_show_is_one_a_stack_plans() -> None:
    planned_urns = {
        urn
        for listing in (PROJECT_DIR / "tests" / "fixtures" / "urns").glob("*.txt")
        for urn in listing.read_text().split()
    }
    documents = [PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").rglob("*.md"))]
    shown = {
        f"{page.relative_to(PROJECT_DIR)}: {urn}"
        for page in documents
        for urn in URN.findall(page.read_text())
    }
    assert shown, "the README shows at least one URN"
    unknown = sorted(line for line in shown if line.split(": ", 1)[1] not in planned_urns)
    assert unknown == [], "\n".join(unknown)
