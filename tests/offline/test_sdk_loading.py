"""The offline SDK loading: lazy package members, postponed annotations, its cache, and a plan that is
the same as with the standard loading."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import typing
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from crossmesh_policy import POLICIES
from pulumi_policy import EnforcementLevel

from offline import sdk_loading
from offline.sdk_loading import ModuleCache, SdkModuleFinder, SdkModuleLoader, compile_module, exported_names
from tests.support.plans import PROJECT_DIR, STACKS, on_disk, planned

# A child process loads the SDKs the standard way and plans every stack: seconds, on a cold run.
pytestmark = pytest.mark.heavy

_package_numbers = count()

PACKAGE_INIT = """\
# in the shape of a Pulumi provider SDK subpackage
from .alpha import *
from .beta import *
from ._enums import *
from ._inputs import *
from . import outputs
"""
ALPHA = """\
from typing import Optional
from ._inputs import *
__all__ = ['Alpha', 'Shared']
class Alpha:
    def __init__(self, spec: Optional['AlphaSpecArgs'] = None) -> None: ...
    def grow(self, by: NotDefinedAnywhere) -> AlsoUndefined: ...
Shared = 'alpha'
"""
BETA = "__all__ = ['Beta', 'Shared']\nclass Beta: ...\nShared = 'beta'\n"
ENUMS = "__all__ = ['Colour']\nColour = 'blue'\n"
INPUTS = """\
from typing import Optional
__all__ = ['AlphaSpecArgs', 'LimitArgs', 'UnusedArgs']
class AlphaSpecArgs:
    @property
    def limit(self) -> Optional['LimitArgs']: ...
class LimitArgs:
    size: Undefined = 3
