"""Plans of the shipped stack files, computed once and shared by every test process.

The Pulumi SDK keeps its runtime state in globals, so plans run one after another; caching them keeps
the suite fast however many tests read the same plan. Each plan is kept in memory for the process and
on disk (`.pytest_cache/crossmesh-plans/`) for the other test processes and the next run, under a
fingerprint of everything a plan is made from: the program, the engine, their data, the stack files,
the locked dependencies and the `CROSSMESH_*` environment. Any change to one of them starts a new
cache. A plan two processes need at the same time is made by one of them while the other waits.
`CROSSMESH_TEST_PLAN_CACHE=off` keeps plans in memory only.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import json
import os
import pickle
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

from offline.diff import plan_snapshot
from offline.engine import plan_stack
from offline.record import Plan

PROJECT_DIR = Path(__file__).resolve().parents[2]
STACKS = sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in PROJECT_DIR.glob("Pulumi.*.yaml"))


# What a plan is made from, relative to the project.
PLAN_INPUTS = ("__main__.py", "Pulumi.yaml", "Pulumi.*.yaml", "uv.lock", "components/**/*", "offline/**/*")
CACHE_ROOT = PROJECT_DIR / ".pytest_cache" / "crossmesh-plans"
T = TypeVar("T")


def _input_files() -> Iterator[Path]:
    for pattern in PLAN_INPUTS:
        for path in sorted(PROJECT_DIR.glob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                yield path


@cache
def fingerprint() -> str:
    """A digest of every file a plan is made from, with the interpreter and the CROSSMESH_* settings."""
    digest = hashlib.sha256(sys.version.encode())
    for name, value in sorted(os.environ.items()):
        if name.startswith("CROSSMESH_") and name != "CROSSMESH_TEST_PLAN_CACHE":
            digest.update(f"{name}={value}\0".encode())
    for path in _input_files():
        digest.update(path.relative_to(PROJECT_DIR).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:24]


def _cache_dir() -> Path | None:
    if os.environ.get("CROSSMESH_TEST_PLAN_CACHE") == "off":
        return None
    directory = CACHE_ROOT / fingerprint()
    if not directory.is_dir():
        directory.mkdir(parents=True, exist_ok=True)
        # Plans of earlier fingerprints are not read again; an hour's grace leaves a concurrent run alone.
        for stale in CACHE_ROOT.iterdir():
            if stale != directory and time.time() - stale.stat().st_mtime > 3600:
                shutil.rmtree(stale, ignore_errors=True)
    return directory


def on_disk(key: str, make: Callable[[], T]) -> T:
    """What is stored under `key` for this fingerprint, or `make()`'s result, stored for the next reader:
    a plan, or anything else computed only from the plan inputs. One process makes it: another that asks
    for the same key meanwhile waits for it and reads it (`make` must not ask for its own key)."""
    directory = _cache_dir()
    if directory is None:
        return make()
    path = directory / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.pickle"
    found, stored = _read(path)
    if found:
        return stored  # type: ignore[no-any-return]
    with _key_lock(path.with_suffix(".lock")):
        found, stored = _read(path)
        if found:
            return stored  # type: ignore[no-any-return]
        made = make()
        _write(path, made)
    return made


def _read(path: Path) -> tuple[bool, Any]:
    try:
        with path.open("rb") as file:
            return True, pickle.load(file)
    except (OSError, EOFError, pickle.UnpicklingError):
        return False, None


def _write(path: Path, value: object) -> None:
    # Written aside and renamed, so a process reading without the lock sees the whole file or none; a
    # cache that cannot be written (a full disk, a directory another process pruned) only costs time.
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        pass


@contextmanager
def _key_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on one key, held while its value is made: two test processes that need the same
    plan at once would otherwise both spend the seconds it takes. Without a lock file, no lock."""
    try:
        file = path.open("a")
    except OSError:
        yield
        return
    with file:
        fcntl.flock(file, fcntl.LOCK_EX)
        yield


@cache
def _cached_plan(stack: str, overrides_json: str) -> Plan:
    overrides: Mapping[str, Any] = json.loads(overrides_json)
    return on_disk(f"plan\0{stack}\0{overrides_json}", lambda: plan_stack(PROJECT_DIR, stack, overrides))


def planned(stack: str, overrides: Mapping[str, Any] | None = None) -> Plan:
    """The plan of a shipped stack file, with whole top-level keys replaced by `overrides`."""
    return _cached_plan(stack, json.dumps(overrides or {}, sort_keys=True))


@cache
def _cached_plan_against(stack: str, overrides_json: str, before_json: str) -> Plan:
    def make() -> Plan:
        before = planned(stack, json.loads(before_json)).to_contract()
        return plan_stack(PROJECT_DIR, stack, json.loads(overrides_json), against=plan_snapshot(before))

    return on_disk(f"against\0{stack}\0{overrides_json}\0{before_json}", make)


def planned_against(
    stack: str, overrides: Mapping[str, Any] | None = None, before: Mapping[str, Any] | None = None
) -> Plan:
    """The plan of a stack file with `overrides`, made against the plan with `before` overrides, as
    `crossmesh plan --against` makes it."""
    return _cached_plan_against(
        stack, json.dumps(overrides or {}, sort_keys=True), json.dumps(before or {}, sort_keys=True)
    )


def stack_config(stack: str, key: str) -> Any:
    """One top-level key of a shipped stack file, to edit and pass as an override."""
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    return copy.deepcopy(document["config"][f"crossmesh:{key}"])
