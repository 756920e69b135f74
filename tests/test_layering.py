"""The layers, read from the import statements of every file (with `ast`, anywhere in the file):

- a pure module (`specs.py`, `*_specs.py` under components/) imports no Pulumi SDK, neither itself nor
  through any module of ours it imports (packages' `__init__` included, as Python runs them);
- the program (components/) imports neither the offline engine and command, nor the policy pack, nor
  the tests;
- the policy pack (policies/) imports only pulumi-policy, the standard library and itself, since
  Pulumi runs it in an environment of its own;
- the offline engine imports nothing of the command built on it, and `verify`, the command that
  calls the real clouds, nothing of the engine.
"""

from __future__ import annotations

import ast
import sys
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.plans import PROJECT_DIR

# Importing the config models runs components/config/__init__.py, which imports pulumi: ConfigError
# subclasses pulumi.RunError so that `pulumi up` reports it without a traceback. This is the one place a
# pure module may reach pulumi through; test_the_config_allowance_is_still_needed removes it once the
# config package imports pulumi only where it loads the stack config.
PULUMI_ALLOWED_THROUGH = ("components.config",)

ENGINE = (
    "offline.engine",
    "offline.record",
    "offline.fake_cloud",
    "offline.fakes",
    "offline.sdk_loading",
    "offline.urns",
    "offline.paths",
    "offline.replace_rules",
    "offline.diff",
    "offline.artefacts",
)


@dataclass(frozen=True)
class Tree:
    """Python files under search roots, as the import system would find them."""

    roots: Sequence[Path]

    def file_of(self, module: str) -> Path | None:
        relative = Path(*module.split("."))
        for root in self.roots:
            for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py"):
                if candidate.is_file():
                    return candidate
        return None

    def is_ours(self, module: str) -> bool:
        return self.file_of(module.split(".")[0]) is not None

    def module_of(self, path: Path) -> str:
        """The name `path` is imported by: relative to the innermost root that holds it."""
        root = max((r for r in self.roots if path.is_relative_to(r)), key=lambda r: len(r.parts))
        parts = path.relative_to(root).with_suffix("").parts
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    def imports(self, path: Path) -> list[str]:
        """Every module the file names in an import statement, relative imports made absolute; for
        `from package import name`, also `package.name` when that is a module of ours."""
        module = self.module_of(path)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        named: list[str] = []
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                named += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, package)
                named.append(base)
                named += [f"{base}.{a.name}" for a in node.names if self.file_of(f"{base}.{a.name}")]
        return list(dict.fromkeys(named))

    def loaded(self, path: Path) -> list[str]:
        """What importing the module at `path` runs: what it imports, and before each module of ours
        the packages that hold it (`a` and `a.b` before `a.b.c`)."""
        named = self.imports(path)
        packages = [
            ".".join(name.split(".")[:end])
            for name in named
            if self.is_ours(name)
            for end in range(1, name.count(".") + 1)
        ]
        return list(dict.fromkeys([*packages, *named]))


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def pulumi_chains(tree: Tree, path: Path, allowed_through: Sequence[str] = ()) -> list[str]:
    """Each way the module at `path` reaches a Pulumi SDK through modules of ours, as `a -> b -> pulumi`."""
    reached_from: dict[Path, Path | None] = {path: None}
    queue = deque([path])
    chains: list[str] = []
    while queue:
        current = queue.popleft()
        name = tree.module_of(current)
        allowed = any(name == prefix or name.startswith(prefix + ".") for prefix in allowed_through)
        for imported in tree.loaded(current):
            found = tree.file_of(imported) if tree.is_ours(imported) else None
            if found is not None and found not in reached_from:
                reached_from[found] = current
                queue.append(found)
            elif not tree.is_ours(imported) and imported.split(".")[0].startswith("pulumi") and not allowed:
                chain = [imported]
                step: Path | None = current
                while step is not None:
                    chain.append(tree.module_of(step))
                    step = reached_from[step]
                chains.append(" -> ".join(reversed(chain)))
    return chains


