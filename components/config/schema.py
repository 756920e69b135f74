"""The shape of a crossmesh stack's configuration: value types and one model per section.

Every value a stack file can set is declared here, once, with its description (the configuration
reference in docs/configuration.md is generated from these fields). A model checks what one field can
check on its own; checks that span fields are in `rules`, problems are worded in `messages`.

Pure: no `pulumi` import, so the mesh specs can take these models without the Pulumi runtime.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from components.clusters.eks_specs import architecture_of
from components.config.platform import aws_regions, gcp_regions, regions_read, reserved_namespaces
from components.config.wording import did_you_mean
from components.link.specs import AWS_TUNNEL_GBPS, groups_for_target
from components.network.specs import legacy_zone_slots
from components.network.zone_specs import ZONE_ID
from components.observability.specs import (
    COLLECTOR_CHART_VERSION,
    COLLECTOR_NAMESPACE,
    CONTAINER_INSIGHTS_ACCOUNT,
)

# Every key lives in this namespace of the stack file: `crossmesh:aws.vpcCidr`.
NAMESPACE = "crossmesh"

# ValidAmazonSideASN without Amazon's own public ASNs, and RFC 6996 for the Cloud Router: both sides
# must be private, so the two ranges are the same.
PRIVATE_ASN_RANGES = ((64512, 65534), (4_200_000_000, 4_294_967_294))

# AWS quota "Site-to-Site VPN connections per Region" defaults to 50; a tunnel group uses two.
MAX_TUNNEL_GROUPS = 25

_DURATION = re.compile(r"^(\d+)(ms|s|m|h)$")
_DURATION_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")

# Namespaces the meshes and observability install into (istio_specs, appmesh_specs and
# observability/specs name them; tests hold this list to the namespaces the plans create).
MESH_NAMESPACES = (
    "istio-system",
    "appmesh-system",
    "crossmesh-bridge",
    COLLECTOR_NAMESPACE,
    CONTAINER_INSIGHTS_ACCOUNT[0],
)


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


def check_service_namespace(value: str) -> str:
    """A namespace crossmesh may create for a service: not one Kubernetes or the mesh already runs."""
    initial, prefix = reserved_namespaces()
    if value in initial or value.startswith(prefix):
        raise ValueError(
            f"is a namespace Kubernetes reserves ({', '.join(initial)} and every {prefix}* name); "
            "a service gets a namespace of its own, which crossmesh creates"
        )
    if value in MESH_NAMESPACES:
        raise ValueError(
            f"is a namespace of the mesh itself ({', '.join(MESH_NAMESPACES)}); give the service its own"
        )
    return value


def check_aws_region(value: str) -> str:
    return _check_region(value, list(aws_regions()), "an AWS region (the AWS SDK's list")


def check_gcp_region(value: str) -> str:
    return _check_region(value, list(gcp_regions()), "a Google Cloud region (Google's list")


def _check_region(value: str, regions: list[str], what: str) -> str:
    if value in regions:
        return value
    suggestion = did_you_mean(value.lower(), regions)
    raise ValueError(
        f"is not {what} read on {regions_read()}){suggestion}; a region opened since needs "
        "components/data/regions.json refreshed (scripts/refresh_platform_data.py)"
    )


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
ServiceNamespace = Annotated[str, AfterValidator(check_dns_label), AfterValidator(check_service_namespace)]
AwsRegion = Annotated[str, AfterValidator(check_aws_region)]
GcpRegion = Annotated[str, AfterValidator(check_gcp_region)]
PrivateAsn = Annotated[int, AfterValidator(check_private_asn)]
InstanceType = Annotated[str, AfterValidator(check_instance_type)]
IamRoleArn = Annotated[str, AfterValidator(check_iam_role_arn)]
Percent = Annotated[float, Field(ge=0, le=100)]
NotificationChannel = Annotated[str, Field(pattern=r"^projects/[^/]+/notificationChannels/[^/]+$")]


class _Model(BaseModel):
    """Stack file keys are camelCase; unknown keys are errors; a loaded config never changes."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


