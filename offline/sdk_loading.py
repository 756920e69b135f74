"""How the offline engine loads the provider SDKs: only the classes the program uses, annotations postponed.

Most of a fresh `crossmesh plan` went into importing pulumi_aws, pulumi_gcp and pulumi_kubernetes,
for three reasons in their generated code:
- each subpackage's __init__ star-imports every module it holds (pulumi_gcp.compute: about 290),
  though a stack uses a dozen of them;
- each subpackage's `_inputs` and `outputs` modules define the argument and output classes of all
  its resources (pulumi_gcp.compute: about 3,300), and every resource module star-imports `_inputs`;
- every annotation is evaluated on import (`Optional[pulumi.Input[...]]`: tens of thousands of
  typing operations), though the Pulumi SDK only reads the return annotations of property getters,
  and through typing.get_type_hints, which resolves strings as well.

For those packages this loader changes the following, and nothing else:
- each module is compiled as if it began with `from __future__ import annotations` (PEP 563);
- a package's `from .module import *` lines become a module __getattr__ (PEP 562) that imports the
  module when one of the names in its `__all__` is first used;
- `_inputs` and `outputs` define each class when it is first used, after the sibling classes it
  names (so that get_type_hints finds them in the module's namespace);
- a resource module's `from ._inputs import *` imports only the names the module uses, in its code
  or its annotations, so that each still resolves there.

The compiled code and the name maps are cached in the environment (`<venv>/crossmesh-sdk-cache`, or
CROSSMESH_SDK_CACHE) and checked against the size and modification time of every source file they
came from. The first plan in a new environment builds the cache and takes several times longer.

Only offline runs install it (the `crossmesh` command and the tests); `pulumi preview` and `pulumi up`
load the SDKs the standard way, and a test compares the plans made both ways.
CROSSMESH_SDK_IMPORTS=standard turns it off.
"""

from __future__ import annotations
import __future__

import ast
import contextlib
import functools
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import marshal
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

SDK_PACKAGES = frozenset({"pulumi_aws", "pulumi_gcp", "pulumi_kubernetes", "pulumi_random", "pulumi_tls"})
SWITCH_VARIABLE = "CROSSMESH_SDK_IMPORTS"
CACHE_VARIABLE = "CROSSMESH_SDK_CACHE"
CACHE_DIR_NAME = "crossmesh-sdk-cache"
# The modules whose classes are defined one by one, on first use.
CLASS_MODULES = frozenset({"_inputs", "outputs"})

# An entry is read only by the loader that wrote it: the same bytecode format and this same file.
_CACHE_FORMAT = importlib.util.MAGIC_NUMBER + hashlib.sha256(Path(__file__).read_bytes()).digest()[:16]
# Generated modules declare their exports on one line near the top: __all__ = ['RouterArgs', 'Router'].
_ALL_PATTERN = re.compile(rb"^__all__ = (\[[^\]]*\])", re.MULTILINE)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INPUTS_STAR_IMPORT = b"from ._inputs import *"

# The SDK runtime uses SDK classes from executor threads too: a class defined twice by two threads at
# once would be two classes. Defining one runs only its body and decorators, which import nothing, so a
# thread holding this lock never waits for an import lock.
_DEFINING = threading.RLock()

Stamp = tuple[str, int, int]
# A class's marshalled code, unmarshalled when it is defined (a cache entry holds a few thousand),
# and the sibling classes it names.
LazyClass = tuple[bytes, tuple[str, ...]]


@dataclass(frozen=True)
class CompiledModule:
    """What runs on import, and what waits for first use.

    lazy_names: for a package, each exported name and the sibling module that defines it.
    lazy_classes: for `_inputs` and `outputs`, each class's definition and the sibling classes it names.
    """

    code: CodeType
    sources: tuple[str, ...]
    lazy_names: Mapping[str, str] = field(default_factory=dict)
    lazy_classes: Mapping[str, LazyClass] = field(default_factory=dict)


def exported_names(source: bytes) -> list[str] | None:
    """A generated module's `__all__`, read without running it; None when it has no literal one."""
    match = _ALL_PATTERN.search(source)
    if match is None:
        return None
    try:
        names = ast.literal_eval(match.group(1).decode())
    except (ValueError, SyntaxError, UnicodeDecodeError):
        return None
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return None
    return names


def _compile(tree: ast.Module | bytes, path: str) -> CodeType:
    postponed = __future__.annotations.compiler_flag
    code: CodeType = compile(tree, path, "exec", flags=postponed, dont_inherit=True)
    return code


