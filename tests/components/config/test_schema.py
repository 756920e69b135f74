"""The stack file's shape: what each field accepts and rejects, the defaults, the models' methods."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import load_config
from tests.support.config_samples import INTERCONNECT, VALID, problems_of, with_change


def test_valid_config_loads_with_production_safe_defaults() -> None:
    config = load_config(VALID)
    assert config.link.kind == "vpn"
    assert config.link.tunnel_groups == 1
    assert config.mesh.engines.aws == "istio"
    assert config.clusters.eks.public_access_cidrs == []
    assert config.observability.tracing and config.observability.alarms
    assert config.protect is False


def test_the_cost_figures_default_to_the_stated_usage_and_take_a_stack_files_numbers() -> None:
    assert load_config(VALID).cost.cross_cloud_gb_per_month == 1000
    config = load_config(with_change("cost", {"crossCloudGbPerMonth": 250, "spansPerTrace": 6}))
    assert (config.cost.cross_cloud_gb_per_month, config.cost.spans_per_trace) == (250, 6)
    assert config.cost.traces_millions_per_month == 1


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
            "cost.crossCloudGbPerMonth",
            -5,
            "crossmesh:cost.crossCloudGbPerMonth: -5 must be greater than or equal to 0",
        ),
        (
            "cost.crossCloudGbPerMonth",
            True,
            "crossmesh:cost.crossCloudGbPerMonth: True must be a number, not true or false",
        ),
        (
            "cost.tracesMillionsPerMonth",
            float("nan"),
            "crossmesh:cost.tracesMillionsPerMonth: nan must be a finite number",
        ),
        ("cost.spansPerTrace", 0, "crossmesh:cost.spansPerTrace: 0 must be greater than or equal to 1"),
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


@pytest.mark.parametrize("asn", [64512, 65534, 4_200_000_000, 4_294_967_294])
def test_private_asn_edges_are_accepted(asn: int) -> None:
    other = 65000 if asn != 65000 else 65001
    assert load_config(with_change("link", {"awsAsn": asn, "gcpAsn": other})).link.aws_asn == asn


def test_interconnect_with_its_settings_loads() -> None:
    config = load_config(with_change("link", {"kind": "interconnect", "interconnect": INTERCONNECT}))
    assert config.link.interconnect is not None
    assert config.link.interconnect.bandwidth == "BPS_1G"


def test_interconnect_bandwidth_outside_the_offered_steps_is_rejected() -> None:
    settings = {**INTERCONNECT, "bandwidth": "BPS_3G"}
    problems = problems_of(with_change("link", {"kind": "interconnect", "interconnect": settings}))
    assert problems[0].startswith("crossmesh:link.interconnect.bandwidth: 'BPS_3G' is not allowed; must be")


def test_large_tunnels_are_accepted_on_a_vpn_link() -> None:
    assert load_config(with_change("link", {"tunnelBandwidth": "large"})).link.tunnel_bandwidth == "large"


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


def test_service_override_merges_key_by_key_over_the_default() -> None:
    raw = with_change("services.1.trafficPolicy", {"timeout": "5s", "retries": {"attempts": 1}})
    config = load_config(raw)
    policy = config.effective_policy(config.services[1])
    assert policy.timeout == 5000
    assert policy.retries.attempts == 1
    assert policy.retries.per_try_timeout == config.traffic_policy.retries.per_try_timeout
    assert policy.outlier_detection == config.traffic_policy.outlier_detection
    assert config.effective_policy(config.services[0]) == config.traffic_policy


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
