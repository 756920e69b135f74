"""A crossmesh plan as the files Checkov reads: a Terraform plan in JSON for the AWS and GCP resources
and their providers, and Kubernetes manifests for the objects the program declares in its clusters.

The Terraform plan follows `terraform show -json` (format 1.2): every resource is a create in
`planned_values.root_module` and `resource_changes`, and each provider's plain settings are constant
expressions in `configuration.provider_config`, where Checkov's provider checks read them. Resource
addresses are `<terraform type>.<resource name>` with the name made a valid Terraform identifier, so a
finding names the Pulumi resource it came from. Inputs arrive masked as in a saved plan ("[secret]"),
so no secret value reaches the files.

Helm releases are not expanded (their manifests come from charts at install time), custom objects
other than workloads pass through as they are, and types without a Terraform mapping are listed as
not converted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from offline.terraform_names import TerraformType, snake

FORMAT_VERSION = "1.2"
TERRAFORM_VERSION = "1.9.0"
PROVIDER_SOURCES = {
    "aws": "registry.terraform.io/hashicorp/aws",
    "gcp": "registry.terraform.io/hashicorp/google",
}
TERRAFORM_PROVIDER_NAMES = {"aws": "aws", "gcp": "google"}
KUBERNETES_PREFIX = "kubernetes:"
HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Declared:
    """One resource of a plan, as the converter needs it."""

    urn: str
    type: str
    name: str
    inputs: Mapping[str, Any]
    provider: str | None = None
    id: str | None = None
    """The (fake) ID the plan assigned, when known: other resources' inputs name it."""


@dataclass
class Converted:
    """What Checkov is given, and how to find each file entry's Pulumi resource again."""

    terraform_plan: dict[str, Any]
    manifests: list[dict[str, Any]]
    addresses: dict[str, str] = field(default_factory=dict)
    """Terraform address or `Kind.namespace.name` -> URN."""
    not_converted: dict[str, int] = field(default_factory=dict)
    """Pulumi type -> how many of its resources have no Terraform or Kubernetes form."""


def address_name(name: str) -> str:
    """A Pulumi resource name as a Terraform resource name (letters, digits, '_' and '-')."""
    cleaned = _NOT_IDENTIFIER.sub("_", name)
    return cleaned if cleaned[:1].isalpha() or cleaned[:1] == "_" else f"r_{cleaned}"


def convert(resources: Sequence[Declared], types: Mapping[str, TerraformType]) -> Converted:
    converted = Converted(
        terraform_plan=_empty_plan(),
        manifests=[],
    )
    planned: list[dict[str, Any]] = converted.terraform_plan["planned_values"]["root_module"]["resources"]
    changes: list[dict[str, Any]] = converted.terraform_plan["resource_changes"]
    configuration = converted.terraform_plan["configuration"]
    provider_config: dict[str, Any] = configuration["provider_config"]
    by_id = {
        r.id: f"{types[r.type].terraform}.{address_name(r.name)}"
        for r in resources
        if r.id and r.type in types
    }
    for resource in resources:
        package = resource.type.split(":")[0]
        if resource.type.startswith("pulumi:providers:") and resource.type.split(":")[2] in PROVIDER_SOURCES:
            cloud = resource.type.split(":")[2]
            key = f"{TERRAFORM_PROVIDER_NAMES[cloud]}.{address_name(resource.name)}"
            provider_config[key] = _provider(cloud, resource.name, resource.inputs)
            converted.addresses[key] = resource.urn
        elif resource.type in types:
            entry = _resource(resource, types[resource.type])
            planned.append(entry)
            changes.append(_change(entry))
            configuration["root_module"]["resources"].append(_configuration(entry, by_id))
            converted.addresses[entry["address"]] = resource.urn
        elif resource.type.startswith(KUBERNETES_PREFIX) and resource.type not in HELM_TYPES:
            manifest = manifest_of(resource)
            converted.manifests.append(manifest)
            converted.addresses[manifest_key(manifest)] = resource.urn
        elif package in PROVIDER_SOURCES or resource.type in HELM_TYPES:
            converted.not_converted[resource.type] = converted.not_converted.get(resource.type, 0) + 1
    return converted