# --- the AWS and GCP networks ------------------------------------------------------------------


def check_zone_id(value: str) -> str:
    if not ZONE_ID.match(value):
        raise ValueError("must be an Availability Zone ID such as use1-az1 (not a zone name like us-east-1a)")
    return value


ZoneId = Annotated[str, AfterValidator(check_zone_id)]


class AwsConfig(_Model):
    region: AwsRegion = Field(description="AWS region, e.g. us-east-1.")
    vpc_cidr: Cidr = Field(description="VPC CIDR, /16 to /22; private and public subnets are carved from it.")
    az_count: int = Field(
        3,
        ge=2,
        le=6,
        description="Availability zones to spread subnets and nodes over; the length of "
        "availabilityZoneIds when that is set. Adding a zone, or removing the last, leaves the other zones' "
        "subnets where they are (zoneSlots); the EKS nodes roll onto a node group over the new subnets.",
    )
    availability_zone_ids: list[ZoneId] | None = Field(
        None,
        description="Availability Zone IDs of the subnets, in subnet order (zone names map to different "
        "zones per account, IDs do not). Unset: the account's zones in name order, without the ones EKS "
        "refuses (the stack output awsAvailabilityZoneIds shows them; pin them in that order).",
        examples=[["use1-az1", "use1-az2", "use1-az4"]],
    )
    service_cidr: Cidr = Field(description="EKS Kubernetes service CIDR (/12 to /24, RFC 1918).")
    zone_slots: Literal[2, 4, 8] | None = Field(
        None,
        description="Zones the address plan makes room for: each half of the VPC is cut into this many "
        "equal blocks, zone i in block i, so adding a zone (or removing the last) leaves the others' subnets "
        "where they are. Fixed for the stack's life. Unset: 4 with azCount 3 or 4 (the plan of earlier "
        "releases). With azCount 2, 5 or 6 it must be set: 2 (azCount 2) or 8 (5 or 6) keeps a stack "
        "deployed before this key where it is; a new stack picks 4 or 8 to leave room to add zones.",
        examples=[4],
    )

    def resolved_zone_slots(self) -> int:
        """The zone slots of the address plan: as set, else the one earlier releases cut for 3 or 4 zones
        (the config rules refuse an unset value for other counts)."""
        return self.zone_slots or legacy_zone_slots(self.az_count)

    @model_validator(mode="before")
    @classmethod
    def _derive_az_count(cls, data: Any) -> Any:
        """Pinned zones set the zone count unless it is given too (a mismatch is a cross-field problem)."""
        if not isinstance(data, dict) or "azCount" in data or "az_count" in data:
            return data
        pinned = data.get("availabilityZoneIds", data.get("availability_zone_ids"))
        if isinstance(pinned, list) and 2 <= len(pinned) <= 6:
            return {**data, "azCount": len(pinned)}
        return data


class GcpConfig(_Model):
    project: str = Field(
        description="Google Cloud project ID.",
        pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$",
        examples=["crossmesh-dev-000000"],
    )
    region: GcpRegion = Field(description="Google Cloud region, e.g. us-east4.")
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


TunnelBandwidth = Literal["standard", "large"]