def _compile_statement(statement: ast.stmt, path: str) -> CodeType:
    return _compile(ast.Module(body=[statement], type_ignores=[]), path)


def _star_imported(statement: ast.stmt) -> str | None:
    """The sibling module of a `from .module import *` line; None for any other statement."""
    if (
        isinstance(statement, ast.ImportFrom)
        and statement.level == 1
        and statement.module is not None
        and "." not in statement.module
        and [alias.name for alias in statement.names] == ["*"]
    ):
        return statement.module
    return None


def _deferrable_module(statement: ast.stmt, package_dir: Path) -> Path | None:
    """The sibling module file of a `from .module import *` line that can wait for first use."""
    module = _star_imported(statement)
    if module is None or (module.startswith("_") and module not in CLASS_MODULES):
        return None
    module_file = package_dir / f"{module}.py"
    return module_file if module_file.is_file() else None


def _defines_getattr(tree: ast.Module) -> bool:
    """Whether a module already has its own module __getattr__, which a lazy one would replace."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            return True
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__getattr__" for target in node.targets
        ):
            return True
    return False


def _compile_package(source: bytes, path: str) -> CompiledModule:
    tree = ast.parse(source, path)
    if _defines_getattr(tree):
        return CompiledModule(_compile(tree, path), (path,))
    package_dir = Path(path).parent
    lazy_names: dict[str, str] = {}
    sources = [path]
    kept: list[ast.stmt] = []
    for statement in tree.body:
        module_file = _deferrable_module(statement, package_dir)
        names = exported_names(module_file.read_bytes()) if module_file is not None else None
        if module_file is None or names is None:
            kept.append(statement)
            continue
        # A later star import rebinds a name an earlier one bound, as it does when run eagerly.
        lazy_names.update(dict.fromkeys(names, module_file.stem))
        sources.append(str(module_file))
    tree.body = kept
    return CompiledModule(_compile(tree, path), tuple(sources), lazy_names=lazy_names)


def _annotation_expressions(node: ast.AST) -> Iterator[ast.expr]:
    for child in ast.walk(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = child.args
            optional = [arguments.vararg, arguments.kwarg]
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, *filter(None, optional)]
            yield from (argument.annotation for argument in every if argument.annotation is not None)
            if child.returns is not None:
                yield child.returns
        elif isinstance(child, ast.AnnAssign):
            yield child.annotation


def _named(node: ast.AST) -> set[str]:
    """The names a piece of code uses: in its code, or inside the strings of its annotations."""
    named = {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}
    for annotation in _annotation_expressions(node):
        for child in ast.walk(annotation):
            if isinstance(child, ast.Constant) and isinstance(child.value, str):
                named.update(_IDENTIFIER.findall(child.value))
    return named


def _named_classes(node: ast.ClassDef, class_names: set[str]) -> tuple[str, ...]:
    """The sibling classes a class names."""
    return tuple(sorted((_named(node) & class_names) - {node.name}))


def _compile_class_module(source: bytes, path: str) -> CompiledModule:
    """`_inputs` or `outputs`: the imports and assignments run on import, each class on first use."""
    tree = ast.parse(source, path)
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    class_names = {node.name for node in classes}
    prelude = [node for node in tree.body if not isinstance(node, ast.ClassDef)]
    prelude_names = {child.id for node in prelude for child in ast.walk(node) if isinstance(child, ast.Name)}
    if len(class_names) != len(classes) or prelude_names & class_names or _defines_getattr(tree):
        return CompiledModule(_compile(tree, path), (path,))
    lazy_classes = {
        node.name: (marshal.dumps(_compile_statement(node, path)), _named_classes(node, class_names))
        for node in classes
    }
    prelude_code = _compile(ast.Module(body=prelude, type_ignores=[]), path)
    return CompiledModule(prelude_code, (path,), lazy_classes=lazy_classes)


@functools.cache
def _inputs_exports(inputs_file: Path) -> frozenset[str] | None:
    names = exported_names(inputs_file.read_bytes())
    return frozenset(names) if names is not None else None


def _compile_resource_module(source: bytes, path: str) -> CompiledModule:
    """A module beside an `_inputs`: its star import of `_inputs` becomes an import of the names it uses."""
    inputs_file = Path(path).with_name("_inputs.py")
    exports = (
        _inputs_exports(inputs_file) if _INPUTS_STAR_IMPORT in source and inputs_file.is_file() else None
    )
    if exports is None:
        return CompiledModule(_compile(source, path), (path,))
    tree = ast.parse(source, path)
    used = sorted(_named(tree) & exports)
    body: list[ast.stmt] = []
    for statement in tree.body:
        if _star_imported(statement) != "_inputs":
            body.append(statement)
        elif used:
            names = [ast.copy_location(ast.alias(name=name), statement) for name in used]
            body.append(ast.copy_location(ast.ImportFrom(module="_inputs", names=names, level=1), statement))
    tree.body = body
    return CompiledModule(_compile(tree, path), (path, str(inputs_file)))


def compile_module(source: bytes, path: str, is_package: bool) -> CompiledModule:
    """Compile one SDK module with postponed annotations and its lazy parts."""
    if is_package:
        return _compile_package(source, path)
    if Path(path).stem in CLASS_MODULES:
        return _compile_class_module(source, path)
    return _compile_resource_module(source, path)


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

    def __init__(self, directory: Path, announce: Callable[[str], None] | None = None) -> None:
        self.directory = directory
        # Told once, when this process starts a cache that does not exist yet: the first plan in a new
        # environment spends 15 to 20 s compiling, and says so instead of staying silent.
        self._announce = announce if not directory.exists() else None

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
            stamps, code, lazy_names, lazy_classes = marshal.loads(data[len(_CACHE_FORMAT) :])
        except (EOFError, ValueError, TypeError):
            return None
        sources = tuple(source for source, _, _ in stamps)
        if _stamps(sources) != stamps:
            return None
        return CompiledModule(code, sources, lazy_names, lazy_classes)

    def store(self, path: str, compiled: CompiledModule) -> None:
        """Write the entry atomically; a cache that cannot be written only costs time."""
        stamps = _stamps(compiled.sources)
        if stamps is None:
            return
        if self._announce is not None:
            self._announce(
                f"crossmesh: building the SDK cache in {self.directory} (once per environment; "
                "later plans start from it)"
            )
            self._announce = None
        entry = self._entry(path)
        scratch = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            payload = marshal.dumps(
                (stamps, compiled.code, dict(compiled.lazy_names), dict(compiled.lazy_classes))
            )
            scratch.write_bytes(_CACHE_FORMAT + payload)
            os.replace(scratch, entry)
        except OSError:
            with contextlib.suppress(OSError):
                scratch.unlink()


def _lazy_member_hooks(
    module_name: str, namespace: dict[str, Any], compiled: CompiledModule
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module's __getattr__ and __dir__: define a class, or import the module exporting a name, on
    first use."""

    def define(name: str, defining: set[str]) -> None:
        if name in namespace or name in defining:
            return
        defining.add(name)
        code, named = compiled.lazy_classes[name]
        for sibling in named:
            define(sibling, defining)
        exec(marshal.loads(code), namespace)

    def __getattr__(name: str) -> Any:
        if name in compiled.lazy_classes:
            with _DEFINING:
                define(name, set())
            return namespace[name]
        exporter = compiled.lazy_names.get(name)
        if exporter is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{module_name}.{exporter}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(compiled.lazy_names) | set(compiled.lazy_classes))

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
        if compiled.lazy_names or compiled.lazy_classes:
            getattr_hook, dir_hook = _lazy_member_hooks(module.__name__, module.__dict__, compiled)
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
    """CROSSMESH_SDK_CACHE if set (say, where the environment is read-only), else inside the environment."""
    configured = os.environ.get(CACHE_VARIABLE, "").strip()
    return Path(configured) if configured else Path(sys.prefix) / CACHE_DIR_NAME


def installed_finder() -> SdkModuleFinder | None:
    return next((finder for finder in sys.meta_path if isinstance(finder, SdkModuleFinder)), None)


def install(cache_dir: Path | None = None, announce: Callable[[str], None] | None = None) -> bool:
    """Load the SDKs this way from now on, unless CROSSMESH_SDK_IMPORTS=standard; True if it is on.
    announce, if given, is told once when this process starts building a cache that did not exist.

    Call it before the first SDK import: modules already imported stay as they were loaded.
    """
    if os.environ.get(SWITCH_VARIABLE, "").strip().lower() == "standard":
        return False
    if installed_finder() is None:
        cache = ModuleCache(cache_dir or default_cache_dir(), announce)
        sys.meta_path.insert(0, SdkModuleFinder(cache))
    return True
