"""The rules that span fields, section by section: each accepts what it should and names what it refuses."""

from __future__ import annotations

import copy
import ipaddress
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.config import ConfigError, load_config, overlapping_pairs
from tests.support.config_samples import INTERCONNECT, VALID, problems_of, with_change

networks = st.builds(
    lambda address, prefix: ipaddress.IPv4Network((address, prefix), strict=False),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.integers(min_value=8, max_value=30),
)


@given(st.dictionaries(st.sampled_from("abcdef"), networks, min_size=2, max_size=6))
def test_overlap_detection_matches_address_sets(ranges: dict[str, ipaddress.IPv4Network]) -> None:
    def shares_an_address(a: ipaddress.IPv4Network, b: ipaddress.IPv4Network) -> bool:
        first = max(int(a.network_address), int(b.network_address))
        last = min(int(a.broadcast_address), int(b.broadcast_address))
        return first <= last

    names = list(ranges)
    expected = [
        (x, y) for i, x in enumerate(names) for y in names[i + 1 :] if shares_an_address(ranges[x], ranges[y])
    ]
    assert overlapping_pairs(ranges) == expected


def test_overlapping_ranges_across_clouds_are_named_both() -> None:
    problems = problems_of(with_change("gcp.podsCidr", "10.8.0.0/14"))
    assert problems == [
        "crossmesh:gcp.podsCidr: '10.8.0.0/14' overlaps crossmesh:aws.vpcCidr '10.10.0.0/16'; every range "
        "of both clouds must be distinct, or routes across the link black-hole"
    ]


def test_range_inside_link_local_is_rejected() -> None:
    problems = problems_of(with_change("aws.serviceCidr", "169.254.0.0/16"))
    assert any("crossmesh:aws.serviceCidr: '169.254.0.0/16' is inside 169.254.0.0/16" in p for p in problems)


def test_public_range_is_rejected() -> None:
    problems = problems_of(with_change("gcp.subnetCidr", "8.8.0.0/20"))
    assert any(
        p.startswith("crossmesh:gcp.subnetCidr: '8.8.0.0/20' is not a private range") for p in problems
    )


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("aws.vpcCidr", "35.199.0.0/16"),
        ("aws.serviceCidr", "35.199.208.0/20"),
        ("gcp.subnetCidr", "35.199.192.0/20"),
        ("gcp.podsCidr", "35.192.0.0/12"),
        ("gcp.servicesCidr", "35.199.200.0/24"),
        ("gcp.masterCidr", "35.199.223.240/28"),
    ],
)
def test_a_range_overlapping_the_cloud_dns_source_is_rejected_naming_it(path: str, value: str) -> None:
    expected = (
        f"crossmesh:{path}: '{value}' overlaps 35.199.192.0/19, the range Cloud DNS forwards queries from"
    )
    assert any(problem.startswith(expected) for problem in problems_of(with_change(path, value)))


def test_a_public_range_next_to_the_cloud_dns_source_is_only_called_public() -> None:
    # 35.199.224.0/20 starts right after 35.199.223.255, the last address of 35.199.192.0/19.
    problems = problems_of(with_change("gcp.subnetCidr", "35.199.224.0/20"))
    assert problems == [
        "crossmesh:gcp.subnetCidr: '35.199.224.0/20' is not a private range; use RFC 1918 space"
    ]


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        ("aws.vpcCidr", "10.0.0.0/12", "must be a /16 to /22"),
        ("aws.serviceCidr", "172.20.0.0/25", "must be a /12 to /24"),
        ("gcp.masterCidr", "172.16.0.0/27", "must be a /28"),
    ],
)
def test_range_sizes_follow_the_clouds(path: str, value: str, fragment: str) -> None:
    problems = problems_of(with_change(path, value))
    assert any(p.startswith(f"crossmesh:{path}: '{value}' {fragment}") for p in problems), problems


def test_same_asn_on_both_sides_is_rejected() -> None:
    raw = with_change("link", {"awsAsn": 65000, "gcpAsn": 65000})
    assert problems_of(raw) == [
        "crossmesh:link.gcpAsn: 65000 equals crossmesh:link.awsAsn; the two BGP sides need different ASNs"
    ]


