"""`crossmesh check`: every policy of the crossmesh CrossGuard pack over an offline plan, and beside
them the upstream artefact checks (offline/artefacts/: published chart versions, Helm values, object
schemas), which are mandatory.

The plan is either run now from a stack file (`--stack`) or read from a saved plan contract
(`--plan FILE.json`, written by `crossmesh plan --json`). With `--against OLD.json`, the day-2 rules
(offline/day2.py) judge the change from that saved plan, also as mandatory violations. Resource
policies see each resource's inputs under their wire names, as CrossGuard does; stack policies see
every resource (inputs plus the fake id) and the stack outputs on the `pulumi:pulumi:Stack`
resource. Both get the analyzer's own read-only proxies, so a rule behaves here as it does under
`pulumi preview`. A saved plan shows secrets as "[secret]": rules that need a secret's value (PSK
format, key pairing) cannot judge those and pass them, while a plan run now hands rules the values,
as `pulumi preview` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from crossmesh_policy import PACK_NAME, POLICIES, CrossmeshPolicy, CrossmeshResourcePolicy
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

from offline.diff import PlanSnapshot, diff_plans
from offline.plan_file import PlanFileError, load_plan_file
from offline.record import Plan, mask

__all__ = ["PlanFileError", "PlannedStack", "from_contract", "from_plan", "load_contract", "run_policies"]

SEVERITY_ORDER = ("critical", "high", "medium", "low", "none")
STACK_TYPE = "pulumi:pulumi:Stack"
LEVELS = {level.value: level for level in EnforcementLevel}


class PolicyConfigError(ValueError):
    """Pack config naming an unknown policy or level."""


@dataclass(frozen=True)
class PlannedResource:
    """One resource as the rules see it, from a live plan or a saved contract."""

    urn: str
    type: str
    name: str
    parent: str | None
    provider: str | None
    dependencies: tuple[str, ...]
    protect: bool
    inputs: Mapping[str, Any]
    id: str | None = None


@dataclass(frozen=True)
class PlannedStack:
    project: str
    stack: str
    resources: tuple[PlannedResource, ...]
    outputs: Mapping[str, Any]
    warnings: tuple[str, ...] = ()
    """What `pulumi up` would warn of (support windows of Kubernetes and Istio), as the plan said it."""

    @property
    def stack_urn(self) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{STACK_TYPE}::{self.project}-{self.stack}"


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    severity: str
    description: str
    message: str
    urn: str | None
    resource_type: str | None
    resource_name: str | None


def from_plan(plan: Plan) -> PlannedStack:
    """A live plan: rules get secret input values (as under `pulumi preview`), outputs stay masked."""
    resources = tuple(
        PlannedResource(
            urn=r.urn,
            type=r.type,
            name=r.name,
            parent=r.parent,
            provider=r.provider,
            dependencies=tuple(r.dependencies),
            protect=r.protect,
            inputs=r.plain_inputs,
            id=r.id,
        )
        for r in plan.resources
    )
    return PlannedStack(plan.project, plan.stack, resources, mask(plan.outputs), tuple(plan.warnings))


def from_contract(contract: Any) -> PlannedStack:
    """A saved plan contract (`crossmesh plan --json`); raises PlanFileError naming what is wrong."""
    if not isinstance(contract, dict) or not isinstance(contract.get("resources"), list):
        raise PlanFileError("not a crossmesh plan: expected an object with a 'resources' list")
    resources = []
    for index, item in enumerate(contract["resources"]):
        missing = [key for key in ("urn", "type", "name") if not isinstance(item, dict) or key not in item]
        if missing:
            raise PlanFileError(f"resources[{index}] lacks {', '.join(missing)}")
        resources.append(
            PlannedResource(
                urn=str(item["urn"]),
                type=str(item["type"]),
                name=str(item["name"]),
                parent=item.get("parent"),
                provider=item.get("provider"),
                dependencies=tuple(item.get("dependencies") or ()),
                protect=bool(item.get("protect", False)),
                inputs=dict(item.get("inputs") or {}),
                id=item.get("id"),
            )
        )
    return PlannedStack(
        str(contract.get("project", "crossmesh")),
        str(contract.get("stack", "unknown")),
        tuple(resources),
        dict(contract.get("outputs") or {}),
        tuple(str(warning) for warning in contract.get("warnings") or ()),
    )


def load_contract(path: Path) -> PlannedStack:
    """A saved plan, checked by offline.plan_file; raises PlanFileError naming the file and problem."""
    return from_contract(load_plan_file(path))


def levels(
    policies: Sequence[CrossmeshPolicy], pack_config: Mapping[str, Any]
) -> dict[str, EnforcementLevel]:
    """Each policy's level after pack config, read as `pulumi preview --policy-pack-config` reads it:
    {"all": level} or {"<policy>": level} or {"<policy>": {"enforcementLevel": level, ...}}."""
    names = {p.name for p in policies}
    unknown = sorted(set(pack_config) - names - {"all"})
    if unknown:
        raise PolicyConfigError(f"pack config names unknown policies: {', '.join(unknown)}")
    result: dict[str, EnforcementLevel] = {}
    for policy in policies:
        level = policy.enforcement_level or EnforcementLevel.ADVISORY
        for key in ("all", policy.name):
            setting = pack_config.get(key)
            value = setting.get("enforcementLevel") if isinstance(setting, Mapping) else setting
            if value is not None:
                if value not in LEVELS:
                    raise PolicyConfigError(f"{key}: level {value!r} is not one of {', '.join(LEVELS)}")
                level = LEVELS[value]
        result[policy.name] = level
    return result


def policy_config(pack_config: Mapping[str, Any], name: str) -> dict[str, Any]:
    setting = pack_config.get(name)
    if not isinstance(setting, Mapping):
        return {}
    return {key: value for key, value in setting.items() if key != "enforcementLevel"}


def _options(protect: bool, parent: str | None) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=protect,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=parent,
    )


def _providers(planned: PlannedStack) -> dict[str, PolicyProviderResource]:
    return {
        r.urn: PolicyProviderResource(r.type, unknown_checking_proxy(dict(r.inputs)), r.urn, r.name)
        for r in planned.resources
        if r.type.startswith("pulumi:providers:")
    }


def stack_resources(planned: PlannedStack) -> list[PolicyResource]:
    """The stack as StackValidationArgs holds it: parents and dependencies linked, the root Stack
    resource carrying the outputs."""
    providers = _providers(planned)
    by_urn: dict[str, PolicyResource] = {}
    root = PolicyResource(
        STACK_TYPE,
        unknown_checking_proxy(dict(planned.outputs)),
        planned.stack_urn,
        f"{planned.project}-{planned.stack}",
        _options(False, None),
        None,
        None,
        [],
        {},
    )
    by_urn[root.urn] = root
    for resource in planned.resources:
        props = dict(resource.inputs)
        if resource.id is not None:
            props.setdefault("id", resource.id)
        by_urn[resource.urn] = PolicyResource(
            resource.type,
            unknown_checking_proxy(props),
            resource.urn,
            resource.name,
            _options(resource.protect, resource.parent),
            providers.get(resource.provider or ""),
            None,
            [],
            {},
        )
    for resource in planned.resources:
        policy_resource = by_urn[resource.urn]
        policy_resource.parent = by_urn.get(resource.parent or "", root)
        policy_resource.dependencies = [by_urn[urn] for urn in resource.dependencies if urn in by_urn]
    return list(by_urn.values())


def run_policies(
    planned: PlannedStack,
    policies: Sequence[CrossmeshPolicy] = POLICIES,
    pack_config: Mapping[str, Any] | None = None,
) -> list[Violation]:
    """Every violation of every enabled policy, in pack order."""
    config = dict(pack_config or {})
    policy_levels = levels(policies, config)
    stack = stack_resources(planned)
    # Wrapped once: the analyzer's read-only proxies, shared by every rule.
    inputs = {resource.urn: unknown_checking_proxy(dict(resource.inputs)) for resource in planned.resources}
    by_urn = {resource.urn: resource for resource in planned.resources}
    violations: list[Violation] = []
    for policy in policies:
        level = policy_levels[policy.name]
        if level == EnforcementLevel.DISABLED:
            continue
        # CrossGuard reports a remediation policy that still finds a violation as mandatory.
        reported = EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level
        for message, urn in _findings(policy, stack, inputs, policy_config(config, policy.name)):
            resource = by_urn.get(urn or "")
            violations.append(
                Violation(
                    policy=policy.name,
                    level=reported.value,
                    severity=policy.severity.value if policy.severity else "none",
                    description=policy.description,
                    message=message,
                    urn=urn,
                    resource_type=resource.type if resource else (STACK_TYPE if urn else None),
                    resource_name=resource.name if resource else None,
                )
            )
    return violations


def _findings(
    policy: CrossmeshPolicy,
    stack: list[PolicyResource],
    inputs: Mapping[str, Any],
    config: Mapping[str, Any],
) -> list[tuple[str, str | None]]:
    """(message, urn) of each violation one policy reports, called as the CrossGuard analyzer calls it:
    a resource policy once per resource with its inputs, a stack policy once with every resource."""
    found: list[tuple[str, str | None]] = []

    def on_stack(message: str, urn: str | None = None) -> None:
        found.append((message, urn))

    if isinstance(policy, CrossmeshResourcePolicy):
        for resource in stack:
            if resource.urn not in inputs or not policy.applies_to(resource.resource_type):
                continue
            args = ResourceValidationArgs(
                resource.resource_type,
                inputs[resource.urn],
                resource.urn,
                resource.name,
                resource.opts,
                resource.provider,
                config,
            )
            policy.validate(args, _on_resource(found, resource.urn))
    else:
        policy.validate(StackValidationArgs(stack, config), on_stack)
    return found


def _on_resource(found: list[tuple[str, str | None]], urn: str) -> Callable[[str, str | None], None]:
    """As in CrossGuard, a resource policy's violation always belongs to the resource validated."""

    def report(message: str, _urn: str | None = None) -> None:
        found.append((message, urn))

    return report


