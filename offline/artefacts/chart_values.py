"""Every Helm value is a key of the pinned chart.

Helm ignores a key no template reads, so a misspelt value is lost without a word. A key we pass is
known when the chart names it: in values.yaml, in values.schema.json, or as a `.Values` path one of
its templates reads (which finds keys values.yaml documents only in comments). Below a known key the
same holds, except in an open map, where any key is accepted:

- a map the chart's values.schema.json describes without listing its keys (the gateway's `labels`,
  the collector's `config`), or, where the schema does not describe it, a map values.yaml leaves
  empty (podAnnotations, nodeSelector); a template reading one key of a map (`labels.app`) makes that
  key known but does not close the map;
- a map we declare open in OPEN_VALUES, each with the reason.

Lists are not descended into. Where the chart has a values.schema.json, the defaults merged with our
values are also validated against it, as Helm does before rendering.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.validators import validator_for

from offline.artefacts import data
from offline.artefacts.pins import REFRESH

# Maps whose keys the chart hands on to the software it runs, which checks them itself.
OPEN_VALUES: dict[str, dict[str, str]] = {
    "istiod": {
        "meshConfig": "Istio's MeshConfig, free-form in the chart (its default sets one key); istiod "
        "reads it against the MeshConfig API when it starts",
    },
    "cluster-autoscaler": {
        "extraArgs": "command-line flags, each key rendered as --key=value; the autoscaler refuses an "
        "unknown flag when it starts, and the atomic release rolls back",
    },
}

Path = tuple[str, ...]


def values_problems(chart: str, version: str, values: Mapping[str, Any]) -> list[str]:
    """Each value the pinned chart does not know or its schema refuses; empty when all fit."""
    recorded = data.chart_values(chart, version)
    if recorded is None:
        return [f"no values of {chart} {version} are recorded; add the version with {REFRESH}"]
    templates = {tuple(path.split(".")) for path in recorded["template_paths"]}
    walk = _Walk(chart, version, recorded["schema"] or {}, templates)
    found = walk.unknown(values, recorded["values"], recorded["schema"] or {}, ())
    if recorded["schema"]:
        found += _schema_problems(recorded["schema"], _merged(recorded["values"], values))
    return found


class _Walk:
    def __init__(
        self, chart: str, version: str, root_schema: Mapping[str, Any], templates: set[Path]
    ) -> None:
        self.chart = chart
        self.version = version
        self.root = root_schema
        self.templates = templates
        self.open = OPEN_VALUES.get(chart, {})

    def unknown(
        self, ours: Mapping[str, Any], defaults: Any, schema: Mapping[str, Any], path: Path
    ) -> list[str]:
        found = []
        for key, value in ours.items():
            here = (*path, str(key))
            dotted = ".".join(here)
            if dotted in self.open:
                continue
            default = defaults.get(key) if isinstance(defaults, Mapping) else None
            in_defaults = isinstance(defaults, Mapping) and key in defaults
            child_schema = self._property(schema, str(key))
            if not in_defaults and child_schema is None and not self._read_at_or_below(here):
                found.append(
                    f"{dotted}: not a key of chart {self.chart} {self.version} (values.yaml, "
                    "values.schema.json and its templates name no such key); Helm would ignore it"
                )
                continue
            if isinstance(value, Mapping) and self._names_keys_below(default, child_schema):
                found += self.unknown(value, default, child_schema or {}, here)
        return found

    def _names_keys_below(self, default: Any, schema: Mapping[str, Any] | None) -> bool:
        """Whether the map is closed. Where the schema describes it, the schema says: it lists the keys
        or forbids others. Elsewhere values.yaml does: a map it fills is closed, an empty one open. A
        template reading one key of a map (`labels.app`) makes that key known without closing the map."""
        if schema is not None:
            return bool(schema.get("properties") or schema.get("additionalProperties") is False)
        return bool(isinstance(default, Mapping) and default)

    def _read_at_or_below(self, here: Path) -> bool:
        return any(path[: len(here)] == here for path in self.templates)

    def _property(self, schema: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
        node = self._resolve(schema)
        properties = node.get("properties", {})
        if key in properties:
            return self._resolve(properties[key])
        return None

    def _resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        """A schema node with its local $ref followed (`#/$defs/values`)."""
        while "$ref" in node and str(node["$ref"]).startswith("#/"):
            target: Any = self.root
            for part in str(node["$ref"])[2:].split("/"):
                target = target[part]
            node = target
        return node


def _merged(defaults: Any, ours: Any) -> Any:
    """Values as Helm coalesces them: our maps merged into the chart's, anything else replacing."""
    if isinstance(defaults, Mapping) and isinstance(ours, Mapping):
        return {**defaults, **{k: _merged(defaults.get(k), v) for k, v in ours.items()}}
    return ours


def _schema_problems(schema: Mapping[str, Any], values: Mapping[str, Any]) -> list[str]:
    validator = validator_for(schema, default=Draft7Validator)(schema)
    return sorted(
        f"{'.'.join(str(p) for p in error.absolute_path) or '(values)'}: {error.message} (values.schema.json)"
        for error in validator.iter_errors(values)
    )
