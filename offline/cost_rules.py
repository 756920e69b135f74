"""What each resource of a plan costs: one rule per priced type, and the reason every other type is free.

A rule reads one resource of the plan JSON contract and yields Charges: a price item of
offline/data/prices.json, a quantity at the desired node count and at the maximum, and the resources
it counts. Some charges belong to the plan as a whole rather than to one resource (the first five GCP
forwarding rules share one flat rate; traffic across the link passes several resources); those come
from the plan-wide rules at the end. Four kinds of charge:

- fixed: hourly or monthly while the resource exists;
- link traffic: per GB across the link, for the stack's `cost.crossCloudGbPerMonth`;
- traces: per million traces, for `cost.tracesMillionsPerMonth`;
- metered: usage the plan cannot size (log volume, NAT data, DNS queries): the unit price and the
  resources that incur it, outside the totals.

Load balancers made at runtime by Kubernetes Services of type LoadBalancer are not plan resources;
they are charged to the Service, or to the Istio gateway release whose chart makes the Service.

Pure: no Pulumi import.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from offline.prices import PriceBook

Resource = Mapping[str, Any]
"""One resource of the plan JSON contract: urn, type, name, custom, parent, provider, dependencies,
inputs, reads."""

GIB_PER_GB = 1e9 / 2**30
GCP_FORWARDING_RULES_AT_FLAT_RATE = 5
CLOUD_NAT_VMS_AT_PER_VM_RATE = 32


class Kind(StrEnum):
    FIXED = "fixed"
    LINK_TRAFFIC = "linkTraffic"
    TRACES = "traces"
    METERED = "metered"


@dataclass(frozen=True)
class Usage:
    """The usage figures of a stack's `crossmesh:cost` (components.config.CostConfig)."""

    cross_cloud_gb_per_month: float
    traces_millions_per_month: float
    spans_per_trace: int

    def to_json(self) -> dict[str, float | int]:
        return {
            "crossCloudGbPerMonth": self.cross_cloud_gb_per_month,
            "tracesMillionsPerMonth": self.traces_millions_per_month,
            "spansPerTrace": self.spans_per_trace,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Usage:
        return cls(
            float(document["crossCloudGbPerMonth"]),
            float(document["tracesMillionsPerMonth"]),
            int(document["spansPerTrace"]),
        )


@dataclass(frozen=True)
class Charge:
    item: str
    what: str
    desired: float
    """Quantity in the item's unit (things for hourly and monthly items, GB for per-GB ones)."""
    at_max: float
    resources: tuple[str, ...]
    """URNs, the resource that decides the section first."""
    kind: Kind = Kind.FIXED
    region: str | None = None
    note: str | None = None
    """An assumption the figure rests on, or how it grows after the first month."""


# --- type tokens ------------------------------------------------------------------------------------------

EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS_ADDON = "aws:eks/addon:Addon"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
VPN_CONNECTION = "aws:ec2/vpnConnection:VpnConnection"
TGW_VPC_ATTACHMENT = "aws:ec2transitgateway/vpcAttachment:VpcAttachment"
DX_GATEWAY_ASSOCIATION = "aws:directconnect/gatewayAssociation:GatewayAssociation"
RESOLVER_ENDPOINT = "aws:route53/resolverEndpoint:ResolverEndpoint"
KMS_KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
CLOUDWATCH_DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
CLOUD_MAP_NAMESPACE = "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace"
CLOUD_MAP_INSTANCE = "aws:servicediscovery/instance:Instance"
GKE_CLUSTER = "gcp:container/cluster:Cluster"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"
GCP_SUBNETWORK = "gcp:compute/subnetwork:Subnetwork"
GCP_ADDRESS = "gcp:compute/address:Address"
CLOUD_NAT = "gcp:compute/routerNat:RouterNat"
GCP_VPN_TUNNEL = "gcp:compute/vPNTunnel:VPNTunnel"
TRANSPORT = "gcp:networkconnectivity/transport:Transport"
CLOUD_DNS_ZONE = "gcp:dns/managedZone:ManagedZone"
GCP_CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
ALERT_POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
K8S_SERVICE = "kubernetes:core/v1:Service"
POD_MONITORING = "kubernetes:monitoring.googleapis.com/v1:PodMonitoring"
CLUSTER_POD_MONITORING = "kubernetes:monitoring.googleapis.com/v1:ClusterPodMonitoring"

CLUSTER_CLOUDS = {EKS_CLUSTER: "aws", GKE_CLUSTER: "gcp"}
ISTIO_CHART_REPO = "istio-release"
CONTAINER_INSIGHTS_ADDON = "amazon-cloudwatch-observability"
_GCP_REGION = re.compile(r"^[a-z]+-[a-z]+\d+$")


# --- the plan, indexed -------------------------------------------------------------------------------------

# The section of the estimate a resource's cost is shown under, by the component it belongs to.
COMPONENT_SECTIONS: Mapping[str, str] = {
    "crossmesh:aws:AwsNetwork": "networks",
    "crossmesh:gcp:GcpNetwork": "networks",
    "crossmesh:aws:EksCluster": "clusters",
    "crossmesh:gcp:GkeCluster": "clusters",
}
# Otherwise by the component's module: `crossmesh:<module>:<Name>`.
MODULE_SECTIONS: Mapping[str, str] = {
    "link": "link",
    "dns": "link",
    "istio": "meshes",
    "appmesh": "meshes",
    "pki": "meshes",
    "observability": "observability",
}
SECTIONS = ("networks", "link", "clusters", "meshes", "observability", "other")


@dataclass(frozen=True)
class LoadBalancer:
    urn: str
    cloud: str
    """aws or gcp: the cloud of the cluster whose Service makes it."""
    aws_nlb: bool
    """On AWS, whether the Service asks for a Network Load Balancer (otherwise a Classic one)."""


class PlanIndex:
    """Look-ups the rules share: resources by URN and type, regions, the cluster behind a Kubernetes
    provider, the node count of the GKE pools."""

    def __init__(self, resources: Sequence[Resource], prices: PriceBook) -> None:
        self.resources = resources
        self.prices = prices
        self.by_urn = {resource["urn"]: resource for resource in resources}
        self.by_type: dict[str, list[Resource]] = {}
        for resource in resources:
            self.by_type.setdefault(resource["type"], []).append(resource)
        self._sections: dict[str, str] = {}

    def of_type(self, type_token: str) -> list[Resource]:
        return self.by_type.get(type_token, [])

    def section(self, urn: str) -> str:
        if urn not in self._sections:
            self._sections[urn] = self._section_of(urn)
        return self._sections[urn]

    def _section_of(self, urn: str) -> str:
        parent = self.by_urn.get(urn, {}).get("parent")
        while parent in self.by_urn:
            component = self.by_urn[parent]
            type_token: str = component["type"]
            module = type_token.split(":")[1] if type_token.count(":") == 2 else ""
            section = COMPONENT_SECTIONS.get(type_token) or MODULE_SECTIONS.get(module)
            if section:
                return section
            parent = component.get("parent")
        return "other"

    def region(self, resource: Resource) -> str | None:
        """The region the resource is priced in: its own region input (GCP), else its provider's,
        else that of the one provider of its package."""
        own = resource.get("inputs", {}).get("region")
        if isinstance(own, str):
            return own
        provider = self.by_urn.get(resource.get("provider") or "")
        if provider is None:
            package = resource["type"].split(":", 1)[0]
            candidates = self.of_type(f"pulumi:providers:{package}")
            provider = candidates[0] if len(candidates) == 1 else None
        region = provider.get("inputs", {}).get("region") if provider else None
        return region if isinstance(region, str) else None

    def dependency(self, resource: Resource, type_token: str) -> Resource | None:
        """The first resource of a type that `resource` depends on."""
        for urn in resource.get("dependencies", []):
            found = self.by_urn.get(urn)
            if found is not None and found["type"] == type_token:
                return found
        return None

    def cluster_cloud(self, resource: Resource) -> str | None:
        """aws or gcp for a Kubernetes resource: the cloud of the cluster its provider depends on."""
        provider = self.by_urn.get(resource.get("provider") or "")
        if provider is None:
            return None
        for urn in provider.get("dependencies", []):
            cloud = CLUSTER_CLOUDS.get(self.by_urn.get(urn, {}).get("type", ""))
            if cloud:
                return cloud
        return None

    def autoscaler_max(self, node_group: Resource) -> float | None:
        """The most nodes a cluster autoscaler release lets an EKS node group grow to: the maxSize of
        the entry of its `autoscalingGroups` whose name reads the group; None when none scales it."""
        for release in self.of_type(HELM_RELEASE):
            inputs = release.get("inputs", {})
            if inputs.get("chart") != "cluster-autoscaler":
                continue
            reads = release.get("reads", {})
            groups = mapping(inputs.get("values")).get("autoscalingGroups")
            for position, group in enumerate(groups if isinstance(groups, list) else []):
                if node_group["urn"] in reads.get(f"values.autoscalingGroups[{position}].name", []):
                    return float(mapping(group).get("maxSize", 0))
        return None

    def gke_nodes(self) -> tuple[float, float]:
        """Every GKE node at desired and at max: the VMs behind Cloud NAT."""
        desired = at_max = 0.0
        for pool in self.of_type(GKE_NODE_POOL):
            pool_desired, pool_max = gke_pool_nodes(pool, self)
            desired, at_max = desired + pool_desired, at_max + pool_max
        return desired, at_max

    def load_balancers(self) -> list[LoadBalancer]:
        found = []
        for resource in (*self.of_type(HELM_RELEASE), *self.of_type(K8S_SERVICE)):
            service = load_balancer_service(resource, self.prices)
            cloud = self.cluster_cloud(resource) if service is not None else None
            if service is not None and cloud is not None:
                annotations = mapping(service.get("annotations"))
                nlb = annotations.get("service.beta.kubernetes.io/aws-load-balancer-type") in (
                    "nlb",
                    "external",
                )
                found.append(LoadBalancer(resource["urn"], cloud, nlb))
        return found


def mapping(value: Any) -> Mapping[str, Any]:
    """A nested input as a mapping; an absent or masked ("[secret]") one as empty."""
    return value if isinstance(value, Mapping) else {}


def load_balancer_service(resource: Resource, prices: PriceBook) -> dict[str, Any] | None:
    """The Service (type and annotations) of a resource that makes a cloud load balancer, else None:
    a Service of type LoadBalancer, or a release of Istio's gateway chart, whose Service is of that
    type unless its values say otherwise."""
    inputs = resource.get("inputs", {})
    if resource["type"] == K8S_SERVICE:
        spec = mapping(inputs.get("spec"))
        annotations = mapping(mapping(inputs.get("metadata")).get("annotations"))
        service = {"type": spec.get("type", "ClusterIP"), "annotations": annotations}
    elif inputs.get("chart") == "gateway" and ISTIO_CHART_REPO in str(inputs.get("repositoryOpts", {})):
        values = mapping(mapping(inputs.get("values")).get("service"))
        default_type = prices.fact("istio.gateway_chart_service_type")
        service = {
            "type": values.get("type", default_type),
            "annotations": mapping(values.get("annotations")),
        }
    else:
        return None
    return service if service["type"] == "LoadBalancer" else None


# --- one rule per priced type ------------------------------------------------------------------------------

Rule = Callable[[Resource, PlanIndex], Iterator[Charge]]


def _fixed(
    item: str, what: str, count: float, resource: Resource, index: PlanIndex, note: str | None = None
) -> Charge:
    return Charge(item, what, count, count, (resource["urn"],), region=index.region(resource), note=note)


def _metered(item: str, what: str, resource: Resource, index: PlanIndex, note: str | None = None) -> Charge:
    return Charge(item, what, 0, 0, (resource["urn"],), Kind.METERED, index.region(resource), note)


def eks_cluster(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    inputs = resource["inputs"]
    support = mapping(inputs.get("upgradePolicy")).get("supportType") or index.prices.fact(
        "eks.support_type_default"
    )
    note = (
        None
        if support == "STANDARD"
        else f"supportType {support}: aws.eks.cluster_hour.extended once Kubernetes {inputs.get('version')} "
        "leaves standard support"
    )
    yield _fixed("aws.eks.cluster_hour.standard", "EKS control plane", 1, resource, index, note)


def eks_node_group(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    inputs = resource["inputs"]
    scaling = mapping(inputs.get("scalingConfig"))
    desired = float(scaling.get("desiredSize", 0))
    # A cluster autoscaler's bound when one scales the group; the group's own maxSize is then only the
    # wide limit it is given (components/clusters/autoscaler_specs.py).
    at_max = index.autoscaler_max(resource)
    nodes = (desired, at_max if at_max is not None else float(scaling.get("maxSize", desired)))
    # A managed node group launches on-demand capacity in the order of its instance types.
    instance_type = (inputs.get("instanceTypes") or ["t3.medium"])[0]
    capacity = inputs.get("capacityType", "ON_DEMAND")
    suffix = "" if capacity == "ON_DEMAND" else f".{capacity.lower()}"
    region = index.region(resource)
    urns: tuple[str, ...] = (resource["urn"],)
    yield _per_node(
        f"aws.ec2.instance_hour.{instance_type}{suffix}",
        f"EKS nodes, {instance_type}",
        1,
        nodes,
        urns,
        region,
    )
    template = index.dependency(resource, LAUNCH_TEMPLATE)
    if template is not None:
        volume, urns = _root_volume(template), (*urns, template["urn"])
    else:
        volume = {"volumeType": "gp2", "volumeSize": inputs.get("diskSize", 20)}
    volume_type, size = volume.get("volumeType", "gp2"), float(volume.get("volumeSize", 8))
    what = f"EKS node root volumes, {volume_type} {size:g} GB"
    yield _per_node(f"aws.ebs.{volume_type}.gb_month", what, size, nodes, urns, region)
    if volume_type != "gp3":
        return
    # gp3 includes 3,000 IOPS and 125 MB/s; provisioning more is charged per volume.
    extra_iops = max(0.0, float(volume.get("iops", 3000)) - 3000)
    extra_throughput = max(0.0, float(volume.get("throughput", 125)) - 125)
    if extra_iops:
        yield _per_node(
            "aws.ebs.gp3.iops_month", "EKS node volume IOPS above 3,000", extra_iops, nodes, urns, region
        )
    if extra_throughput:
        what = "EKS node volume throughput above 125 MB/s"
        yield _per_node("aws.ebs.gp3.throughput_mbps_month", what, extra_throughput, nodes, urns, region)


def _per_node(
    item: str,
    what: str,
    per_node: float,
    nodes: tuple[float, float],
    urns: tuple[str, ...],
    region: str | None,
) -> Charge:
    return Charge(item, what, per_node * nodes[0], per_node * nodes[1], urns, region=region)


def _root_volume(template: Resource) -> dict[str, Any]:
    mappings = template["inputs"].get("blockDeviceMappings")
    first = mappings[0] if isinstance(mappings, list) and mappings else {}
    return dict(mapping(mapping(first).get("ebs")))


def gke_cluster(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    inputs = resource["inputs"]
    regional = bool(_GCP_REGION.match(str(inputs.get("location", ""))))
    note = (
        "regional: the GKE free-tier credit covers only zonal and Autopilot clusters"
        if regional
        else "the free-tier credit (one zonal cluster per billing account) is not subtracted"
    )
    yield _fixed("gcp.gke.cluster_hour", "GKE cluster management fee", 1, resource, index, note)
    if mapping(inputs.get("loggingConfig")).get("enableComponents"):
        yield _metered("gcp.logging.ingest_gib", "Cloud Logging ingestion (GKE logs)", resource, index)


def gke_pool_nodes(pool: Resource, index: PlanIndex) -> tuple[float, float]:
    """Nodes of a pool at desired and at max: GKE counts them per zone, and a regional pool without
    nodeLocations runs in three zones."""
    inputs = pool["inputs"]
    cluster = (index.dependency(pool, GKE_CLUSTER) or {}).get("inputs", {})
    locations = inputs.get("nodeLocations") or cluster.get("nodeLocations")
    regional = bool(_GCP_REGION.match(str(inputs.get("location") or cluster.get("location", ""))))
    zones = len(locations) if locations else index.prices.fact("gke.regional_node_zones") if regional else 1
    per_zone = float(inputs.get("initialNodeCount", inputs.get("nodeCount", 1)))
    autoscaling = mapping(inputs.get("autoscaling"))
    if "totalMaxNodeCount" in autoscaling:
        return per_zone * zones, float(autoscaling["totalMaxNodeCount"])
    return per_zone * zones, float(autoscaling.get("maxNodeCount", per_zone)) * zones


def gke_node_pool(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    node_config = mapping(resource["inputs"].get("nodeConfig"))
    machine = node_config.get("machineType", "e2-medium")
    disk_type = node_config.get("diskType", "pd-balanced")
    size = float(node_config.get("diskSizeGb", 100))
    nodes = gke_pool_nodes(resource, index)
    region, urns = index.region(resource), (resource["urn"],)
    note = "counted per zone: GKE's node counts apply in each zone of a regional pool"
    machines = _per_node(f"gcp.gce.machine_hour.{machine}", f"GKE nodes, {machine}", 1, nodes, urns, region)
    yield replace(machines, note=note)
    disk = f"gcp.pd.{disk_type.removeprefix('pd-')}.gb_month"
    yield _per_node(disk, f"GKE node boot disks, {disk_type} {size:g} GB", size, nodes, urns, region)


def nat_gateway(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    yield _fixed("aws.nat.gateway_hour", "NAT gateways", 1, resource, index)
    yield _metered("aws.nat.data_processed_gb", "NAT gateway data processing", resource, index)


def elastic_ip(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    yield _fixed("aws.vpc.public_ipv4_hour", "public IPv4 addresses (Elastic IPs)", 1, resource, index)


def vpn_connection(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    inputs = resource["inputs"]
    bandwidth = inputs.get("tunnelBandwidth", "standard")
    item = "aws.vpn.connection_hour" + ("" if bandwidth == "standard" else f".{bandwidth}")
    yield _fixed(item, f"Site-to-Site VPN connections, {bandwidth} tunnels", 1, resource, index)
    if inputs.get("transitGatewayId"):
        yield _fixed(
            "aws.tgw.attachment_hour",
            "Transit Gateway attachments of the VPN connections",
            1,
            resource,
            index,
        )
    yield _fixed(
        "aws.vpc.public_ipv4_hour",
        "public IPv4 addresses (VPN tunnel outside addresses, 2 a connection)",
        2,
        resource,
        index,
        note="assumed billed as public IPv4, as secondary sources say; not read on an AWS page",
    )


def tgw_vpc_attachment(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    yield _fixed("aws.tgw.attachment_hour", "Transit Gateway VPC attachments", 1, resource, index)


def dx_gateway_association(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    yield _fixed(
        "aws.tgw.attachment_hour",
        "Transit Gateway attachment of the Direct Connect gateway",
        1,
        resource,
        index,
    )


def transport(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    bandwidth = resource["inputs"].get("bandwidth", "?")
    yield _fixed(
        "gcp.interconnect.partner_cci_aws.hour",
        f"Partner Cross-Cloud Interconnect transport, {bandwidth}",
        1,
        resource,
        index,
    )
    # The AWS side is accepted by hand (no resource), but bills for as long as the transport exists.
    aws_region = next((p["inputs"].get("region") for p in index.of_type("pulumi:providers:aws")), None)
    yield Charge(
        "aws.interconnect.multicloud.hour",
        f"AWS Interconnect - multicloud, {bandwidth}",
        1,
        1,
        (resource["urn"],),
        region=aws_region,
    )


def resolver_endpoint(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    addresses = len(resource["inputs"].get("ipAddresses") or [])
    yield _fixed(
        "aws.route53.resolver_endpoint.eni_hour",
        "Route 53 Resolver endpoint addresses",
        addresses,
        resource,
        index,
    )
    yield _metered("aws.route53.resolver.queries_million", "Route 53 Resolver queries", resource, index)


def kms_key(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    rotating = bool(resource["inputs"].get("enableKeyRotation"))
    note = (
        "the first year: each yearly rotation adds aws.kms.key_rotation_month, twice at most"
        if rotating
        else None
    )
    yield _fixed("aws.kms.key_month", "KMS keys", 1, resource, index, note)
    yield _metered("aws.kms.requests_10k", "KMS requests", resource, index)


def log_group(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    yield _metered("aws.cloudwatch.logs.ingest_gb", "CloudWatch Logs ingestion", resource, index)
    retention = resource["inputs"].get("retentionInDays")
    note = f"kept {retention} days: storage grows for that long" if retention else "kept forever"
    yield _metered("aws.cloudwatch.logs.storage_gb_month", "CloudWatch Logs storage", resource, index, note)


def flow_log(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    yield _metered("aws.cloudwatch.logs.vended_ingest_gb", "VPC flow logs (vended logs)", resource, index)


def log_metric_filter(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    note = "a filter's metric bills in the months it publishes: assumed every month"
    yield _fixed(
        "aws.cloudwatch.custom_metric_month",
        "custom metrics from log metric filters",
        1,
        resource,
        index,
        note,
    )


def metric_alarm(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    inputs = resource["inputs"]
    queries = inputs.get("metricQueries") or []
    # A metric-math alarm is billed per metric it reads.
    metrics = [query["metric"] for query in queries if query.get("metric")] or [inputs]
    high_resolution = any(float(metric.get("period", 60)) < 60 for metric in metrics)
    item = "aws.cloudwatch.alarm_metric_month." + ("high_resolution" if high_resolution else "standard")
    yield _fixed(item, "CloudWatch alarm metrics", len(metrics), resource, index)


def cloudwatch_dashboard(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    yield _fixed("aws.cloudwatch.dashboard_month", "CloudWatch dashboards", 1, resource, index)


def cloud_map_namespace(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    yield _fixed(
        "aws.route53.hosted_zone_month",
        "Route 53 private hosted zone of the Cloud Map namespace",
        1,
        resource,
        index,
    )


def cloud_map_instance(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    yield _fixed(
        "aws.cloudmap.registered_instance_month", "Cloud Map registered instances", 1, resource, index
    )


def eks_addon(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    if resource["inputs"].get("addonName") == CONTAINER_INSIGHTS_ADDON:
        yield _metered(
            "aws.cloudwatch.container_insights.enhanced_million_observations",
            "Container Insights with enhanced observability",
            resource,
            index,
        )


def cloud_nat(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    inputs, urns, region = resource["inputs"], (resource["urn"],), index.region(resource)
    desired, at_max = index.gke_nodes()
    # Cloud NAT bills per VM it serves up to 32, then a flat hourly rate.
    cap = CLOUD_NAT_VMS_AT_PER_VM_RATE
    yield Charge(
        "gcp.nat.vm_hour",
        "Cloud NAT, per GKE node served",
        _upto(desired, cap),
        _upto(at_max, cap),
        urns,
        region=region,
    )
    above = (float(desired > cap), float(at_max > cap))
    if any(above):
        yield Charge(
            "gcp.nat.gateway_hour_max", "Cloud NAT serving more than 32 VMs", *above, urns, region=region
        )
    # AUTO_ONLY allocates addresses as ports run out: one serves about a thousand VMs at 64 ports each.
    addresses = (
        1
        if inputs.get("natIpAllocateOption", "AUTO_ONLY") == "AUTO_ONLY"
        else len(inputs.get("natIps") or [])
    )
    yield _fixed("gcp.nat.ip_hour", "Cloud NAT external addresses", addresses, resource, index)
    yield _metered("gcp.nat.data_processed_gib", "Cloud NAT data processing", resource, index)
    if mapping(inputs.get("logConfig")).get("enable"):
        yield _metered(
            "gcp.logging.vended_network_gib", "Cloud NAT logs (vended network logs)", resource, index
        )


def _upto(count: float, cap: int) -> float:
    return count if count <= cap else 0.0


def gcp_subnetwork(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    if resource["inputs"].get("logConfig"):
        yield _metered(
            "gcp.logging.vended_network_gib", "VPC flow logs (vended network logs)", resource, index
        )


def gcp_address(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    if resource["inputs"].get("addressType", "EXTERNAL") == "EXTERNAL":
        yield _fixed("gcp.ip.static_external_hour", "static external addresses", 1, resource, index)


def gcp_vpn_tunnel(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    yield _fixed("gcp.vpn.tunnel_hour", "HA VPN tunnels", 1, resource, index)


def cloud_dns_zone(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    yield _fixed("gcp.dns.managed_zone_month", "Cloud DNS managed zones", 1, resource, index)
    yield _metered("gcp.dns.queries_million", "Cloud DNS queries", resource, index)


def gcp_crypto_key(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    rotation = resource["inputs"].get("rotationPeriod")
    note = f"one version: rotation every {rotation} adds an active version each time" if rotation else None
    yield _fixed("gcp.kms.key_version_month", "Cloud KMS key versions", 1, resource, index, note)
    yield _metered("gcp.kms.operations_10k", "Cloud KMS operations", resource, index)


def alert_policy(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    conditions = len(resource["inputs"].get("conditions") or [])
    note = "assumes Cloud Monitoring's alerting charges, announced for April 2025 at the earliest, apply"
    yield _fixed(
        "gcp.monitoring.alert_condition_month",
        "Cloud Monitoring alert conditions",
        conditions,
        resource,
        index,
        note,
    )


def pod_monitoring(resource: Resource, index: PlanIndex) -> Iterator[Charge]:
    yield _metered("gcp.monitoring.prometheus_samples_million", "Managed Prometheus samples", resource, index)


RULES: Mapping[str, Rule] = {
    EKS_CLUSTER: eks_cluster,
    EKS_NODE_GROUP: eks_node_group,
    EKS_ADDON: eks_addon,
    NAT_GATEWAY: nat_gateway,
    EIP: elastic_ip,
    FLOW_LOG: flow_log,
    VPN_CONNECTION: vpn_connection,
    TGW_VPC_ATTACHMENT: tgw_vpc_attachment,
    DX_GATEWAY_ASSOCIATION: dx_gateway_association,
    RESOLVER_ENDPOINT: resolver_endpoint,
    KMS_KEY: kms_key,
    LOG_GROUP: log_group,
    LOG_METRIC_FILTER: log_metric_filter,
    METRIC_ALARM: metric_alarm,
    CLOUDWATCH_DASHBOARD: cloudwatch_dashboard,
    CLOUD_MAP_NAMESPACE: cloud_map_namespace,
    CLOUD_MAP_INSTANCE: cloud_map_instance,
    GKE_CLUSTER: gke_cluster,
    GKE_NODE_POOL: gke_node_pool,
    CLOUD_NAT: cloud_nat,
    GCP_SUBNETWORK: gcp_subnetwork,
    GCP_ADDRESS: gcp_address,
    GCP_VPN_TUNNEL: gcp_vpn_tunnel,
    TRANSPORT: transport,
    CLOUD_DNS_ZONE: cloud_dns_zone,
    GCP_CRYPTO_KEY: gcp_crypto_key,
    ALERT_POLICY: alert_policy,
    POD_MONITORING: pod_monitoring,
    CLUSTER_POD_MONITORING: pod_monitoring,
}


# --- the plan-wide rules -----------------------------------------------------------------------------------


def load_balancer_charges(index: PlanIndex) -> Iterator[Charge]:
    """The load balancers the Services make: an hourly NLB each on AWS; on GCP, the first five
    forwarding rules of a project and region share one flat rate and each further one is charged."""
    balancers = index.load_balancers()
    aws_region = _aws_region(index)
    for balancer in (b for b in balancers if b.cloud == "aws"):
        if balancer.aws_nlb:
            what, item = "Network Load Balancers made by Services", "aws.nlb.hour"
        else:
            what, item = "Classic Load Balancers made by Services", "aws.clb.hour"
        yield Charge(item, what, 1, 1, (balancer.urn,), region=aws_region)
    gcp = [b.urn for b in balancers if b.cloud == "gcp"]
    if not gcp:
        return
    region = _gcp_region(index)
    flat, beyond = gcp[:GCP_FORWARDING_RULES_AT_FLAT_RATE], gcp[GCP_FORWARDING_RULES_AT_FLAT_RATE:]
    note = "one flat rate for the first five forwarding rules in the project and region: assumes no others"
    yield Charge(
        "gcp.lb.forwarding_rule_hour.first5",
        "forwarding rules of the load balancers Services make (first five, one flat rate)",
        1,
        1,
        tuple(flat),
        region=region,
        note=note,
    )
    if beyond:
        yield Charge(
            "gcp.lb.forwarding_rule_hour.additional",
            "forwarding rules beyond the first five",
            len(beyond),
            len(beyond),
            tuple(beyond),
            region=region,
        )


def _gcp_region(index: PlanIndex) -> str | None:
    providers = index.of_type("pulumi:providers:gcp")
    return index.region(providers[0]) if providers else None


def link_traffic_charges(index: PlanIndex, usage: Usage) -> Iterator[Charge]:
    """The per-GB part: data leaving each cloud over the link, Transit Gateway processing, and the
    east-west gateway load balancer the bytes cross in the called cloud. Half the bytes go each way."""
    total_gb = usage.cross_cloud_gb_per_month
    each_way = total_gb / 2
    aws_region, gcp_region = _aws_region(index), _gcp_region(index)
    vpn = _urns(index.of_type(VPN_CONNECTION))
    tunnels = _urns(index.of_type(GCP_VPN_TUNNEL))
    transports = _urns(index.of_type(TRANSPORT))
    per_gb: list[tuple[str, str, float, tuple[str, ...], str | None]] = []
    if vpn:
        per_gb.append(
            (
                "aws.data_transfer_out_gb",
                "AWS data transfer out, to Google Cloud over the VPN",
                each_way,
                vpn,
                aws_region,
            )
        )
    if tunnels:
        per_gb.append(
            (
                "gcp.egress.internet_na_gib",
                "Cloud VPN egress, to AWS",
                each_way * GIB_PER_GB,
                tunnels,
                gcp_region,
            )
        )
    if transports:
        per_gb.append(
            (
                "aws.interconnect.multicloud.data_gb",
                "AWS Interconnect data out, to Google Cloud",
                each_way,
                transports,
                aws_region,
            )
        )
        per_gb.append(
            (
                "gcp.egress.interconnect_na_gib",
                "Interconnect egress, to AWS",
                each_way * GIB_PER_GB,
                transports,
                gcp_region,
            )
        )
    attachments = _urns(
        [*index.of_type(TGW_VPC_ATTACHMENT), *index.of_type(DX_GATEWAY_ASSOCIATION)]
        + [r for r in index.of_type(VPN_CONNECTION) if r["inputs"].get("transitGatewayId")]
    )
    if attachments:
        per_gb.append(
            (
                "aws.tgw.data_processed_gb",
                "Transit Gateway data processing, both ways",
                total_gb,
                attachments,
                aws_region,
            )
        )
    balancers = index.load_balancers()
    aws_lbs = tuple(b.urn for b in balancers if b.cloud == "aws")
    gcp_lbs = tuple(b.urn for b in balancers if b.cloud == "gcp")
    if aws_lbs:
        nlcu = each_way / index.prices.fact("aws.nlb.gb_per_nlcu")
        per_gb.append(
            (
                "aws.nlb.nlcu_hour",
                "NLB capacity units of the gateways, calls into AWS",
                nlcu,
                aws_lbs,
                aws_region,
            )
        )
    if gcp_lbs:
        gib = each_way * GIB_PER_GB
        per_gb.append(
            (
                "gcp.lb.data_processed_gib",
                "load balancer data processing, calls into Google Cloud",
                gib,
                gcp_lbs,
                gcp_region,
            )
        )
    for item, what, quantity, urns, region in per_gb:
        yield Charge(item, what, quantity, quantity, urns, Kind.LINK_TRAFFIC, region)


def _aws_region(index: PlanIndex) -> str | None:
    providers = index.of_type("pulumi:providers:aws")
    return index.region(providers[0]) if providers else None


def trace_charges(index: PlanIndex, usage: Usage) -> Iterator[Charge]:
    """Each trace recorded once in X-Ray and as spansPerTrace spans in Cloud Trace, where the plan
    exports to them."""
    xray, cloud_trace = [], []
    for release in index.of_type(HELM_RELEASE):
        values = mapping(release["inputs"].get("values"))
        exporters = mapping(mapping(values.get("config")).get("exporters")).keys()
        tracing = mapping(values.get("tracing"))
        if any(e.startswith("awsxray") for e in exporters) or (
            tracing.get("enabled") and tracing.get("provider") == "x-ray"
        ):
            xray.append(release["urn"])
        if any(e.startswith("googlecloud") for e in exporters):
            cloud_trace.append(release["urn"])
    traces = usage.traces_millions_per_month
    if xray:
        yield Charge(
            "aws.xray.traces_recorded_million",
            "X-Ray traces recorded",
            traces,
            traces,
            tuple(xray),
            Kind.TRACES,
            _aws_region(index),
        )
    if cloud_trace:
        spans = traces * usage.spans_per_trace
        what = f"Cloud Trace spans, {usage.spans_per_trace} a trace"
        yield Charge(
            "gcp.trace.spans_million", what, spans, spans, tuple(cloud_trace), Kind.TRACES, _gcp_region(index)
        )


def _urns(resources: Iterable[Resource]) -> tuple[str, ...]:
    return tuple(resource["urn"] for resource in resources)


def plan_charges(index: PlanIndex, usage: Usage) -> list[Charge]:
    charges = [
        charge
        for resource in index.resources
        if resource["type"] in RULES
        for charge in RULES[resource["type"]](resource, index)
    ]
    charges += load_balancer_charges(index)
    charges += link_traffic_charges(index, usage)
    charges += trace_charges(index, usage)
    return charges


# --- what costs nothing ------------------------------------------------------------------------------------

_VPC_PARTS = "VPC building blocks have no charge; the traffic through them is priced where it is billed"
_IAM = "IAM has no charge"
_LOCAL = "computed by the provider on the machine that runs Pulumi; never reaches a cloud"

# Resource types a plan may hold that cost nothing by themselves, with the reason. A type with a rule
# is here too when only some of its resources are priced (an external address is; an internal one
# falls back to this reason).
_FREE_BY_REASON: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        _VPC_PARTS,
        (
            "aws:ec2/vpc:Vpc",
            "aws:ec2/subnet:Subnet",
            "aws:ec2/routeTable:RouteTable",
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "aws:ec2/route:Route",
            "aws:ec2/internetGateway:InternetGateway",
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
            "aws:ec2/securityGroup:SecurityGroup",
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
            "gcp:compute/network:Network",
            "gcp:compute/subnetwork:Subnetwork",
            "gcp:compute/firewall:Firewall",
            "gcp:compute/route:Route",
            "gcp:compute/networkPeeringRoutesConfig:NetworkPeeringRoutesConfig",
        ),
    ),
    (
        "Transit Gateways bill per attachment and per GB, not for the gateway or its route tables",
        (
            "aws:ec2transitgateway/transitGateway:TransitGateway",
            "aws:ec2transitgateway/routeTable:RouteTable",
            "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation",
            "aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation",
        ),
    ),
    (
        "a record of the peer's addresses; the VPN connection or tunnel is what bills",
        ("aws:ec2/customerGateway:CustomerGateway", "gcp:compute/externalVpnGateway:ExternalVpnGateway"),
    ),
    (
        "configuration only; the volumes it describes are priced with the node group that launches them",
        ("aws:ec2/launchTemplate:LaunchTemplate",),
    ),
    (
        "a Direct Connect gateway has no charge; its Transit Gateway association is an attachment",
        ("aws:directconnect/gateway:Gateway",),
    ),
    (
        _IAM,
        (
            "aws:iam/role:Role",
            "aws:iam/rolePolicy:RolePolicy",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
            "aws:eks/accessEntry:AccessEntry",
            "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
            "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
            "gcp:projects/iAMMember:IAMMember",
            "gcp:serviceaccount/account:Account",
            "gcp:serviceaccount/iAMMember:IAMMember",
        ),
    ),
    ("an add-on has no charge of its own; its pods run on the priced nodes", ("aws:eks/addon:Addon",)),
    ("an alias has no charge; the key is priced", ("aws:kms/alias:Alias",)),
    (
        "a Cloud Map service has no charge; its instances and the namespace's hosted zone are priced",
        ("aws:servicediscovery/service:Service",),
    ),
    (
        "Cloud Router and its BGP sessions have no charge (widely documented; not read on a pricing page)",
        (
            "gcp:compute/router:Router",
            "gcp:compute/routerInterface:RouterInterface",
            "gcp:compute/routerPeer:RouterPeer",
        ),
    ),
    (
        "an HA VPN gateway has no charge: its tunnels are priced, and the addresses tunnels use are free",
        ("gcp:compute/haVpnGateway:HaVpnGateway",),
    ),
    ("internal addresses are free (an external one is priced)", ("gcp:compute/address:Address",)),
    ("key rings have no charge; key versions are priced", ("gcp:kms/keyRing:KeyRing",)),
    ("Cloud Monitoring dashboards have no charge", ("gcp:monitoring/dashboard:Dashboard",)),
    (
        "an EventBridge Scheduler schedule fires once a day, far inside the 14 million invocations a "
        "month free (aws.amazon.com/eventbridge/pricing; not read on the page here)",
        ("aws:scheduler/schedule:Schedule",),
    ),
)
FREE: Mapping[str, str] = {type_token: reason for reason, types in _FREE_BY_REASON for type_token in types}
# Whole packages: every type under the prefix.
FREE_PREFIXES: Mapping[str, str] = {
    "kubernetes:": "an object in a cluster has no charge of its own: its pods run on the priced nodes "
    "(Services that make load balancers, trace exporters and scraped metrics are priced by their rules)",
    "tls:": _LOCAL,
    "random:": _LOCAL,
    "pulumi:providers:": "a provider is configuration, not a cloud object",
    "pulumi-python:dynamic/pki:": _LOCAL,
}


def free_reason(type_token: str) -> str | None:
    if type_token in FREE:
        return FREE[type_token]
    return next((reason for prefix, reason in FREE_PREFIXES.items() if type_token.startswith(prefix)), None)
