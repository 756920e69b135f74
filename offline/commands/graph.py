"""`crossmesh graph`: the architecture of a stack, drawn from its plan.

Every node stands for something the plan registers (or, for services and tunnels, something it
exports), so the diagram changes when the program does: two clouds, their networks, the link's
gateways and each tunnel, the clusters, the meshes in them, their trace collectors and backends,
and the services with their declared calls, those that cross the link marked as such.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from offline.record import Plan, Registration, reveal

Format = Literal["mermaid", "dot"]
CLOUDS = {"aws": "AWS", "gcp": "Google Cloud"}
CLUSTER_TYPES = {"aws:eks/cluster:Cluster": "aws", "gcp:container/cluster:Cluster": "gcp"}
README_START = "<!-- crossmesh graph --stack dev: generated, do not edit -->"
README_END = "<!-- end of generated graph -->"
DOT_NEWLINE = "\\n"
TRACE_BACKENDS = {"awsxray": "X-Ray", "googlecloud": "Cloud Trace"}


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    shape: Literal["box", "round", "stadium"] = "box"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    style: Literal["solid", "thick", "dotted"] = "solid"
    both_ways: bool = False


@dataclass
class Architecture:
    title: str
    groups: dict[str, list[Node]] = field(default_factory=lambda: {"aws": [], "gcp": []})
    group_labels: dict[str, str] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)


def architecture(plan: Plan) -> Architecture:
    arch = Architecture(title=f"crossmesh {plan.stack}")
    for cloud, label in CLOUDS.items():
        provider = next((r for r in plan.resources if r.type == f"pulumi:providers:{cloud}"), None)
        region = provider.inputs.get("region", "") if provider else ""
        arch.group_labels[cloud] = f"{label} {region}".strip()
    _networks(plan, arch)
    _link(plan, arch)
    _clusters_and_meshes(plan, arch)
    _services(plan, arch)
    return arch


def _networks(plan: Plan, arch: Architecture) -> None:
    for vpc in plan.of_type("aws:ec2/vpc:Vpc"):
        zones = len([s for s in plan.of_type("aws:ec2/subnet:Subnet") if "-private-" in s.name])
        arch.groups["aws"].append(
            Node("aws_vpc", f"VPC {vpc.inputs.get('cidrBlock')}<br/>{zones} AZs, NAT per AZ")
        )
    for subnet in plan.of_type("gcp:compute/subnetwork:Subnetwork"):
        ranges = [subnet.inputs.get("ipCidrRange")] + [
            r.get("ipCidrRange") for r in subnet.inputs.get("secondaryIpRanges", [])
        ]
        arch.groups["gcp"].append(Node("gcp_vpc", "VPC network<br/>" + ", ".join(map(str, ranges))))
    for router in plan.of_type("gcp:compute/router:Router"):
        asn = (router.inputs.get("bgp") or {}).get("asn")
        arch.groups["gcp"].append(Node("gcp_router", f"Cloud Router AS {asn}"))
        arch.edges.append(Edge("gcp_vpc", "gcp_router"))


def _link(plan: Plan, arch: Architecture) -> None:
    for tgw in plan.of_type("aws:ec2transitgateway/transitGateway:TransitGateway"):
        arch.groups["aws"].append(Node("aws_tgw", f"Transit Gateway AS {tgw.inputs.get('amazonSideAsn')}"))
        arch.edges.append(Edge("aws_vpc", "aws_tgw"))
    gateways = sorted(plan.of_type("gcp:compute/haVpnGateway:HaVpnGateway"), key=lambda r: _natural(r.name))
    for index in range(len(gateways)):
        arch.groups["gcp"].append(Node(f"gcp_havpn_{index}", f"HA VPN gateway {index + 1}"))
        arch.edges.append(Edge(f"gcp_havpn_{index}", "gcp_router"))
    tunnels = reveal(plan.outputs.get("tunnels")) or []
    # HA VPN gateways sort in group order; each tunnel ends on its group's gateway.
    groups = sorted({int(tunnel["group"]) for tunnel in tunnels})
    for tunnel in tunnels:
        group = groups.index(int(tunnel["group"]))
        label = f"tunnel {tunnel['group']}.{tunnel['tunnel']} {tunnel['insideCidr']}"
        arch.edges.append(Edge("aws_tgw", f"gcp_havpn_{group}", label, "thick", both_ways=True))
    for transport in plan.of_type("gcp:networkconnectivity/transport:Transport"):
        arch.groups["gcp"].append(
            Node("gcp_transport", f"Cross-Cloud Interconnect {transport.inputs.get('bandwidth', '')}")
        )
        arch.edges.append(Edge("aws_tgw", "gcp_transport", "Interconnect", "thick", both_ways=True))


def _natural(name: str) -> list[int | str]:
    """Sort key that puts group 2 before group 10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _clusters_and_meshes(plan: Plan, arch: Architecture) -> None:
    clusters = {r.urn: r for r in plan.resources if r.type in CLUSTER_TYPES}
    for cluster in clusters.values():
        cloud = CLUSTER_TYPES[cluster.type]
        kind = "EKS" if cloud == "aws" else "GKE"
        channel = (cluster.inputs.get("releaseChannel") or {}).get("channel")
        version = cluster.inputs.get("version") or (f"{channel} channel" if channel else "")
        arch.groups[cloud].append(
            Node(f"{cloud}_cluster", f"{kind} {cluster.inputs.get('name', cluster.name)} {version}".strip())
        )
        arch.edges.append(Edge(f"{cloud}_vpc", f"{cloud}_cluster"))
    meshes: dict[str, str] = {}
    traces: dict[str, str] = {}
    for release in plan.of_type("kubernetes:helm.sh/v3:Release"):
        chart = str(release.inputs.get("chart", ""))
        release_cloud = _cluster_cloud(plan, release, clusters)
        if release_cloud and chart == "istiod":
            meshes[release_cloud] = f"Istio {release.inputs.get('version', '')}".strip()
        if release_cloud and chart == "appmesh-controller":
            meshes[release_cloud] = "App Mesh (end of support 2026-09-30)"
        if release_cloud and chart == "opentelemetry-collector":
            exporters = ((release.inputs.get("values") or {}).get("config") or {}).get("exporters") or {}
            backends = [TRACE_BACKENDS.get(str(name), str(name)) for name in sorted(exporters)]
            traces[release_cloud] = "OTel collector -> " + ", ".join(backends)
    for cloud, label in sorted(meshes.items()):
        arch.groups[cloud].append(Node(f"{cloud}_mesh", label, "round"))
        arch.edges.append(Edge(f"{cloud}_cluster", f"{cloud}_mesh"))
    if {"aws", "gcp"} <= set(meshes):
        arch.edges.append(Edge("aws_mesh", "gcp_mesh", "one root CA, mTLS", "dotted", both_ways=True))
    for cloud, label in sorted(traces.items()):
        arch.groups[cloud].append(Node(f"{cloud}_traces", label, "round"))
        if cloud in meshes:
            arch.edges.append(Edge(f"{cloud}_mesh", f"{cloud}_traces", "spans"))
    if {"aws", "gcp"} <= set(traces):
        arch.edges.append(Edge("aws_traces", "gcp_traces", "one W3C trace ID", "dotted", both_ways=True))


