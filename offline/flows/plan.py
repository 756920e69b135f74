"""The plan as the flow check reads it: resources by type, and the references between them.

A reference (a subnet's VPC, a rule's security group, a zone's network) is found by the value the
program wrote (an ID, ARN, name or self link of another resource) and, for values that only a cloud
assigns after creation (an EKS cluster's security group, a VPN connection's attachment), by the
resource's recorded dependencies. A live plan and a saved plan contract read the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from offline.planned import PlannedResource


def get(value: Any, path: str, default: Any = None) -> Any:
    """value["a"]["b"]... for a dotted path; default when a step is absent, None or not a mapping."""
    current = value
    for key in path.split("."):
        if not isinstance(current, Mapping) or current.get(key) is None:
            return default
        current = current[key]
    return current


def items(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def last_segment(value: str) -> str:
    return value.rstrip("/").rsplit("/", 1)[-1]


class Plan:
    def __init__(self, resources: Iterable[PlannedResource]) -> None:
        self.resources = list(resources)
        self._by_urn = {resource.urn: resource for resource in self.resources}
        self._by_type: dict[str, list[PlannedResource]] = {}
        self._by_value: dict[str, list[PlannedResource]] = {}
        for resource in self.resources:
            self._by_type.setdefault(resource.type, []).append(resource)
            for key in self._keys(resource):
                self._by_value.setdefault(key, []).append(resource)

    @staticmethod
    def _keys(resource: PlannedResource) -> Iterator[str]:
        if resource.id:
            yield resource.id
            yield last_segment(resource.id)
        for field in ("name", "arn", "selfLink"):
            value = resource.inputs.get(field)
            if isinstance(value, str) and value:
                yield value

    def of_type(self, *types: str) -> list[PlannedResource]:
        return [resource for kind in types for resource in self._by_type.get(kind, [])]

    def by_urn(self, urn: str | None) -> PlannedResource | None:
        return self._by_urn.get(urn or "")

    def dependencies(self, resource: PlannedResource, *types: str) -> list[PlannedResource]:
        found = [self._by_urn[urn] for urn in resource.dependencies if urn in self._by_urn]
        return [dependency for dependency in found if not types or dependency.type in types]

    def find(self, value: Any, *types: str) -> PlannedResource | None:
        """The resource of one of `types` that `value` names (ID, name, ARN, or a self link's last part)."""
        if not isinstance(value, str) or not value:
            return None
        for key in (value, last_segment(value)):
            for resource in self._by_value.get(key, []):
                if resource.type in types:
                    return resource
        return None

    def referenced(self, resource: PlannedResource, value: Any, *types: str) -> PlannedResource | None:
        """What `resource` names with `value`: by the value, else the one dependency of those types."""
        found = self.find(value, *types)
        if found is not None:
            return found
        candidates = self.dependencies(resource, *types)
        return candidates[0] if len(candidates) == 1 else None

    def referenced_all(
        self, resource: PlannedResource, values: Iterable[Any], *types: str
    ) -> list[PlannedResource]:
        """Every resource of `types` the values name; values no planned resource carries are skipped."""
        found: dict[str, PlannedResource] = {}
        for value in values:
            item = self.find(value, *types)
            if item is not None:
                found.setdefault(item.urn, item)
        return list(found.values())
