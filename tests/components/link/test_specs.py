"""Pure link numbers: inside /30s, PSK rules, the customer-gateway ASN field, the capacity model."""

from __future__ import annotations

import ipaddress
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config import MAX_TUNNEL_GROUPS
from components.link.specs import (
    AWS_RESERVED_INSIDE_CIDRS,
    LINK_LOCAL,
    PSK_SPEC,
    TUNNELS_PER_GROUP,
    PskSpec,
    customer_gateway_asn,
    gcp_prefixes,
    group_tunnels,
    inside_cidrs,
    is_usable_inside_cidr,
    link_capacity,
    mixed_capacity,
    psk_problems,
    spec_problems,
    tunnel_plan,
)

# --- inside /30s ---------------------------------------------------------------------------------------


def test_first_group_gets_four_consecutive_blocks_from_169_254_10_0() -> None:
    assert [tunnel.inside_cidr for tunnel in tunnel_plan(1)] == [
        "169.254.10.0/30",
        "169.254.10.4/30",
        "169.254.10.8/30",
        "169.254.10.12/30",
    ]


def test_aws_end_is_the_first_host_and_the_cloud_router_the_second() -> None:
    first = tunnel_plan(1)[0]
    assert (first.aws_inside_ip, first.gcp_inside_ip) == ("169.254.10.1", "169.254.10.2")


def test_tunnels_map_to_connections_and_ha_interfaces_in_the_documented_order() -> None:
    layout = [(t.connection, t.aws_tunnel_number, t.ha_interface) for t in tunnel_plan(1)]
    # External gateway interface i = AWS IP i: conn A tunnel 1, A2, B1, B2; HA 0 -> 0,1 and 1 -> 2,3.
    assert layout == [(0, 1, 0), (0, 2, 0), (1, 1, 1), (1, 2, 1)]


@pytest.mark.parametrize("reserved", sorted(AWS_RESERVED_INSIDE_CIDRS))
def test_every_block_aws_reserves_is_unusable(reserved: ipaddress.IPv4Network) -> None:
    assert not is_usable_inside_cidr(reserved)


@pytest.mark.parametrize("cidr", ["169.254.10.0/29", "10.0.0.0/30", "169.254.10.0/31"])
def test_wrong_size_or_range_is_unusable(cidr: str) -> None:
    assert not is_usable_inside_cidr(ipaddress.IPv4Network(cidr))


def test_the_allocator_steps_over_the_metadata_block_when_it_gets_there() -> None:
    # 169.254.169.252/30 is reached after (169 - 10) * 64 + 63 blocks.
    count = (169 - 10) * 64 + 66
    blocks = inside_cidrs(count)
    assert ipaddress.IPv4Network("169.254.169.252/30") not in blocks
    assert blocks[-3:] == [ipaddress.IPv4Network(f"169.254.170.{host}/30") for host in (0, 4, 8)]


def test_asking_for_more_blocks_than_link_local_holds_fails_clearly() -> None:
    with pytest.raises(ValueError, match="fewer than 20000 usable /30s"):
        inside_cidrs(20_000)


def test_zero_groups_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        tunnel_plan(0)


@given(st.integers(min_value=1, max_value=MAX_TUNNEL_GROUPS))
def test_allocation_is_usable_unique_and_stable_for_every_group_count(groups: int) -> None:
    plan = tunnel_plan(groups)
    blocks = [ipaddress.IPv4Network(tunnel.inside_cidr) for tunnel in plan]
    assert len(plan) == groups * TUNNELS_PER_GROUP
    assert len(set(blocks)) == len(blocks)
    assert all(is_usable_inside_cidr(block) and block.subnet_of(LINK_LOCAL) for block in blocks)
    assert not set(blocks) & AWS_RESERVED_INSIDE_CIDRS
    # Adding a group never renumbers an existing tunnel.
    assert plan[: (groups - 1) * TUNNELS_PER_GROUP] == tunnel_plan(max(groups - 1, 1))[: len(plan) - 4]
    assert plan == tunnel_plan(groups)


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=2_000))
def test_any_number_of_blocks_is_usable_and_unique(count: int) -> None:
    blocks = inside_cidrs(count)
    assert len(blocks) == count == len(set(blocks))
    assert all(is_usable_inside_cidr(block) for block in blocks)


@given(st.integers(min_value=1, max_value=MAX_TUNNEL_GROUPS))
def test_both_ends_of_each_tunnel_are_the_two_hosts_of_its_block(groups: int) -> None:
    for tunnel in tunnel_plan(groups):
        hosts = [str(host) for host in ipaddress.IPv4Network(tunnel.inside_cidr).hosts()]
        assert hosts == [tunnel.aws_inside_ip, tunnel.gcp_inside_ip]