class TunnelGroupConfig(_Model):
    id: int = Field(
        ge=0,
        lt=MAX_TUNNEL_GROUPS,
        description="The group's number: its resources, GCP names and tunnel inside addresses follow it, so "
        "a group keeps them whatever other groups come and go.",
    )
    bandwidth: TunnelBandwidth = Field(description="AWS tunnel bandwidth of this group's four tunnels.")


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
    tunnel_bandwidth: TunnelBandwidth = Field(
        "standard",
        description="AWS tunnel bandwidth: standard (1.25 Gbps) or large (5 Gbps, TGW only); a Cloud VPN "
        "tunnel carries at most 3 Gbps, so large gives up to 3 Gbps a tunnel.",
    )
    groups: list[TunnelGroupConfig] | None = Field(
        None,
        min_length=1,
        description="The tunnel groups by number, each with its bandwidth, instead of tunnelGroups and "
        "tunnelBandwidth: a group is added or removed without touching the others, so a new bandwidth "
        "comes up in new groups beside the old ones (docs/runbooks/change-tunnel-bandwidth.md).",
        examples=[[{"id": 0, "bandwidth": "standard"}, {"id": 1, "bandwidth": "large"}]],
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

    def tunnel_groups_by_id(self) -> tuple[tuple[int, str], ...]:
        """(number, bandwidth) of every tunnel group, by number: `groups`, or groups 0 to
        tunnelGroups - 1 of tunnelBandwidth."""
        if self.groups is not None:
            return tuple(sorted((group.id, group.bandwidth) for group in self.groups))
        return tuple((number, self.tunnel_bandwidth) for number in range(self.tunnel_groups))

    @model_validator(mode="before")
    @classmethod
    def _derive_tunnel_groups(cls, data: Any) -> Any:
        """A VPN link sized by targetGbps gets the fewest groups that carry it (capped at the quota;
        a target above that is reported by the cross-field checks)."""
        if (
            not isinstance(data, dict)
            or "tunnelGroups" in data
            or "groups" in data
            or data.get("kind", "vpn") != "vpn"
        ):
            return data
        target, bandwidth = data.get("targetGbps"), data.get("tunnelBandwidth", "standard")
        if not isinstance(target, int | float) or isinstance(target, bool) or target <= 0:
            return data
        if bandwidth not in AWS_TUNNEL_GBPS:
            return data
        return {**data, "tunnelGroups": min(groups_for_target(float(target), bandwidth), MAX_TUNNEL_GROUPS)}


# --- the clusters ----------------------------------------------------------------------------------


class NodeScaling(_Model):
    min: int = Field(
        2, ge=1, description="Fewest nodes the autoscaler keeps (per zone on GKE, per node group on EKS)."
    )
    desired: int = Field(
        3,
        ge=1,
        description="Nodes a node group starts with (per zone on GKE); after that the autoscaler decides.",
    )
    max: int = Field(
        6, ge=1, description="Most nodes the autoscaler adds (per zone on GKE, per node group on EKS)."
    )


class EksConfig(_Model):
    version: str = Field(
        "1.34",
        pattern=r"^1\.\d{2}$",
        description="Kubernetes minor version of EKS, one the EKS calendar "
        "(components/data/eks_versions.json) offers; upgrades go one minor at a time "
        "(docs/runbooks/upgrade-kubernetes.md).",
    )
    instance_types: list[InstanceType] = Field(
        default_factory=lambda: ["m6i.large"],
        min_length=1,
        description="Node group instance types; all of one CPU architecture (x86_64 or Graviton). The order "
        "does not matter; another set rolls the nodes onto a new node group.",
    )
    disk_size_gb: int = Field(50, ge=20, le=1000, description="Node root volume size.")
    nodes: NodeScaling = Field(default_factory=NodeScaling, description="Node group scaling.")
    public_access_cidrs: list[Cidr] = Field(
        default_factory=list,
        description="CIDRs allowed to reach the public API endpoint; empty disables the public endpoint.",
    )
    admin_role_arns: list[IamRoleArn] = Field(
        default_factory=list,
        description="IAM roles granted cluster admin through access entries, one per role, named after "
        "the role: the order does not matter (not the role that runs pulumi up: it is admin from creation).",
        examples=[["arn:aws:iam::111122223333:role/platform-admin"]],
    )
    log_retention_days: int = Field(365, ge=1, description="Retention of the control-plane logs.")


class GkeConfig(_Model):
    release_channel: Literal["RAPID", "REGULAR", "STABLE"] = Field(
        "REGULAR", description="GKE release channel; versions follow it."
    )
    min_master_version: str | None = Field(
        None,
        pattern=r"^1\.\d{2}",
        description="Lowest control-plane version to accept; its minor must be in GKE standard support "
        "(components/data/gke_versions.json).",
        examples=["1.35"],
    )
    machine_type: str = Field(
        "e2-standard-4",
        description="Node machine type. A change recreates the nodes in place by surge upgrade: a new node "
        "is Ready before an old one is drained.",
    )
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
        60,
        ge=14,
        description="Renew an intermediate, with a new key, this long before it expires (at the next "
        "pulumi up; the deploy workflow runs weekly, so at least two runs fall inside the window).",
    )
    root_early_renewal_days: int = Field(
        730,
        ge=1,
        description="Start the staged root rotation this long before the root expires (its alarm and the "
        "pack rule xc-pki-root-rotation-due say so); pulumi up never replaces a working root. At least "
        "intermediateValidityDays, so that intermediates are not cut short by their root's end.",
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


# The Istio release every stack starts with, from the official chart repository: the newest 1.30 patch
# the recorded release list shows (offline/data/charts/index.json; docs/mesh.md has the support window).
ISTIO_VERSION = "1.30.3"
# Istio's name for the istiod installed without a revision (Helm release `istiod`).
DEFAULT_REVISION = "default"

# The appmesh-controller chart's newest release in the recorded index (offline/data/charts/index.json).
APPMESH_CONTROLLER_VERSION = "1.13.3"

TrustDomain = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")]
IstioRevisionName = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
IstioVersion = Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
ChartVersion = Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]


