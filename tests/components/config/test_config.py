"""StackConfig: every rule accepts what it should, rejects what it should, and says where."""

from __future__ import annotations

import copy
import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from components.config import (
    ConfigError,
    StackConfig,
    load_config,
    overlapping_pairs,
    read_stack_config,
)
from tests.support.config_samples import VALID

ROOT = Path(__file__).resolve().parents[3]


def with_change(path: str, value: Any) -> dict[str, Any]:
    """VALID with one dotted key set (or removed when value is ...)."""
    raw = copy.deepcopy(VALID)
    *parents, leaf = path.split(".")
    node: Any = raw
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    if value is ...:
        del node[leaf]
    elif leaf.isdigit():
        node[int(leaf)] = value
    else:
        node[leaf] = value
    return raw


def problems_of(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(raw)
    return caught.value.problems


def test_valid_config_loads_with_production_safe_defaults() -> None:
    config = load_config(VALID)
    assert config.link.kind == "vpn"
    assert config.link.tunnel_groups == 1
    assert config.mesh.engines.aws == "istio"
    assert config.clusters.eks.public_access_cidrs == []
    assert config.observability.tracing and config.observability.alarms
    assert config.protect is False


@pytest.mark.parametrize("stack_file", sorted(ROOT.glob("Pulumi.*.yaml")), ids=lambda p: p.name)
def test_every_shipped_stack_file_is_valid(stack_file: Path) -> None:
    config_keys = yaml.safe_load(stack_file.read_text())["config"]
    raw = {key.split(":", 1)[1]: value for key, value in config_keys.items() if key.startswith("crossmesh:")}
    assert isinstance(load_config(raw), StackConfig)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "aws.vpcCidr",
            "10.10.1.0/16",
            "crossmesh:aws.vpcCidr: '10.10.1.0/16' is not a valid CIDR block; did you mean 10.10.0.0/16?",
        ),
        ("aws.vpcCidr", "notacidr", "crossmesh:aws.vpcCidr: 'notacidr' is not a valid IPv4 CIDR block"),
        (
            "link.tunnelBandwidth",
            "huge",
            "crossmesh:link.tunnelBandwidth: 'huge' is not allowed; must be 'standard' or 'large'",
        ),
        ("link.tunnelGroups", 0, "crossmesh:link.tunnelGroups: 0 must be greater than or equal to 1"),
        ("link.tunnelGroups", 26, "crossmesh:link.tunnelGroups: 26 must be less than or equal to 25"),
        ("link.awsAsn", 64511, "crossmesh:link.awsAsn: 64511 must be a private ASN"),
        ("link.gcpAsn", 4294967295, "crossmesh:link.gcpAsn: 4294967295 must be a private ASN"),
        ("mesh.engines.gcp", "appmesh", "crossmesh:mesh.engines.gcp: 'appmesh' is not allowed"),
        ("trafficPolicy.timeout", 15, "crossmesh:trafficPolicy.timeout: 15 must be a duration string"),
        (
            "trafficPolicy.timeout",
            "15 seconds",
            "crossmesh:trafficPolicy.timeout: '15 seconds' must be a duration",
        ),
        (
            "gcp.project",
            ...,
            "crossmesh:gcp.project: missing; set it with `pulumi config set --path 'gcp.project' <value>`",
        ),
    ],
)
def test_bad_value_names_key_value_and_what_is_allowed(path: str, value: Any, expected: str) -> None:
    problems = problems_of(with_change(path, value))
    assert any(line.startswith(expected) for line in problems), problems


def test_misspelt_key_is_rejected_with_a_suggestion_at_any_depth() -> None:
    raw = with_change("aws.azCuont", 3)
    raw["servces"] = []
    raw["mesh"] = {"ca": {"rootValidityDay": 3650}}
    problems = problems_of(raw)
    assert any(p.startswith("crossmesh:aws.azCuont: unknown key; did you mean 'azCount'?") for p in problems)
    assert any(p.startswith("crossmesh:servces: unknown key; did you mean 'services'?") for p in problems)
    assert any(
        p.startswith("crossmesh:mesh.ca.rootValidityDay: unknown key; did you mean 'rootValidityDays'?")
        for p in problems
    )