def test_interconnect_without_its_settings_is_rejected() -> None:
    problems = problems_of(with_change("link", {"kind": "interconnect"}))
    assert problems == [
        "crossmesh:link.interconnect: missing; kind 'interconnect' needs remoteProfile, bandwidth and "
        "awsAccountId"
    ]


def test_interconnect_settings_on_a_vpn_link_are_rejected() -> None:
    settings = {"remoteProfile": "aws-us-east-1", "awsAccountId": "123456789012"}
    problems = problems_of(with_change("link", {"kind": "vpn", "interconnect": settings}))
    assert problems[0].startswith("crossmesh:link.interconnect: set, but link.kind is 'vpn'")


@pytest.mark.parametrize(
    ("key", "value"), [("tunnelGroups", 2), ("tunnelBandwidth", "large"), ("tunnelBandwidth", "standard")]
)
def test_vpn_sizing_on_an_interconnect_link_is_rejected(key: str, value: Any) -> None:
    link = {"kind": "interconnect", "interconnect": INTERCONNECT, key: value}
    assert problems_of(with_change("link", link)) == [
        f"crossmesh:link.{key}: {value!r} is set, but it applies only to kind 'vpn'; the interconnect's "
        "size is link.interconnect.bandwidth"
    ]


@pytest.mark.parametrize(
    ("key", "value"), [("tunnelGroups", 2), ("tunnelBandwidth", "large"), ("targetGbps", 5)]
)
def test_explicit_groups_stand_alone(key: str, value: Any) -> None:
    link = {"groups": [{"id": 0, "bandwidth": "standard"}], key: value}
    assert problems_of(with_change("link", link)) == [
        f"crossmesh:link.{key}: set beside crossmesh:link.groups; give each group its bandwidth in "
        "link.groups and remove it"
    ]


def test_a_group_number_listed_twice_is_rejected() -> None:
    groups = [{"id": 1, "bandwidth": "standard"}, {"id": 1, "bandwidth": "large"}]
    assert problems_of(with_change("link", {"groups": groups})) == [
        "crossmesh:link.groups: group 1 listed more than once; each group number names one group"
    ]


def test_groups_keep_their_numbers_and_bandwidths_and_the_count_form_means_groups_from_zero() -> None:
    explicit = load_config(
        with_change("link", {"groups": [{"id": 3, "bandwidth": "large"}, {"id": 1, "bandwidth": "standard"}]})
    )
    assert explicit.link.tunnel_groups_by_id() == ((1, "standard"), (3, "large"))
    counted = load_config(with_change("link", {"tunnelGroups": 2, "tunnelBandwidth": "large"}))
    assert counted.link.tunnel_groups_by_id() == ((0, "large"), (1, "large"))


def test_interconnect_profile_of_another_aws_region_is_rejected() -> None:
    settings = {**INTERCONNECT, "remoteProfile": "aws-us-west-2"}
    assert problems_of(with_change("link", {"kind": "interconnect", "interconnect": settings})) == [
        "crossmesh:link.interconnect.remoteProfile: 'aws-us-west-2' does not name the stack's AWS region; "
        "use 'aws-us-east-1' (the transport ends in aws.region)"
    ]


def test_node_scaling_must_be_ordered() -> None:
    raw = with_change("clusters", {"eks": {"nodes": {"min": 4, "desired": 3, "max": 6}}})
    assert problems_of(raw) == [
        "crossmesh:clusters.eks.nodes: min 4, desired 3, max 6; need min <= desired <= max"
    ]


def test_world_open_control_plane_cidr_is_rejected() -> None:
    raw = with_change("clusters", {"eks": {"publicAccessCidrs": ["0.0.0.0/0"]}})
    assert problems_of(raw)[0].startswith("crossmesh:clusters.eks.publicAccessCidrs[0]: '0.0.0.0/0' opens")


def test_node_group_instance_types_of_two_architectures_are_rejected() -> None:
    raw = with_change("clusters", {"eks": {"instanceTypes": ["m6i.large", "m7g.large"]}})
    assert problems_of(raw) == [
        "crossmesh:clusters.eks.instanceTypes: m6i.large (x86_64), m7g.large (arm64) mix CPU "
        "architectures; one node group runs one AMI, so list only x86_64 or only Graviton types"
    ]


