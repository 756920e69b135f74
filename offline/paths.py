"""Property paths as Pulumi writes them (`spec.ports[0].port`, `metadata.labels["app.kubernetes.io/name"]`).

A key that is not a plain identifier is quoted in brackets, so a path names one value however its keys
are spelt. Rule paths in offline/data/ use `[]` for "any element". Nothing here imports Pulumi.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

_PLAIN_KEY = re.compile(r"^[A-Za-z_$][\w$-]*$")
_PART = re.compile(r'\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\[\]')

Part = str | int | None
"""A key, a list index, or None for "any element" (`[]`)."""


def join(path: str, key: str) -> str:
    if _PLAIN_KEY.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def index(path: str, position: int) -> str:
    return f"{path}[{position}]"


def parse(path: str) -> list[Part]:
    """The keys and indices of a path; raises ValueError on a malformed one."""
    parts: list[Part] = []
    position = 0
    while position < len(path):
        match = _PART.match(path, position)
        if match is None or match.end() == position:
            raise ValueError(f"not a property path: {path!r}")
        key, number, quoted = match.groups()
        if key is not None:
            parts.append(key)
        elif number is not None:
            parts.append(int(number))
        elif quoted is not None:
            parts.append(json.loads(quoted))
        else:
            parts.append(None)
        position = match.end()
    return parts


def generic(path: str) -> str:
    """The path with every list index replaced by `[]`, the way the replacement rules write paths."""
    return re.sub(r"\[\d+\]", "[]", path)


def covers(outer: str, inner: str) -> bool:
    """Whether `inner` is `outer` or lies below it (both in the same, generic or concrete, form)."""
    return inner == outer or inner.startswith(outer + ".") or inner.startswith(outer + "[")


def values_at(value: Any, parts: list[Part]) -> list[Any]:
    """Every value at the path (several where it says `[]`); absent values are left out."""
    found = [value]
    for part in parts:
        following: list[Any] = []
        for item in found:
            if part is None and isinstance(item, list):
                following.extend(item)
            elif isinstance(part, int) and isinstance(item, list):
                following.extend(item[part : part + 1])
            elif isinstance(part, str) and isinstance(item, dict) and part in item:
                following.append(item[part])
        found = following
    return found


def get(value: Any, path: str) -> tuple[bool, Any]:
    """(present, value) at a concrete path."""
    found = values_at(value, parse(path))
    return (True, found[0]) if found else (False, None)


def put(value: dict[str, Any], path: str, present: bool, item: Any) -> None:
    """Set (or, when not present, remove) the value at a concrete path, creating objects on the way."""
    parts = parse(path)
    container: Any = value
    for part in parts[:-1]:
        if isinstance(container, dict):
            container = container.setdefault(part, {}) if isinstance(part, str) else None
        elif isinstance(container, list) and isinstance(part, int) and part < len(container):
            container = container[part]
        else:
            return
    last = parts[-1]
    if isinstance(container, dict) and isinstance(last, str):
        if present:
            container[last] = item
        else:
            container.pop(last, None)
    elif isinstance(container, list) and isinstance(last, int) and last < len(container) and present:
        container[last] = item


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar inside value with its path; empty objects and lists are leaves too."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaves(item, join(path, str(key)))
    elif isinstance(value, list) and value:
        for position, item in enumerate(value):
            yield from leaves(item, index(path, position))
    else:
        yield path, value
