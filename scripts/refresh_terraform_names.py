"""Refresh offline/data/terraform_names.json: how each Pulumi type crossmesh declares is spelled in
Terraform, so `crossmesh audit` can hand Checkov a Terraform plan.

The Pulumi AWS and GCP providers are bridged from the Terraform providers, and each ships the bridge's
own record of the mapping in provider/cmd/pulumi-resource-<name>/bridge-metadata.json:

- pulumi-gcp: `auto-aliasing.resources`, per Terraform type its Pulumi token ("current") and every
  list, set or block field with `maxItemsOne` (nested fields under `elem.fields`);
- pulumi-aws: `renames.resources` (token -> Terraform type) and `renames.renamedProperties` (per token,
  resource or nested type, each Pulumi property whose Terraform name differs).

The bridge names a property camelCase of its Terraform name and pluralises a list field whose
Terraform name is singular (`allow` -> `allows`); the installed Python SDK tells which properties are
objects (Terraform blocks of one) and which are free-form maps (tags, labels). This script keeps, per
token: the Terraform type, the properties whose Terraform name is not the plain snake_case of the
Pulumi name, the object-valued paths and the map-valued paths.

Run from the repository with the providers' repositories checked out (any machine that can reach
GitHub), e.g.:

    python scripts/refresh_terraform_names.py \\
        --gcp-bridge ../pulumi-gcp/provider/cmd/pulumi-resource-gcp/bridge-metadata.json --gcp-ref <commit> \\
        --aws-bridge ../pulumi-aws/provider/cmd/pulumi-resource-aws/bridge-metadata.json --aws-ref <commit>

A provider left out keeps its section of the current file.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import inspect
import json
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from offline.terraform_names import DATA_PATH, snake  # noqa: E402

STACKS = ("dev", "prod", "legacy")
# Types the anchor probes declare beyond those the shipped stacks do.
PROBE_TYPES = (
    "aws:ec2/instance:Instance",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
    "gcp:projects/iAMBinding:IAMBinding",
    "gcp:kms/keyRingIAMMember:KeyRingIAMMember",
)
REPOSITORIES = {"aws": "pulumi/pulumi-aws", "gcp": "pulumi/pulumi-gcp"}


def declared_types() -> list[str]:
    from offline.engine import plan_stack

    types: set[str] = set(PROBE_TYPES)
    for stack in STACKS:
        plan = plan_stack(PROJECT, stack)
        types.update(r.type for r in plan.resources if r.type.split(":")[0] in REPOSITORIES)
    return sorted(types)


# --- the SDK ---------------------------------------------------------------------------------------


def _args_class(token: str) -> tuple[Any, type]:
    package, module, name = token.split(":")
    directory = module.split("/")[0]
    python_module = f"pulumi_{package}" + ("" if directory == "index" else f".{directory}")
    loaded = importlib.import_module(python_module)
    return loaded, getattr(loaded, f"{name}Args")


def _properties(cls: type) -> Iterator[tuple[str, str, str]]:
    """(Pulumi name, Python name, annotation) of each input property of an Args class."""
    for attribute, value in vars(cls).items():
        getter = value.fget if isinstance(value, property) else None
        if getter is not None and hasattr(getter, "_pulumi_name"):
            annotation = str(inspect.signature(getter).return_annotation)
            yield getter._pulumi_name, attribute, annotation


def _nested(module: Any, annotation: str) -> type | None:
    found = re.findall(r"'(\w+Args)'", annotation)
    if not found:
        return None
    inputs = importlib.import_module(module.__name__ + "._inputs")
    nested: type | None = getattr(inputs, found[0], None)
    return nested


def sdk_shape(token: str) -> dict[str, dict[str, Any]]:
    """Per dotted Pulumi path: python name, whether a list, an object or a map, and the nested type."""
    module, cls = _args_class(token)
    shape: dict[str, dict[str, Any]] = {}

    def walk(args: type, prefix: str, seen: frozenset[type]) -> None:
        for name, python, annotation in _properties(args):
            path = f"{prefix}{name}"
            nested = _nested(module, annotation)
            is_list = "Sequence[" in annotation
            is_map = "Mapping[" in annotation and nested is None
            shape[path] = {
                "python": python,
                "list": is_list,
                "object": nested is not None,
                "map": is_map,
                "type": nested.__name__.removesuffix("Args") if nested is not None else None,
            }
            if nested is not None and nested not in seen:
                walk(nested, f"{path}.", seen | {nested})

    walk(cls, "", frozenset({cls}))
    return shape


# --- the bridge metadata ---------------------------------------------------------------------------


def _plurals(name: str) -> set[str]:
    forms = {name + "s", name + "es"}
    if name.endswith("y"):
        forms.add(name[:-1] + "ies")
    return forms


def gcp_section(bridge: Mapping[str, Any], ref: str, types: list[str]) -> dict[str, Any]:
    resources = bridge["auto-aliasing"]["resources"]
    by_token = {entry["current"]: (tf_type, entry) for tf_type, entry in resources.items()}
    section: dict[str, Any] = {
        "source": {
            "repository": REPOSITORIES["gcp"],
            "ref": ref,
            "path": "provider/cmd/pulumi-resource-gcp/bridge-metadata.json",
            "fields": "auto-aliasing.resources",
        },
        "types": {},
    }
    for token in (t for t in types if t.startswith("gcp:")):
        tf_type, entry = by_token[token]
        shape = sdk_shape(token)
        renames: dict[str, str] = {}
        tf_fields_at: dict[str, Mapping[str, Any]] = {"": entry.get("fields", {})}
        for path in sorted(shape, key=lambda p: p.count(".")):
            parent, _, name = path.rpartition(".")
            fields = tf_fields_at.get(parent, {})
            python = shape[path]["python"]
            tf_name = python
            if python not in fields:
                singular = [f for f in fields if python in _plurals(f)]
                if len(singular) == 1:
                    tf_name = singular[0]
            if tf_name != snake(name):
                renames[path] = tf_name
            tf_fields_at[path] = fields.get(tf_name, {}).get("elem", {}).get("fields", {})
        section["types"][token] = _type_entry(tf_type, renames, shape)
    return section


def aws_section(bridge: Mapping[str, Any], ref: str, types: list[str]) -> dict[str, Any]:
    renames = bridge["renames"]
    section: dict[str, Any] = {
        "source": {
            "repository": REPOSITORIES["aws"],
            "ref": ref,
            "path": "provider/cmd/pulumi-resource-aws/bridge-metadata.json",
            "fields": "renames.resources, renames.renamedProperties",
        },
        "types": {},
    }
    renamed = renames["renamedProperties"]
    for token in (t for t in types if t.startswith("aws:")):
        shape = sdk_shape(token)
        module = token.split(":")[1].split("/")[0]
        found: dict[str, str] = {}
        type_of_path = {"": token}
        for path in sorted(shape, key=lambda p: p.count(".")):
            parent, _, name = path.rpartition(".")
            owner = renamed.get(type_of_path.get(parent, ""), {})
            tf_name = owner.get(name, snake(name))
            if tf_name != snake(name):
                found[path] = tf_name
            nested = shape[path]["type"]
            if nested:
                type_of_path[path] = f"aws:{module}/{nested}:{nested}"
        section["types"][token] = _type_entry(renames["resources"][token], found, shape)
    return section


def _type_entry(tf_type: str, renames: dict[str, str], shape: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "terraform": tf_type,
        "renames": renames,
        "objects": sorted(p for p, s in shape.items() if s["object"] and not s["list"]),
        "maps": sorted(p for p, s in shape.items() if s["map"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gcp-bridge", type=Path, help="pulumi-gcp's bridge-metadata.json")
    parser.add_argument("--gcp-ref", default="unknown", help="the pulumi-gcp commit it was read at")
    parser.add_argument("--aws-bridge", type=Path, help="pulumi-aws's bridge-metadata.json")
    parser.add_argument("--aws-ref", default="unknown", help="the pulumi-aws commit it was read at")
    args = parser.parse_args(argv)
    path = PROJECT / DATA_PATH
    current = json.loads(path.read_text()) if path.exists() else {"providers": {}}
    types = declared_types()
    providers = dict(current.get("providers", {}))
    if args.gcp_bridge:
        providers["gcp"] = gcp_section(json.loads(args.gcp_bridge.read_text()), args.gcp_ref, types)
    if args.aws_bridge:
        providers["aws"] = aws_section(json.loads(args.aws_bridge.read_text()), args.aws_ref, types)
    document = {
        "description": current.get("description", ""),
        "read": datetime.date.today().isoformat(),
        "providers": providers,
    }
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(f"wrote {path.relative_to(PROJECT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
