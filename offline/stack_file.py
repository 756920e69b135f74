"""Reading a Pulumi stack file safely: one clear error with its file position, or the config Pulumi
would pass the program.

libyaml parses the file into events; this module composes them into values itself, so that it can
refuse what `yaml.safe_load` accepts silently or slowly:

- duplicate keys at any level (YAML forbids them; PyYAML keeps the last one), naming both lines;
- alias expansion beyond `MAX_EXPANDED_NODES` nodes (a "billion laughs" file) and nesting deeper than
  `MAX_DEPTH`, refused while reading, so memory stays bounded;
- YAML types that are not config values (dates, timestamps, binary, sets, custom tags), naming the key;
- files that are not UTF-8 YAML text (UTF-16, compressed or binary data, merge-conflict markers).

Scalars resolve as YAML 1.2's core schema does (as the Pulumi CLI's parser reads them): `yes` and
`on` stay text. A UTF-8 byte-order mark and CRLF line ends are accepted. Nothing here imports Pulumi.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.config.messages import shown

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 64
MAX_EXPANDED_NODES = 100_000
MAX_NUMBER_DIGITS = 40

# The keys of a stack file besides config (Pulumi's ProjectStack).
STACK_FILE_KEYS = ("config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt")

_MAGIC = (
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"PK\x03\x04", "a zip archive"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
)
# Characters YAML does not allow in a document (tab, line feed and carriage return are allowed).
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
_CONFLICT_MARKER = re.compile(rb"^(<{7}|={7}|>{7}|\|{7})(?: |$)", re.MULTILINE)

# YAML 1.2 core schema, the plain scalars that are not text.
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_INT_BASED = re.compile(r"^0o[0-7]+$|^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_FLOAT_SPECIAL = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
# YAML 1.1 timestamps: PyYAML and many editors read these as dates, Pulumi as text.
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$"
)
_CORE_TAG = "tag:yaml.org,2002:"
_NOT_CONFIG_TAGS = {
    "timestamp": "a YAML date or timestamp",
    "binary": "YAML binary data",
    "set": "a YAML set",
    "omap": "a YAML ordered map",
    "pairs": "YAML pairs",
}


class StackFileError(Exception):
    """A stack that cannot be planned: no such stack file, or a file that is not a Pulumi stack file."""


@dataclass(frozen=True)
class Position:
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


@dataclass
class StackFile:
    """A stack file's document, and where each key path starts (`config`, `crossmesh:aws.region`)."""

    name: str
    document: dict[str, Any]
    positions: dict[str, Position] = field(default_factory=dict)
    config_keys: dict[str, Position] = field(default_factory=dict)
    """Where each key of config: starts, by the key as written (`crossmesh:link.tunnelGroups` is a
    literal key here, not a path)."""

    def where(self, key_path: str) -> str:
        """`Pulumi.dev.yaml:12:5` for a key path, or the file name alone when it is not in the file."""
        position = self.positions.get(key_path)
        return f"{self.name}:{position}" if position else self.name


def read_yaml_file(path: Path) -> StackFile:
    """Parse a stack (or project) file; raise StackFileError naming the file position and the fault."""
    try:
        if path.exists() and not path.is_file():
            raise StackFileError(f"{path.name}: not a regular file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise StackFileError(
                f"{path.name}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; not a stack file"
            )
        data = path.read_bytes()
    except OSError as err:
        raise StackFileError(f"{path.name}: cannot read it: {err.strerror}") from None
    text = _text_of(data, path.name)
    composer = _Composer(path.name)
    document = composer.compose(text)
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise StackFileError(
            f"{path.name}:1:1: the file is {_kind(document)}; a stack file is a map with config: and its keys"
        )
    return StackFile(path.name, document, composer.positions, composer.config_keys)


def _text_of(data: bytes, name: str) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 1 and (data[0] == 0 or data[1] == 0)):
        raise StackFileError(f"{name}:1:1: UTF-16 text; save the file as UTF-8")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise StackFileError(f"{name}:1:1: {what}, not YAML text")
    data = data.removeprefix(b"\xef\xbb\xbf")
    if b"\x00" in data:
        line, column = _position_of(data, data.index(b"\x00"))
        raise StackFileError(f"{name}:{line}:{column}: binary data (a NUL byte), not YAML text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line, column = _position_of(data, err.start)
        raise StackFileError(
            f"{name}:{line}:{column}: not UTF-8 text (byte 0x{data[err.start]:02x}); save the file as UTF-8"
        ) from None
    control = _CONTROL.search(text)
    if control:
        index = control.start()
        line, column = text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)
        raise StackFileError(
            f"{name}:{line}:{column}: a control character (0x{ord(control.group()):02x}), not YAML text"
        )
    marker = _CONFLICT_MARKER.search(data)
    if marker:
        line, _ = _position_of(data, marker.start())
        raise StackFileError(
            f"{name}:{line}:1: a merge-conflict marker ({marker.group(1).decode()}); resolve the conflict "
            "first"
        )
    return text


