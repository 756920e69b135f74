"""How the Pulumi types crossmesh declares are spelled in Terraform, from the bridge's own mapping.

The AWS and GCP providers are bridged from Terraform: a Pulumi property is the camelCase of its
Terraform name, pluralised for a list whose Terraform name is singular (`allows` <- `allow`), and a
block of at most one element becomes an object. offline/data/terraform_names.json keeps, per Pulumi
token, the Terraform type, the properties whose name is not the plain snake_case of the Pulumi one,
the object-valued paths (written back as blocks of one) and the map-valued paths (whose keys are data,
not attributes); scripts/refresh_terraform_names.py rebuilds it from the providers' bridge metadata.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_PATH = Path("offline") / "data" / "terraform_names.json"
_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake(name: str) -> str:
    """The Terraform spelling of a camelCase Pulumi name, when the bridge did not rename it."""
    return _BOUNDARY.sub("_", name).lower()


@dataclass(frozen=True)
class TerraformType:
    """One Pulumi type as Terraform knows it."""

    token: str
    terraform: str
    renames: Mapping[str, str]
    objects: frozenset[str]
    maps: frozenset[str]

    def attributes(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The resource's Pulumi inputs as Terraform plan values."""
        return {self._name(key, key): self._value(key, value) for key, value in inputs.items()}

    def _name(self, path: str, key: str) -> str:
        return self.renames.get(path, snake(key))

    def _value(self, path: str, value: Any) -> Any:
        if path in self.maps:
            return value
        if isinstance(value, Mapping):
            block = {
                self._name(f"{path}.{key}", key): self._value(f"{path}.{key}", item)
                for key, item in value.items()
            }
            return [block] if path in self.objects else block
        if isinstance(value, list):
            return [self._value(path, item) for item in value]
        return value


@cache
def _document(project_dir: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((project_dir / DATA_PATH).read_text())
    return loaded


def terraform_types(project_dir: Path) -> dict[str, TerraformType]:
    """Every Pulumi token the data file maps, by token."""
    found: dict[str, TerraformType] = {}
    for section in _document(project_dir)["providers"].values():
        for token, entry in section["types"].items():
            found[token] = TerraformType(
                token=token,
                terraform=entry["terraform"],
                renames=dict(entry["renames"]),
                objects=frozenset(entry["objects"]),
                maps=frozenset(entry["maps"]),
            )
    return found


def sources(project_dir: Path) -> dict[str, Mapping[str, Any]]:
    """Where each provider's mapping was read, for reports."""
    return {name: section["source"] for name, section in _document(project_dir)["providers"].items()}
