"""The rules no single field can check, one function per section of the stack file.

Each function returns every problem of its section, one line each, so a stack file with several
mistakes gets them all in one run; `cross_field_problems` runs them in the order of the stack file.
The ranges, ASNs and capacities they check against come from the link and network specs, the same
numbers the components build with.

Pure: no `pulumi` import.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence

from pydantic import ValidationError

from components.clusters.autoscaler_specs import NODE_GROUP_MAX_SIZE, autoscaler_version, recorded_minors
from components.clusters.eks_specs import admin_entry_key, architecture_of
from components.config.messages import config_key, describe_error, did_you_mean
from components.config.schema import (
    MAX_TUNNEL_GROUPS,
    AwsConfig,
    CaConfig,
    ClustersConfig,
    IstioConfig,
    LinkConfig,
    MeshConfig,
    NodeScaling,
    ServiceConfig,
    StackConfig,
    TrafficPolicySpec,
)
from components.link.specs import LINK_LOCAL, groups_for_target, link_capacity
from components.mesh.certificate_specs import MAX_COMMON_NAME_LENGTH, MESH_CLUSTERS, longest_ca_name
from components.network.specs import CLOUD_DNS_FORWARDING_RANGE, legacy_zone_slots
from components.network.zone_specs import excluded_zone_ids

# Routed from AWS to Google Cloud over the link, for the answers to Cloud DNS forwarded queries.
CLOUD_DNS_SOURCE = ipaddress.IPv4Network(CLOUD_DNS_FORWARDING_RANGE)

# The zone slots of a stack that does not set aws.zoneSlots: what earlier releases cut for 3 or 4 zones.
DEFAULT_ZONE_SLOTS = 4

# The current root, and its successor during a rotation (docs/runbooks/rotate-ca.md).
MAX_TRUSTED_ROOTS = 2

_RFC1918 = tuple(ipaddress.IPv4Network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def cross_field_problems(config: StackConfig) -> list[str]:
    """Rules no single field can check: the address plan, the link, the clusters, the CA, services."""
    return [
        *address_plan_problems(named_ranges(config)),
        *zone_problems(config.aws),
        *link_problems(config.link, aws_region=config.aws.region),
        *cluster_problems(config.clusters),
        *ca_problems(config.mesh.ca),
        *mesh_id_problems(config.mesh),
        *istio_problems(config.mesh.istio),
        *trust_domain_alias_problems(config.mesh),
        *service_problems(config.services),
        *bridge_problems(config.mesh, config.services),
        *appmesh_image_problems(config.mesh),
        *notification_problems(config),
        *traffic_policy_problems(config),
    ]


# --- the address plan of both clouds -----------------------------------------------------------------


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


def address_plan_problems(ranges: Mapping[str, ipaddress.IPv4Network]) -> list[str]:
    """Ranges distinct across both clouds, private, clear of the link's own, and sized as each cloud asks."""
    return [*_overlap_problems(ranges), *_reserved_range_problems(ranges), *_range_size_problems(ranges)]


def _overlap_problems(ranges: Mapping[str, ipaddress.IPv4Network]) -> list[str]:
    return [
        f"{config_key(second)}: '{ranges[second]}' overlaps {config_key(first)} '{ranges[first]}'; "
        "every range of both clouds must be distinct, or routes across the link black-hole"
        for first, second in overlapping_pairs(ranges)
    ]


def _reserved_range_problems(ranges: Mapping[str, ipaddress.IPv4Network]) -> list[str]:
    problems: list[str] = []
    for path, network in ranges.items():
        if network.overlaps(CLOUD_DNS_SOURCE):
            problems.append(
                f"{config_key(path)}: '{network}' overlaps {CLOUD_DNS_SOURCE}, the range Cloud DNS "
                "forwards queries from, which the link routes to Google Cloud; choose a private range"
            )
        elif network.overlaps(LINK_LOCAL):
            problems.append(
                f"{config_key(path)}: '{network}' is inside 169.254.0.0/16, which is reserved for the VPN "
                "inside addresses; choose a private range"
            )
        elif not network.is_private:
            problems.append(f"{config_key(path)}: '{network}' is not a private range; use RFC 1918 space")
    return problems


