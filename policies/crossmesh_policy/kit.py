"""The small framework every crossmesh rule is written in: a check is a plain function over property
bags, and the `resource_rule` or `stack_rule` decorator on top of it makes it a CrossGuard policy that
carries its id, anchors, severity, level and resource types, with the check's docstring as its
description. A rule module holds the rules of one id segment (`xc-eks-*` in eks.py); `rules_of`
gathers them for the pack.

Resource checks get the resource's inputs exactly as the provider receives them (camelCase wire
names) and yield messages; stack checks get every resource of the stack and yield (message, urn).
An absent property means the provider's default, as Checkov treats it. Messages name properties and
resources, never a property's value when that value may be secret.
"""

from __future__ import annotations

import inspect
import ipaddress
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from fnmatch import fnmatchcase
from types import ModuleType
from typing import Any, Literal, cast, overload

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

SECRET_MASK = "[secret]"
"""How a saved offline plan shows a secret value: present, but not readable by any rule."""

WORLD = ("0.0.0.0/0", "::/0")

Props = Mapping[str, Any]
Config = Mapping[str, Any]
ConfigSchema = Mapping[str, Mapping[str, Any]]
"""A rule's own settings: JSON schema per property, with the default the rule runs with."""
ResourceCheck = Callable[[Props, Config], Iterable[str]]
TypedResourceCheck = Callable[[str, Props, Config], Iterable[str]]
"""A resource check whose properties differ between the types it covers: it gets the type first."""
StackCheck = Callable[["StackView", Config], Iterable[tuple[str, str | None]]]


