"""StackConfig: the typed, validated shape of one crossmesh stack.

Every value a stack file can set is declared here, once. `load_config` validates the raw `crossmesh:*`
keys as a whole and raises `ConfigError` listing every problem, one line each, naming the key path
(`crossmesh:gcp.podsCidr`), the value and what is allowed. The program calls it before it registers
any resource, so a bad stack file never leaves anything half-built.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal, Union

import pulumi
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel

from components.clusters.eks_specs import architecture_of
from components.link.specs import AWS_TUNNEL_GBPS, groups_for_target, link_capacity
from components.network.specs import CLOUD_DNS_FORWARDING_RANGE

NAMESPACE = "crossmesh"

# RFC 3927 link-local: the VPN inside addresses are allocated from it, nothing else may use it.
LINK_LOCAL = ipaddress.IPv4Network("169.254.0.0/16")
# Routed from AWS to Google Cloud over the link, for the answers to Cloud DNS forwarded queries.
CLOUD_DNS_SOURCE = ipaddress.IPv4Network(CLOUD_DNS_FORWARDING_RANGE)

# ValidAmazonSideASN without Amazon's own public ASNs, and RFC 6996 for the Cloud Router: both sides
# must be private, so the two ranges are the same.
PRIVATE_ASN_RANGES = ((64512, 65534), (4_200_000_000, 4_294_967_294))

# AWS quota "Site-to-Site VPN connections per Region" defaults to 50; a tunnel group uses two.
MAX_TUNNEL_GROUPS = 25

_DURATION = re.compile(r"^(\d+)(ms|s|m|h)$")
_DURATION_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")


class ConfigError(pulumi.RunError):
    """Invalid stack configuration. `problems` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid stack configuration:\n" + "\n".join(f"  {line}" for line in self.problems))


# --- value types -------------------------------------------------------------------------------