def _position_of(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a map"
    return f"a single value ({shown(value)})"


@dataclass
class _Node:
    """A collection being composed, with what the composer needs until its end event."""

    value: dict[str, Any] | list[Any]
    path: tuple[str | int, ...]
    anchor: str | None
    weight: int = 1
    key: str | None = None
    key_mark: Any = None
    lines: dict[str, int] = field(default_factory=dict)
    merged: list[dict[str, Any]] = field(default_factory=list)


class _Composer:
    """Builds plain values (dict, list, str, int, float, bool, None) from libyaml's events."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.positions: dict[str, Position] = {}
        self.config_keys: dict[str, Position] = {}
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.expanded = 0

    def compose(self, text: str) -> Any:
        stack: list[_Node] = []
        result: Any = None
        documents = 0
        for event in self._events(text):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    self._fail(event.start_mark, "a second YAML document (---); a stack file holds one")
            elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                stack.append(self._start(event, stack))
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                node = stack.pop()
                if node.merged and isinstance(node.value, dict):
                    for merged in node.merged:
                        for key, value in merged.items():
                            node.value.setdefault(key, value)
                if node.anchor:
                    self.anchors[node.anchor] = (node.value, node.weight)
                result = self._add(stack, node.value, node.weight, event.start_mark, is_scalar=False)
            elif isinstance(event, yaml.ScalarEvent):
                path = self._child_path(stack)
                value = self._scalar(event, path, is_key=bool(stack) and self._expects_key(stack[-1]))
                if event.anchor:
                    self.anchors[event.anchor] = (value, 1)
                result = self._add(stack, value, 1, event.start_mark, is_scalar=True, raw=event.value)
            elif isinstance(event, yaml.AliasEvent):
                anchor = str(event.anchor)
                if anchor not in self.anchors:
                    self._fail(event.start_mark, f"*{anchor} names no anchor (&{anchor}) before it")
                value, weight = self.anchors[anchor]
                self.expanded += weight
                if self.expanded > MAX_EXPANDED_NODES:
                    self._fail(
                        event.start_mark,
                        f"aliases expand to more than {MAX_EXPANDED_NODES:,} values; refused (a stack file "
                        "never needs this many: it looks like an alias bomb)",
                    )
                result = self._add(stack, value, weight, event.start_mark, is_scalar=False)
        return result

    def _events(self, text: str) -> Iterator[Any]:
        try:
            yield from yaml.parse(text, Loader=yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)
        except yaml.MarkedYAMLError as err:
            self._fail(err.problem_mark, _worded(err, text))
        except yaml.YAMLError as err:
            raise StackFileError(f"{self.name}: not YAML: {err}") from None

    def _start(self, event: Any, stack: list[_Node]) -> _Node:
        if len(stack) >= MAX_DEPTH:
            self._fail(event.start_mark, f"nested deeper than {MAX_DEPTH} levels; refused")
        path = self._child_path(stack)
        tag = event.tag
        if tag and tag not in (f"{_CORE_TAG}map", f"{_CORE_TAG}seq", "!"):
            self._not_config(event.start_mark, path, tag, None)
        if not stack or isinstance(stack[-1].value, list):
            self.positions.setdefault(_key_path(path), _position(event.start_mark))
        is_map = isinstance(event, yaml.MappingStartEvent)
        return _Node({} if is_map else [], path, event.anchor)

    def _add(
        self,
        stack: list[_Node],
        value: Any,
        weight: int,
        mark: Any,
        *,
        is_scalar: bool,
        raw: str | None = None,
    ) -> Any:
        if not stack:
            return value
        parent = stack[-1]
        parent.weight += weight
        if isinstance(parent.value, list):
            if is_scalar:
                self.positions.setdefault(_key_path((*parent.path, len(parent.value))), _position(mark))
            parent.value.append(value)
            return value
        if parent.key is None:
            if not is_scalar or raw is None:
                self._fail(mark, f"{_described(parent.path)}: a key must be text, not a list or a map")
            key = str(raw)
            if key in parent.lines and key != "<<":
                self._fail(
                    mark,
                    f"{_key_path((*parent.path, key))}: duplicate key (first at line {parent.lines[key]}); "
                    "YAML forbids repeated keys, and Pulumi would read only one of them",
                )
            parent.lines[key] = mark.line + 1
            parent.key, parent.key_mark = key, mark
            return value
        key, parent.key = parent.key, None
        if key == "<<":
            self._merge(parent, value, mark)
        else:
            parent.value[key] = value
            self.positions.setdefault(_key_path((*parent.path, key)), _position(parent.key_mark))
            if parent.path == ("config",):
                self.config_keys[key] = _position(parent.key_mark)
        return value

    def _merge(self, parent: _Node, value: Any, mark: Any) -> None:
        """`<<: *defaults` (or a list of them): the keys not set in the map itself come from these."""
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(source, dict) for source in sources):
            self._fail(mark, f"{_described(parent.path)}: a merge key (<<) takes a map or a list of maps")
        parent.merged.extend(sources)

    def _scalar(self, event: Any, path: tuple[str | int, ...], *, is_key: bool) -> Any:
        text: str = event.value
        tag = event.tag
        if is_key:
            return text
        if tag and tag != "!":
            return self._tagged(event, path, tag)
        if event.style:  # quoted or block: text as written
            return text
        return self._plain(event, path, text)

    def _plain(self, event: Any, path: tuple[str | int, ...], text: str) -> Any:
        if _NULL.match(text):
            return None
        if text in _BOOL:
            return _BOOL[text]
        if _INT.match(text) or _INT_BASED.match(text):
            digits = text.lstrip("+-")
            if len(digits) > MAX_NUMBER_DIGITS:
                self._fail(
                    event.start_mark,
                    f"{_described(path)}: a number of {len(digits):,} digits; no config value is that long",
                )
            return int(text, 0) if _INT_BASED.match(text) else int(text)
        if _FLOAT.match(text):
            return float(text)
        if text.lower() in _FLOAT_SPECIAL:
            return _FLOAT_SPECIAL[text.lower()]
        if _TIMESTAMP.match(text):
            self._not_config(event.start_mark, path, f"{_CORE_TAG}timestamp", text)
        return text

    def _tagged(self, event: Any, path: tuple[str | int, ...], tag: str) -> Any:
        name = tag.removeprefix(_CORE_TAG)
        if name == "str":
            return event.value
        if name in ("int", "float", "bool", "null"):
            value = self._plain(event, path, event.value)
            expected = {"int": int, "float": float | int, "bool": bool, "null": type(None)}[name]
            if not isinstance(value, expected) or (name == "int" and isinstance(value, bool)):
                self._fail(event.start_mark, f"{_described(path)}: {shown(event.value)} is not a YAML {name}")
            return value
        self._not_config(event.start_mark, path, tag, event.value)
        return None

    def _not_config(self, mark: Any, path: tuple[str | int, ...], tag: str, text: str | None) -> None:
        name = tag.removeprefix(_CORE_TAG)
        what = _NOT_CONFIG_TAGS.get(name, f"a value tagged {tag}")
        if name == "timestamp" and text is not None:
            hint = f"; quote it ('{text}') if you mean the text"
        else:
            hint = ""
        self._fail(
            mark,
            f"{_described(path)}: {what}, which is not a config value: config values are text, numbers, "
            f"booleans, lists and maps{hint}",
        )

    @staticmethod
    def _expects_key(node: _Node) -> bool:
        return isinstance(node.value, dict) and node.key is None

    @staticmethod
    def _child_path(stack: list[_Node]) -> tuple[str | int, ...]:
        if not stack:
            return ()
        parent = stack[-1]
        if isinstance(parent.value, list):
            return (*parent.path, len(parent.value))
        return (*parent.path, parent.key) if parent.key is not None else parent.path

    def _fail(self, mark: Any, what: str) -> None:
        raise StackFileError(f"{self.name}:{_position(mark)}: {what}")


def _position(mark: Any) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def _key_path(path: tuple[str | int, ...]) -> str:
    """A key path as config problems name it: under config:, the full key then .key and [i]."""
    if len(path) >= 2 and path[0] == "config":
        parts: tuple[str | int, ...] = path[1:]
    else:
        parts = path
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def _described(path: tuple[str | int, ...]) -> str:
    return _key_path(path) or "the file"


def _worded(err: yaml.MarkedYAMLError, text: str) -> str:
    """libyaml's complaint in words a stack file's author can act on."""
    mark = err.problem_mark
    problem = err.problem or "not YAML"
    offending = _char_at(text, mark.line, mark.column) if mark else ""
    if offending == "\t" or "\t" in problem:
        return "a tab character; YAML indents with spaces only"
    if "maximum nesting depth" in problem:
        return f"nested deeper than libyaml's limit; refused ({problem})"
    context = (
        f" ({err.context} at line {err.context_mark.line + 1})" if err.context and err.context_mark else ""
    )
    if "control characters" in problem or "special characters" in problem:
        return f"a control character (0x{ord(offending or ' '):02x}), not YAML text"
    return f"not valid YAML: {problem}{context}"


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n", line + 1)
    if line >= len(lines):
        return ""
    row = lines[line]
    return row[column] if column < len(row) else ""
