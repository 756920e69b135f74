"""How the offline engine loads the provider SDKs: only the modules the program uses, annotations postponed.

Most of a fresh `crossmesh plan` went into importing pulumi_aws, pulumi_gcp and pulumi_kubernetes,
for two reasons in their generated code:
- each subpackage's __init__ star-imports every module it holds (pulumi_gcp.compute: about 290),
  though a stack uses a dozen of them;
- every annotation is evaluated on import (`Optional[pulumi.Input[...]]`: tens of thousands of
  typing operations), though the Pulumi SDK only reads the return annotations of property getters,
  and through typing.get_type_hints, which resolves strings as well.

For those packages this loader changes exactly two things:
- each module is compiled as if it began with `from __future__ import annotations` (PEP 563);
- a package's `from .module import *` lines become a module __getattr__ (PEP 562) that imports the
  module when one of the names in its `__all__` is first used.

The compiled code and the name maps are cached in the environment (`<venv>/crossmesh-sdk-cache`) and
checked against the size and modification time of every source file they came from.

Only offline runs install it (the `crossmesh` command and the tests); `pulumi preview` and `pulumi up`
load the SDKs the standard way, and a test compares the plans made both ways.
CROSSMESH_SDK_IMPORTS=standard turns it off.
"""

from __future__ import annotations
import __future__

import ast
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import marshal
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

SDK_PACKAGES = frozenset({"pulumi_aws", "pulumi_gcp", "pulumi_kubernetes", "pulumi_random", "pulumi_tls"})
SWITCH_VARIABLE = "CROSSMESH_SDK_IMPORTS"
CACHE_DIR_NAME = "crossmesh-sdk-cache"

# Bump when the compiled form changes, so that old cache entries are not read as new ones.
_CACHE_FORMAT = importlib.util.MAGIC_NUMBER + b"crossmesh-sdk-1"
# Generated modules declare their exports on one line near the top: __all__ = ['RouterArgs', 'Router'].
_ALL_PATTERN = re.compile(rb"^__all__ = (\[[^\]]*\])", re.MULTILINE)

Stamp = tuple[str, int, int]


@dataclass(frozen=True)
class CompiledModule:
    """A module's code, and for a package the modules it now imports on first use, by exported name."""

    code: CodeType
    lazy_names: Mapping[str, str]
    sources: tuple[str, ...]


def exported_names(source: bytes) -> list[str] | None:
    """A generated module's `__all__`, read without running it; None when it has no literal one."""
    match = _ALL_PATTERN.search(source)
    if match is None:
        return None
    names = ast.literal_eval(match.group(1).decode())
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return None
    return names


def _deferrable_star_import(statement: ast.stmt, package_dir: Path) -> Path | None:
    """The sibling module file of a `from .module import *` line that can wait for first use."""
    if not (
        isinstance(statement, ast.ImportFrom)
        and statement.level == 1
        and statement.module is not None
        and "." not in statement.module
        and not statement.module.startswith("_")
        and [alias.name for alias in statement.names] == ["*"]
    ):
        return None
    module_file = package_dir / f"{statement.module}.py"
    return module_file if module_file.is_file() else None


def _defines_getattr(tree: ast.Module) -> bool:
    """Whether a package already has its own module __getattr__, which a lazy one would replace."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            return True
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__getattr__" for target in node.targets
        ):
            return True
    return False


def compile_module(source: bytes, path: str, is_package: bool) -> CompiledModule:
    """Compile one SDK module with postponed annotations; a package's star imports become lazy."""
    flags = __future__.annotations.compiler_flag
    if not is_package:
        return CompiledModule(compile(source, path, "exec", flags=flags, dont_inherit=True), {}, (path,))
    tree = ast.parse(source, path)
    if _defines_getattr(tree):
        return CompiledModule(compile(tree, path, "exec", flags=flags, dont_inherit=True), {}, (path,))
    package_dir = Path(path).parent
    lazy_names: dict[str, str] = {}
    sources = [path]
    kept: list[ast.stmt] = []
    for statement in tree.body:
        module_file = _deferrable_star_import(statement, package_dir)
        names = exported_names(module_file.read_bytes()) if module_file is not None else None
        if module_file is None or names is None:
            kept.append(statement)
            continue
        # A later star import rebinds a name an earlier one bound, as it does when run eagerly.
        lazy_names.update(dict.fromkeys(names, module_file.stem))
        sources.append(str(module_file))
    tree.body = kept
    code = compile(tree, path, "exec", flags=flags, dont_inherit=True)
    return CompiledModule(code, lazy_names, tuple(sources))