class UnusedArgs: ...
"""
OUTPUTS = "class BetaOutput: ...\n"


@pytest.fixture
def fake_sdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path, Path]]:
    """A provider-shaped package on sys.path, loaded by an SdkModuleFinder caching under tmp_path."""
    name = f"crossmesh_fake_sdk_{next(_package_numbers)}"
    package_dir = tmp_path / "site" / name
    package_dir.mkdir(parents=True)
    for file_name, text in {
        "__init__.py": PACKAGE_INIT,
        "alpha.py": ALPHA,
        "beta.py": BETA,
        "_enums.py": ENUMS,
        "_inputs.py": INPUTS,
        "outputs.py": OUTPUTS,
    }.items():
        (package_dir / file_name).write_text(text)
    cache_dir = tmp_path / "cache"
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    finder = SdkModuleFinder(ModuleCache(cache_dir), frozenset({name}))
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    yield name, package_dir, cache_dir
    for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[module]


def _fresh_import(name: str) -> ModuleType:
    for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[module]
    importlib.invalidate_caches()
    return importlib.import_module(name)


def test_star_imported_modules_load_on_first_use_of_a_name(fake_sdk: tuple[str, Path, Path]) -> None:
    name, _, _ = fake_sdk
    package = importlib.import_module(name)
    assert {f"{name}.alpha", f"{name}.beta", f"{name}._inputs"}.isdisjoint(sys.modules)
    assert vars(package)["Colour"] == "blue"  # other underscore modules stay eager
    assert package.Alpha.__module__ == f"{name}.alpha"
    assert f"{name}.alpha" in sys.modules and f"{name}.beta" not in sys.modules
    assert package.Shared == "beta"  # the later star import wins, as when run eagerly
    assert {"Alpha", "AlphaSpecArgs", "Beta", "Colour", "Shared", "UnusedArgs"} <= set(dir(package))
    with pytest.raises(AttributeError, match=rf"module '{name}' has no attribute 'Gamma'"):
        _ = package.Gamma


def test_input_classes_are_defined_on_first_use_with_the_classes_they_name(
    fake_sdk: tuple[str, Path, Path],
) -> None:
    name, _, _ = fake_sdk
    alpha = importlib.import_module(f"{name}.alpha")
    inputs = sys.modules[f"{name}._inputs"]
    # alpha names AlphaSpecArgs, which names LimitArgs; nothing names UnusedArgs.
    assert "AlphaSpecArgs" in vars(alpha) and "LimitArgs" not in vars(alpha)
    assert {"AlphaSpecArgs", "LimitArgs"} <= set(vars(inputs)) and "UnusedArgs" not in vars(inputs)
    assert typing.get_type_hints(alpha.AlphaSpecArgs.limit.fget) == {"return": inputs.LimitArgs | None}
    assert importlib.import_module(name).UnusedArgs is inputs.UnusedArgs


def test_annotations_stay_strings_until_asked_for(fake_sdk: tuple[str, Path, Path]) -> None:
    name, _, _ = fake_sdk
    package = importlib.import_module(name)
    # Evaluated on import, these names would raise NameError: nothing here defines them.
    assert package.Alpha.grow.__annotations__ == {"by": "NotDefinedAnywhere", "return": "AlsoUndefined"}
    assert package.Alpha.__init__.__annotations__["spec"] == "Optional['AlphaSpecArgs']"
    assert package.LimitArgs.__annotations__ == {"size": "Undefined"}


def test_the_cache_is_reused_and_refreshed_when_a_source_changes(
    fake_sdk: tuple[str, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, package_dir, cache_dir = fake_sdk
    compiled: list[str] = []
    original = sdk_loading.compile_module

    def counting(source: bytes, path: str, is_package: bool) -> sdk_loading.CompiledModule:
        compiled.append(Path(path).name)
        return original(source, path, is_package)

    monkeypatch.setattr(sdk_loading, "compile_module", counting)
    _fresh_import(name).Alpha  # noqa: B018 - the attribute access is the import under test
    assert sorted(compiled) == ["__init__.py", "_enums.py", "_inputs.py", "alpha.py", "outputs.py"]
    assert len(list(cache_dir.glob("*.bin"))) == 5

    compiled.clear()
    _fresh_import(name).Alpha  # noqa: B018
    assert compiled == []

    # A star-imported module gains an export: the package's name map is rebuilt, nothing else.
    beta = package_dir / "beta.py"
    beta.write_text(BETA.replace("'Shared']", "'Shared', 'Delta']") + "Delta = 4\n")
    os.utime(beta, ns=(beta.stat().st_atime_ns, beta.stat().st_mtime_ns + 10**9))
    package = _fresh_import(name)
    assert package.Delta == 4
    assert sorted(compiled) == ["__init__.py", "beta.py"]


def test_entries_of_another_version_of_the_loader_are_not_read(
    fake_sdk: tuple[str, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, _, cache_dir = fake_sdk
    _fresh_import(name)
    written = {entry: entry.read_bytes() for entry in cache_dir.glob("*.bin")}
    monkeypatch.setattr(sdk_loading, "_CACHE_FORMAT", b"another loader")
    _fresh_import(name)
    assert all(entry.read_bytes().startswith(b"another loader") for entry in written)


def test_a_damaged_cache_entry_is_compiled_again(fake_sdk: tuple[str, Path, Path]) -> None:
    name, _, cache_dir = fake_sdk
    _fresh_import(name)
    for entry in cache_dir.glob("*.bin"):
        entry.write_bytes(entry.read_bytes()[:40])
    assert _fresh_import(name).Alpha.__name__ == "Alpha"


def test_an_unwritable_cache_only_costs_time(fake_sdk: tuple[str, Path, Path]) -> None:
    name, _, cache_dir = fake_sdk
    cache_dir.write_text("a file where the cache directory should be")
    assert _fresh_import(name).Alpha.__name__ == "Alpha"
    assert cache_dir.read_text() == "a file where the cache directory should be"


def test_the_cache_lives_in_the_environment_unless_the_variable_names_a_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(sdk_loading.CACHE_VARIABLE, raising=False)
    assert sdk_loading.default_cache_dir() == Path(sys.prefix) / "crossmesh-sdk-cache"
    monkeypatch.setenv(sdk_loading.CACHE_VARIABLE, str(tmp_path))
    assert sdk_loading.default_cache_dir() == tmp_path


def test_a_package_with_its_own_getattr_keeps_its_star_imports(fake_sdk: tuple[str, Path, Path]) -> None:
    name, package_dir, _ = fake_sdk
    own_getattr = "def __getattr__(name): raise AttributeError(name)\n"
    (package_dir / "__init__.py").write_text(PACKAGE_INIT + own_getattr)
    _fresh_import(name)
    assert f"{name}.alpha" in sys.modules and f"{name}.beta" in sys.modules


def test_a_module_without_a_literal_all_stays_eager(fake_sdk: tuple[str, Path, Path]) -> None:
    name, package_dir, _ = fake_sdk
    (package_dir / "gamma.py").write_text("class Gamma: ...\n")
    (package_dir / "__init__.py").write_text(PACKAGE_INIT + "from .gamma import *\n")
    package = _fresh_import(name)
    assert f"{name}.gamma" in sys.modules and "Gamma" in vars(package)
    assert f"{name}.alpha" not in sys.modules


def test_a_class_module_that_uses_its_classes_on_import_stays_eager(tmp_path: Path) -> None:
    inputs = tmp_path / "_inputs.py"
    inputs.write_text(INPUTS + "DEFAULT = LimitArgs\n")
    assert compile_module(inputs.read_bytes(), str(inputs), is_package=False).lazy_classes == {}
    inputs.write_text(INPUTS)
    assert set(compile_module(inputs.read_bytes(), str(inputs), is_package=False).lazy_classes) == {
        "AlphaSpecArgs",
        "LimitArgs",
        "UnusedArgs",
    }


def test_exported_names_reads_a_literal_all_only() -> None:
    assert exported_names(b"import x\n__all__ = [\n    'A',\n    'B',\n]\nclass A: ...\n") == ["A", "B"]
    assert exported_names(b"class A: ...\n") is None
    assert exported_names(b"__all__ = [1, 2]\n") is None
    assert exported_names(b"__all__ = [compute()]\n") is None


def test_install_adds_one_finder_and_the_switch_keeps_the_standard_loading(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "meta_path", [f for f in sys.meta_path if not isinstance(f, SdkModuleFinder)])
    monkeypatch.setenv(sdk_loading.SWITCH_VARIABLE, "standard")
    assert sdk_loading.install(tmp_path) is False
    assert sdk_loading.installed_finder() is None
    monkeypatch.delenv(sdk_loading.SWITCH_VARIABLE)
    assert sdk_loading.install(tmp_path) is True
    assert sdk_loading.install(tmp_path) is True
    assert sum(isinstance(f, SdkModuleFinder) for f in sys.meta_path) == 1


# The plans of the other loading than this process's, with the command's collector threshold and exit,
# which change no result: argv[1] the output file, argv[2] "lazy" or "standard", then the stacks.
OTHER_LOADING_PLANS = """\
import gc, json, os, sys
from offline.commands.launch import GC_ALLOCATIONS_PER_COLLECTION
gc.set_threshold(GC_ALLOCATIONS_PER_COLLECTION)
from pathlib import Path
from offline import sdk_loading
if sys.argv[2] == "lazy":
    assert sdk_loading.install()
