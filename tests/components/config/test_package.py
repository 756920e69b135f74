"""The package's layering: only `load` touches Pulumi; schema, rules and messages are pure throughout."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def _pulumi_imports_reached_from(module: str) -> dict[str, set[str]]:
    """Every module of this repository that `module` imports, directly or not, with its pulumi imports."""
    found: dict[str, set[str]] = {}
    pending = [module]
    while pending:
        name = pending.pop()
        path = ROOT / (name.replace(".", "/") + ".py")
        if name in found or not path.exists():
            continue
        imports = _imported_modules(path)
        found[name] = {m for m in imports if m.split(".")[0].startswith("pulumi")}
        pending.extend(m for m in imports if m.split(".")[0] == "components")
    return found


@pytest.mark.parametrize("module", ["schema", "rules", "messages"])
def test_a_pure_part_of_the_config_reaches_no_pulumi_import(module: str) -> None:
    reached = _pulumi_imports_reached_from(f"components.config.{module}")
    assert len(reached) > 1  # the walk followed the package's own imports
    assert {name: found for name, found in reached.items() if found} == {}


def test_load_is_where_the_config_meets_pulumi() -> None:
    assert "pulumi" in _imported_modules(ROOT / "components/config/load.py")