def version_key(version: str) -> tuple[int, ...]:
    """A release version as numbers, for ordering: 1.30.10 after 1.30.9."""
    return tuple(int(part) for part in version.split("."))


class IstioConfig(_Model):
    revisions: dict[IstioRevisionName, IstioVersion] = Field(
        default_factory=lambda: {DEFAULT_REVISION: ISTIO_VERSION},
        description="The istiod revisions installed on each cluster, by revision name, with their Istio "
        "version: one, or two during an upgrade. `default` is the istiod installed without a revision "
        "(every stack starts with it); another name installs `istiod-<name>` beside it "
        "(docs/runbooks/upgrade-istio.md). A patch version changes in place. Each minor must be in "
        "Istio's support calendar (components/data/istio_versions.json) and support the clusters' "
        "Kubernetes; one near or past its end of support is a warning.",
        examples=[{"default": "1.30.3", "1-31": "1.31.1"}],
    )
    injection: IstioRevisionName = Field(
        DEFAULT_REVISION,
        description="The revision whose istiod injects the application namespaces' sidecars and validates "
        "Istio objects: every namespace follows it, as namespaces follow a revision tag.",
    )
    gateways: IstioRevisionName = Field(
        DEFAULT_REVISION,
        description="The revision the east-west (and bridge) gateways run: its chart version and istiod. "
        "Moved after the namespaces, before the old revision is removed.",
    )

    def newest(self) -> str:
        """The newest version installed: the CRDs (the base chart) are that version's."""
        return max(
            self.revisions.values(), key=lambda version: tuple(int(part) for part in version.split("."))
        )