from offline.engine import plan_stack
import pulumi_gcp.compute
loader = type(pulumi_gcp.compute.__spec__.loader).__name__
assert loader == ("SdkModuleLoader" if sys.argv[2] == "lazy" else "SourceFileLoader"), loader
plans = {stack: plan_stack(Path.cwd(), stack).to_contract() for stack in sys.argv[3:]}
Path(sys.argv[1]).write_text(json.dumps(plans))
os._exit(0)
"""


def test_every_stack_plans_the_same_with_the_standard_sdk_loading(tmp_path: Path) -> None:
    """The tests plan with the offline loading and `pulumi up` loads the SDKs the standard way: a process
    of the other loading (the lazy one when CROSSMESH_SDK_IMPORTS=standard) plans every stack the same."""
    compute_spec = importlib.import_module("pulumi_gcp.compute").__spec__
    assert compute_spec is not None
    here_lazy = isinstance(compute_spec.loader, SdkModuleLoader)
    assert here_lazy == (os.environ.get(sdk_loading.SWITCH_VARIABLE, "").strip().lower() != "standard")
    environment = {key: value for key, value in os.environ.items() if key != sdk_loading.SWITCH_VARIABLE}
    other_loading = "standard" if here_lazy else "lazy"

    def plans_of_the_other_loading() -> dict[str, Any]:
        out_file = tmp_path / "plans.json"
        finished = subprocess.run(
            [sys.executable, "-c", OTHER_LOADING_PLANS, str(out_file), other_loading, *STACKS],
            cwd=PROJECT_DIR,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        assert finished.returncode == 0, finished.stderr
        plans: dict[str, Any] = json.loads(out_file.read_text())
        return plans

    # Made from the plan inputs alone (the fingerprint includes the locked SDK versions and the loader).
    other = on_disk(f"plans with the {other_loading} SDK loading\0{STACKS}", plans_of_the_other_loading)
    for stack in STACKS:
        assert other[stack] == planned(stack).to_contract(), stack


def test_the_command_output_is_complete_though_the_process_skips_teardown() -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "offline", "policies"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    mandatory = sum(policy.enforcement_level is EnforcementLevel.MANDATORY for policy in POLICIES)
    assert lines[-1] == f"{len(POLICIES)} policies, {mandatory} mandatory"
    assert len(lines) == 2 * len(POLICIES) + 2


def test_the_first_process_to_build_the_cache_says_so_once(tmp_path: Path) -> None:
    """A new environment's first plan tells what it spends its first seconds on; later ones say nothing."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from offline import sdk_loading\n"
        f"sdk_loading.install(Path({str(tmp_path / 'cache')!r}), announce=print)\n"
        "import pulumi_random, pulumi_tls\n"
        "pulumi_random.RandomPassword, pulumi_tls.PrivateKey\n"
    )
    environment = {key: value for key, value in os.environ.items() if key != sdk_loading.SWITCH_VARIABLE}

    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=PROJECT_DIR, env=environment, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    first = run()
    assert first == [
        f"crossmesh: building the SDK cache in {tmp_path / 'cache'} (once per environment; later plans start"
        " from it)"
    ]
    assert any((tmp_path / "cache").iterdir())
    assert run() == []