def artefact_violations(planned: PlannedStack) -> list[Violation]:
    """The upstream artefact checks' findings (offline/artefacts/), reported beside the pack's as
    mandatory: a chart version that is not published, a value the chart ignores or an object the API
    server refuses or prunes fails `pulumi up` or silently changes what it builds."""
    from offline.artefacts import CHECKS, check_artefacts

    return [
        Violation(
            policy=finding.check,
            level=EnforcementLevel.MANDATORY.value,
            severity="high",
            description=f"Upstream artefact check: {CHECKS[finding.check]}",
            message=finding.message,
            urn=finding.urn,
            resource_type=finding.resource_type,
            resource_name=finding.resource_name,
        )
        for finding in check_artefacts(planned.resources)
    ]


def day2_violations(old: PlanSnapshot, new: PlanSnapshot) -> list[Violation]:
    """What the day-2 rules (offline/day2.py) refuse in going from `old` to `new`, as mandatory
    violations naming the safe procedure: `pulumi up` would carry such a change out."""
    from offline.day2 import RULES, refusals

    result = diff_plans(old, new)
    return [
        Violation(
            policy=f"day2-{refusal.rule}",
            level=EnforcementLevel.MANDATORY.value,
            severity="critical",
            description=f"Day-2 rule: {RULES[refusal.rule].description} Procedure: {refusal.procedure}",
            message=f"{refusal.message}; see {refusal.procedure}",
            urn=None,
            resource_type=None,
            resource_name=None,
        )
        for refusal in refusals(old, new, result)
    ]


