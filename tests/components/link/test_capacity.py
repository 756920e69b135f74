"""link.targetGbps: the bandwidth asked for derives the tunnel groups, or is refused naming the limit."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.config import MAX_TUNNEL_GROUPS, ConfigError, load_config
from components.link.specs import groups_for_target, link_capacity
from tests.support.config_samples import VALID
from tests.support.plans import planned
from tests.support.types import GCP_HA_VPN_GATEWAY


def _load(link: dict[str, Any]) -> Any:
    return load_config({**VALID, "link": link})


def _problems(link: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _load(link)
    return caught.value.problems


@pytest.mark.parametrize(
    ("target", "bandwidth", "groups"),
    [(5, "standard", 1), (5.01, "standard", 2), (12, "standard", 3), (12, "large", 1), (125, "standard", 25)],
)
def test_target_derives_the_fewest_groups_that_carry_it(target: float, bandwidth: str, groups: int) -> None:
    assert _load({"targetGbps": target, "tunnelBandwidth": bandwidth}).link.tunnel_groups == groups


def test_a_target_beyond_the_vpn_limit_names_the_limit_and_the_ways_out() -> None:
    assert _problems({"targetGbps": 200}) == [
        "crossmesh:link.targetGbps: 200 needs 40 groups of 4 standard tunnels (1.25 Gbps each); a VPN link "
        "has at most 25 groups = 125 Gbps; tunnelBandwidth: large carries up to 300 Gbps, or use kind: "
        "interconnect"
    ]


def test_explicit_groups_below_the_target_are_refused() -> None:
    assert _problems({"targetGbps": 12, "tunnelGroups": 1}) == [
        "crossmesh:link.tunnelGroups: 1 group(s) carry 5 Gbps, less than crossmesh:link.targetGbps 12; "
        "remove tunnelGroups to derive it (3 groups)"
    ]


def test_an_interconnect_must_carry_the_target() -> None:
    settings = {"remoteProfile": "aws-us-east-1", "awsAccountId": "123456789012", "bandwidth": "BPS_10G"}
    problems = _problems({"kind": "interconnect", "interconnect": settings, "targetGbps": 20})
    assert problems == [
        "crossmesh:link.targetGbps: 20 is more than crossmesh:link.interconnect.bandwidth BPS_10G (10 Gbps) "
        "carries; raise the bandwidth (at most BPS_100G)"
    ]


def test_the_plan_builds_the_derived_groups_and_reports_the_target() -> None:
    plan = planned("dev", {"link": {"targetGbps": 12, "awsAsn": 64512, "gcpAsn": 65515}})
    assert len(plan.of_type(GCP_HA_VPN_GATEWAY)) == 3
    assert len(plan.outputs["tunnels"]) == 12
    assert plan.outputs["linkCapacity"]["targetGbps"] == 12
    assert plan.outputs["linkCapacity"]["aggregateGbps"] >= 12


@given(target=st.floats(min_value=0.01, max_value=300), bandwidth=st.sampled_from(["standard", "large"]))
def test_derived_groups_are_enough_and_one_fewer_would_not_be(target: float, bandwidth: str) -> None:
    groups = groups_for_target(target, bandwidth)
    assert link_capacity(groups, bandwidth).aggregate_gbps >= target - 1e-6
    if groups > 1:
        assert link_capacity(groups - 1, bandwidth).aggregate_gbps < target
    if groups <= MAX_TUNNEL_GROUPS:
        assert _load({"targetGbps": target, "tunnelBandwidth": bandwidth}).link.tunnel_groups == groups