def _range_size_problems(ranges: Mapping[str, ipaddress.IPv4Network]) -> list[str]:
    problems: list[str] = []
    vpc = ranges["aws.vpcCidr"]
    if not 16 <= vpc.prefixlen <= 22:
        problems.append(f"{config_key('aws.vpcCidr')}: '{vpc}' must be a /16 to /22")
    service = ranges["aws.serviceCidr"]
    if not 12 <= service.prefixlen <= 24 or not any(service.subnet_of(block) for block in _RFC1918):
        problems.append(
            f"{config_key('aws.serviceCidr')}: '{service}' must be a /12 to /24 inside 10.0.0.0/8, "
            "172.16.0.0/12 or 192.168.0.0/16 (EKS serviceIpv4Cidr)"
        )
    master = ranges["gcp.masterCidr"]
    if master.prefixlen != 28:
        problems.append(f"{config_key('gcp.masterCidr')}: '{master}' must be a /28 (GKE control plane)")
    return problems


# --- the AWS zones -------------------------------------------------------------------------------------


def zone_problems(aws: AwsConfig) -> list[str]:
    """The address plan's zone slots; pinned zones: one per subnet, each once, none that EKS refuses."""
    return [*_zone_slot_problems(aws), *_pinned_zone_problems(aws)]


def _zone_slot_problems(aws: AwsConfig) -> list[str]:
    key, count = config_key("aws.zoneSlots"), config_key("aws.azCount")
    if aws.zone_slots is None and legacy_zone_slots(aws.az_count) != DEFAULT_ZONE_SLOTS:
        kept = legacy_zone_slots(aws.az_count)
        return [
            f"{key}: must be set with {count} {aws.az_count}: set it to the slots the stack's subnets "
            f"were cut for, {DEFAULT_ZONE_SLOTS} if it ran with 3 or 4 zones and no zoneSlots, {kept} if a "
            f"release before aws.zoneSlots deployed it with {aws.az_count} zones; a new stack picks 4 or 8 "
            "(docs/runbooks/change-zone-count.md)"
        ]
    slots = aws.resolved_zone_slots()
    if slots < aws.az_count:
        return [
            f"{key}: {slots} cannot hold {count} {aws.az_count}: the address plan is fixed for the stack's "
            "life; more zones than it holds need a new VPC (docs/runbooks/change-zone-count.md)"
        ]
    return []


def _pinned_zone_problems(aws: AwsConfig) -> list[str]:
    pinned = aws.availability_zone_ids
    if pinned is None:
        return []
    key = config_key("aws.availabilityZoneIds")
    problems: list[str] = []
    if len(pinned) != aws.az_count:
        problems.append(
            f"{key}: {len(pinned)} zones but {config_key('aws.azCount')} is {aws.az_count}; give one zone ID "
            "per zone, or leave azCount out"
        )
    repeated = sorted({zone for zone in pinned if pinned.count(zone) > 1})
    if repeated:
        problems.append(f"{key}: {', '.join(repeated)} listed more than once; each subnet needs its own zone")
    for zone in pinned:
        if zone in excluded_zone_ids():
            problems.append(
                f"{key}: '{zone}' is a zone EKS refuses cluster subnets in (components/data/"
                "aws_az_exclusions.json); choose another zone ID"
            )
    return problems


# --- the link ------------------------------------------------------------------------------------------


def link_problems(link: LinkConfig, aws_region: str) -> list[str]:
    """BGP sides apart, settings that match the link kind, a target the link can carry."""
    return [
        *_bgp_problems(link),
        *_link_kind_problems(link),
        *_target_problems(link),
        *_interconnect_problems(link, aws_region),
    ]


def _bgp_problems(link: LinkConfig) -> list[str]:
    if link.aws_asn != link.gcp_asn:
        return []
    return [
        f"{config_key('link.gcpAsn')}: {link.gcp_asn} equals {config_key('link.awsAsn')}; the two BGP "
        "sides need different ASNs"
    ]


