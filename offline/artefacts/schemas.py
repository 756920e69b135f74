"""Kubernetes objects against the schemas of the versions that will run them.

A custom object is held to the openAPIV3Schema of its CRD, as installed by the chart version the plan
puts in the same cluster (Istio's `base`, `appmesh-controller`) or by the cluster itself (GKE's managed
collection); its metadata to the ObjectMeta of the cluster's Kubernetes. A built-in object is held to
the OpenAPI definition of its kind in each Kubernetes minor its cluster may run.

The schemas are made strict the way the API server is: a structural schema prunes fields it does not
declare (so they are reported, unless the node has x-kubernetes-preserve-unknown-fields), a built-in kind
drops unknown fields, `nullable` admits null, x-kubernetes-int-or-string admits both. Every CEL rule
(x-kubernetes-validations) on a node the object reaches is evaluated as the API server does on create
(kubernetes_cel.py); a rule that cannot be evaluated is reported, never passed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import jsonschema
from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

from offline.artefacts import data, kubernetes_cel

QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
SECRET_MASK = "[secret]"


def _cel(
    validator: Validator, rules: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    for refusal in kubernetes_cel.refusals(rules, instance, schema):
        shown = (
            refusal.message if isinstance(instance, Mapping | list) else f"{instance!r}: {refusal.message}"
        )
        yield ValidationError(shown, path=deque(refusal.field_path))


StrictValidator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    Draft4Validator, {"x-kubernetes-validations": _cel}
)


def strict(node: Any, structural: bool = True, prunes_bare_objects: bool = True) -> Any:
    """`node` as the API server applies it: unknown fields refused where it would prune or drop them,
    nullable and int-or-string spelled out in JSON Schema. `structural` is false inside oneOf, anyOf,
    allOf and not, whose branches only constrain what the node's own properties declare. A CRD's
    structural schema prunes every field of an object that declares none (`prunes_bare_objects`); a
    built-in kind's bare `type: object` (FieldsV1, RawExtension) is free-form."""
    if isinstance(node, list):
        return [strict(item, structural, prunes_bare_objects) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties"):
            result[key] = {
                name: strict(child, structural, prunes_bare_objects) for name, child in value.items()
            }
        elif key in ("oneOf", "anyOf", "allOf", "not"):
            result[key] = strict(value, False, prunes_bare_objects)
        elif key in ("items", "additionalProperties"):
            result[key] = strict(value, structural, prunes_bare_objects)
        else:
            result[key] = value
    if node.get("x-kubernetes-int-or-string") or node.get("format") == "int-or-string":
        result.pop("type", None)
        result.pop("format", None)
        result.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if node.get("nullable") and "type" in result:
        result["type"] = [result["type"], "null"]
        if "enum" in result:
            result["enum"] = [*result["enum"], None]
    declares = "properties" in result
    is_object = declares or (prunes_bare_objects and result.get("type") == "object")
    open_map = node.get("x-kubernetes-preserve-unknown-fields") or node.get("x-kubernetes-embedded-resource")
    if structural and is_object and not open_map and "additionalProperties" not in result:
        result["additionalProperties"] = False
    return result


@cache
def _built_in_definitions(minor: str) -> dict[str, Any]:
    """The recorded definitions of one minor, strict; built once, shared by every validator."""
    minor_data = data.kubernetes(minor)
    assert minor_data is not None
    definitions = dict(minor_data["definitions"])
    # A quantity is written as a string or a number (`cpu: 1`); OpenAPI v2 says only string.
    definitions[QUANTITY] = {"anyOf": [{"type": "string"}, {"type": "number"}]}
    return {
        name: schema if name == QUANTITY else strict(schema, prunes_bare_objects=False)
        for name, schema in definitions.items()
    }


@cache
def built_in_validator(minor: str, api_version: str, kind: str) -> Validator | None:
    """The validator of a built-in kind on one Kubernetes minor, or None when the kind is not recorded."""
    minor_data = data.kubernetes(minor)
    if minor_data is None:
        return None
    definition = minor_data["kinds"].get(f"{api_version}/{kind}")
    if definition is None:
        return None
    schema = {"$ref": f"#/definitions/{definition}", "definitions": _built_in_definitions(minor)}
    validator: Validator = StrictValidator(schema)
    return validator


def recorded_crd(source: str, api_version: str, kind: str) -> Mapping[str, Any] | None:
    """The served version `api_version` of `kind` in the CRD file `source` ("base 1.30.3"), if any."""
    group, _, version = api_version.rpartition("/")
    for crd_file in data.crd_files():
        if source_name(crd_file) == source:
            for crd in crd_file["crds"]:
                if (crd["group"], crd["version"], crd["kind"]) == (group, version, kind):
                    found: Mapping[str, Any] = crd
                    return found
    return None


@cache
def custom_validator(source: str, schema_key: str, minor: str) -> Validator | None:
    """The validator of a custom kind: its CRD schema from the file `source` with the object's
    metadata held to the ObjectMeta of a Kubernetes minor."""
    crds = next(f for f in data.crd_files() if source_name(f) == source)
    minor_data = data.kubernetes(minor)
    if minor_data is None:
        return None
    root = strict(crds["schemas"][schema_key])
    properties = dict(root.get("properties", {}))
    properties["apiVersion"] = {"type": "string"}
    properties["kind"] = {"type": "string"}
    properties["metadata"] = {"$ref": f"#/definitions/{minor_data['object_meta']}"}
    schema = {**root, "properties": properties, "definitions": _built_in_definitions(minor)}
    validator: Validator = StrictValidator(schema)
    return validator


def source_name(crd_file: Mapping[str, Any]) -> str:
    """How findings name a CRD file: the chart or service that installs it, and its version."""
    installed = crd_file["installed_by"]
    return f"{installed.get('chart') or installed['service']} {installed['version']}"


def without_secrets(value: Any) -> Any:
    """The object without values a saved plan masks: they cannot be judged."""
    if isinstance(value, Mapping):
        return {k: without_secrets(v) for k, v in value.items() if v != SECRET_MASK}
    if isinstance(value, list):
        return [without_secrets(item) for item in value]
    return value


def problems(validator: Validator, instance: Any) -> list[str]:
    """Each way `instance` breaks the schema, as `path: what`, sorted by path."""
    found = []
    for error in validator.iter_errors(without_secrets(instance)):
        path = ".".join(str(part) for part in error.absolute_path) or "(object)"
        found.append(f"{path}: {_message(error)}")
    return sorted(set(found))


def _message(error: ValidationError) -> str:
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        declared = set(error.schema.get("properties", {})) if isinstance(error.schema, Mapping) else set()
        unknown = sorted(k for k in error.instance if k not in declared)
        return f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}"
    if error.validator == "required":
        return str(error.message).replace("is a required property", "is required")
    return str(error.message)