def _empty_plan() -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": []}},
        "resource_changes": [],
        "configuration": {"provider_config": {}, "root_module": {"resources": []}},
    }


def _resource(resource: Declared, terraform: TerraformType) -> dict[str, Any]:
    cloud = resource.type.split(":")[0]
    return {
        "address": f"{terraform.terraform}.{address_name(resource.name)}",
        "mode": "managed",
        "type": terraform.terraform,
        "name": address_name(resource.name),
        "provider_name": PROVIDER_SOURCES[cloud],
        "schema_version": 0,
        "values": terraform.attributes(resource.inputs),
        "sensitive_values": {},
    }


def _configuration(entry: Mapping[str, Any], by_id: Mapping[str, str]) -> dict[str, Any]:
    """The resource's configuration block: which attributes, nested ones too, refer to which other
    resources, found by the IDs their values hold, as Terraform records references. Checkov's graph
    checks (a VPC has a flow log, a security group is attached) follow these."""
    return {
        "address": entry["address"],
        "mode": "managed",
        "type": entry["type"],
        "name": entry["name"],
        "provider_config_key": entry["provider_name"].rsplit("/", 1)[-1],
        "expressions": _references(entry["values"], by_id),
    }


def _references(values: Mapping[str, Any], by_id: Mapping[str, str]) -> dict[str, Any]:
    expressions: dict[str, Any] = {}
    for key, value in values.items():
        items = value if isinstance(value, list) else [value]
        blocks = [_references(item, by_id) for item in items if isinstance(item, Mapping)]
        targets = [_target(item, by_id) for item in items if isinstance(item, str)]
        found = [t for t in targets if t]
        if found:
            expressions[key] = {"references": [ref for t in found for ref in (f"{t}.id", t)]}
        elif any(blocks):
            expressions[key] = blocks
    return expressions


def _target(value: str, by_id: Mapping[str, str]) -> str | None:
    """The address a value names: an ID, or a GCP self link ending in a resource's ID path."""
    if value in by_id:
        return by_id[value]
    if value.startswith("https://") and "/projects/" in value:
        return by_id.get("projects/" + value.split("/projects/", 1)[1])
    return None


def _change(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "address": entry["address"],
        "mode": "managed",
        "type": entry["type"],
        "name": entry["name"],
        "provider_name": entry["provider_name"],
        "change": {"actions": ["create"], "before": None, "after": entry["values"], "after_unknown": {}},
    }


def _provider(cloud: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    expressions = {
        snake(key): {"constant_value": value}
        for key, value in inputs.items()
        if isinstance(value, str | int | float | bool) and not key.startswith("__")
    }
    return {"name": TERRAFORM_PROVIDER_NAMES[cloud], "alias": address_name(name), "expressions": expressions}


def manifest_of(resource: Declared) -> dict[str, Any]:
    """A Kubernetes object's manifest: its inputs are the object, under their Kubernetes names."""
    _, group_version, kind = resource.type.split(":")
    group, _, version = group_version.rpartition("/")
    api_version = version if group in ("core", "") else f"{group}/{version}"
    manifest: dict[str, Any] = {"apiVersion": api_version, "kind": kind}
    manifest.update(
        {key: value for key, value in resource.inputs.items() if key not in ("apiVersion", "kind")}
    )
    metadata = dict(manifest.get("metadata") or {})
    metadata.setdefault("name", resource.name)
    manifest["metadata"] = metadata
    return manifest


def manifest_key(manifest: Mapping[str, Any]) -> str:
    metadata = manifest.get("metadata") or {}
    return f"{manifest['kind']}.{metadata.get('namespace', 'default')}.{metadata.get('name')}"


def resources_of(items: Iterable[Any]) -> list[Declared]:
    """Declared resources from anything with urn, type, name, inputs and provider attributes."""
    return [
        Declared(r.urn, r.type, r.name, r.inputs, getattr(r, "provider", None), getattr(r, "id", None))
        for r in items
    ]