def _link_kind_problems(link: LinkConfig) -> list[str]:
    """The interconnect settings with kind interconnect only, the VPN sizing with kind vpn only."""
    problems: list[str] = []
    if link.kind == "interconnect" and link.interconnect is None:
        problems.append(
            f"{config_key('link.interconnect')}: missing; kind 'interconnect' needs remoteProfile, "
            "bandwidth and awsAccountId"
        )
    if link.kind == "vpn" and link.interconnect is not None:
        problems.append(
            f"{config_key('link.interconnect')}: set, but link.kind is 'vpn'; remove it or set kind: "
            "interconnect"
        )
    problems += _groups_problems(link)
    if link.kind == "interconnect":
        for field, alias in (
            ("tunnel_groups", "tunnelGroups"),
            ("tunnel_bandwidth", "tunnelBandwidth"),
            ("groups", "groups"),
        ):
            if field in link.model_fields_set:
                problems.append(
                    f"{config_key('link.' + alias)}: {getattr(link, field)!r} is set, but it applies only "
                    "to kind 'vpn'; the interconnect's size is link.interconnect.bandwidth"
                )
    return problems


def _groups_problems(link: LinkConfig) -> list[str]:
    """The explicit groups stand alone: unique numbers, and no count or shared bandwidth beside them."""
    if link.groups is None:
        return []
    problems = [
        f"{config_key('link.' + alias)}: set beside {config_key('link.groups')}; give each group its "
        "bandwidth in link.groups and remove it"
        for field, alias in (
            ("tunnel_groups", "tunnelGroups"),
            ("tunnel_bandwidth", "tunnelBandwidth"),
            ("target_gbps", "targetGbps"),
        )
        if field in link.model_fields_set
    ]
    numbers = [group.id for group in link.groups]
    repeated = sorted({number for number in numbers if numbers.count(number) > 1})
    if repeated:
        problems.append(
            f"{config_key('link.groups')}: group {', '.join(map(str, repeated))} listed more than once; "
            "each group number names one group"
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
            f"{config_key('link.targetGbps')}: {target:g} is more than "
            f"{config_key('link.interconnect.bandwidth')} {link.interconnect.bandwidth} ({offered} Gbps) "
            "carries; raise the bandwidth (at most BPS_100G)"
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
            f"{config_key('link.targetGbps')}: {target:g} needs {needed} groups of 4 "
            f"{link.tunnel_bandwidth} tunnels ({per_tunnel:g} Gbps each); a VPN link has at most "
            f"{MAX_TUNNEL_GROUPS} groups = {ceiling:g} Gbps{hint}, or use kind: interconnect"
        ]
    if link.tunnel_groups < needed:
        carried = link_capacity(link.tunnel_groups, link.tunnel_bandwidth).aggregate_gbps
        return [
            f"{config_key('link.tunnelGroups')}: {link.tunnel_groups} group(s) carry {carried:g} Gbps, less "
            f"than {config_key('link.targetGbps')} {target:g}; remove tunnelGroups to derive it "
            f"({needed} groups)"
        ]
    return []


def _interconnect_problems(link: LinkConfig, aws_region: str) -> list[str]:
    """The transport ends in the stack's AWS region, on a gateway with its own ASN."""
    interconnect = link.interconnect
    if interconnect is None:
        return []
    problems: list[str] = []
    if interconnect.remote_profile != f"aws-{aws_region}":
        problems.append(
            f"{config_key('link.interconnect.remoteProfile')}: {interconnect.remote_profile!r} does not "
            f"name the stack's AWS region; use 'aws-{aws_region}' (the transport ends in aws.region)"
        )
    if interconnect.direct_connect_asn == link.aws_asn:
        problems.append(
            f"{config_key('link.interconnect.directConnectAsn')}: {link.aws_asn} equals "
            f"{config_key('link.awsAsn')}; the Direct Connect gateway and the Transit Gateway need "
            "different ASNs"
        )
    return problems


# --- the clusters --------------------------------------------------------------------------------------


