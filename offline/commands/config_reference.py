"""The configuration reference, generated from StackConfig so that it cannot drift from the code.

`crossmesh config-docs` writes docs/configuration.md; a test fails when the file is stale. Examples
come from the shipped stack files, so every example is a value that validates.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import annotated_types
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from components import config as cfg

REFERENCE_PATH = Path("docs/configuration.md")
_EXAMPLE_STACKS = ("dev", "prod", "legacy")

# Value types whose meaning lives in a validator rather than in the annotation.
_VALIDATED_TYPES = {
    cfg.parse_cidr: "IPv4 CIDR",
    cfg.parse_duration_ms: "duration (`250ms`, `15s`, `5m`, `1h`)",
    cfg.check_private_asn: "private ASN",
    cfg.check_dns_label: "DNS label",
}


@dataclass(frozen=True)
class KeyDoc:
    path: str
    type: str
    default: str
    allowed: str
    description: str
    example: str


def render_reference(project_dir: Path) -> str:
    examples = [_stack_values(project_dir / f"Pulumi.{name}.yaml") for name in _EXAMPLE_STACKS]
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated from components/config/ by `crossmesh config-docs`: edit the code, not this. -->",
        "",
        "Every key lives in the `crossmesh` namespace of a stack file (`Pulumi.<stack>.yaml`). Keys are",
        "camelCase; an unknown key is an error with a suggestion. Set nested keys with",
        "`pulumi config set --path '<key>' <value>`, for example",
        "`pulumi config set --path 'link.tunnelGroups' 2`. Cross-field rules (no overlapping ranges",
        "across both clouds, none inside 169.254.0.0/16, different ASNs on each side, callers that exist,",
        "an intermediate CA shorter-lived than its root, retries that fit in the timeout) are listed",
        "after the tables.",
        "",
    ]
    for top_name, top_field in cfg.StackConfig.model_fields.items():
        alias = top_field.alias or top_name
        docs = list(_walk(alias, top_field, examples))
        lines += [f"## `crossmesh:{alias}`", ""]
        if top_field.description:
            lines += [top_field.description, ""]
        lines += ["| key | type | default | allowed | description | example |", "|---|---|---|---|---|---|"]
        lines += [
            f"| `{d.path}` | {d.type} | {d.default} | {d.allowed} | {d.description} | {d.example} |"
            for d in docs
        ]
        lines.append("")
    lines += _cross_field_section()
    return "\n".join(lines)


def _cross_field_section() -> list[str]:
    return [
        "## Rules across keys",
        "",
        "- `aws.vpcCidr`, `aws.serviceCidr`, `gcp.subnetCidr`, `gcp.podsCidr`, `gcp.servicesCidr` and",
        "  `gcp.masterCidr` must not overlap one another, must be private, and must stay out of",
        "  169.254.0.0/16 (the VPN inside addresses) and 35.199.192.0/19 (Cloud DNS forwarding, routed",
        "  over the link).",
        "- `aws.vpcCidr` is a /16 to /22; `aws.serviceCidr` a /12 to /24 inside RFC 1918;",
        "  `gcp.masterCidr` a /28.",
        "- `link.awsAsn` and `link.gcpAsn` differ; `link.interconnect` is required for",
        "  `kind: interconnect` and refused for `kind: vpn`.",
        "- Every name in `services[].callers` is a declared service other than itself; service names are",
        "  unique across both clouds.",
        "- `mesh.ca.intermediateValidityDays` < `mesh.ca.rootValidityDays`, and",
        "  `mesh.ca.earlyRenewalDays` < `mesh.ca.intermediateValidityDays`.",
        "- `mesh.ca.roots` holds 1 or 2 distinct generations (1, 2, 3, ...) and includes",
        "  `mesh.ca.signingRoot` (the trust window of a root rotation: docs/runbooks/rotate-ca.md).",
        "- For the default policy and every override: `retries.perTryTimeout` x (`retries.attempts` + 1)",
        "  <= `timeout`.",
        "- `clusters.*.nodes`: min <= desired <= max; no control-plane CIDR may be `0.0.0.0/0`.",
        "",
    ]


def _walk(
    path: str,
    field: FieldInfo,
    examples: Sequence[Mapping[str, Any]],
    optional_parent: str = "",
    inherited: Mapping[str, Any] | None = None,
) -> Iterator[KeyDoc]:
    model = _model_of(field.annotation)
    is_list = typing.get_origin(field.annotation) is list
    if model is not None:
        child_prefix = f"{path}[]" if is_list else path
        # Required keys of an optional section are required only when the section is present.
        parent = path if field.default is None and not field.is_required() else optional_parent
        # A section's own default (GKE's node scaling, say) overrides its model's field defaults.
        section_default = field.default_factory() if field.default_factory else None  # type: ignore[call-arg]
        defaults = (
            section_default.model_dump(by_alias=True) if isinstance(section_default, BaseModel) else None
        )
        for name, child in model.model_fields.items():
            yield from _walk(f"{child_prefix}.{child.alias or name}", child, examples, parent, defaults)
        return
    default = _default(field)
    alias = path.rsplit(".", 1)[-1]
    if inherited is not None and alias in inherited:
        default = _format(field, inherited[alias])
    if optional_parent and field.is_required():
        default = f"required in `{optional_parent}`"
    yield KeyDoc(
        path=path,
        type=_type_name(field),
        default=default,
        allowed=_allowed(field),
        description=(field.description or "").replace("|", "\\|"),
        example=_example(path, field, examples),
    )


def _model_of(annotation: Any) -> type[BaseModel] | None:
    found = cfg.innermost_model(annotation)
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


def _validator_type(field: FieldInfo) -> str | None:
    for item in field.metadata:
        name = _VALIDATED_TYPES.get(getattr(item, "func", None))  # type: ignore[arg-type]
        if name:
            return name
    return None


def _type_name(field: FieldInfo) -> str:
    validated = _validator_type(field)
    if validated:
        return validated
    annotation = field.annotation
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list:
        inner = args[0]
        if typing.get_origin(inner) is typing.Annotated:
            base, *metadata = typing.get_args(inner)
            names = [_VALIDATED_TYPES.get(getattr(m, "func", None)) for m in metadata]  # type: ignore[arg-type]
            return "list of " + next((n for n in names if n), _plain(base))
        return "list of " + _plain(inner)
    return _plain(annotation)


def _plain(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return "string"
    if origin in (typing.Union, types.UnionType):
        names = [_plain(arg) for arg in args if arg is not type(None)]
        return " or ".join(names) + " (optional)"
    if origin is dict:
        return "object"
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if annotation in simple:
        return simple[annotation]
    if origin is not None and any(typing.get_origin(arg) is typing.Literal for arg in args):
        return "string"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    value = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
    if value is PydanticUndefined:
        return "**required**"
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True)
    return _format(field, value)


def _format(field: FieldInfo, value: Any) -> str:
    if _validator_type(field) == _VALIDATED_TYPES[cfg.parse_duration_ms] and isinstance(value, int):
        value = _duration_text(value)
    return f"`{json.dumps(value)}`" if not isinstance(value, str) else f"`{value}`"


def _duration_text(ms: int) -> str:
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def _allowed(field: FieldInfo) -> str:
    parts: list[str] = []
    choices = _literal_choices(field.annotation)
    if choices:
        parts.append(", ".join(f"`{c}`" for c in choices))
    for item in field.metadata:
        if isinstance(item, annotated_types.Ge):
            parts.append(f">= {item.ge}")
        elif isinstance(item, annotated_types.Le):
            parts.append(f"<= {item.le}")
        elif isinstance(item, annotated_types.MinLen):
            parts.append(f"at least {item.min_length} item(s)")
        elif getattr(item, "pattern", None):
            parts.append(f"matches `{item.pattern}`")
    return "; ".join(parts).replace("|", "\\|") or "—"


def _literal_choices(annotation: Any) -> list[str]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return [str(a) for a in args]
    return [choice for arg in args for choice in _literal_choices(arg)]


def _example(path: str, field: FieldInfo, examples: Sequence[Mapping[str, Any]]) -> str:
    """A value from a shipped stack file, else the field's own example, else its default."""
    candidates = [_lookup(values, path.split(".")) for values in examples]
    candidates += list(field.examples or [])
    for found in candidates:
        if found is not None:
            return f"`{json.dumps(found) if not isinstance(found, str) else found}`"
    return _default(field)


def _lookup(values: Any, parts: list[str]) -> Any:
    if not parts:
        return values
    head, *rest = parts
    key = head.removesuffix("[]")
    if not isinstance(values, Mapping) or key not in values:
        return None
    value = values[key]
    if head.endswith("[]"):
        for item in value if isinstance(value, list) else []:
            found = _lookup(item, rest)
            if found is not None:
                return found
        return None
    return _lookup(value, rest)


def _stack_values(stack_file: Path) -> dict[str, Any]:
    if not stack_file.exists():
        return {}
    config = yaml.safe_load(stack_file.read_text()).get("config", {})
    prefix = f"{cfg.NAMESPACE}:"
    return {key.removeprefix(prefix): value for key, value in config.items() if key.startswith(prefix)}


def write_reference(project_dir: Path) -> Path:
    target = project_dir / REFERENCE_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_reference(project_dir))
    return target
