"""The CEL rules of a CRD schema (`x-kubernetes-validations`), evaluated as the API server does on create.

Standard CEL comes from the common-expression-language library (docs/adr/0014-cel-rules.md). On top of
it, this module is the part of Kubernetes' CEL environment the recorded CRDs need, and how the API
server applies a rule:

- `self` is the value at the rule's node, typed by its schema: a string of format `duration` is a
  duration, `date`/`date-time` a timestamp, `byte` bytes, a `number` a double; an object field whose
  name is a CEL keyword or holds `.`, `-`, `/` or `__` is reached by its escaped name (`__namespace__`).
- `duration()` parses Go's grammar (`time.ParseDuration`, as cel-go does); the library's own parser
  takes `1h-2m` and refuses `1µs`, so rules call ours under another name.
- The cel-go string extensions Kubernetes enables (the library ships them), its `format`, and its URL
  library (`isURL`, `url`, `getScheme`, `getHost`, `getHostname`, `getPort`, `getEscapedPath`).
- A transition rule (one that reads `oldSelf`) is skipped on create, unless it sets `optionalOldSelf`,
  when `oldSelf` is an empty optional.
- A refused rule reports `messageExpression` if it evaluates to a string, else `message`, else
  `failed rule: <rule>`; `reason` words the report; `fieldPath` moves it to the named field.

A rule that does not compile, or calls a function no library here defines, is reported as such on every
object that meets it: no rule is passed unevaluated.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import cel
from cel import stdlib

# The library also logs a warning for each function call that fails (a value a rule refuses, such as a
# bad duration); the refusal is reported with the rule instead.
logging.getLogger("cel").setLevel(logging.ERROR)

# --- durations -------------------------------------------------------------------------------------

_GO_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
}


def go_duration_seconds(text: str) -> float | None:
    """Seconds in a Go duration string (`1h30m`, `10s`, `0.5ms`), or None when it is not one."""
    body = text[1:] if text[:1] in ("+", "-") else text
    if body == "0":
        return 0.0
    total, position = 0.0, 0
    for match in _GO_DURATION_PART.finditer(body):
        if match.start() != position or match.group(1) in ("", "."):
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position != len(body) or not body:
        return None
    return -total if text.startswith("-") else total


# OpenAPI's `format: duration` (kube-openapi's strfmt) also takes whole days and weeks (`7d`, `1w`),
# as Prometheus durations have them.
_FORMAT_DURATION = re.compile(r"(?:([0-9]+)\s*(ns|us|µs|ms|s|m|h|d|w))+")
_FORMAT_DURATION_PART = re.compile(r"([0-9]+)\s*(ns|us|µs|ms|s|m|h|d|w)")


def format_duration_seconds(text: str) -> float | None:
    """Seconds in a string of OpenAPI format `duration`, or None when it is not one."""
    seconds = go_duration_seconds(text)
    if seconds is not None or not _FORMAT_DURATION.fullmatch(text):
        return seconds
    return sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _FORMAT_DURATION_PART.findall(text))


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    seconds = go_duration_seconds(value) if isinstance(value, str) else None
    if seconds is None:
        raise ValueError(f"invalid duration {value!r}")
    return timedelta(seconds=seconds)


def _duration_text(value: timedelta) -> str:
    """As cel-go writes a duration: seconds with the fraction it needs (`90s`, `0.5s`)."""
    return f"{value.total_seconds():.9f}".rstrip("0").rstrip(".") + "s"


# --- format (cel-go's strings extension) ------------------------------------------------------------

_VERB = re.compile(r"%(?:\.([0-9]+))?([sdfeboxX%])")
_MISSING = object()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, timedelta):
        return _duration_text(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, list):
        return "[" + ", ".join(_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_text(k)}: {_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _format(template: str, args: list[Any]) -> str:
    remaining = iter(args)

    def verb(match: re.Match[str]) -> str:
        precision, kind = match.group(1), match.group(2)
        if kind == "%":
            return "%"
        value: Any = next(remaining, _MISSING)
        if value is _MISSING:
            raise IndexError(f"format: more verbs than the {len(args)} arguments in {template!r}")
        if kind == "s":
            return _text(value)
        if kind == "f":
            return f"{float(value):.{int(precision or 6)}f}"
        if kind == "e":
            return f"{float(value):.{int(precision or 6)}e}"
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"format: %{kind} takes an integer, got {value!r}")
        return format(value, {"d": "d", "b": "b", "o": "o", "x": "x", "X": "X"}[kind])

    return _VERB.sub(verb, template)


# --- URLs (Kubernetes' URL library: Go's url.ParseRequestURI) ----------------------------------------

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_HOST_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:\[\]<>\"%]*")
_PERCENT_ESCAPES = re.compile(r"%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class _Url:
    scheme: str
    host: str
    path: str


def _parse_url(text: str) -> _Url | None:
    """As Go's url.ParseRequestURI: an absolute URI or an absolute path, else None."""
    if not text or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text) or text.startswith(":"):
        return None
    scheme_match = _SCHEME.match(text)
    scheme = scheme_match.group(1).lower() if scheme_match else ""
    rest = text[scheme_match.end() :] if scheme_match else text
    rest = rest.split("#", 1)[0].split("?", 1)[0]
    if not rest.startswith("/"):
        return _Url(scheme, "", "") if scheme else None
    host = ""
    if scheme and rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        host = authority.rpartition("@")[2]
        rest = slash + path
        if not _HOST_CHARACTERS.fullmatch(host) or _PERCENT_ESCAPES.search(host):
            return None
        port = host.rpartition(":")[2] if ":" in host and not host.endswith("]") else ""
        if port and not port.isdigit():
            return None
    if _PERCENT_ESCAPES.search(rest):
        return None
    return _Url(scheme, host, rest)