def cluster_problems(clusters: ClustersConfig) -> list[str]:
    """Node counts in order, control planes not open to the internet, one CPU architecture per node group."""
    eks, gke = clusters.eks, clusters.gke
    return [
        *_node_problems("clusters.eks.nodes", eks.nodes),
        *_node_problems("clusters.gke.nodes", gke.nodes),
        *_world_open_problems(
            "clusters.eks.publicAccessCidrs",
            eks.public_access_cidrs,
            "the API to the internet (CIS EKS 5.4.1); list your admin networks, or none for a private "
            "endpoint",
        ),
        *_eks_scaling_problems(eks.version, eks.nodes),
        *_instance_type_problems(eks.instance_types),
        *_admin_role_problems(eks.admin_role_arns),
        *_world_open_problems(
            "clusters.gke.masterAuthorizedCidrs",
            gke.master_authorized_cidrs,
            "the control plane to the internet (CIS GKE 5.6.3); list your admin networks",
        ),
    ]


def _node_problems(path: str, nodes: NodeScaling) -> list[str]:
    if nodes.min <= nodes.desired <= nodes.max:
        return []
    return [
        f"{config_key(path)}: min {nodes.min}, desired {nodes.desired}, max {nodes.max}; need min <= "
        "desired <= max"
    ]


def _eks_scaling_problems(version: str, nodes: NodeScaling) -> list[str]:
    """The cluster autoscaler keeps the EKS nodes in bounds: its release must match the cluster's minor,
    and the bounds must fit the managed node group's own limits."""
    problems = []
    if autoscaler_version(version) is None:
        problems.append(
            f"{config_key('clusters.eks.version')}: {version} has no cluster autoscaler release recorded "
            f"(components/data/cluster_autoscaler.json has {', '.join(recorded_minors())}); refresh it "
            "with scripts/refresh_cluster_autoscaler.py"
        )
    if nodes.max > NODE_GROUP_MAX_SIZE:
        problems.append(
            f"{config_key('clusters.eks.nodes.max')}: {nodes.max} is above {NODE_GROUP_MAX_SIZE}, EKS's "
            "default quota of nodes per managed node group"
        )
    return problems


def _world_open_problems(path: str, cidrs: Sequence[str], opens: str) -> list[str]:
    """0.0.0.0/0 in an allow list of a control plane; `opens` says what it opens and what to list."""
    return [
        f"{config_key(f'{path}[{index}]')}: '{cidr}' opens {opens}"
        for index, cidr in enumerate(cidrs)
        if ipaddress.IPv4Network(cidr).prefixlen == 0
    ]


def _instance_type_problems(instance_types: Sequence[str]) -> list[str]:
    architectures = {instance_type: architecture_of(instance_type) for instance_type in instance_types}
    if len(set(architectures.values())) <= 1:
        return []
    listed = ", ".join(f"{name} ({arch})" for name, arch in architectures.items())
    return [
        f"{config_key('clusters.eks.instanceTypes')}: {listed} mix CPU architectures; one node group "
        "runs one AMI, so list only x86_64 or only Graviton types"
    ]


def _admin_role_problems(admin_role_arns: Sequence[str]) -> list[str]:
    # A role is its account and name (its path does not make it another role), and names its entry.
    by_key: dict[str, list[str]] = {}
    for role_arn in admin_role_arns:
        by_key.setdefault(admin_entry_key(role_arn), []).append(role_arn)
    twice = [arns for arns in by_key.values() if len(arns) > 1]
    if not twice:
        return []
    return [
        f"{config_key('clusters.eks.adminRoleArns')}: lists a role twice ({', '.join(arns)}); each role "
        "gets one access entry"
        for arns in twice
    ]


# --- the mesh CA -----------------------------------------------------------------------------------------