def test_an_admin_role_listed_twice_is_rejected() -> None:
    arn = "arn:aws:iam::111122223333:role/admin"
    raw = with_change("clusters", {"eks": {"adminRoleArns": [arn, arn]}})
    assert problems_of(raw) == [
        f"crossmesh:clusters.eks.adminRoleArns: lists a role twice ({arn}, {arn}); each role gets one "
        "access entry"
    ]
    # The same role under another path is the same role: role names are unique in an account.
    other_path = "arn:aws:iam::111122223333:role/team/admin"
    raw = with_change("clusters", {"eks": {"adminRoleArns": [arn, other_path]}})
    assert problems_of(raw) == [
        f"crossmesh:clusters.eks.adminRoleArns: lists a role twice ({arn}, {other_path}); each role gets "
        "one access entry"
    ]
    other_account = "arn:aws:iam::444455556666:role/admin"
    loaded = load_config(with_change("clusters", {"eks": {"adminRoleArns": [arn, other_account]}}))
    assert loaded.clusters.eks.admin_role_arns == [arn, other_account]


def test_intermediate_outliving_root_is_rejected() -> None:
    raw = with_change("mesh", {"ca": {"rootValidityDays": 700, "intermediateValidityDays": 730}})
    assert problems_of(raw)[0].startswith(
        "crossmesh:mesh.ca.intermediateValidityDays: 730 must be shorter than "
        "crossmesh:mesh.ca.rootValidityDays"
    )


def test_early_renewal_longer_than_validity_is_rejected() -> None:
    raw = with_change("mesh", {"ca": {"intermediateValidityDays": 60, "earlyRenewalDays": 60}})
    assert problems_of(raw)[0].startswith("crossmesh:mesh.ca.earlyRenewalDays: 60 must be shorter")


def test_root_early_renewal_as_long_as_the_root_is_rejected() -> None:
    raw = with_change("mesh", {"ca": {"rootValidityDays": 3650, "rootEarlyRenewalDays": 3650}})
    assert problems_of(raw) == [
        "crossmesh:mesh.ca.rootEarlyRenewalDays: 3650 must be shorter than "
        "crossmesh:mesh.ca.rootValidityDays (3650), or the root's rotation is due from the day it is created"
    ]


def test_a_mesh_id_too_long_for_the_ca_names_is_rejected_with_the_limit() -> None:
    assert load_config(with_change("mesh", {"meshId": "m" * 44})).mesh.mesh_id == "m" * 44
    assert problems_of(with_change("mesh", {"meshId": "m" * 45})) == [
        f"crossmesh:mesh.meshId: '{'m' * 45}' is 45 characters; at most 44 are allowed, because the CA "
        f"name '{'m' * 45} intermediate CA aws' built from it would be 65 characters, past X.509's limit "
        "of 64"
    ]


def test_root_renewing_after_the_last_intermediate_could_fit_is_rejected() -> None:
    raw = with_change("mesh", {"ca": {"intermediateValidityDays": 730, "rootEarlyRenewalDays": 729}})
    assert problems_of(raw)[0].startswith(
        "crossmesh:mesh.ca.rootEarlyRenewalDays: 729 must be at least "
        "crossmesh:mesh.ca.intermediateValidityDays (730)"
    )


@given(
    root=st.integers(365, 10_000),
    intermediate=st.integers(30, 5_000),
    renewal=st.integers(1, 5_000),
    root_renewal=st.integers(1, 10_000),
)
def test_an_accepted_ca_never_issues_an_intermediate_that_outlives_its_root(
    root: int, intermediate: int, renewal: int, root_renewal: int
) -> None:
    raw = with_change(
        "mesh",
        {
            "ca": {
                "rootValidityDays": root,
                "intermediateValidityDays": intermediate,
                "earlyRenewalDays": renewal,
                "rootEarlyRenewalDays": root_renewal,
            }
        },
    )
    try:
        config = load_config(raw)
    except ConfigError:
        return
    ca = config.mesh.ca
    # The root is current until it enters its renewal window; an intermediate issued then must fit.
    last_issue_day = ca.root_validity_days - ca.root_early_renewal_days
    assert last_issue_day + ca.intermediate_validity_days <= ca.root_validity_days
    assert ca.early_renewal_days < ca.intermediate_validity_days