def _url(text: str) -> dict[str, str]:
    parsed = _parse_url(text)
    if parsed is None:
        raise ValueError(f"URL parse error during conversion from string: {text!r}")
    # A URL crosses into CEL as a map our accessors read; no rule reads the map itself.
    return {"scheme": parsed.scheme, "host": parsed.host, "path": parsed.path}


def _host_and_port(url: Mapping[str, str]) -> tuple[str, str]:
    host = url["host"]
    if host.startswith("["):
        address, _, port = host[1:].partition("]")
        return address, port.removeprefix(":")
    name, colon, port = host.partition(":")
    return name, port if colon else ""


KUBERNETES_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    **stdlib.EXTENSIONS["strings"],
    **stdlib.EXTENSIONS["sets"],
    "goDuration": _duration,
    "format": _format,
    "isURL": lambda text: _parse_url(text) is not None,
    "url": _url,
    "getScheme": lambda url: url["scheme"],
    "getHost": lambda url: url["host"],
    "getHostname": lambda url: _host_and_port(url)[0],
    "getPort": lambda url: _host_and_port(url)[1],
    "getEscapedPath": lambda url: url["path"],
}

# What the library itself defines (the CEL specification's standard functions; operators and macros
# are not named here); a rule calling anything else, or a function of KUBERNETES_FUNCTIONS, cannot be
# evaluated.
STANDARD_FUNCTIONS = frozenset(
    {
        "size",
        "contains",
        "startsWith",
        "endsWith",
        "matches",
        "int",
        "uint",
        "double",
        "string",
        "bytes",
        "timestamp",
        "duration",
        "type",
        "dyn",
        "getFullYear",
        "getMonth",
        "getDayOfYear",
        "getDayOfMonth",
        "getDate",
        "getDayOfWeek",
        "getHours",
        "getMinutes",
        "getSeconds",
        "getMilliseconds",
        "hasValue",
        "value",
        "none",
        "of",
        "or",
        "orValue",
    }
)

# --- compiling a rule, once ---------------------------------------------------------------------------

# A string literal (kept as it is) or a call of the global `duration(`, which becomes `goDuration(`.
_LITERAL_OR_DURATION_CALL = re.compile(
    r"(?P<literal>[rRbB]{0,2}(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'))"
    r"|(?<![\w.])duration(?=\s*\()"
)


def _with_go_durations(source: str) -> str:
    return _LITERAL_OR_DURATION_CALL.sub(lambda m: m.group("literal") or "goDuration", source)


@dataclass(frozen=True)
class Compiled:
    """A rule's program, or why it has none; `transition` when it reads oldSelf."""

    program: cel.Program | None
    transition: bool
    error: str | None


def _is_operator(name: str) -> bool:
    return name.startswith(("_", "@", "!_"))


@cache
def compiled(expression: str) -> Compiled:
    """`expression` compiled once per process, with the functions it calls checked to exist."""
    try:
        program = cel.compile(_with_go_durations(expression))
    except Exception as error:
        return Compiled(None, False, f"it does not compile ({error})")
    unknown = sorted(
        name
        for name in program.functions()
        if not _is_operator(name) and name not in STANDARD_FUNCTIONS and name not in KUBERNETES_FUNCTIONS
    )
    if unknown:
        return Compiled(None, False, f"it calls {', '.join(unknown)}, which no library here defines")
    return Compiled(program, "oldSelf" in program.variables(), None)


def compile_problem(validation: Mapping[str, Any]) -> str | None:
    """Why the rule (or its messageExpression) of one x-kubernetes-validations entry cannot be
    evaluated, or None when both compile."""
    for key in ("rule", "messageExpression"):
        if key in validation:
            error = compiled(str(validation[key])).error
            if error is not None:
                return f"CEL {key} {validation[key]!r} cannot be evaluated: {error}"
    return None