class MeshConfig(_Model):
    engines: EnginesConfig = Field(default_factory=EnginesConfig)
    istio: IstioConfig = Field(default_factory=IstioConfig)
    mesh_id: DnsLabel = Field("crossmesh", description="Istio meshID shared by both clusters.")
    trust_domain: TrustDomain = Field(
        "crossmesh.local", description="SPIFFE trust domain of every workload identity."
    )
    trust_domain_aliases: list[TrustDomain] = Field(
        default_factory=list,
        description="Earlier trust domains whose identities still count as the trust domain's: the window "
        "in which a new trust domain replaces an old one (docs/mesh.md, changing the mesh's identity).",
        examples=[["crossmesh.local"]],
    )
    ca: CaConfig = Field(default_factory=CaConfig)
    appmesh_controller_version: ChartVersion = Field(
        APPMESH_CONTROLLER_VERSION,
        description="Version of the appmesh-controller chart (legacy engine); `crossmesh check` refuses "
        "one the recorded chart index does not publish.",
    )
    appmesh_envoy_digest: str | None = Field(
        None,
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="Digest of the App Mesh Envoy image release crossmesh pins (the regional ECR "
        "repository's aws-appmesh-envoy at that tag; `aws ecr describe-images`); required with "
        "engines.aws appmesh, so the gateway and every injected Envoy run exactly that image.",
        examples=["sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"],
    )


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
    namespace: ServiceNamespace = Field(
        description="Kubernetes namespace of the service; not a namespace Kubernetes or the mesh uses."
    )
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
    collector_chart_version: ChartVersion = Field(
        COLLECTOR_CHART_VERSION,
        description="Version of the opentelemetry-collector chart; `crossmesh check` refuses one the "
        "recorded chart index does not publish.",
    )
    sampling_percent: Percent = Field(1.0, description="Share of requests traced, 0-100.")
    container_insights: bool = Field(True, description="CloudWatch Container Insights on EKS.")
    managed_prometheus: bool = Field(
        True, description="Google Managed Prometheus collection of mesh metrics."
    )
    alarms: bool = Field(True, description="Tunnel, BGP, error-rate, latency and certificate-renewal alarms.")
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


# --- the cost estimate -----------------------------------------------------------------------------

# What the offline cost estimate (`crossmesh plan`, docs/cost.md) assumes when a stack does not say.
DEFAULT_CROSS_CLOUD_GB_PER_MONTH = 1000.0
DEFAULT_TRACES_MILLIONS_PER_MONTH = 1.0
DEFAULT_SPANS_PER_TRACE = 4
# A bound that keeps a typo (a figure in bytes, say) from passing as a traffic volume: 1 EB a month.
MAX_GB_PER_MONTH = 1e9


def reject_bool(value: object) -> object:
    """pydantic reads true as 1: a switch where a figure belongs is a mistake, not a quantity."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


UsageFigure = Annotated[float, BeforeValidator(reject_bool)]


class CostConfig(_Model):
    """Usage figures for the monthly estimate of `crossmesh plan`; `pulumi up` does not read them."""

    cross_cloud_gb_per_month: UsageFigure = Field(
        DEFAULT_CROSS_CLOUD_GB_PER_MONTH,
        ge=0,
        le=MAX_GB_PER_MONTH,
        allow_inf_nan=False,
        description="Data expected across the link each month, both directions together, in GB (10^9 "
        "bytes); taken as half each way. Prices data transfer out, Transit Gateway processing and the "
        "gateways' load balancers in the estimate.",
        examples=[5000],
    )
    traces_millions_per_month: UsageFigure = Field(
        DEFAULT_TRACES_MILLIONS_PER_MONTH,
        ge=0,
        le=MAX_GB_PER_MONTH,
        allow_inf_nan=False,
        description="Traces recorded each month after sampling, in millions; each is priced once in X-Ray "
        "and as spansPerTrace spans in Cloud Trace.",
    )
    spans_per_trace: Annotated[int, BeforeValidator(reject_bool)] = Field(
        DEFAULT_SPANS_PER_TRACE,
        ge=1,
        le=1000,
        description="Spans one traced request leaves in Cloud Trace (a client and a server span per sidecar "
        "hop on GKE).",
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
    cost: CostConfig = Field(
        default_factory=CostConfig, description="Usage figures for the offline cost estimate only."
    )
    protect: bool = Field(
        False,
        description="Protect the critical resources (components/protection_specs.py: networks, link, "
        "clusters, root CA, KMS keys, namespaces) from deletion and replacement.",
    )

    def effective_policy(self, service: ServiceConfig) -> TrafficPolicySpec:
        """The default policy with the service's overrides merged in, key by key."""
        if not service.traffic_policy:
            return self.traffic_policy
        base = _durations_as_text(self.traffic_policy.model_dump(by_alias=True))
        return TrafficPolicySpec.model_validate(_deep_merge(base, service.traffic_policy))


# --- a service's overrides of the default traffic policy ---------------------------------------------


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