@pytest.mark.parametrize(
    ("ca", "expected"),
    [
        (
            {"roots": [1], "signingRoot": 2},
            "crossmesh:mesh.ca.signingRoot: 2 is not in crossmesh:mesh.ca.roots [1]; the root that signs "
            "the intermediates must be trusted",
        ),
        (
            {"roots": [1, 2, 3], "signingRoot": 2},
            "crossmesh:mesh.ca.roots: [1, 2, 3] must hold 1 or 2 generations",
        ),
        ({"roots": [], "signingRoot": 1}, "crossmesh:mesh.ca.roots: [] must hold 1 or 2 generations"),
        ({"roots": [1, 1], "signingRoot": 1}, "crossmesh:mesh.ca.roots: [1, 1] lists a generation twice"),
        ({"roots": [0, 1], "signingRoot": 1}, "crossmesh:mesh.ca.roots[0]: 0 is not a root generation"),
        ({"roots": [-1], "signingRoot": -1}, "crossmesh:mesh.ca.roots[0]: -1 is not a root generation"),
        ({"roots": "2"}, "crossmesh:mesh.ca.roots: '2' is text; it must be a list"),
        ({"signingRoot": "two"}, "crossmesh:mesh.ca.signingRoot: 'two' must be a valid integer"),
    ],
)
def test_a_bad_trust_window_names_the_key_the_value_and_what_is_allowed(
    ca: dict[str, Any], expected: str
) -> None:
    problems = problems_of(with_change("mesh", {"ca": ca}))
    assert any(problem.startswith(expected) for problem in problems), problems


@given(
    roots=st.lists(st.integers(-2, 5), max_size=4),
    signing=st.integers(-2, 5),
)
def test_an_accepted_trust_window_is_one_or_two_generations_including_the_signer(
    roots: list[int], signing: int
) -> None:
    try:
        ca = load_config(with_change("mesh", {"ca": {"roots": roots, "signingRoot": signing}})).mesh.ca
    except ConfigError:
        return
    assert 1 <= len(ca.trust_order()) <= 2
    assert ca.trust_order()[0] == signing
    assert sorted(ca.trust_order()) == sorted(roots)
    assert all(generation >= 1 for generation in roots)


def test_unknown_and_self_callers_are_rejected() -> None:
    raw = with_change("services.1.callers", ["chekout", "payment"])
    assert problems_of(raw) == [
        "crossmesh:services[1].callers[0]: 'chekout' is not a declared service; did you mean 'checkout'?",
        "crossmesh:services[1].callers[1]: 'payment' cannot list itself as a caller",
    ]


def test_duplicate_service_names_are_rejected() -> None:
    raw = copy.deepcopy(VALID)
    raw["services"].append({"name": "checkout", "cloud": "aws", "namespace": "other"})
    assert "crossmesh:services[2].name: 'checkout' is declared twice" in problems_of(raw)[0]


def test_app_mesh_requires_the_envoy_image_digest() -> None:
    raw = copy.deepcopy(VALID)
    raw["mesh"] = {"engines": {"aws": "appmesh"}}
    assert any(p.startswith("crossmesh:mesh.appmeshEnvoyDigest: required") for p in problems_of(raw))
    raw["mesh"]["appmeshEnvoyDigest"] = "sha256:abc"
    assert any("appmeshEnvoyDigest" in p for p in problems_of(raw))
    raw["mesh"]["appmeshEnvoyDigest"] = "sha256:" + "0" * 64
    assert load_config(raw).mesh.appmesh_envoy_digest == "sha256:" + "0" * 64


def test_a_protected_stack_must_name_who_its_alarms_notify() -> None:
    raw = copy.deepcopy(VALID)
    raw["protect"] = True
    problems = problems_of(raw)
    assert any(p.startswith("crossmesh:observability.snsTopicArn: required when protect") for p in problems)
    assert any(p.startswith("crossmesh:observability.gcpNotificationChannels: required") for p in problems)
    raw["observability"] = {
        "snsTopicArn": "arn:aws:sns:us-east-1:111122223333:alerts",
        "gcpNotificationChannels": ["projects/p/notificationChannels/1"],
    }
    assert load_config(raw).protect
    raw["observability"] = {"alarms": False}
    assert not load_config(raw).observability.alarms