# --- values as the API server gives them to CEL ------------------------------------------------------

CEL_RESERVED = frozenset(
    [
        "true",
        "false",
        "null",
        "in",
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
    ]
)
_ESCAPABLE = re.compile(r"[a-zA-Z_.\-/][a-zA-Z0-9_.\-/]*")


def escaped(name: str) -> str:
    """A property name as CEL reaches it (Kubernetes' escaping of object field names)."""
    if name in CEL_RESERVED:
        return f"__{name}__"
    if not _ESCAPABLE.fullmatch(name):
        return name
    return (
        name.replace("__", "__underscores__")
        .replace(".", "__dot__")
        .replace("-", "__dash__")
        .replace("/", "__slash__")
    )


def _string(value: str, string_format: Any) -> Any:
    if string_format == "duration":
        seconds = format_duration_seconds(value)
        return value if seconds is None else timedelta(seconds=seconds)
    if string_format in ("date", "date-time"):
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if string_format == "byte":
        with contextlib.suppress(binascii.Error, ValueError):
            return base64.b64decode(value, validate=True)
    return value


def as_cel(value: Any, schema: Mapping[str, Any]) -> Any:
    """`value` typed by its schema node, as the API server hands it to a rule."""
    if isinstance(value, Mapping):
        properties = schema.get("properties")
        if properties is not None:
            return {escaped(k): as_cel(v, properties.get(k, {})) for k, v in value.items()}
        extra = schema.get("additionalProperties")
        extra_schema = extra if isinstance(extra, Mapping) else {}
        return {k: as_cel(v, extra_schema) for k, v in value.items()}
    if isinstance(value, list):
        items = schema.get("items")
        return [as_cel(item, items if isinstance(items, Mapping) else {}) for item in value]
    if isinstance(value, str):
        return _string(value, schema.get("format"))
    if isinstance(value, int) and not isinstance(value, bool) and "number" in _types(schema):
        return float(value)
    return value


def _types(schema: Mapping[str, Any]) -> Sequence[Any]:
    declared = schema.get("type")
    return declared if isinstance(declared, list) else [declared]


# --- evaluating -------------------------------------------------------------------------------------

_REASONS = {
    "FieldValueForbidden": "forbidden",
    "FieldValueRequired": "required value",
    "FieldValueDuplicate": "duplicate value",
}


@dataclass(frozen=True)
class Refusal:
    """One rule the value breaks: the report and the field it names, relative to the rule's node."""

    message: str
    field_path: tuple[str, ...]


def execute(program: cel.Program, variables: dict[str, Any]) -> tuple[Any, str | None]:
    """The program's result, or the error it stopped on."""
    context = cel.Context(variables=variables, functions=dict(KUBERNETES_FUNCTIONS))
    try:
        return program.execute(context), None
    except Exception as error:
        return None, str(error).split(". Check ", 1)[0]


def _field_path(validation: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(part for part in str(validation.get("fieldPath", "")).split(".") if part)


def _message(validation: Mapping[str, Any], variables: dict[str, Any]) -> str:
    if "messageExpression" in validation:
        program = compiled(str(validation["messageExpression"])).program
        if program is not None:
            text, error = execute(program, variables)
            if error is None and isinstance(text, str) and text.strip():
                return text
    if validation.get("message"):
        return str(validation["message"])
    return f"failed rule: {validation['rule']}"


def refusals(
    validations: Sequence[Mapping[str, Any]],
    value: Any,
    schema: Mapping[str, Any],
) -> Iterator[Refusal]:
    """Each rule of `validations` (one schema node's) that `value`, at a node of this schema, breaks
    on create. A null is not evaluated, as the API server does not."""
    if value is None:
        return
    variables: dict[str, Any] | None = None
    for validation in validations:
        problem = compile_problem(validation)
        if problem is not None:
            yield Refusal(problem, ())
            continue
        rule = compiled(str(validation["rule"]))
        assert rule.program is not None
        if rule.transition and not validation.get("optionalOldSelf"):
            continue
        if variables is None:
            variables = {"self": as_cel(value, schema)}
        run_with = {**variables, "oldSelf": cel.OptionalValue.none()} if rule.transition else variables
        result, error = execute(rule.program, run_with)
        if result is True:
            continue
        message = _message(validation, run_with)
        if error is None and result is not False:
            message = f"{message} (the rule gave {result!r}, not a bool)"
        reason = _REASONS.get(str(validation.get("reason", "")))
        yield Refusal(f"{reason}: {message}" if reason else message, _field_path(validation))