def _stamps(sources: Sequence[str]) -> list[Stamp] | None:
    stamps: list[Stamp] = []
    for source in sources:
        try:
            status = os.stat(source)
        except OSError:
            return None
        stamps.append((source, status.st_mtime_ns, status.st_size))
    return stamps


class ModuleCache:
    """Compiled SDK modules on disk, one file per source path, valid while their sources are unchanged."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _entry(self, path: str) -> Path:
        return self.directory / f"{hashlib.sha256(path.encode()).hexdigest()[:40]}.bin"

    def load(self, path: str) -> CompiledModule | None:
        try:
            data = self._entry(path).read_bytes()
        except OSError:
            return None
        if not data.startswith(_CACHE_FORMAT):
            return None
        try:
            stamps, code, lazy_names = marshal.loads(data[len(_CACHE_FORMAT) :])
        except (EOFError, ValueError, TypeError):
            return None
        sources = tuple(source for source, _, _ in stamps)
        if _stamps(sources) != stamps:
            return None
        return CompiledModule(code, lazy_names, sources)

    def store(self, path: str, compiled: CompiledModule) -> None:
        """Write the entry atomically; a cache that cannot be written only costs time."""
        stamps = _stamps(compiled.sources)
        if stamps is None:
            return
        entry = self._entry(path)
        scratch = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            payload = marshal.dumps((stamps, compiled.code, dict(compiled.lazy_names)))
            scratch.write_bytes(_CACHE_FORMAT + payload)
            os.replace(scratch, entry)
        except OSError:
            scratch.unlink(missing_ok=True)


def _lazy_member_hooks(
    package: str, namespace: dict[str, Any], lazy_names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The package's __getattr__ and __dir__: import the module that exports a name on its first use."""

    def __getattr__(name: str) -> Any:
        module_name = lazy_names.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module_name}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(lazy_names))

    return __getattr__, __dir__


class SdkModuleLoader(importlib.machinery.SourceFileLoader):
    """Loads one SDK module from the cache, compiling and caching it on a miss."""

    def __init__(self, fullname: str, path: str, cache: ModuleCache) -> None:
        super().__init__(fullname, path)
        self._cache = cache
        self._compiled: CompiledModule | None = None

    def compiled(self) -> CompiledModule:
        if self._compiled is None:
            path = self.get_filename(self.name)
            compiled = self._cache.load(path)
            if compiled is None:
                compiled = compile_module(self.get_data(path), path, self.is_package(self.name))
                self._cache.store(path, compiled)
            self._compiled = compiled
        return self._compiled

    def get_code(self, fullname: str | None = None) -> CodeType:
        return self.compiled().code

    def exec_module(self, module: ModuleType) -> None:
        compiled = self.compiled()
        if compiled.lazy_names:
            getattr_hook, dir_hook = _lazy_member_hooks(module.__name__, module.__dict__, compiled.lazy_names)
            module.__dict__.update(__getattr__=getattr_hook, __dir__=dir_hook)
        exec(compiled.code, module.__dict__)


class SdkModuleFinder(importlib.abc.MetaPathFinder):
    """Finds SDK modules as the standard path finder does, then hands their source to SdkModuleLoader."""

    def __init__(self, cache: ModuleCache, packages: frozenset[str] = SDK_PACKAGES) -> None:
        self.cache = cache
        self.packages = packages

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] not in self.packages:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.origin is None:
            return spec
        # Modules shipped as bytecode only, or loaded some other way, keep their own loader.
        if type(spec.loader) is not importlib.machinery.SourceFileLoader:
            return spec
        spec.loader = SdkModuleLoader(fullname, spec.origin, self.cache)
        return spec


def default_cache_dir() -> Path:
    return Path(sys.prefix) / CACHE_DIR_NAME


def installed_finder() -> SdkModuleFinder | None:
    return next((finder for finder in sys.meta_path if isinstance(finder, SdkModuleFinder)), None)


def install(cache_dir: Path | None = None) -> bool:
    """Load the SDKs this way from now on, unless CROSSMESH_SDK_IMPORTS=standard; True if it is on.

    Call it before the first SDK import: modules already imported stay as they were loaded.
    """
    if os.environ.get(SWITCH_VARIABLE, "").strip().lower() == "standard":
        return False
    if installed_finder() is None:
        sys.meta_path.insert(0, SdkModuleFinder(ModuleCache(cache_dir or default_cache_dir())))
    return True