def test_every_problem_is_reported_one_line_each() -> None:
    raw = with_change("link.tunnelBandwidth", "huge")
    raw["link"]["awsAsn"] = 1
    raw["aws"]["vpcCidr"] = "bad"
    assert len(problems_of(raw)) == 3


def test_cross_field_problems_are_reported_alongside_bad_values() -> None:
    raw = with_change("gcp.podsCidr", "10.8.0.0/14")
    raw["aws"]["azCuont"] = 3
    raw["link"] = {"tunnelBandwidth": "huge", "awsAsn": 65000, "gcpAsn": 65000}
    problems = problems_of(raw)
    assert [p.split(":")[1].split(" ")[0] for p in problems] == [
        "aws.azCuont",
        "link.tunnelBandwidth",
        "gcp.podsCidr",
        "link.gcpAsn",
    ]


def test_no_cross_field_problem_is_derived_from_a_rejected_value() -> None:
    # awsAsn 1 is rejected and falls back to its default 64512, which equals gcpAsn: that clash is the
    # default's, not the user's, so only the rejection is reported.
    problems = problems_of(with_change("link", {"awsAsn": 1, "gcpAsn": 64512}))
    assert len(problems) == 1 and problems[0].startswith("crossmesh:link.awsAsn: 1 ")


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


@pytest.mark.parametrize("asn", [64512, 65534, 4_200_000_000, 4_294_967_294])
def test_private_asn_edges_are_accepted(asn: int) -> None:
    other = 65000 if asn != 65000 else 65001
    assert load_config(with_change("link", {"awsAsn": asn, "gcpAsn": other})).link.aws_asn == asn


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


def test_world_open_control_plane_cidr_is_rejected() -> None:
    raw = with_change("clusters", {"eks": {"publicAccessCidrs": ["0.0.0.0/0"]}})
    assert problems_of(raw)[0].startswith("crossmesh:clusters.eks.publicAccessCidrs[0]: '0.0.0.0/0' opens")


def test_node_group_instance_types_of_two_architectures_are_rejected() -> None:
    raw = with_change("clusters", {"eks": {"instanceTypes": ["m6i.large", "m7g.large"]}})
    assert problems_of(raw) == [
        "crossmesh:clusters.eks.instanceTypes: m6i.large (x86_64), m7g.large (arm64) mix CPU "
        "architectures; one node group runs one AMI, so list only x86_64 or only Graviton types"
    ]


def test_a_word_that_is_not_an_instance_type_is_rejected() -> None:
    raw = with_change("clusters", {"eks": {"instanceTypes": ["large"]}})
    assert problems_of(raw) == [
        "crossmesh:clusters.eks.instanceTypes[0]: 'large' is not an EC2 instance type such as m6i.large "
        "or m7g.xlarge"
    ]


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::111122223333:user/alice",
        "arn:aws:sts::111122223333:assumed-role/admin/session",
        "arn:aws:iam::1111:role/admin",
        "platform-admin",
    ],
)
def test_admin_entries_must_name_iam_roles(arn: str) -> None:
    raw = with_change("clusters", {"eks": {"adminRoleArns": [arn]}})
    assert problems_of(raw)[0].startswith(
        f"crossmesh:clusters.eks.adminRoleArns[0]: '{arn}' must be an IAM role ARN"
    )


def test_admin_roles_in_other_partitions_and_with_paths_are_accepted() -> None:
    arns = ["arn:aws:iam::111122223333:role/platform/admin", "arn:aws-us-gov:iam::111122223333:role/ops"]
    config = load_config(with_change("clusters", {"eks": {"adminRoleArns": arns}}))
    assert config.clusters.eks.admin_role_arns == arns


def test_an_admin_role_listed_twice_is_rejected() -> None:
    arn = "arn:aws:iam::111122223333:role/admin"
    raw = with_change("clusters", {"eks": {"adminRoleArns": [arn, arn]}})
    assert problems_of(raw) == [
        "crossmesh:clusters.eks.adminRoleArns: lists a role twice; each role gets one access entry"
    ]


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