def test_app_mesh_refuses_a_non_http_service_called_across_the_bridge() -> None:
    raw = copy.deepcopy(VALID)
    raw["mesh"] = {"engines": {"aws": "appmesh"}, "appmeshEnvoyDigest": "sha256:" + "0" * 64}
    raw["services"][1]["protocol"] = "grpc"
    assert problems_of(raw) == [
        "crossmesh:services[1].protocol: 'grpc' cannot cross between App Mesh and Istio (called from the "
        "other cloud by checkout); the gateway bridge carries http only"
    ]


def test_istio_on_both_clusters_carries_any_protocol_across_clouds() -> None:
    raw = copy.deepcopy(VALID)
    raw["services"][1]["protocol"] = "grpc"
    assert load_config(raw).services[1].protocol == "grpc"


def test_app_mesh_accepts_grpc_between_services_of_one_cloud() -> None:
    raw = copy.deepcopy(VALID)
    raw["mesh"] = {"engines": {"aws": "appmesh"}, "appmeshEnvoyDigest": "sha256:" + "0" * 64}
    raw["services"].append(
        {
            "name": "ledger",
            "cloud": "aws",
            "namespace": "payments",
            "protocol": "grpc",
            "callers": ["payment"],
        }
    )
    assert load_config(raw).services[2].protocol == "grpc"


def test_retries_that_cannot_fit_in_the_timeout_are_rejected() -> None:
    raw = with_change("trafficPolicy", {"timeout": "5s", "retries": {"attempts": 3, "perTryTimeout": "2s"}})
    assert problems_of(raw)[0].startswith(
        "crossmesh:trafficPolicy.retries.perTryTimeout: 2000ms x 4 tries exceeds timeout 5000ms"
    )


def test_an_eks_version_without_a_recorded_autoscaler_release_is_rejected() -> None:
    # EKS no longer runs 1.29 either (another problem of the same key); the autoscaler's is its own.
    raw = with_change("clusters", {"eks": {"version": "1.29"}})
    assert (
        "crossmesh:clusters.eks.version: 1.29 has no cluster autoscaler release recorded "
        "(components/data/cluster_autoscaler.json has 1.31, 1.32, 1.33, 1.34, 1.35, 1.36); refresh it with "
        "scripts/refresh_cluster_autoscaler.py"
    ) in problems_of(raw)


def test_eks_bounds_beyond_a_managed_node_groups_quota_are_rejected() -> None:
    raw = with_change("clusters", {"eks": {"nodes": {"min": 2, "desired": 3, "max": 451}}})
    assert problems_of(raw) == [
        "crossmesh:clusters.eks.nodes.max: 451 is above 450, EKS's default quota of nodes per managed node "
        "group"
    ]
    # GKE's bounds are per zone and its own; the EKS limit is not theirs.
    loaded = load_config(with_change("clusters", {"gke": {"nodes": {"min": 1, "desired": 1, "max": 500}}}))
    assert loaded.clusters.gke.nodes.max == 500


def test_pinned_zone_ids_set_the_zone_count() -> None:
    aws = {key: value for key, value in VALID["aws"].items() if key != "azCount"}
    pinned = {**aws, "availabilityZoneIds": ["use1-az1", "use1-az2"], "zoneSlots": 4}
    config = load_config({**VALID, "aws": pinned})
    assert config.aws.az_count == 2
    assert config.aws.availability_zone_ids == ["use1-az1", "use1-az2"]


def test_pinned_zones_must_be_distinct_accepted_by_eks_and_one_per_zone() -> None:
    pinned = ["use1-az3", "use1-az1", "use1-az1"]
    problems = problems_of(with_change("aws.availabilityZoneIds", pinned))
    assert problems == [
        "crossmesh:aws.availabilityZoneIds: use1-az1 listed more than once; each subnet needs its own zone",
        "crossmesh:aws.availabilityZoneIds: 'use1-az3' is a zone EKS refuses cluster subnets in "
        "(components/data/aws_az_exclusions.json); choose another zone ID",
    ]
    mismatch = with_change("aws.availabilityZoneIds", ["use1-az1", "use1-az2"])
    mismatch["aws"]["azCount"] = 3
    assert problems_of(mismatch) == [
        "crossmesh:aws.availabilityZoneIds: 2 zones but crossmesh:aws.azCount is 3; give one zone ID per "
        "zone, or leave azCount out"
    ]