# --- pre-shared keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("0abcdefgh", "must not start with 0"),
        ("pa$$word1", "may contain only letters, digits, '.' and '_'"),
        ("abcdefg", "must be 8-64 characters long, not 7"),
        ("a" * 65, "must be 8-64 characters long, not 65"),
    ],
)
def test_keys_aws_refuses_are_reported(key: str, problem: str) -> None:
    assert problem in psk_problems(key)


@pytest.mark.parametrize("key", ["abcdefgh", "A" * 64, "1._0xyzAB", "_leading.underscore"])
def test_keys_aws_accepts_pass(key: str) -> None:
    assert psk_problems(key) == []


def test_the_shipped_spec_can_only_produce_acceptable_keys() -> None:
    assert spec_problems(PSK_SPEC) == []
    assert "0" not in PSK_SPEC.alphabet()


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (PskSpec(numeric=True), "the alphabet has 0"),
        (PskSpec(override_special="!@"), "has characters AWS refuses"),
        (PskSpec(length=65), "length 65 is outside 8-64"),
    ],
)
def test_specs_that_could_produce_a_bad_key_are_reported(spec: PskSpec, problem: str) -> None:
    assert any(problem in line for line in spec_problems(spec))


@given(st.text(alphabet=PSK_SPEC.alphabet(), min_size=PSK_SPEC.length, max_size=PSK_SPEC.length))
def test_any_key_drawn_from_the_spec_satisfies_aws(key: str) -> None:
    assert psk_problems(key) == []


@given(st.text(alphabet=string.printable, min_size=0, max_size=80))
def test_psk_rules_match_the_aws_definition(key: str) -> None:
    allowed = set(string.ascii_letters + string.digits + "._")
    acceptable = 8 <= len(key) <= 64 and set(key) <= allowed and not key.startswith("0")
    assert (psk_problems(key) == []) == acceptable


# --- ASNs, capacity, prefixes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asn", "field"),
    [
        (65515, "bgp_asn"),
        (2_147_483_647, "bgp_asn"),
        (2_147_483_648, "bgp_asn_extended"),
        (4_200_000_000, "bgp_asn_extended"),
    ],
)
def test_four_byte_asns_go_in_the_extended_field(asn: int, field: str) -> None:
    placed = customer_gateway_asn(asn)
    assert getattr(placed, field) == str(asn)
    other = "bgp_asn_extended" if field == "bgp_asn" else "bgp_asn"
    assert getattr(placed, other) is None


def test_four_standard_tunnels_give_four_times_one_tunnel() -> None:
    capacity = link_capacity(1, "standard")
    assert (capacity.tunnels, capacity.tunnel_gbps, capacity.aggregate_gbps) == (4, 1.25, 5.0)
    assert capacity.aggregate_pps == 4 * 140_000


def test_large_aws_tunnels_are_capped_by_cloud_vpn() -> None:
    capacity = link_capacity(2, "large")
    assert capacity.aws_tunnel_gbps == 5.0
    assert capacity.tunnel_gbps == 3.0
    assert capacity.aggregate_gbps == 24.0
    assert capacity.aggregate_pps == 8 * 250_000


@given(st.integers(min_value=1, max_value=MAX_TUNNEL_GROUPS), st.sampled_from(["standard", "large"]))
def test_capacity_scales_linearly_with_groups(groups: int, bandwidth: str) -> None:
    one, many = link_capacity(1, bandwidth), link_capacity(groups, bandwidth)
    assert many.aggregate_gbps == pytest.approx(groups * one.aggregate_gbps)
    assert many.aggregate_pps == groups * one.aggregate_pps


def test_unknown_bandwidth_is_refused() -> None:
    with pytest.raises(ValueError, match="huge"):
        link_capacity(1, "huge")


def test_gcp_prefixes_are_subnet_pods_master_then_the_cloud_dns_source_and_never_cluster_ips() -> None:
    prefixes = gcp_prefixes("10.20.0.0/20", "10.24.0.0/14", "172.16.0.0/28")
    assert [(p.key, p.cidr) for p in prefixes] == [
        ("subnet", "10.20.0.0/20"),
        ("pods", "10.24.0.0/14"),
        ("master", "172.16.0.0/28"),
        ("dns", "35.199.192.0/19"),
    ]


def test_a_group_keeps_its_tunnel_addresses_whichever_other_groups_exist() -> None:
    every = {(t.group, t.tunnel): t for t in tunnel_plan(4)}
    alone = group_tunnels([3])
    assert [t.group for t in alone] == [3, 3, 3, 3]
    assert all(every[(t.group, t.tunnel)] == t for t in alone)
    assert {t.group for t in group_tunnels([1, 3])} == {1, 3}
    with pytest.raises(ValueError):
        group_tunnels([])


def test_mixed_groups_count_every_tunnel_at_the_slower_rate() -> None:
    mixed = mixed_capacity(["standard", "large"])
    assert mixed.tunnels == 8
    assert mixed.aggregate_gbps == link_capacity(2, "standard").aggregate_gbps
    assert mixed_capacity(["large", "large"]) == link_capacity(2, "large")