def ca_problems(ca: CaConfig) -> list[str]:
    """No certificate outlives its issuer, renewals fall inside validity, and a sound trust window."""
    problems: list[str] = []
    if ca.intermediate_validity_days >= ca.root_validity_days:
        problems.append(
            f"{config_key('mesh.ca.intermediateValidityDays')}: {ca.intermediate_validity_days} must be "
            f"shorter than {config_key('mesh.ca.rootValidityDays')} ({ca.root_validity_days}); an "
            "intermediate cannot outlive its root"
        )
    if ca.root_early_renewal_days >= ca.root_validity_days:
        problems.append(
            f"{config_key('mesh.ca.rootEarlyRenewalDays')}: {ca.root_early_renewal_days} must be shorter "
            f"than {config_key('mesh.ca.rootValidityDays')} ({ca.root_validity_days}), or the root's "
            "rotation is due from the day it is created"
        )
    elif ca.root_early_renewal_days < ca.intermediate_validity_days:
        problems.append(
            f"{config_key('mesh.ca.rootEarlyRenewalDays')}: {ca.root_early_renewal_days} must be at least "
            f"{config_key('mesh.ca.intermediateValidityDays')} ({ca.intermediate_validity_days}); an "
            "intermediate renewed late in the root's life would otherwise end after the root"
        )
    if ca.early_renewal_days >= ca.intermediate_validity_days:
        problems.append(
            f"{config_key('mesh.ca.earlyRenewalDays')}: {ca.early_renewal_days} must be shorter than "
            f"{config_key('mesh.ca.intermediateValidityDays')} ({ca.intermediate_validity_days}), or every "
            "pulumi up reissues the intermediates"
        )
    return problems + _root_problems(ca)


def mesh_id_problems(mesh: MeshConfig) -> list[str]:
    """The meshId names the mesh's CAs; X.509 limits each subject attribute to 64 characters."""
    longest = longest_ca_name(mesh.mesh_id, MESH_CLUSTERS)
    excess = len(longest) - MAX_COMMON_NAME_LENGTH
    if excess <= 0:
        return []
    return [
        f"{config_key('mesh.meshId')}: {mesh.mesh_id!r} is {len(mesh.mesh_id)} characters; at most "
        f"{len(mesh.mesh_id) - excess} are allowed, because the CA name {longest!r} built from it would be "
        f"{len(longest)} characters, past X.509's limit of {MAX_COMMON_NAME_LENGTH}"
    ]


def trust_domain_alias_problems(mesh: MeshConfig) -> list[str]:
    """Aliases name other, earlier trust domains, each once."""
    aliases = mesh.trust_domain_aliases
    problems = []
    if mesh.trust_domain in aliases:
        problems.append(
            f"{config_key('mesh.trustDomainAliases')}: lists {mesh.trust_domain!r}, which is "
            f"{config_key('mesh.trustDomain')} itself; aliases are the earlier trust domains"
        )
    if len(set(aliases)) != len(aliases):
        problems.append(f"{config_key('mesh.trustDomainAliases')}: {aliases} lists a domain twice")
    return problems


MAX_ISTIO_REVISIONS = 2


def istio_problems(istio: IstioConfig) -> list[str]:
    """One istiod, or two during an upgrade; namespaces and gateways follow one of them."""
    problems: list[str] = []
    revisions_key = config_key("mesh.istio.revisions")
    names = ", ".join(istio.revisions) or "none"
    if not 1 <= len(istio.revisions) <= MAX_ISTIO_REVISIONS:
        problems.append(
            f"{revisions_key}: {names} must be {MAX_ISTIO_REVISIONS} revisions at most and at least one: the "
            "current istiod, and its successor during an upgrade (docs/runbooks/upgrade-istio.md)"
        )
    for key, revision in (("injection", istio.injection), ("gateways", istio.gateways)):
        if revision not in istio.revisions:
            problems.append(
                f"{config_key('mesh.istio.' + key)}: {revision!r} is not one of {revisions_key} ({names}); "
                "it must name an installed istiod"
            )
    return problems


def _root_problems(ca: CaConfig) -> list[str]:
    """The trust window of a root rotation: see docs/runbooks/rotate-ca.md."""
    problems: list[str] = []
    roots_key = config_key("mesh.ca.roots")
    for index, generation in enumerate(ca.roots):
        if generation < 1:
            problems.append(
                f"{config_key(f'mesh.ca.roots[{index}]')}: {generation} is not a root generation; "
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
            f"{config_key('mesh.ca.signingRoot')}: {ca.signing_root} is not in {roots_key} {ca.roots}; "
            "the root that signs the intermediates must be trusted"
        )
    return problems