def test_intermediate_outliving_root_is_rejected() -> None:
    raw = with_change("mesh", {"ca": {"rootValidityDays": 700, "intermediateValidityDays": 730}})
    assert problems_of(raw)[0].startswith(
        "crossmesh:mesh.ca.intermediateValidityDays: 730 must be shorter than "
        "crossmesh:mesh.ca.rootValidityDays"
    )


def test_early_renewal_longer_than_validity_is_rejected() -> None:
    raw = with_change("mesh", {"ca": {"intermediateValidityDays": 60, "earlyRenewalDays": 60}})
    assert problems_of(raw)[0].startswith("crossmesh:mesh.ca.earlyRenewalDays: 60 must be shorter")


def test_node_scaling_must_be_ordered() -> None:
    raw = with_change("clusters", {"eks": {"nodes": {"min": 4, "desired": 3, "max": 6}}})
    assert problems_of(raw) == [
        "crossmesh:clusters.eks.nodes: min 4, desired 3, max 6; need min <= desired <= max"
    ]


def test_retries_that_cannot_fit_in_the_timeout_are_rejected() -> None:
    raw = with_change("trafficPolicy", {"timeout": "5s", "retries": {"attempts": 3, "perTryTimeout": "2s"}})
    assert problems_of(raw)[0].startswith(
        "crossmesh:trafficPolicy.retries.perTryTimeout: 2000ms x 4 tries exceeds timeout 5000ms"
    )


def test_service_override_merges_key_by_key_over_the_default() -> None:
    raw = with_change("services.1.trafficPolicy", {"timeout": "5s", "retries": {"attempts": 1}})
    config = load_config(raw)
    policy = config.effective_policy(config.services[1])
    assert policy.timeout == 5000
    assert policy.retries.attempts == 1
    assert policy.retries.per_try_timeout == config.traffic_policy.retries.per_try_timeout
    assert policy.outlier_detection == config.traffic_policy.outlier_detection
    assert config.effective_policy(config.services[0]) == config.traffic_policy


def test_service_override_errors_name_the_service_path() -> None:
    raw = with_change("services.1.trafficPolicy", {"retries": {"attemps": 3}, "timeout": 5})
    problems = problems_of(raw)
    assert any(
        p.startswith(
            "crossmesh:services[1].trafficPolicy.retries.attemps: unknown key; did you mean 'attempts'?"
        )
        for p in problems
    )
    assert any(
        p.startswith("crossmesh:services[1].trafficPolicy.timeout: 5 must be a duration") for p in problems
    )


def test_read_stack_config_decodes_structured_values_of_the_namespace_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pulumi.runtime import config as runtime_config

    monkeypatch.setenv(
        "PULUMI_CONFIG",
        json.dumps(
            {"crossmesh:aws": json.dumps(VALID["aws"]), "crossmesh:protect": "true", "aws:region": "x"}
        ),
    )
    # Config set in-process (as the offline engine does) by an earlier plan must not leak in.
    earlier = runtime_config.CONFIG.set({})
    try:
        assert read_stack_config() == {"aws": VALID["aws"], "protect": "true"}
    finally:
        runtime_config.CONFIG.reset(earlier)


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


INTERCONNECT = {"remoteProfile": "aws-us-east-1", "awsAccountId": "123456789012"}


def test_interconnect_with_its_settings_loads() -> None:
    config = load_config(with_change("link", {"kind": "interconnect", "interconnect": INTERCONNECT}))
    assert config.link.interconnect is not None
    assert config.link.interconnect.bandwidth == "BPS_1G"


@pytest.mark.parametrize(
    ("key", "value"), [("tunnelGroups", 2), ("tunnelBandwidth", "large"), ("tunnelBandwidth", "standard")]
)
def test_vpn_sizing_on_an_interconnect_link_is_rejected(key: str, value: Any) -> None:
    link = {"kind": "interconnect", "interconnect": INTERCONNECT, key: value}
    assert problems_of(with_change("link", link)) == [
        f"crossmesh:link.{key}: {value!r} is set, but it applies only to kind 'vpn'; the interconnect's "
        "size is link.interconnect.bandwidth"
    ]


