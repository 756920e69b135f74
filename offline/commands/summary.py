"""The readable side of a plan: the resource tree by component, the cross-cloud wiring, the outputs."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from offline.commands.appmesh_summary import appmesh_lines
from offline.commands.cost_summary import plan_estimate, render_estimate
from offline.commands.estimate import estimate_deploy, format_minutes
from offline.record import Plan, Registration, mask

TUNNEL_OUTPUT = "tunnels"
CAPACITY_OUTPUT = "linkCapacity"
SERVICES_OUTPUT = "services"


def cloud_of(type_token: str) -> str:
    """The package of a type token: aws, gcp, kubernetes, tls, random, ..."""
    return type_token.split(":", 1)[0]


def render_summary(plan: Plan) -> str:
    custom = [resource for resource in plan.resources if resource.custom and not _is_provider(resource)]
    per_cloud = Counter(cloud_of(resource.type) for resource in custom)
    components = [resource for resource in plan.resources if not resource.custom]
    providers = len(plan.resources) - len(custom) - len(components)
    # One count of resources everywhere (plan, check, bench): every resource the program registers.
    lines = [
        f"crossmesh plan: stack {plan.stack} (project {plan.project})",
        f"  {len(plan.resources)} resources: {len(custom)} custom ("
        + ", ".join(f"{cloud} {count}" for cloud, count in sorted(per_cloud.items()))
        + f"), {len(components)} components, {providers} providers",
    ]
    if plan.warnings:
        lines += ["", "Warnings"]
        lines.extend(f"  warning: {message}" for message in plan.warnings)
    lines += ["", "Resources by component"]
    for root in (resource for resource in components if resource.parent not in _urns(components)):
        lines.extend(_component_lines(plan, root, depth=1))
    lines += ["", "Cross-cloud wiring"]
    lines.extend(_wiring_lines(plan.outputs.get(TUNNEL_OUTPUT)))
    lines.extend(_capacity_lines(plan.outputs.get(CAPACITY_OUTPUT)))
    lines += ["", "Services"]
    lines.extend(_service_lines(plan.outputs.get(SERVICES_OUTPUT)))
    lines += ["", "First `pulumi up`, estimated (typical creation times; see offline/commands/estimate.py)"]
    lines.extend(_estimate_lines(plan))
    cost, stated = plan_estimate(plan)
    lines += ["", *render_estimate(cost, stated)]
    lines.extend(appmesh_lines(plan))
    lines += ["", "Outputs"]
    for name, value in sorted(mask(plan.outputs).items()):
        lines.append(f"  {name} = {_short(value)}")
    return "\n".join(lines) + "\n"


def _component_lines(plan: Plan, component: Registration, depth: int) -> list[str]:
    children = plan.children(component.urn)
    resources = [child for child in children if child.custom and not _is_provider(child)]
    indent = "  " * depth
    lines = [f"{indent}{component.name} ({component.type}): {len(resources)} resources"]
    for type_token, count in sorted(Counter(child.type for child in resources).items()):
        lines.append(f"{indent}    {count:>3} x {type_token}")
    for child in children:
        if not child.custom:
            lines.extend(_component_lines(plan, child, depth + 1))
    return lines


def _wiring_lines(tunnels: Any) -> list[str]:
    if not isinstance(tunnels, list) or not tunnels:
        return ["  no tunnels in this plan"]
    lines = []
    for tunnel in tunnels:
        lines.append(
            f"  group {tunnel['group']} tunnel {tunnel['tunnel']}: "
            f"AWS {tunnel['awsOutsideIp']} [{tunnel['awsInsideIp']} AS {tunnel['awsAsn']}] <-> "
            f"GCP {tunnel['gcpOutsideIp']} [{tunnel['gcpInsideIp']} AS {tunnel['gcpAsn']}] "
            f"inside {tunnel['insideCidr']}"
        )
    return lines


def _estimate_lines(plan: Plan) -> list[str]:
    estimate = estimate_deploy(plan)
    by_urn = {resource.urn: resource for resource in plan.resources}
    chain = " -> ".join(by_urn[urn].name for urn in estimate.critical_path)
    wall, serial = format_minutes(estimate.critical_seconds), format_minutes(estimate.total_seconds)
    return [
        f"  about {wall} wall time for {estimate.resource_count} custom resources"
        f" ({serial} if run one by one; {estimate.parallelism:.1f}x parallel)",
        f"  longest chain: {chain}",
    ]


def _capacity_lines(capacity: Any) -> list[str]:
    """The modelled capacity: ECMP over every tunnel gives tunnels x one tunnel's limit."""
    if not isinstance(capacity, dict):
        return []
    target = (
        [f"  target: {capacity['targetGbps']:g} Gbps (link.targetGbps), met by {capacity['aggregateGbps']:g}"]
        if "targetGbps" in capacity
        else []
    )
    if capacity.get("kind") == "interconnect":
        return [
            f"  capacity: interconnect {capacity['bandwidth']} = {capacity['aggregateGbps']} Gbps",
            *target,
        ]
    per_tunnel = capacity["tunnelGbps"]
    cap_note = (
        f", capped by Cloud VPN's {capacity['gcpTunnelGbpsMax']} Gbps"
        if capacity["awsTunnelGbps"] > per_tunnel
        else ""
    )
    return [
        f"  capacity: {capacity['tunnels']} tunnels x {per_tunnel} Gbps "
        f"(AWS {capacity['tunnelBandwidth']} {capacity['awsTunnelGbps']} Gbps{cap_note}) "
        f"= {capacity['aggregateGbps']} Gbps with ECMP; one flow uses one tunnel: {per_tunnel} Gbps",
        f"  packet ceiling: {capacity['tunnels']} tunnels x {capacity['tunnelPps']:,} pps = "
        f"{capacity['aggregatePps']:,} pps (the tighter of AWS's and Cloud VPN's per-tunnel rates)",
        *target,
    ]


def _service_lines(services: Any) -> list[str]:
    if not isinstance(services, dict) or not services:
        return ["  no services in this plan"]
    lines = []
    for name, service in services.items():
        policy = service["policy"]
        retries, pool, outliers = policy["retries"], policy["connectionPool"], policy["outlierDetection"]
        callers = ", ".join(service["callers"]) or "nobody"
        lines.append(
            f"  {name}: {service['cloud']} {service['namespace']}:{service['port']} {service['protocol']}; "
            f"callers: {callers}"
        )
        lines.append(
            f"      timeout {policy['timeout']}, {retries['attempts']} retries x {retries['perTryTimeout']} "
            f"on {','.join(retries['events'])}; pool {pool['maxConnections']} conns, "
            f"{pool['maxPendingRequests']} pending, {pool['maxRequests']} requests; eject after "
            f"{outliers['consecutiveServerErrors']} 5xx per {outliers['interval']} for "
            f"{outliers['baseEjectionTime']} (max {outliers['maxEjectionPercent']}%); "
            f"locality failover {'on' if policy['localityFailover'] else 'off'}"
        )
    return lines


def _short(value: Any, limit: int = 100) -> str:
    # One line per output: a PEM or any multi-line value is shown with its newlines escaped.
    text = (value if isinstance(value, str) else json.dumps(value)).replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_provider(resource: Registration) -> bool:
    return resource.type.startswith("pulumi:providers:")


def _urns(resources: list[Registration]) -> set[str]:
    return {resource.urn for resource in resources}