def _cluster_cloud(plan: Plan, resource: Registration, clusters: dict[str, Registration]) -> str | None:
    """The cloud of the cluster a Kubernetes resource is deployed to, through its provider's inputs."""
    seen: set[str] = set()
    pending = [resource.provider] if resource.provider else []
    while pending:
        urn = pending.pop()
        if urn in seen:
            continue
        seen.add(urn)
        if urn in clusters:
            return CLUSTER_TYPES[clusters[urn].type]
        try:
            pending.extend(plan.by_urn(urn).data_dependencies)
        except LookupError:
            continue
    return None


def _services(plan: Plan, arch: Architecture) -> None:
    catalogue: dict[str, dict[str, Any]] = reveal(plan.outputs.get("services")) or {}
    services = [{"name": name, **service} for name, service in catalogue.items()]
    cloud_of = {service["name"]: service["cloud"] for service in services}
    for service in services:
        label = f"{service['name']}<br/>{service['namespace']} :{service['port']} {service['protocol']}"
        arch.groups[service["cloud"]].append(Node(_service_id(service["name"]), label, "stadium"))
    for service in services:
        for caller in service["callers"]:
            crosses = cloud_of.get(caller) != service["cloud"]
            arch.edges.append(
                Edge(_service_id(caller), _service_id(service["name"]), "over the link" if crosses else "")
            )


def _service_id(name: str) -> str:
    return "svc_" + re.sub(r"[^a-zA-Z0-9]", "_", name)


def render(plan: Plan, fmt: Format = "mermaid") -> str:
    arch = architecture(plan)
    return "\n".join(_mermaid(arch) if fmt == "mermaid" else _dot(arch)) + "\n"


def _mermaid(arch: Architecture) -> Iterator[str]:
    shapes = {"box": ('["', '"]'), "round": ('("', '")'), "stadium": ('(["', '"])')}
    arrows = {"solid": "-->", "thick": "==>", "dotted": "-.->"}
    yield "flowchart LR"
    for cloud, nodes in arch.groups.items():
        yield f'  subgraph {cloud}["{arch.group_labels[cloud]}"]'
        for node in nodes:
            left, right = shapes[node.shape]
            yield f"    {node.id}{left}{node.label}{right}"
        yield "  end"
    for edge in arch.edges:
        arrow = arrows[edge.style]
        if edge.both_ways:
            arrow = "<" + arrow
        label = f'|"{edge.label}"|' if edge.label else ""
        yield f"  {edge.source} {arrow}{label} {edge.target}"


def _dot(arch: Architecture) -> Iterator[str]:
    shapes = {"box": "box", "round": "ellipse", "stadium": "box, style=rounded"}
    styles = {"solid": "solid", "thick": "bold", "dotted": "dotted"}
    yield f'digraph "{arch.title}" {{'
    yield "  rankdir=LR;"
    for cloud, nodes in arch.groups.items():
        yield f"  subgraph cluster_{cloud} {{"
        yield f'    label="{arch.group_labels[cloud]}";'
        for node in nodes:
            label = node.label.replace("<br/>", DOT_NEWLINE)
            yield f'    {node.id} [label="{label}", shape={shapes[node.shape]}];'
        yield "  }"
    for edge in arch.edges:
        attributes = [f"style={styles[edge.style]}"]
        if edge.label:
            attributes.append(f'label="{edge.label}"')
        if edge.both_ways:
            attributes.append("dir=both")
        yield f"  {edge.source} -> {edge.target} [{', '.join(attributes)}];"
    yield "}"


def readme_block(plan: Plan) -> str:
    return f"{README_START}\n```mermaid\n{render(plan, 'mermaid')}```\n{README_END}"


def update_readme(readme: Path, plan: Plan) -> bool:
    """Replace the generated graph block in the README; returns whether the file changed."""
    text = readme.read_text()
    start, end = text.index(README_START), text.index(README_END) + len(README_END)
    updated = text[:start] + readme_block(plan) + text[end:]
    if updated == text:
        return False
    readme.write_text(updated)
    return True
