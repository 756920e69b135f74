"""Hand-built plan contracts, as `crossmesh plan --json` writes them, for the diff's tests."""

from __future__ import annotations

import hashlib
from typing import Any

from offline.urns import make_urn

STACK = "dev"
PROJECT = "crossmesh"


def urn(type_token: str, name: str, stack: str = STACK) -> str:
    return make_urn(stack, PROJECT, None, type_token, name)


def secret_hash(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def resource(
    type_token: str,
    name: str,
    inputs: dict[str, Any],
    *,
    provider: str | None = None,
    protect: bool = False,
    options: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    reads: dict[str, list[str]] | None = None,
    resource_id: str | None = None,
    at: str | None = None,
) -> dict[str, Any]:
    """One resource of a contract; `secrets` maps input paths to their (fake) secret values, which the
    contract holds as "[secret]" and a hash; `at` is a URN to use instead of the one built from name."""
    shown = dict(inputs)
    for path in secrets or {}:
        shown[path] = "[secret]"
    return {
        "urn": at or urn(type_token, name),
        "type": type_token,
        "name": name,
        "custom": True,
        "parent": None,
        "provider": provider,
        "dependencies": sorted({dep for deps in (reads or {}).values() for dep in deps}),
        "protect": protect,
        "options": options or {},
        "id": resource_id or f"{name}-id",
        "generation": 0,
        "inputs": shown,
        "secretHashes": {path: secret_hash(value) for path, value in (secrets or {}).items()},
        "reads": reads or {},
    }


def contract(*resources: dict[str, Any], stack: str = STACK, project: str = PROJECT) -> dict[str, Any]:
    return {"project": project, "stack": stack, "resources": list(resources), "outputs": {}}