# --- the services and their traffic policy ---------------------------------------------------------------


def service_problems(services: Sequence[ServiceConfig]) -> list[str]:
    """Unique names, and callers that are other declared services."""
    problems: list[str] = []
    seen: set[str] = set()
    names = {service.name for service in services}
    for index, service in enumerate(services):
        path = f"services[{index}]"
        if service.name in seen:
            problems.append(
                f"{config_key(path + '.name')}: '{service.name}' is declared twice; names are unique"
            )
        seen.add(service.name)
        for caller_index, caller in enumerate(service.callers):
            caller_path = config_key(f"{path}.callers[{caller_index}]")
            if caller == service.name:
                problems.append(f"{caller_path}: '{caller}' cannot list itself as a caller")
            elif caller not in names:
                suggestion = did_you_mean(caller, names)
                problems.append(f"{caller_path}: '{caller}' is not a declared service{suggestion}")
    return problems


def appmesh_image_problems(mesh: MeshConfig) -> list[str]:
    """App Mesh's Envoy runs by digest: a tag can be moved under a running mesh."""
    if mesh.engines.aws == "appmesh" and mesh.appmesh_envoy_digest is None:
        return [
            f"{config_key('mesh.appmeshEnvoyDigest')}: required with engines.aws 'appmesh': the sha256 "
            "digest of the pinned aws-appmesh-envoy release (aws ecr describe-images), so every Envoy "
            "runs the image that was reviewed"
        ]
    return []


def notification_problems(config: StackConfig) -> list[str]:
    """A protected stack is one whose failure matters: its alarms must notify someone."""
    observability = config.observability
    if not (config.protect and observability.alarms):
        return []
    problems = []
    if not observability.sns_topic_arn:
        problems.append(
            f"{config_key('observability.snsTopicArn')}: required when protect is true and alarms are on: "
            "the SNS topic that receives the AWS alarms (else they notify nobody)"
        )
    if not observability.gcp_notification_channels:
        problems.append(
            f"{config_key('observability.gcpNotificationChannels')}: required when protect is true and "
            "alarms are on: the Cloud Monitoring channels of the GCP alert policies (else they notify "
            "nobody)"
        )
    return problems


def bridge_problems(mesh: MeshConfig, services: Sequence[ServiceConfig]) -> list[str]:
    """With App Mesh on EKS, calls between the clouds cross gateways that route plain HTTP by Host."""
    if mesh.engines.aws != "appmesh":
        return []
    cloud_of = {service.name: service.cloud for service in services}
    problems = []
    for index, service in enumerate(services):
        crossing = [
            caller for caller in service.callers if cloud_of.get(caller, service.cloud) != service.cloud
        ]
        if crossing and service.protocol != "http":
            problems.append(
                f"{config_key(f'services[{index}].protocol')}: '{service.protocol}' cannot cross between "
                f"App Mesh and Istio (called from the other cloud by {', '.join(crossing)}); the gateway "
                "bridge carries http only"
            )
    return problems


def traffic_policy_problems(config: StackConfig) -> list[str]:
    """Each service's overrides validate, and every effective policy's retries fit in its timeout."""
    problems: list[str] = []
    policies: list[tuple[str, TrafficPolicySpec]] = [("trafficPolicy", config.traffic_policy)]
    for index, service in enumerate(config.services):
        if service.traffic_policy:
            path = f"services[{index}].trafficPolicy"
            try:
                policies.append((path, config.effective_policy(service)))
            except ValidationError as err:
                problems.extend(describe_error(error, prefix=f"{path}.") for error in err.errors())
    for path, policy in policies:
        retries = policy.retries
        if retries.attempts and retries.per_try_timeout * (retries.attempts + 1) > policy.timeout:
            problems.append(
                f"{config_key(path + '.retries.perTryTimeout')}: {retries.per_try_timeout}ms x "
                f"{retries.attempts + 1} tries exceeds timeout {policy.timeout}ms; later retries "
                "would never run"
            )
    return problems