def python_files(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.py"))


def forbidden_imports(tree: Tree, paths: Sequence[Path], forbidden: Sequence[str]) -> list[str]:
    """`module imports name` for every import of a module in or under one of `forbidden`."""
    return [
        f"{tree.module_of(path)} imports {imported}"
        for path in paths
        for imported in tree.imports(path)
        if any(imported == name or imported.startswith(name + ".") for name in forbidden)
    ]


def outside(tree: Tree, paths: Sequence[Path], allowed: Sequence[str]) -> list[str]:
    """`module imports name` for every import whose top-level package is neither allowed nor the
    standard library's."""
    return [
        f"{tree.module_of(path)} imports {imported}"
        for path in paths
        for imported in tree.imports(path)
        if imported.split(".")[0] not in (*allowed, *sys.stdlib_module_names)
    ]


PROJECT = Tree((PROJECT_DIR, PROJECT_DIR / "policies"))
COMPONENTS = PROJECT_DIR / "components"
SPECS = sorted({*COMPONENTS.rglob("specs.py"), *COMPONENTS.rglob("*_specs.py")})


def test_the_pure_modules_are_found() -> None:
    found = {PROJECT.module_of(path) for path in SPECS}
    assert {"components.link.specs", "components.mesh.istio_specs", "components.clusters.eks_specs"} <= found


@pytest.mark.parametrize("path", SPECS, ids=lambda path: str(path.relative_to(PROJECT_DIR)))
def test_a_pure_module_reaches_no_pulumi(path: Path) -> None:
    chains = pulumi_chains(PROJECT, path, PULUMI_ALLOWED_THROUGH)
    assert chains == [], "\n".join(chains)


def test_the_config_allowance_is_still_needed() -> None:
    assert any(pulumi_chains(PROJECT, path) for path in python_files(COMPONENTS / "config")), (
        "components.config no longer imports pulumi: delete it from PULUMI_ALLOWED_THROUGH"
    )


def test_the_program_imports_no_engine_pack_or_tests() -> None:
    program = [*python_files(COMPONENTS), PROJECT_DIR / "__main__.py"]
    found = forbidden_imports(PROJECT, program, ("offline", "crossmesh_policy", "tests"))
    assert found == [], "\n".join(found)


def test_the_pack_imports_only_pulumi_policy_and_the_standard_library() -> None:
    pack = python_files(PROJECT_DIR / "policies")
    assert PROJECT_DIR / "policies" / "__main__.py" in pack
    found = outside(PROJECT, pack, ("pulumi_policy", "crossmesh_policy"))
    assert found == [], "\n".join(found)


def test_the_engine_imports_nothing_of_the_command() -> None:
    offline = python_files(PROJECT_DIR / "offline")
    engine = [path for path in offline if PROJECT.module_of(path).startswith(ENGINE)]
    assert {"offline.engine", "offline.fakes.link"} <= {PROJECT.module_of(path) for path in engine}
    found = forbidden_imports(PROJECT, engine, ("offline.commands",))
    assert found == [], "\n".join(found)


def test_verify_imports_nothing_of_the_engine() -> None:
    verify = PROJECT_DIR / "offline" / "commands" / "verify.py"
    found = forbidden_imports(PROJECT, [verify], ENGINE)
    assert found == [], "\n".join(found)


# --- the checks catch what they are for ---------------------------------------------------------------


def _planted(tmp_path: Path, files: Mapping[str, str]) -> Tree:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return Tree((tmp_path, tmp_path / "policies"))


def test_a_pulumi_import_is_found_directly_through_modules_and_through_packages(tmp_path: Path) -> None:
    tree = _planted(
        tmp_path,
        {
            "components/__init__.py": "",
            "components/a/__init__.py": "",
            "components/a/helper.py": "def f() -> None:\n    import pulumi_aws.ec2\n",
            "components/a/specs.py": "from components.a import helper\n",
            "components/a/relative_specs.py": "from . import helper\n",
            "components/a/direct_specs.py": "from pulumi import Output\n",
            "components/a/through_package_specs.py": "import json\nfrom components.b.values import X\n",
            "components/b/__init__.py": "import pulumi\n",
            "components/b/values.py": "X = 1\n",
            "components/c/__init__.py": "",
            "components/c/clean_specs.py": "import json\nfrom components.c import plain\n",
            "components/c/plain.py": "import ipaddress\n",
        },
    )
    specs = tmp_path / "components" / "a"
    assert pulumi_chains(tree, specs / "specs.py") == [
        "components.a.specs -> components.a.helper -> pulumi_aws.ec2"
    ]
    assert pulumi_chains(tree, specs / "relative_specs.py") == [
        "components.a.relative_specs -> components.a.helper -> pulumi_aws.ec2"
    ]
    assert pulumi_chains(tree, specs / "direct_specs.py") == ["components.a.direct_specs -> pulumi"]
    assert pulumi_chains(tree, specs / "through_package_specs.py") == [
        "components.a.through_package_specs -> components.b -> pulumi"
    ]
    assert pulumi_chains(tree, specs / "through_package_specs.py", allowed_through=("components.b",)) == []
    assert pulumi_chains(tree, tmp_path / "components" / "c" / "clean_specs.py") == []


def test_a_program_module_importing_the_engine_is_found(tmp_path: Path) -> None:
    tree = _planted(
        tmp_path,
        {
            "components/__init__.py": "",
            "components/thing.py": "from offline.record import Plan\n",
            "offline/__init__.py": "",
            "offline/record.py": "",
        },
    )
    assert forbidden_imports(tree, [tmp_path / "components" / "thing.py"], ("offline",)) == [
        "components.thing imports offline.record",
    ]


def test_a_pack_module_importing_a_third_party_package_is_found(tmp_path: Path) -> None:
    tree = _planted(
        tmp_path,
        {
            "policies/__main__.py": "from crossmesh_policy import rules\n",
            "policies/crossmesh_policy/__init__.py": "import re\nfrom pulumi_policy import Severity\n",
            "policies/crossmesh_policy/rules.py": "import yaml\nfrom . import kit\n",
            "policies/crossmesh_policy/kit.py": "from pulumi import Output\n",
        },
    )
    pack = python_files(tmp_path / "policies")
    assert outside(tree, pack, ("pulumi_policy", "crossmesh_policy")) == [
        "crossmesh_policy.kit imports pulumi",
        "crossmesh_policy.rules imports yaml",
    ]
