"""How a configuration problem is worded: the key path, the value, what is allowed, a suggestion.

Every problem is one line that starts with the full key (`crossmesh:gcp.podsCidr: ...`), so it can be
found in the stack file. pydantic's validation errors are reworded here; an unknown key gets the
closest allowed key ("did you mean") and the keys allowed where it stands.

Pure: no `pulumi` import.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Union

from pydantic import BaseModel

from components.config.schema import NAMESPACE, StackConfig
from components.config.wording import SHOWN_CHARACTERS, did_you_mean, shown

__all__ = [
    "SHOWN_CHARACTERS",
    "config_key",
    "describe_error",
    "did_you_mean",
    "loc_path",
    "shown",
    "stand_in",
]


def config_key(path: str) -> str:
    """The key as the stack file spells it: `aws.vpcCidr` -> `crossmesh:aws.vpcCidr`."""
    return f"{NAMESPACE}:{path}"


def loc_path(loc: Iterable[int | str]) -> str:
    """A validation error location as a key path: ("services", 1, "name") -> services[1].name."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def describe_error(error: Mapping[str, Any], prefix: str = "") -> str:
    """One pydantic validation error as a problem line; `prefix` places it under a service override."""
    loc = tuple(error["loc"])
    path = config_key(prefix + loc_path(loc))
    kind = error["type"]
    if kind == "missing":
        field = prefix + loc_path(loc)
        return f"{path}: missing; set it with `pulumi config set --path '{field}' <value>`"
    if kind == "extra_forbidden":
        allowed = _field_aliases(_model_at(StackConfig, _strip_prefix(prefix) + loc[:-1]))
        suggestion = did_you_mean(str(loc[-1]), allowed)
        return f"{path}: unknown key{suggestion}; allowed here: {', '.join(sorted(allowed))}"
    if kind in _WRONG_SHAPE:
        return f"{path}: {shown(error['input'])} is {_kind_of(error['input'])}; {_WRONG_SHAPE[kind]}"
    message = str(error["msg"]).removeprefix("Value error, ").replace("Input should be", "must be")
    if kind == "literal_error":
        message = "is not allowed; " + message
    return f"{path}: {shown(error['input'])} {message}"


# Errors about a value of the wrong kind, worded without pydantic's model names.
_WRONG_SHAPE = {
    "model_type": "it must be a map of keys",
    "model_attributes_type": "it must be a map of keys",
    "dict_type": "it must be a map of keys",
    "list_type": "it must be a list",
    "string_type": "it must be text",
}


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "empty" if value is None else type(value).__name__


def _strip_prefix(prefix: str) -> tuple[str | int, ...]:
    """The model location of a service override path, `services[0].trafficPolicy.` -> trafficPolicy."""
    return ("trafficPolicy",) if prefix else ()


def _field_aliases(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_at(model: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class found by following a validation error location from `model`."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = next(
            (info for name, info in current.model_fields.items() if part in (name, info.alias)), None
        )
        if field is None:
            return None
        current = innermost_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def innermost_model(annotation: Any) -> Any:
    """The BaseModel inside list[...], X | None and Annotated[...] annotations."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, Union, types.UnionType, Annotated):
        for arg in typing.get_args(annotation):
            found = innermost_model(arg)
            if found is not None:
                return found
    return None


def stand_in(path: str) -> Any:
    """A value that validates for the key at `path` (`gcp.project`): the field's first example, else
    its default, else None. The offline engine plans encrypted values it cannot read with it."""
    *parents, leaf = re.sub(r"\[\d+\]", "", path).split(".")
    model = _model_at(StackConfig, parents)
    fields = model.model_fields.items() if model is not None else ()
    info = next((info for name, info in fields if leaf in (name, info.alias)), None)
    if info is None or (info.is_required() and not info.examples):
        return None
    if info.examples:
        return info.examples[0]
    default = info.get_default(call_default_factory=True)
    return default.model_dump(by_alias=True) if isinstance(default, BaseModel) else default