def test_interconnect_profile_of_another_aws_region_is_rejected() -> None:
    settings = {**INTERCONNECT, "remoteProfile": "aws-us-west-2"}
    assert problems_of(with_change("link", {"kind": "interconnect", "interconnect": settings})) == [
        "crossmesh:link.interconnect.remoteProfile: 'aws-us-west-2' does not name the stack's AWS region; "
        "use 'aws-us-east-1' (the transport ends in aws.region)"
    ]


def test_interconnect_bandwidth_outside_the_offered_steps_is_rejected() -> None:
    settings = {**INTERCONNECT, "bandwidth": "BPS_3G"}
    problems = problems_of(with_change("link", {"kind": "interconnect", "interconnect": settings}))
    assert problems[0].startswith("crossmesh:link.interconnect.bandwidth: 'BPS_3G' is not allowed; must be")


def test_large_tunnels_are_accepted_on_a_vpn_link() -> None:
    assert load_config(with_change("link", {"tunnelBandwidth": "large"})).link.tunnel_bandwidth == "large"


def test_root_early_renewal_as_long_as_the_root_is_rejected() -> None:
    raw = with_change("mesh", {"ca": {"rootValidityDays": 3650, "rootEarlyRenewalDays": 3650}})
    assert problems_of(raw) == [
        "crossmesh:mesh.ca.rootEarlyRenewalDays: 3650 must be shorter than "
        "crossmesh:mesh.ca.rootValidityDays (3650), or every pulumi up replaces the root"
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


def test_app_mesh_refuses_a_non_http_service_called_across_the_bridge() -> None:
    raw = copy.deepcopy(VALID)
    raw["mesh"] = {"engines": {"aws": "appmesh"}}
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
    raw["mesh"] = {"engines": {"aws": "appmesh"}}
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


def test_a_stack_trusts_and_signs_with_root_generation_1_by_default() -> None:
    ca = load_config(VALID).mesh.ca
    assert (ca.roots, ca.signing_root, ca.trust_order()) == ([1], 1, (1,))


@pytest.mark.parametrize(
    ("roots", "signing", "order"),
    [([1, 2], 1, (1, 2)), ([1, 2], 2, (2, 1)), ([2, 1], 2, (2, 1)), ([2], 2, (2,)), ([3, 2], 3, (3, 2))],
)
def test_every_stage_of_a_root_rotation_loads_with_the_signing_root_first(
    roots: list[int], signing: int, order: tuple[int, ...]
) -> None:
    ca = load_config(with_change("mesh", {"ca": {"roots": roots, "signingRoot": signing}})).mesh.ca
    assert ca.trust_order() == order


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
        ({"roots": "2"}, "crossmesh:mesh.ca.roots: '2' must be a valid list"),
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


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            {"gcpNotificationChannels": ["1234"]},
            "crossmesh:observability.gcpNotificationChannels[0]: '1234' String should match pattern "
            "'^projects/[^/]+/notificationChannels/[^/]+$'",
        ),
        (
            {"crossCloudErrorPercent": 0},
            "crossmesh:observability.crossCloudErrorPercent: 0 must be greater than 0",
        ),
        (
            {"crossCloudLatencyP99Ms": 0},
            "crossmesh:observability.crossCloudLatencyP99Ms: 0 must be greater than or equal to 1",
        ),
    ],
)
def test_bad_alarm_settings_are_rejected_naming_the_key(change: dict[str, Any], problem: str) -> None:
    assert problems_of(with_change("observability", change)) == [problem]


def test_alarm_thresholds_default_to_five_percent_and_one_second() -> None:
    config = load_config(with_change("observability", {}))
    assert config.observability.cross_cloud_error_percent == 5.0
    assert config.observability.cross_cloud_latency_p99_ms == 1000
    assert config.observability.container_insights and config.observability.dashboards