def has_mandatory(violations: Iterable[Violation]) -> bool:
    return any(v.level == EnforcementLevel.MANDATORY.value for v in violations)


def render(violations: Sequence[Violation], planned: PlannedStack, policy_count: int) -> str:
    """Violations grouped by severity, each in the CrossGuard manner."""
    lines = [f"Policy pack {PACK_NAME}: {policy_count} policies over {len(planned.resources)} resources"]
    for severity in SEVERITY_ORDER:
        group = [v for v in violations if v.severity == severity]
        if not group:
            continue
        lines.append("")
        lines.append(f"{severity} ({len(group)})")
        for v in sorted(group, key=lambda v: (v.level != "mandatory", v.policy, v.urn or "")):
            target = f" ({v.resource_type}: {v.resource_name})" if v.resource_name else " (stack)"
            lines.append(f"    [{v.level}]  {v.policy}{target}")
            lines.append(f"    {v.description}")
            lines.append(f"    {v.message}")
    mandatory = sum(1 for v in violations if v.level == "mandatory")
    lines.append("")
    lines.append(f"{mandatory} mandatory, {len(violations) - mandatory} advisory violations")
    return "\n".join(lines) + "\n"


def results_json(violations: Sequence[Violation], planned: PlannedStack, policy_count: int) -> dict[str, Any]:
    mandatory = sum(1 for v in violations if v.level == "mandatory")
    return {
        "project": planned.project,
        "stack": planned.stack,
        "policyPack": PACK_NAME,
        "policies": policy_count,
        "resources": len(planned.resources),
        "mandatory": mandatory,
        "advisory": len(violations) - mandatory,
        "passed": mandatory == 0,
        "violations": [
            {_camel(key): value for key, value in asdict(violation).items()} for violation in violations
        ],
    }


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def describe_pack(policies: Sequence[CrossmeshPolicy] = POLICIES) -> list[dict[str, Any]]:
    """The pack for `crossmesh policies`: name, level, kind, resource types, anchors."""
    return [
        {
            "name": p.name,
            "level": (p.enforcement_level or EnforcementLevel.ADVISORY).value,
            "severity": p.severity.value if p.severity else "none",
            "kind": "resource" if isinstance(p, CrossmeshResourcePolicy) else "stack",
            "resourceTypes": list(p.resource_types),
            "anchors": list(p.anchors),
        }
        for p in policies
    ]
