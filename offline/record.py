"""What the offline engine records: one Registration per resource, and the Plan of a whole stack.

Inputs keep their secrecy: a secret value is wrapped in `Secret`, so tests can read it and the JSON
contract can mask it. Nothing here imports Pulumi.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from offline import paths

SECRET_MASK = "[secret]"


@dataclass(frozen=True)
class Secret:
    value: Any


def reveal(value: Any) -> Any:
    """The value with every Secret unwrapped, for assertions on what a provider would receive."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, dict):
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [reveal(item) for item in value]
    return value


def mask(value: Any) -> Any:
    """The value with every Secret replaced by the mask: what may leave the engine."""
    if isinstance(value, Secret):
        return SECRET_MASK
    if isinstance(value, dict):
        return {key: mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask(item) for item in value]
    return value


def secret_paths(value: Any, path: str = "") -> Iterator[str]:
    """Dotted paths of every secret inside value (list items as [i])."""
    if isinstance(value, Secret):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from secret_paths(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from secret_paths(item, f"{path}[{index}]")


def secret_hashes(value: Any, salt: str, path: str = "") -> dict[str, str]:
    """A salted SHA-256 of every secret inside value, by property path: enough to tell that a secret
    changed, never what it is. The salt (project and stack) keeps equal secrets of different stacks
    apart; the offline engine only ever holds fake secrets (it decrypts no stack secret)."""
    if isinstance(value, Secret):
        text = json.dumps(reveal(value), sort_keys=True, separators=(",", ":"))
        return {path: "sha256:" + hashlib.sha256(f"{salt}\0{text}".encode()).hexdigest()}
    found: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            found.update(secret_hashes(item, salt, paths.join(path, str(key))))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            found.update(secret_hashes(item, salt, paths.index(path, position)))
    return found


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    dependencies: list[str]
    protect: bool
    inputs: dict[str, Any]
    id: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    data_dependencies: list[str] = field(default_factory=list)
    """URNs whose outputs feed an input; `dependencies` adds explicit depends_on to these."""
    retain_on_delete: bool = False
    """Deleting the resource from the stack leaves the cloud object in place."""
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    """Per top-level input, the URNs whose outputs feed it."""
    options: dict[str, Any] = field(default_factory=dict)
    """The resource options the program set (Pulumi's names; `protect` is kept apart)."""
    reads: dict[str, list[str]] = field(default_factory=dict)
    """Input paths holding an ID or a cloud-assigned output of another resource, with its URN: a
    replacement of that resource gives them new values."""
    generation: int = 0
    """How many times the resource was replaced since its first plan (plan --against counts)."""

    @property
    def plain_inputs(self) -> dict[str, Any]:
        result: dict[str, Any] = reveal(self.inputs)
        return result

    def to_contract(self, salt: str) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "custom": self.custom,
            "parent": self.parent,
            "provider": self.provider,
            "dependencies": self.dependencies,
            "protect": self.protect,
            "options": self.options,
            "id": self.id,
            "generation": self.generation,
            "inputs": mask(self.inputs),
            "secretHashes": secret_hashes(self.inputs, salt),
            "reads": self.reads,
        }


@dataclass
class Plan:
    project: str
    stack: str
    resources: list[Registration]
    outputs: dict[str, Any]
    """Stack outputs by name; secret outputs are wrapped in Secret."""
    warnings: list[str] = field(default_factory=list)
    """What the program logged as warnings (pulumi.log.warn), in order."""
    config: dict[str, str] = field(default_factory=dict)
    """The stack config the program ran with, as the Pulumi CLI passes it: full keys
    (`crossmesh:cost`), structured values as JSON text, `secure:` values as a placeholder."""

    @property
    def secret_salt(self) -> str:
        return f"{self.project}/{self.stack}"

    def of_type(self, type_token: str) -> list[Registration]:
        return [resource for resource in self.resources if resource.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> Registration:
        """The single resource of a type (and name, if given); fails loudly otherwise."""
        found = [r for r in self.of_type(type_token) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {type_token} named {name!r}, found {[r.name for r in found]}")
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise LookupError(urn)

    def children(self, urn: str) -> list[Registration]:
        return [resource for resource in self.resources if resource.parent == urn]

    def to_contract(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [resource.to_contract(self.secret_salt) for resource in self.resources],
            "outputs": mask(self.outputs),
            "warnings": list(self.warnings),
        }