def test_a_zone_name_is_not_a_zone_id() -> None:
    problems = problems_of(with_change("aws.availabilityZoneIds", ["us-east-1a", "us-east-1b", "us-east-1c"]))
    assert problems[0] == (
        "crossmesh:aws.availabilityZoneIds[0]: 'us-east-1a' must be an Availability Zone ID such as use1-az1 "
        "(not a zone name like us-east-1a)"
    )


@pytest.mark.parametrize(("az_count", "earlier"), [(2, 2), (5, 8), (6, 8)])
def test_a_zone_count_that_earlier_releases_cut_other_slots_for_must_state_its_slots(
    az_count: int, earlier: int
) -> None:
    raw = with_change("aws.azCount", az_count)
    assert problems_of(raw) == [
        f"crossmesh:aws.zoneSlots: must be set with crossmesh:aws.azCount {az_count}: set it to the slots "
        f"the stack's subnets were cut for, 4 if it ran with 3 or 4 zones and no zoneSlots, {earlier} if a "
        f"release before aws.zoneSlots deployed it with {az_count} zones; a new stack picks 4 or 8 "
        "(docs/runbooks/change-zone-count.md)"
    ]
    raw["aws"]["zoneSlots"] = earlier
    assert load_config(raw).aws.resolved_zone_slots() == earlier


def test_three_or_four_zones_keep_the_four_slots_of_earlier_releases_unless_told() -> None:
    assert load_config(with_change("aws.azCount", 3)).aws.resolved_zone_slots() == 4
    assert load_config(with_change("aws.azCount", 4)).aws.resolved_zone_slots() == 4
    raw = with_change("aws.azCount", 3)
    raw["aws"]["zoneSlots"] = 8
    assert load_config(raw).aws.resolved_zone_slots() == 8


def test_more_zones_than_the_slots_hold_is_refused() -> None:
    raw = with_change("aws.azCount", 5)
    raw["aws"]["zoneSlots"] = 4
    assert problems_of(raw) == [
        "crossmesh:aws.zoneSlots: 4 cannot hold crossmesh:aws.azCount 5: the address plan is fixed for the "
        "stack's life; more zones than it holds need a new VPC (docs/runbooks/change-zone-count.md)"
    ]


def test_istio_revisions_are_one_or_two_and_followed_only_where_installed() -> None:
    three = {"default": "1.29.6", "1-30": "1.30.3", "1-31": "1.31.0"}
    problems = problems_of(with_change("mesh.istio", {"revisions": three}))
    assert problems == [
        "crossmesh:mesh.istio.revisions: default, 1-30, 1-31 must be 2 revisions at most and at least one: "
        "the current istiod, and its successor during an upgrade (docs/runbooks/upgrade-istio.md)"
    ]
    moved = {"revisions": {"default": "1.29.6", "1-30": "1.30.3"}, "injection": "1-31", "gateways": "1-30"}
    assert problems_of(with_change("mesh.istio", moved)) == [
        "crossmesh:mesh.istio.injection: '1-31' is not one of crossmesh:mesh.istio.revisions "
        "(default, 1-30); it must name an installed istiod"
    ]


def test_the_newest_revision_gives_the_crds() -> None:
    config = load_config(with_change("mesh.istio", {"revisions": {"default": "1.30.10", "1-30": "1.30.9"}}))
    assert config.mesh.istio.newest() == "1.30.10"


def test_a_trust_domain_alias_names_another_domain_once() -> None:
    raw = with_change("mesh.trustDomainAliases", ["crossmesh.local", "old.local", "old.local"])
    raw["mesh"]["trustDomain"] = "crossmesh.local"
    assert problems_of(raw) == [
        "crossmesh:mesh.trustDomainAliases: lists 'crossmesh.local', which is crossmesh:mesh.trustDomain "
        "itself; aliases are the earlier trust domains",
        "crossmesh:mesh.trustDomainAliases: ['crossmesh.local', 'old.local', 'old.local'] lists a domain "
        "twice",
    ]
