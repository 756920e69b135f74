"""Reading a saved plan (`crossmesh plan --json FILE`): the plan contract, checked before anyone uses it.

`load_plan_file` returns the contract as a dict, or raises `PlanFileError` naming the file and the first
problem, placed by a JSON pointer (`/resources/3/type`): a file that is not JSON or not UTF-8, a
compressed file, one larger than `MAX_PLAN_BYTES` or nested deeper than `MAX_DEPTH`, and any value of
the wrong type (strictly: a string is never read as a list of its characters). Keys the contract does
not name are allowed, so an older reader accepts a newer plan. Nothing here imports Pulumi.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from components.config.wording import shown

# The 500-service benchmark stack writes a plan of about 4 MiB.
MAX_PLAN_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64

_COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"PK\x03\x04", "zip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"))


class PlanFileError(ValueError):
    """A file that is not a crossmesh plan contract; the message names the file and the problem."""


class _Contract(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class PlannedResourceContract(_Contract):
    urn: str = Field(min_length=1)
    type: str = Field(min_length=1)
    name: str
    custom: bool = True
    parent: str | None = None
    provider: str | None = None
    dependencies: list[str] = Field(default_factory=list)
    protect: bool = False
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] | None = None
    id: str | None = None


class PlanContract(_Contract):
    project: str = "crossmesh"
    stack: str = "unknown"
    resources: list[PlannedResourceContract]
    outputs: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)


def load_plan_file(path: Path) -> dict[str, Any]:
    """The plan contract in `path`, checked; raises PlanFileError naming the file and the first problem."""
    return load_plan_bytes(str(path), _bytes_of(path))


def load_plan_stream(name: str, stream: BinaryIO) -> dict[str, Any]:
    """The plan contract read from a stream (standard input), no more than MAX_PLAN_BYTES of it."""
    data = stream.read(MAX_PLAN_BYTES + 1)
    if len(data) > MAX_PLAN_BYTES:
        raise PlanFileError(
            f"{name}: more than the {MAX_PLAN_BYTES // 1024 // 1024} MiB a plan file may be; "
            "not a crossmesh plan"
        )
    return load_plan_bytes(name, _without_compression(name, data))


def load_plan_bytes(name: str, data: bytes) -> dict[str, Any]:
    """The plan contract in `data` (read from `name`), checked as load_plan_file checks a file."""
    contract = _parsed(name, data)
    try:
        PlanContract.model_validate(contract)
    except ValidationError as err:
        first = err.errors()[0]
        raise PlanFileError(
            f"{name}: {json_pointer(first['loc'])}: {_worded(first)}; not a crossmesh plan "
            "(crossmesh plan --json FILE writes one)"
        ) from None
    result: dict[str, Any] = contract
    return result


def _bytes_of(path: Path) -> bytes:
    try:
        if path.exists() and not path.is_file():
            raise PlanFileError(f"{path}: not a regular file; not a crossmesh plan")
        size = path.stat().st_size
        if size > MAX_PLAN_BYTES:
            raise PlanFileError(
                f"{path}: {size / 1024 / 1024:.1f} MiB, more than the {MAX_PLAN_BYTES // 1024 // 1024} MiB a "
                "plan file may be; not a crossmesh plan"
            )
        data = path.read_bytes()
    except OSError as err:
        raise PlanFileError(f"{path}: cannot read it: {err.strerror}") from None
    return _without_compression(str(path), data)


def _without_compression(name: str, data: bytes) -> bytes:
    for magic, kind in _COMPRESSED:
        if data.startswith(magic):
            raise PlanFileError(f"{name}: {kind}-compressed data; decompress it first")
    return data.removeprefix(b"\xef\xbb\xbf")


def _parsed(path: str, data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise PlanFileError(
            f"{path}: not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start})"
        ) from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as err:
        raise PlanFileError(f"{path}: not JSON: line {err.lineno} column {err.colno}: {err.msg}") from None
    except RecursionError:
        raise PlanFileError(
            f"{path}: nested deeper than the JSON parser's limit; not a crossmesh plan"
        ) from None
    if not isinstance(document, dict):
        raise PlanFileError(
            f"{path}: (root): a JSON {type(document).__name__}; a plan is an object with 'resources'"
        )
    too_deep = _deeper_than(document, MAX_DEPTH)
    if too_deep is not None:
        raise PlanFileError(f"{path}: {json_pointer(too_deep)}: nested deeper than {MAX_DEPTH} levels")
    return document


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def _deeper_than(document: Any, limit: int) -> tuple[str | int, ...] | None:
    """The location of the first value nested deeper than `limit`, or None (iteratively: no recursion)."""
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while pending:
        value, location = pending.pop()
        if len(location) > limit:
            return location
        if isinstance(value, dict):
            pending.extend((item, (*location, key)) for key, item in value.items())
        elif isinstance(value, list):
            pending.extend((item, (*location, index)) for index, item in enumerate(value))
    return None


def json_pointer(location: tuple[str | int, ...] | list[str | int]) -> str:
    """RFC 6901: /resources/3/inputs/a~1b for ("resources", 3, "inputs", "a/b")."""
    if not location:
        return "(root)"
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in location)


def _worded(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "missing"
    message = str(error["msg"]).replace("Input should be", "must be")
    return f"{shown(error.get('input'))} {message}"