def parse_cidr(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("must be an IPv4 CIDR block such as 10.0.0.0/16")
    try:
        return str(ipaddress.IPv4Network(value, strict=True))
    except ipaddress.NetmaskValueError as err:
        raise ValueError(f"is not a valid CIDR block ({err})") from None
    except ValueError:
        try:
            fixed = ipaddress.IPv4Network(value, strict=False)
        except ValueError:
            raise ValueError("is not a valid IPv4 CIDR block") from None
        raise ValueError(f"is not a valid CIDR block; did you mean {fixed}?") from None


def parse_duration_ms(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError("must be a duration string with a unit, such as 250ms, 15s, 5m or 1h")
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError("must be a duration such as 250ms, 15s, 5m or 1h")
    return int(match.group(1)) * _DURATION_MS[match.group(2)]


def _positive_duration(ms: int) -> int:
    if ms <= 0:
        raise ValueError("must be longer than zero")
    return ms


def check_dns_label(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError(
            "must be a DNS label: lower-case letters, digits and '-', starting with a letter, at most 63"
        )
    return value


def check_instance_type(value: str) -> str:
    try:
        architecture_of(value)
    except ValueError:
        raise ValueError("is not an EC2 instance type such as m6i.large or m7g.xlarge") from None
    return value


_IAM_ROLE_ARN = re.compile(r"^arn:aws[-a-z]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]+$")


def check_iam_role_arn(value: str) -> str:
    if not _IAM_ROLE_ARN.match(value):
        raise ValueError(
            "must be an IAM role ARN such as arn:aws:iam::111122223333:role/platform-admin "
            "(users and assumed-role sessions cannot be admins here)"
        )
    return value


def check_private_asn(value: int) -> int:
    if not any(low <= value <= high for low, high in PRIVATE_ASN_RANGES):
        raise ValueError("must be a private ASN: 64512-65534 or 4200000000-4294967294 (RFC 6996)")
    return value


Cidr = Annotated[str, BeforeValidator(parse_cidr)]
DurationMs = Annotated[int, BeforeValidator(parse_duration_ms), AfterValidator(_positive_duration)]
DnsLabel = Annotated[str, AfterValidator(check_dns_label)]
PrivateAsn = Annotated[int, AfterValidator(check_private_asn)]
InstanceType = Annotated[str, AfterValidator(check_instance_type)]
IamRoleArn = Annotated[str, AfterValidator(check_iam_role_arn)]
Percent = Annotated[float, Field(ge=0, le=100)]
NotificationChannel = Annotated[str, Field(pattern=r"^projects/[^/]+/notificationChannels/[^/]+$")]


class _Model(BaseModel):
    """Stack file keys are camelCase; unknown keys are errors; a loaded config never changes."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


# --- the AWS and GCP networks ------------------------------------------------------------------


class AwsConfig(_Model):
    region: str = Field(description="AWS region, e.g. us-east-1.", pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    vpc_cidr: Cidr = Field(description="VPC CIDR, /16 to /22; private and public subnets are carved from it.")
    az_count: int = Field(3, ge=2, le=6, description="Availability zones to spread subnets and nodes over.")
    service_cidr: Cidr = Field(description="EKS Kubernetes service CIDR (/12 to /24, RFC 1918).")


class GcpConfig(_Model):
    project: str = Field(description="Google Cloud project ID.", pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
    region: str = Field(description="Google Cloud region, e.g. us-east4.", pattern=r"^[a-z]+-[a-z]+\d+$")
    subnet_cidr: Cidr = Field(description="Primary range of the cluster subnet (nodes and internal LBs).")
    pods_cidr: Cidr = Field(description="Secondary range for GKE pods.")
    services_cidr: Cidr = Field(description="Secondary range for GKE services.")
    master_cidr: Cidr = Field(description="GKE control-plane range; must be a /28.")


# --- the link ------------------------------------------------------------------------------------


class InterconnectConfig(_Model):
    remote_profile: str = Field(
        description="Remote transport profile of the AWS side (see the region list in "
        "AWS Interconnect - multicloud).",
        examples=["aws-us-east-1"],
    )
    bandwidth: Literal["BPS_1G", "BPS_2G", "BPS_5G", "BPS_10G", "BPS_20G", "BPS_50G", "BPS_100G"] = Field(
        "BPS_1G", description="Transport bandwidth; must be one the remote profile offers."
    )
    aws_account_id: str = Field(
        description="AWS account that accepts the transport.", pattern=r"^\d{12}$", examples=["111122223333"]
    )
    direct_connect_asn: PrivateAsn = Field(
        64513, description="Amazon-side ASN of the Direct Connect gateway; must differ from the TGW ASN."
    )


class LinkConfig(_Model):
    kind: Literal["vpn", "interconnect"] = Field(
        "vpn", description="HA VPN over the internet, or Partner Cross-Cloud Interconnect."
    )
    aws_asn: PrivateAsn = Field(64512, description="Amazon-side ASN of the Transit Gateway.")
    gcp_asn: PrivateAsn = Field(65515, description="ASN of the Cloud Router.")
    tunnel_groups: int = Field(
        1,
        ge=1,
        le=MAX_TUNNEL_GROUPS,
        description="HA VPN groups of 4 tunnels each (99.99 % SLA per group); more groups, more bandwidth.",
    )
    tunnel_bandwidth: Literal["standard", "large"] = Field(
        "standard",
        description="AWS tunnel bandwidth: standard (1.25 Gbps) or large (5 Gbps, TGW only); a Cloud VPN "
        "tunnel carries at most 3 Gbps, so large gives up to 3 Gbps a tunnel.",
    )
    interconnect: InterconnectConfig | None = Field(
        None, description="Settings for kind: interconnect; must be absent for kind: vpn."
    )
    log_retention_days: int = Field(
        365, ge=1, description="Retention of the AWS VPN tunnel logs in CloudWatch Logs."
    )
    target_gbps: float | None = Field(
        None,
        gt=0,
        description="Cross-cloud bandwidth to provision, in Gbps. On a VPN link it derives tunnelGroups "
        "(leave tunnelGroups unset); on an interconnect it must fit interconnect.bandwidth.",
        examples=[10],
    )

    @model_validator(mode="before")
    @classmethod
    def _derive_tunnel_groups(cls, data: Any) -> Any:
        """A VPN link sized by targetGbps gets the fewest groups that carry it (capped at the quota;
        a target above that is reported by the cross-field checks)."""
        if not isinstance(data, dict) or "tunnelGroups" in data or data.get("kind", "vpn") != "vpn":
            return data
        target, bandwidth = data.get("targetGbps"), data.get("tunnelBandwidth", "standard")
        if not isinstance(target, int | float) or isinstance(target, bool) or target <= 0:
            return data
        if bandwidth not in AWS_TUNNEL_GBPS:
            return data
        return {**data, "tunnelGroups": min(groups_for_target(float(target), bandwidth), MAX_TUNNEL_GROUPS)}


# --- the clusters ----------------------------------------------------------------------------------


class NodeScaling(_Model):
    min: int = Field(2, ge=1, description="Minimum nodes (per zone on GKE).")
    desired: int = Field(3, ge=1, description="Desired nodes at creation (EKS only).")
    max: int = Field(6, ge=1, description="Maximum nodes (per zone on GKE).")


class EksConfig(_Model):
    version: str = Field("1.33", pattern=r"^1\.\d{2}$", description="Kubernetes minor version of EKS.")
    instance_types: list[InstanceType] = Field(
        default_factory=lambda: ["m6i.large"],
        min_length=1,
        description="Node group instance types; all of one CPU architecture (x86_64 or Graviton).",
    )
    disk_size_gb: int = Field(50, ge=20, le=1000, description="Node root volume size.")
    nodes: NodeScaling = Field(default_factory=NodeScaling, description="Node group scaling.")
    public_access_cidrs: list[Cidr] = Field(
        default_factory=list,
        description="CIDRs allowed to reach the public API endpoint; empty disables the public endpoint.",
    )
    admin_role_arns: list[IamRoleArn] = Field(
        default_factory=list,
        description="IAM roles granted cluster admin through access entries (not the role that runs "
        "pulumi up: it is admin from creation).",
        examples=[["arn:aws:iam::111122223333:role/platform-admin"]],
    )
    log_retention_days: int = Field(365, ge=1, description="Retention of the control-plane logs.")


class GkeConfig(_Model):
    release_channel: Literal["RAPID", "REGULAR", "STABLE"] = Field(
        "REGULAR", description="GKE release channel; versions follow it."
    )
    min_master_version: str | None = Field(
        None, pattern=r"^1\.\d{2}", description="Lowest control-plane version to accept.", examples=["1.33"]
    )
    machine_type: str = Field("e2-standard-4", description="Node machine type.")
    disk_size_gb: int = Field(50, ge=20, le=1000, description="Node boot disk size.")
    nodes: NodeScaling = Field(
        default_factory=lambda: NodeScaling(min=1, desired=1, max=3),
        description="Node pool autoscaling, per zone.",
    )
    master_authorized_cidrs: list[Cidr] = Field(
        default_factory=list,
        description="Extra CIDRs allowed to reach the control plane (the AWS ranges are always allowed).",
    )


class ClustersConfig(_Model):
    eks: EksConfig = Field(default_factory=EksConfig)
    gke: GkeConfig = Field(default_factory=GkeConfig)


# --- the mesh ----------------------------------------------------------------------------------------


class CaConfig(_Model):
    key_algorithm: Literal["RSA", "ECDSA"] = Field("RSA", description="RSA 4096 or ECDSA P-384.")
    root_validity_days: int = Field(3650, ge=365, description="Validity of the shared root.")
    intermediate_validity_days: int = Field(
        730, ge=30, description="Validity of each cluster's intermediate."
    )
    early_renewal_days: int = Field(
        60, ge=1, description="Renew an intermediate this long before it expires (at the next pulumi up)."
    )
    root_early_renewal_days: int = Field(
        730,
        ge=1,
        description="Replace the root (and with it both intermediates) this long before it expires; at "
        "least intermediateValidityDays, so no intermediate issued under a current root outlives it.",
    )
    roots: list[int] = Field(
        default_factory=lambda: [1],
        description="Root generations that exist and are trusted (one, or two during a root rotation); "
        "generation 1 is the root a stack starts with. See docs/runbooks/rotate-ca.md.",
    )
    signing_root: int = Field(1, description="The generation, one of roots, that signs the intermediates.")

    def trust_order(self) -> tuple[int, ...]:
        """The trusted generations, the signing root first: the order of the trust bundle."""
        return (self.signing_root, *sorted(g for g in set(self.roots) if g != self.signing_root))


class EnginesConfig(_Model):
    aws: Literal["istio", "appmesh"] = Field(
        "istio", description="Mesh on EKS. appmesh is the legacy engine: end of support 2026-09-30."
    )
    gcp: Literal["istio"] = Field("istio", description="Mesh on GKE.")


class MeshConfig(_Model):
    engines: EnginesConfig = Field(default_factory=EnginesConfig)
    mesh_id: DnsLabel = Field("crossmesh", description="Istio meshID shared by both clusters.")
    trust_domain: str = Field(
        "crossmesh.local",
        pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
        description="SPIFFE trust domain of every workload identity.",
    )
    ca: CaConfig = Field(default_factory=CaConfig)


# --- the traffic policy ------------------------------------------------------------------------------

RetryEvent = Literal["server-error", "gateway-error", "client-error", "stream-error", "connection-error"]
# Retry failures that most likely never reached the service: a refused stream, a failed connection,
# a 502/503/504 from a proxy in between. Retrying the service's own 5xx is opt-in (server-error).
DEFAULT_RETRY_EVENTS: tuple[RetryEvent, ...] = ("gateway-error", "connection-error", "stream-error")


class RetrySpec(_Model):
    attempts: int = Field(2, ge=0, le=10, description="Retries after the first try; 0 disables retries.")
    per_try_timeout: DurationMs = Field(2000, description="Timeout of each try.")
    events: list[RetryEvent] = Field(
        default_factory=lambda: list(DEFAULT_RETRY_EVENTS),
        min_length=1,
        description="Events that cause a retry, in App Mesh's vocabulary (they map to Istio's retryOn).",
    )


class ConnectionPoolSpec(_Model):
    max_connections: int = Field(1024, ge=1, description="TCP connections to one destination.")
    max_pending_requests: int = Field(1024, ge=1, description="Requests queued waiting for a connection.")
    max_requests: int = Field(
        1024, ge=1, description="Concurrent requests to one destination (HTTP/2, gRPC)."
    )


class OutlierDetectionSpec(_Model):
    consecutive_server_errors: int = Field(5, ge=1, description="5xx in a row that eject a host.")
    interval: DurationMs = Field(10_000, description="How often hosts are evaluated.")
    base_ejection_time: DurationMs = Field(30_000, description="Minimum ejection time.")
    max_ejection_percent: int = Field(50, ge=0, le=100, description="Most hosts that may be ejected at once.")


class TrafficPolicySpec(_Model):
    timeout: DurationMs = Field(15_000, description="Whole-request timeout, retries included.")
    retries: RetrySpec = Field(default_factory=RetrySpec)
    connection_pool: ConnectionPoolSpec = Field(default_factory=ConnectionPoolSpec)
    outlier_detection: OutlierDetectionSpec = Field(default_factory=OutlierDetectionSpec)
    locality_failover: bool = Field(
        True, description="Keep calls in their own cloud while it is healthy, fail over to the other."
    )


class ServiceConfig(_Model):
    name: DnsLabel = Field(description="Service name; unique across both clouds.")
    cloud: Literal["aws", "gcp"] = Field(description="Where the service runs.")
    namespace: DnsLabel = Field(description="Kubernetes namespace of the service.")
    port: int = Field(8080, ge=1, le=65535, description="Service port.")
    protocol: Literal["http", "http2", "grpc"] = Field("http", description="Application protocol.")
    callers: list[str] = Field(default_factory=list, description="Services allowed to call this one.")
    traffic_policy: dict[str, Any] | None = Field(
        None, description="Overrides of the default traffic policy, same keys as crossmesh:trafficPolicy."
    )


# --- observability -----------------------------------------------------------------------------------


class ObservabilityConfig(_Model):
    tracing: bool = Field(
        True, description="OpenTelemetry collectors and mesh tracing to X-Ray and Cloud Trace."
    )
    sampling_percent: Percent = Field(1.0, description="Share of requests traced, 0-100.")
    container_insights: bool = Field(True, description="CloudWatch Container Insights on EKS.")
    managed_prometheus: bool = Field(
        True, description="Google Managed Prometheus collection of mesh metrics."
    )
    alarms: bool = Field(True, description="Tunnel, BGP, error-rate and latency alarms.")
    cross_cloud_error_percent: float = Field(
        5.0,
        gt=0,
        le=100,
        description="Alarm when more than this share of cross-cloud requests fail with a 5xx, 0-100.",
    )
    cross_cloud_latency_p99_ms: int = Field(
        1000, ge=1, description="Alarm when the p99 latency of cross-cloud requests exceeds this."
    )
    dashboards: bool = Field(True, description="CloudWatch and Cloud Monitoring dashboards.")
    sns_topic_arn: str | None = Field(
        None,
        pattern=r"^arn:aws[-a-z]*:sns:",
        description="Existing SNS topic that receives AWS alarms.",
        examples=["arn:aws:sns:us-east-1:111122223333:platform-alerts"],
    )
    gcp_notification_channels: list[NotificationChannel] = Field(
        default_factory=list,
        description="Existing Cloud Monitoring channel IDs for GCP alert policies.",
        examples=[["projects/my-project/notificationChannels/1234567890"]],
    )


# --- the whole stack ---------------------------------------------------------------------------------


class StackConfig(_Model):
    aws: AwsConfig
    gcp: GcpConfig
    link: LinkConfig = Field(default_factory=LinkConfig)
    clusters: ClustersConfig = Field(default_factory=ClustersConfig)
    mesh: MeshConfig = Field(default_factory=MeshConfig)
    traffic_policy: TrafficPolicySpec = Field(
        default_factory=TrafficPolicySpec, description="The policy every service gets unless it overrides it."
    )
    services: list[ServiceConfig] = Field(default_factory=list)
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
    protect: bool = Field(False, description="Protect clusters, keys and the root CA from deletion.")

    def effective_policy(self, service: ServiceConfig) -> TrafficPolicySpec:
        """The default policy with the service's overrides merged in, key by key."""
        if not service.traffic_policy:
            return self.traffic_policy
        base = _durations_as_text(self.traffic_policy.model_dump(by_alias=True))
        return TrafficPolicySpec.model_validate(_deep_merge(base, service.traffic_policy))


# --- loading -----------------------------------------------------------------------------------------


def read_stack_config() -> dict[str, Any]:
    """Every `crossmesh:*` key the Pulumi runtime holds, structured values decoded from JSON."""
    from pulumi.runtime import config as runtime_config

    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    raw: dict[str, Any] = {}
    for full_key, value in merged.items():
        namespace, _, key = full_key.partition(":")
        if namespace == NAMESPACE and key:
            raw[key] = _decode(value)
    return raw


def load_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate the raw stack keys; raise ConfigError with every problem found."""
    try:
        config = StackConfig.model_validate(dict(raw))
    except ValidationError as err:
        problems = [_describe(error) for error in err.errors()]
        raise ConfigError(problems + _cross_field_problems_despite(raw, err)) from None
    problems = cross_field_problems(config)
    if problems:
        raise ConfigError(problems)
    return config


def _cross_field_problems_despite(raw: Mapping[str, Any], err: ValidationError) -> list[str]:
    """Cross-field problems among the keys that did validate, so one run reports everything.

    The bad keys are removed (falling back to their defaults); if the rest validates, its cross-field
    problems are reported, except those naming a removed key, whose value is not the user's.
    """
    locations = [tuple(error["loc"]) for error in err.errors()]
    pruned: Any = json.loads(json.dumps(dict(raw)))
    for loc in locations:
        _remove_at(pruned, loc)
    try:
        partial = StackConfig.model_validate(pruned)
    except ValidationError:
        return []
    removed = [_key(_loc_path(loc)) for loc in locations]
    return [
        problem
        for problem in cross_field_problems(partial)
        if not any(re.search(re.escape(key) + r"\b", problem) for key in removed)
    ]


def _remove_at(document: Any, loc: Sequence[int | str]) -> None:
    """Delete the deepest existing key or item along loc."""
    parent, last = None, None
    node = document
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if not (in_dict or in_list):
            break
        parent, last, node = node, part, node[part]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
    elif isinstance(parent, list) and isinstance(last, int):
        parent[last] = None


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


# --- rules that span fields --------------------------------------------------------------------------


def named_ranges(config: StackConfig) -> dict[str, ipaddress.IPv4Network]:
    """Every address range of both clouds, keyed by its config path."""
    aws, gcp = config.aws, config.gcp
    return {
        "aws.vpcCidr": ipaddress.IPv4Network(aws.vpc_cidr),
        "aws.serviceCidr": ipaddress.IPv4Network(aws.service_cidr),
        "gcp.subnetCidr": ipaddress.IPv4Network(gcp.subnet_cidr),
        "gcp.podsCidr": ipaddress.IPv4Network(gcp.pods_cidr),
        "gcp.servicesCidr": ipaddress.IPv4Network(gcp.services_cidr),
        "gcp.masterCidr": ipaddress.IPv4Network(gcp.master_cidr),
    }


def overlapping_pairs(
    ranges: Mapping[str, ipaddress.IPv4Network],
) -> list[tuple[str, str]]:
    """Pairs of named ranges that share at least one address, in declaration order."""
    names = list(ranges)
    return [
        (first, second)
        for i, first in enumerate(names)
        for second in names[i + 1 :]
        if ranges[first].overlaps(ranges[second])
    ]


def cross_field_problems(config: StackConfig) -> list[str]:
    """Rules no single field can check: the address plan, ASN pairing, services, CA validity."""
    problems: list[str] = []
    ranges = named_ranges(config)

    for first, second in overlapping_pairs(ranges):
        problems.append(
            f"{_key(second)}: '{ranges[second]}' overlaps {_key(first)} '{ranges[first]}'; "
            "every range of both clouds must be distinct, or routes across the link black-hole"
        )
    for path, network in ranges.items():
        if network.overlaps(CLOUD_DNS_SOURCE):
            problems.append(
                f"{_key(path)}: '{network}' overlaps {CLOUD_DNS_SOURCE}, the range Cloud DNS forwards "
                "queries from, which the link routes to Google Cloud; choose a private range"
            )
        elif network.overlaps(LINK_LOCAL):
            problems.append(
                f"{_key(path)}: '{network}' is inside 169.254.0.0/16, which is reserved for the VPN "
                "inside addresses; choose a private range"
            )
        elif not network.is_private:
            problems.append(f"{_key(path)}: '{network}' is not a private range; use RFC 1918 space")

    vpc = ranges["aws.vpcCidr"]
    if not 16 <= vpc.prefixlen <= 22:
        problems.append(f"{_key('aws.vpcCidr')}: '{vpc}' must be a /16 to /22")
    service = ranges["aws.serviceCidr"]
    rfc1918 = [ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
    if not 12 <= service.prefixlen <= 24 or not any(service.subnet_of(block) for block in rfc1918):
        problems.append(
            f"{_key('aws.serviceCidr')}: '{service}' must be a /12 to /24 inside 10.0.0.0/8, "
            "172.16.0.0/12 or 192.168.0.0/16 (EKS serviceIpv4Cidr)"
        )
    master = ranges["gcp.masterCidr"]
    if master.prefixlen != 28:
        problems.append(f"{_key('gcp.masterCidr')}: '{master}' must be a /28 (GKE control plane)")

    link = config.link
    if link.aws_asn == link.gcp_asn:
        problems.append(
            f"{_key('link.gcpAsn')}: {link.gcp_asn} equals {_key('link.awsAsn')}; the two BGP sides "
            "need different ASNs"
        )
    if link.kind == "interconnect" and link.interconnect is None:
        problems.append(
            f"{_key('link.interconnect')}: missing; kind 'interconnect' needs remoteProfile, bandwidth "
            "and awsAccountId"
        )
    if link.kind == "vpn" and link.interconnect is not None:
        problems.append(
            f"{_key('link.interconnect')}: set, but link.kind is 'vpn'; remove it or set kind: interconnect"
        )
    if link.kind == "interconnect":
        for field, alias in (("tunnel_groups", "tunnelGroups"), ("tunnel_bandwidth", "tunnelBandwidth")):
            if field in link.model_fields_set:
                problems.append(
                    f"{_key('link.' + alias)}: {getattr(link, field)!r} is set, but it applies only to "
                    "kind 'vpn'; the interconnect's size is link.interconnect.bandwidth"
                )
    problems.extend(_target_problems(link))
    if link.interconnect is not None and link.interconnect.remote_profile != f"aws-{config.aws.region}":
        problems.append(
            f"{_key('link.interconnect.remoteProfile')}: {link.interconnect.remote_profile!r} does not "
            f"name the stack's AWS region; use 'aws-{config.aws.region}' (the transport ends in aws.region)"
        )
    if link.interconnect is not None and link.interconnect.direct_connect_asn == link.aws_asn:
        problems.append(
            f"{_key('link.interconnect.directConnectAsn')}: {link.aws_asn} equals {_key('link.awsAsn')}; "
            "the Direct Connect gateway and the Transit Gateway need different ASNs"
        )

    problems.extend(_node_problems("clusters.eks.nodes", config.clusters.eks.nodes))
    problems.extend(_node_problems("clusters.gke.nodes", config.clusters.gke.nodes))
    for index, cidr in enumerate(config.clusters.eks.public_access_cidrs):
        if ipaddress.IPv4Network(cidr).prefixlen == 0:
            problems.append(
                f"{_key(f'clusters.eks.publicAccessCidrs[{index}]')}: '{cidr}' opens the API to the "
                "internet (CIS EKS 5.4.1); list your admin networks, or none for a private endpoint"
            )
    instance_types = config.clusters.eks.instance_types
    architectures = {instance_type: architecture_of(instance_type) for instance_type in instance_types}
    if len(set(architectures.values())) > 1:
        listed = ", ".join(f"{name} ({arch})" for name, arch in architectures.items())
        problems.append(
            f"{_key('clusters.eks.instanceTypes')}: {listed} mix CPU architectures; one node group runs "
            "one AMI, so list only x86_64 or only Graviton types"
        )
    if len(set(config.clusters.eks.admin_role_arns)) != len(config.clusters.eks.admin_role_arns):
        problems.append(
            f"{_key('clusters.eks.adminRoleArns')}: lists a role twice; each role gets one access entry"
        )
    for index, cidr in enumerate(config.clusters.gke.master_authorized_cidrs):
        if ipaddress.IPv4Network(cidr).prefixlen == 0:
            problems.append(
                f"{_key(f'clusters.gke.masterAuthorizedCidrs[{index}]')}: '{cidr}' opens the control "
                "plane to the internet (CIS GKE 5.6.3); list your admin networks"
            )

    ca = config.mesh.ca
    if ca.intermediate_validity_days >= ca.root_validity_days:
        problems.append(
            f"{_key('mesh.ca.intermediateValidityDays')}: {ca.intermediate_validity_days} must be shorter "
            f"than {_key('mesh.ca.rootValidityDays')} ({ca.root_validity_days}); an intermediate cannot "
            "outlive its root"
        )
    if ca.root_early_renewal_days >= ca.root_validity_days:
        problems.append(
            f"{_key('mesh.ca.rootEarlyRenewalDays')}: {ca.root_early_renewal_days} must be shorter than "
            f"{_key('mesh.ca.rootValidityDays')} ({ca.root_validity_days}), or every pulumi up replaces "
            "the root"
        )
    elif ca.root_early_renewal_days < ca.intermediate_validity_days:
        problems.append(
            f"{_key('mesh.ca.rootEarlyRenewalDays')}: {ca.root_early_renewal_days} must be at least "
            f"{_key('mesh.ca.intermediateValidityDays')} ({ca.intermediate_validity_days}); an "
            "intermediate renewed late in the root's life would otherwise end after the root"
        )
    if ca.early_renewal_days >= ca.intermediate_validity_days:
        problems.append(
            f"{_key('mesh.ca.earlyRenewalDays')}: {ca.early_renewal_days} must be shorter than "
            f"{_key('mesh.ca.intermediateValidityDays')} ({ca.intermediate_validity_days}), or every "
            "pulumi up reissues the intermediates"
        )

    problems.extend(_root_problems(ca))
    problems.extend(_service_problems(config))
    problems.extend(_bridge_problems(config))
    problems.extend(_policy_problems(config))
    return problems


MAX_TRUSTED_ROOTS = 2


def _root_problems(ca: CaConfig) -> list[str]:
    """The trust window of a root rotation: see docs/runbooks/rotate-ca.md."""
    problems: list[str] = []
    roots_key = _key("mesh.ca.roots")
    for index, generation in enumerate(ca.roots):
        if generation < 1:
            problems.append(
                f"{_key(f'mesh.ca.roots[{index}]')}: {generation} is not a root generation; "
                "generations are 1, 2, 3, ..."
            )
    if len(set(ca.roots)) != len(ca.roots):
        problems.append(f"{roots_key}: {ca.roots} lists a generation twice; each is one root")
    if not 1 <= len(set(ca.roots)) <= MAX_TRUSTED_ROOTS:
        problems.append(
            f"{roots_key}: {ca.roots} must hold 1 or {MAX_TRUSTED_ROOTS} generations: the current root, "
            "and its successor during a rotation"
        )
    if ca.signing_root not in ca.roots:
        problems.append(
            f"{_key('mesh.ca.signingRoot')}: {ca.signing_root} is not in {roots_key} {ca.roots}; "
            "the root that signs the intermediates must be trusted"
        )
    return problems


def _target_problems(link: LinkConfig) -> list[str]:
    """targetGbps against what the link kind can carry."""
    target = link.target_gbps
    if target is None:
        return []
    if link.kind == "interconnect":
        if link.interconnect is None:
            return []
        offered = int(link.interconnect.bandwidth.removeprefix("BPS_").removesuffix("G"))
        if target <= offered:
            return []
        return [
            f"{_key('link.targetGbps')}: {target:g} is more than {_key('link.interconnect.bandwidth')} "
            f"{link.interconnect.bandwidth} ({offered} Gbps) carries; raise the bandwidth (at most BPS_100G)"
        ]
    needed = groups_for_target(target, link.tunnel_bandwidth)
    per_tunnel = link_capacity(1, link.tunnel_bandwidth).tunnel_gbps
    if needed > MAX_TUNNEL_GROUPS:
        ceiling = link_capacity(MAX_TUNNEL_GROUPS, link.tunnel_bandwidth).aggregate_gbps
        large_ceiling = link_capacity(MAX_TUNNEL_GROUPS, "large").aggregate_gbps
        hint = (
            f"; tunnelBandwidth: large carries up to {large_ceiling:g} Gbps"
            if ceiling < large_ceiling
            else ""
        )
        return [
            f"{_key('link.targetGbps')}: {target:g} needs {needed} groups of 4 {link.tunnel_bandwidth} "
            f"tunnels ({per_tunnel:g} Gbps each); a VPN link has at most {MAX_TUNNEL_GROUPS} groups = "
            f"{ceiling:g} Gbps{hint}, or use kind: interconnect"
        ]
    if link.tunnel_groups < needed:
        carried = link_capacity(link.tunnel_groups, link.tunnel_bandwidth).aggregate_gbps
        return [
            f"{_key('link.tunnelGroups')}: {link.tunnel_groups} group(s) carry {carried:g} Gbps, less than "
            f"{_key('link.targetGbps')} {target:g}; remove tunnelGroups to derive it ({needed} groups)"
        ]
    return []


def _node_problems(path: str, nodes: NodeScaling) -> list[str]:
    if nodes.min <= nodes.desired <= nodes.max:
        return []
    return [
        f"{_key(path)}: min {nodes.min}, desired {nodes.desired}, max {nodes.max}; need min <= desired <= max"
    ]


def _service_problems(config: StackConfig) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    names = {service.name for service in config.services}
    for index, service in enumerate(config.services):
        path = f"services[{index}]"
        if service.name in seen:
            problems.append(f"{_key(path + '.name')}: '{service.name}' is declared twice; names are unique")
        seen.add(service.name)
        for caller_index, caller in enumerate(service.callers):
            caller_path = _key(f"{path}.callers[{caller_index}]")
            if caller == service.name:
                problems.append(f"{caller_path}: '{caller}' cannot list itself as a caller")
            elif caller not in names:
                suggestion = _did_you_mean(caller, names)
                problems.append(f"{caller_path}: '{caller}' is not a declared service{suggestion}")
    return problems


def _bridge_problems(config: StackConfig) -> list[str]:
    """With App Mesh on EKS, calls between the clouds cross gateways that route plain HTTP by Host."""
    if config.mesh.engines.aws != "appmesh":
        return []
    cloud_of = {service.name: service.cloud for service in config.services}
    problems = []
    for index, service in enumerate(config.services):
        crossing = [
            caller for caller in service.callers if cloud_of.get(caller, service.cloud) != service.cloud
        ]
        if crossing and service.protocol != "http":
            problems.append(
                f"{_key(f'services[{index}].protocol')}: '{service.protocol}' cannot cross between App Mesh "
                f"and Istio (called from the other cloud by {', '.join(crossing)}); the gateway bridge "
                "carries http only"
            )
    return problems


def _policy_problems(config: StackConfig) -> list[str]:
    problems: list[str] = []
    policies = [("trafficPolicy", config.traffic_policy)]
    for index, service in enumerate(config.services):
        if service.traffic_policy:
            path = f"services[{index}].trafficPolicy"
            try:
                policies.append((path, config.effective_policy(service)))
            except ValidationError as err:
                problems.extend(_describe(error, prefix=f"{path}.") for error in err.errors())
    for path, policy in policies:
        retries = policy.retries
        if retries.attempts and retries.per_try_timeout * (retries.attempts + 1) > policy.timeout:
            problems.append(
                f"{_key(path + '.retries.perTryTimeout')}: {retries.per_try_timeout}ms x "
                f"{retries.attempts + 1} tries exceeds timeout {policy.timeout}ms; later retries "
                "would never run"
            )
    return problems


# --- error reporting ---------------------------------------------------------------------------------


def _key(path: str) -> str:
    return f"{NAMESPACE}:{path}"


def _loc_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _describe(error: Mapping[str, Any], prefix: str = "") -> str:
    loc = tuple(error["loc"])
    path = _key(prefix + _loc_path(loc))
    kind = error["type"]
    if kind == "missing":
        field = prefix + _loc_path(loc)
        return f"{path}: missing; set it with `pulumi config set --path '{field}' <value>`"
    if kind == "extra_forbidden":
        allowed = _field_aliases(_model_at(StackConfig, _strip_prefix(prefix) + loc[:-1]))
        suggestion = _did_you_mean(str(loc[-1]), allowed)
        return f"{path}: unknown key{suggestion}; allowed here: {', '.join(sorted(allowed))}"
    message = str(error["msg"]).removeprefix("Value error, ").replace("Input should be", "must be")
    if kind == "literal_error":
        message = "is not allowed; " + message
    return f"{path}: {error['input']!r} {message}"


def _strip_prefix(prefix: str) -> tuple[str | int, ...]:
    """The model location of a service override path, `services[0].trafficPolicy.` -> trafficPolicy."""
    return ("trafficPolicy",) if prefix else ()


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


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


# --- merging overrides -------------------------------------------------------------------------------


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


_DURATION_KEYS = {"timeout", "perTryTimeout", "interval", "baseEjectionTime"}


def _durations_as_text(value: Any, key: str = "") -> Any:
    """Re-express dumped millisecond durations as strings so the merged policy validates again."""
    if isinstance(value, Mapping):
        return {k: _durations_as_text(v, k) for k, v in value.items()}
    if key in _DURATION_KEYS and isinstance(value, int) and not isinstance(value, bool):
        return f"{value}ms"
    return value