class CrossmeshResourcePolicy(ResourceValidationPolicy):
    """A resource policy that runs its check only on the resource types it names."""

    def __init__(
        self,
        *,
        name: str,
        anchors: Sequence[str],
        description: str,
        severity: Severity,
        level: EnforcementLevel,
        resource_types: Sequence[str],
        check: ResourceCheck | TypedResourceCheck,
        config: ConfigSchema | None = None,
        by_type: bool = False,
    ) -> None:
        self.anchors = tuple(anchors)
        self.resource_types = tuple(resource_types)
        self.defaults = _defaults(config)
        self.check = check
        self.module = check.__module__
        self._by_type = by_type
        self._applies: dict[str, bool] = {}
        super().__init__(
            name=name,
            description=_with_anchors(description, anchors),
            validate=self._validate,
            enforcement_level=level,
            severity=severity,
            config_schema=_schema(config),
        )

    def applies_to(self, resource_type: str) -> bool:
        if resource_type not in self._applies:
            self._applies[resource_type] = any(fnmatchcase(resource_type, p) for p in self.resource_types)
        return self._applies[resource_type]

    def _validate(self, args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not self.applies_to(args.resource_type):
            return
        config = {**self.defaults, **args.get_config()}
        if self._by_type:
            messages = cast(TypedResourceCheck, self.check)(args.resource_type, args.props, config)
        else:
            messages = cast(ResourceCheck, self.check)(args.props, config)
        for message in messages:
            report_violation(message, None)


class CrossmeshStackPolicy(StackValidationPolicy):
    """A stack policy over the resources of the types it names (for listing; it sees the whole stack)."""

    def __init__(
        self,
        *,
        name: str,
        anchors: Sequence[str],
        description: str,
        severity: Severity,
        level: EnforcementLevel,
        resource_types: Sequence[str],
        check: StackCheck,
        config: ConfigSchema | None = None,
    ) -> None:
        self.anchors = tuple(anchors)
        self.resource_types = tuple(resource_types)
        self.defaults = _defaults(config)
        self.check = check
        self.module = check.__module__
        super().__init__(
            name=name,
            description=_with_anchors(description, anchors),
            validate=self._validate,
            enforcement_level=level,
            severity=severity,
            config_schema=_schema(config),
        )

    def _validate(self, args: StackValidationArgs, report_violation: ReportViolation) -> None:
        config = {**self.defaults, **args.get_config()}
        for message, urn in self.check(StackView(args.resources), config):
            report_violation(message, urn)


CrossmeshPolicy = CrossmeshResourcePolicy | CrossmeshStackPolicy


def _with_anchors(description: str, anchors: Sequence[str]) -> str:
    return f"{description} Anchors: {' / '.join(anchors)}."


def _defaults(config: ConfigSchema | None) -> dict[str, Any]:
    return {key: spec["default"] for key, spec in (config or {}).items() if "default" in spec}


def _schema(config: ConfigSchema | None) -> PolicyConfigSchema | None:
    return (
        PolicyConfigSchema(properties={key: dict(spec) for key, spec in config.items()}) if config else None
    )


def _description(rule_id: str, check: Callable[..., Any]) -> str:
    """The check's docstring on one line: what the rule requires, as CrossGuard shows it."""
    doc = inspect.getdoc(check)
    if not doc:
        raise TypeError(f"rule {rule_id}: {check.__qualname__} has no docstring, and it is the description")
    return " ".join(doc.split())


@overload
def resource_rule(
    *,
    id: str,
    anchors: Sequence[str],
    severity: Severity,
    level: EnforcementLevel,
    types: Sequence[str],
    config: ConfigSchema | None = None,
    by_type: Literal[False] = False,
) -> Callable[[ResourceCheck], CrossmeshResourcePolicy]: ...


@overload
def resource_rule(
    *,
    id: str,
    anchors: Sequence[str],
    severity: Severity,
    level: EnforcementLevel,
    types: Sequence[str],
    config: ConfigSchema | None = None,
    by_type: Literal[True],
) -> Callable[[TypedResourceCheck], CrossmeshResourcePolicy]: ...


def resource_rule(
    *,
    id: str,
    anchors: Sequence[str],
    severity: Severity,
    level: EnforcementLevel,
    types: Sequence[str],
    config: ConfigSchema | None = None,
    by_type: bool = False,
) -> Callable[[Any], CrossmeshResourcePolicy]:
    """Makes the check below it a resource rule: id, anchors (the rules a reviewer knows it by),
    severity, default level and the resource types it runs on (fnmatch patterns) stand on top of it,
    and its docstring is the description. `by_type`: the check gets the resource type first, for
    rules whose properties differ between the types they cover."""

    def rule(check: ResourceCheck | TypedResourceCheck) -> CrossmeshResourcePolicy:
        return CrossmeshResourcePolicy(
            name=id,
            anchors=anchors,
            description=_description(id, check),
            severity=severity,
            level=level,
            resource_types=types,
            check=check,
            config=config,
            by_type=by_type,
        )

    return rule


def stack_rule(
    *,
    id: str,
    anchors: Sequence[str],
    severity: Severity,
    level: EnforcementLevel,
    types: Sequence[str],
    config: ConfigSchema | None = None,
) -> Callable[[StackCheck], CrossmeshStackPolicy]:
    """Makes the check below it a stack rule, which sees every resource of the stack and reports each
    violation with the URN it belongs to (None for the stack); `types` names the resources it judges,
    for listings. The rest as for `resource_rule`."""

    def rule(check: StackCheck) -> CrossmeshStackPolicy:
        return CrossmeshStackPolicy(
            name=id,
            anchors=anchors,
            description=_description(id, check),
            severity=severity,
            level=level,
            resource_types=types,
            check=check,
            config=config,
        )

    return rule


def rules_of(*modules: ModuleType) -> list[CrossmeshPolicy]:
    """The rules each module defines (not those it imports), module by module, each module's in the
    order they are written."""
    found: list[CrossmeshPolicy] = []
    for module in modules:
        for value in vars(module).values():
            if (
                isinstance(value, CrossmeshResourcePolicy | CrossmeshStackPolicy)
                and value.module == module.__name__
                and value not in found
            ):
                found.append(value)
    return found


class StackView:
    """The stack's resources, with the lookups cross-resource rules need."""

    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.resources = list(resources)
        self._by_type: dict[str, list[PolicyResource]] = {}
        for resource in self.resources:
            self._by_type.setdefault(resource.resource_type, []).append(resource)

    def of_type(self, *patterns: str) -> list[PolicyResource]:
        """Resources whose type matches any pattern, in stack order."""
        types = {t for t in self._by_type if any(fnmatchcase(t, p) for p in patterns)}
        return [r for r in self.resources if r.resource_type in types]

    def refers_to(self, resource: PolicyResource, prop: str, target: PolicyResource) -> bool:
        """Whether resource.props[prop] names target: by id, ARN, self link or name when both are
        known, else (as on a first preview, where ids are unknown) by the property's recorded
        dependencies, or failing those the resource's."""
        value = known(resource.props, prop)
        if isinstance(value, str):
            for key in ("id", "arn", "selfLink", "name"):
                other = known(target.props, key)
                if isinstance(other, str) and other and (value == other or value.endswith("/" + other)):
                    return True
        deps = resource.property_dependencies.get(prop)
        if deps:
            return any(dep.urn == target.urn for dep in deps)
        return any(dep.urn == target.urn for dep in resource.dependencies)

    def region_of(self, resource: PolicyResource) -> str | None:
        region = known(resource.props, "region")
        if isinstance(region, str) and region:
            return region
        if resource.provider is not None:
            provider_region = known(resource.provider.props, "region")
            if isinstance(provider_region, str) and provider_region:
                return provider_region
        return None


def known(props: Mapping[str, Any], key: str) -> Any:
    """props[key], or None when absent or not known until the update runs. For lookups only: a rule
    that judges a value reads it plainly, so an unknown value makes CrossGuard report the rule as
    unable to run during preview rather than as passed."""
    try:
        return props.get(key)
    except UnknownValueError:
        return None


def has(props: Mapping[str, Any], key: str) -> bool:
    """Whether props sets key, known or not (`in` would read the value, and an unknown one raises)."""
    return key in list(props)


def get(props: Any, path: str, default: Any = None) -> Any:
    """props["a"]["b"]... for a dotted path; default when any step is absent or not a mapping."""
    current = props
    for key in path.split("."):
        if not isinstance(current, Mapping) or current.get(key) is None:
            return default
        current = current[key]
    return current


def as_list(value: Any) -> list[Any]:
    """A list of value's items; CrossGuard hands rules Sequence proxies, not lists."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return [value]


def is_masked(value: Any) -> bool:
    return isinstance(value, str) and value == SECRET_MASK


def is_world(cidr: Any) -> bool:
    return isinstance(cidr, str) and cidr.strip() in WORLD


def network(cidr: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The network of a CIDR (host bits allowed), or None when the value is not a CIDR."""
    if not isinstance(cidr, str):
        return None
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return None


def overlaps(a: Any, b: Any) -> bool:
    first, second = network(a), network(b)
    return (
        first is not None
        and second is not None
        and first.version == second.version
        and first.overlaps(second)
    )


def covers(outer: Any, inner: Any) -> bool:
    big, small = network(outer), network(inner)
    if big is None or small is None or big.version != small.version:
        return False
    return bool(small.subnet_of(big))  # type: ignore[arg-type]


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def policy_document(value: Any) -> dict[str, Any]:
    """An IAM/KMS policy document given as JSON text or as a mapping; {} when unreadable."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return dict(value) if isinstance(value, Mapping) else {}


def statements(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for statement in as_list(document.get("Statement")):
        if isinstance(statement, Mapping):
            yield statement


def port_in(port: int, from_port: Any, to_port: Any) -> bool:
    low, high = as_int(from_port), as_int(to_port)
    if low is None or high is None:
        return False
    return low <= port <= high
