"""AwsNetwork under the offline engine, and the subnet plan it is built from."""

from __future__ import annotations

import ipaddress
import json
import math
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from components.network.aws_specs import partition_of
from components.network.specs import ZONE_SLOTS, legacy_zone_slots, subnet_plan
from components.network.zone_specs import excluded_zone_ids
from offline.fake_cloud import FAKE_AWS_ACCOUNT
from offline.fakes.aws_base import zone_names_and_ids
from offline.record import Plan
from tests.support.plans import planned
from tests.support.types import AWS_SUBNET, CLOUDWATCH_LOG_GROUP, IAM_ROLE, IAM_ROLE_POLICY, KMS_KEY

AWS = "aws:ec2"


def _subnets(plan: Plan, kind: str) -> list[dict[str, Any]]:
    return [s.plain_inputs for s in plan.of_type(f"{AWS}/subnet:Subnet") if f"-{kind}-" in s.name]


def test_one_private_and_one_public_subnet_per_configured_az() -> None:
    plan = planned("dev")
    private, public = _subnets(plan, "private"), _subnets(plan, "public")
    assert len(private) == len(public) == 3
    assert sorted(s["availabilityZone"] for s in private) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert sorted(s["availabilityZone"] for s in public) == ["us-east-1a", "us-east-1b", "us-east-1c"]


def test_subnets_lie_inside_the_vpc_and_do_not_overlap() -> None:
    plan = planned("dev")
    vpc = ipaddress.IPv4Network(plan.one(f"{AWS}/vpc:Vpc").inputs["cidrBlock"])
    blocks = [
        ipaddress.IPv4Network(str(s["cidrBlock"]))
        for s in _subnets(plan, "private") + _subnets(plan, "public")
    ]
    assert all(block.subnet_of(vpc) for block in blocks)
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])


def test_no_subnet_gives_instances_public_ips() -> None:
    assert all(
        s.inputs["mapPublicIpOnLaunch"] is False for s in planned("dev").of_type(f"{AWS}/subnet:Subnet")
    )


def test_each_private_route_table_defaults_to_the_nat_gateway_of_its_own_az() -> None:
    plan = planned("dev")
    nat_by_id = {nat.id: nat for nat in plan.of_type(f"{AWS}/natGateway:NatGateway")}
    subnet_by_id = {subnet.id: subnet for subnet in plan.of_type(f"{AWS}/subnet:Subnet")}
    tables = {table.id: table for table in plan.of_type(f"{AWS}/routeTable:RouteTable")}
    associations = {
        a.inputs["routeTableId"]: a.inputs["subnetId"]
        for a in plan.of_type(f"{AWS}/routeTableAssociation:RouteTableAssociation")
    }
    private_defaults = [r for r in plan.of_type(f"{AWS}/route:Route") if "natGatewayId" in r.inputs]
    assert len(private_defaults) == 3
    for route in private_defaults:
        assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
        assert route.inputs["routeTableId"] in tables
        nat_subnet = subnet_by_id[nat_by_id[route.inputs["natGatewayId"]].inputs["subnetId"]]
        private_subnet = subnet_by_id[associations[route.inputs["routeTableId"]]]
        assert "-private-" in private_subnet.name and "-public-" in nat_subnet.name
        assert nat_subnet.inputs["availabilityZone"] == private_subnet.inputs["availabilityZone"]


def test_flow_logs_capture_all_traffic_into_an_encrypted_retained_group() -> None:
    plan = planned("dev")
    flow_log = plan.one(f"{AWS}/flowLog:FlowLog").inputs
    group = plan.one(CLOUDWATCH_LOG_GROUP, "aws-network-flow-logs")
    assert flow_log["vpcId"] == plan.one(f"{AWS}/vpc:Vpc").id
    assert flow_log["trafficType"] == "ALL"
    assert flow_log["logDestination"] == group.outputs["arn"]
    assert group.inputs["retentionInDays"] == 365
    assert group.inputs["kmsKeyId"] == plan.one(KMS_KEY, "aws-network-logs-key").outputs["arn"]


def test_flow_log_role_may_only_write_to_its_own_group() -> None:
    plan = planned("dev")
    group_arn = plan.one(CLOUDWATCH_LOG_GROUP, "aws-network-flow-logs").outputs["arn"]
    trust = json.loads(plan.one(IAM_ROLE, "aws-network-flow-logs-role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    policy = json.loads(plan.one(IAM_ROLE_POLICY, "aws-network-flow-logs-write").inputs["policy"])
    (statement,) = policy["Statement"]
    assert statement["Resource"] == [group_arn, f"{group_arn}:*"]
    assert "*" not in json.dumps(statement["Action"])


def test_default_security_group_is_left_with_no_rules() -> None:
    inputs = planned("dev").one(f"{AWS}/defaultSecurityGroup:DefaultSecurityGroup").inputs
    assert not inputs.get("ingress") and not inputs.get("egress")


def test_logs_key_rotates_and_logs_may_use_it_only_for_this_accounts_groups() -> None:
    key = planned("dev").one(KMS_KEY, "aws-network-logs-key").inputs
    assert key["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in json.loads(key["policy"])["Statement"]}
    logs = statements["CloudWatchLogsUse"]
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"].startswith(
        "arn:aws:logs:us-east-1:123456789012:log-group:"
    )


def test_subnet_tags_tell_the_load_balancer_controller_where_to_place_load_balancers() -> None:
    plan = planned("dev")
    assert all(s["tags"]["kubernetes.io/role/internal-elb"] == "1" for s in _subnets(plan, "private"))
    assert all(s["tags"]["kubernetes.io/role/elb"] == "1" for s in _subnets(plan, "public"))


@given(
    prefix=st.integers(min_value=16, max_value=22),
    az_count=st.integers(min_value=2, max_value=6),
    slots=st.sampled_from(ZONE_SLOTS),
    base=st.sampled_from(["10.0.0.0", "172.16.0.0", "192.168.0.0"]),
)
def test_subnet_plan_is_disjoint_inside_the_vpc_for_every_allowed_size(
    prefix: int, az_count: int, slots: int, base: str
) -> None:
    assume(slots >= az_count)
    vpc = ipaddress.IPv4Network(f"{base}/{prefix}")
    plan = subnet_plan(str(vpc), az_count, slots)
    blocks = [ipaddress.IPv4Network(block) for block in plan.private + plan.public]
    assert len(plan.private) == len(plan.public) == az_count
    assert all(block.subnet_of(vpc) for block in blocks)
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])
    assert all(
        ipaddress.IPv4Network(p).num_addresses > ipaddress.IPv4Network(q).num_addresses
        for p, q in zip(plan.private, plan.public, strict=True)
    )


def test_subnet_plan_rejects_zero_zones_and_too_few_slots() -> None:
    with pytest.raises(ValueError, match="az_count"):
        subnet_plan("10.0.0.0/16", 0, 4)
    with pytest.raises(ValueError, match="zone_slots"):
        subnet_plan("10.0.0.0/16", 5, 4)


@given(
    prefix=st.integers(min_value=16, max_value=22),
    slots=st.sampled_from(ZONE_SLOTS),
    counts=st.lists(st.integers(min_value=1, max_value=8), min_size=2, max_size=2),
)
def test_a_zones_subnets_do_not_move_when_zones_are_added_or_removed(
    prefix: int, slots: int, counts: list[int]
) -> None:
    before, after = (min(count, slots) for count in counts)
    first = subnet_plan(f"10.0.0.0/{prefix}", before, slots)
    second = subnet_plan(f"10.0.0.0/{prefix}", after, slots)
    shared = min(before, after)
    assert first.private[:shared] == second.private[:shared]
    assert first.public[:shared] == second.public[:shared]


@pytest.mark.parametrize("az_count", [2, 3, 4, 5, 6])
def test_the_slots_of_earlier_releases_reproduce_their_subnets(az_count: int) -> None:
    # Earlier releases sized subnets for the zone count: the fewest powers of two that hold it.
    bits = max(1, math.ceil(math.log2(az_count)))
    private_half, public_half = ipaddress.IPv4Network("10.0.0.0/16").subnets(prefixlen_diff=1)
    earlier_private = [str(n) for n in private_half.subnets(new_prefix=17 + bits)][:az_count]
    earlier_public = [str(n) for n in public_half.subnets(new_prefix=19 + bits)][:az_count]
    plan = subnet_plan("10.0.0.0/16", az_count, legacy_zone_slots(az_count))
    assert (list(plan.private), list(plan.public)) == (earlier_private, earlier_public)


@pytest.mark.parametrize(
    ("region", "partition"), [("us-east-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")]
)
def test_partition_follows_the_region(region: str, partition: str) -> None:
    assert partition_of(region) == partition


def test_subnets_sit_in_the_zones_the_stack_output_names_by_id(dev_plan: Plan) -> None:
    ids = dev_plan.outputs["awsAvailabilityZoneIds"]
    by_id = {zone_id: name for name, zone_id in zone_names_and_ids("us-east-1", FAKE_AWS_ACCOUNT)}
    for kind in ("private", "public"):
        zones = [
            dev_plan.one(AWS_SUBNET, f"aws-network-{kind}-{i}").inputs["availabilityZone"] for i in range(3)
        ]
        assert zones == [by_id[zone_id] for zone_id in ids]
    assert not set(ids) & set(excluded_zone_ids())


def test_pinned_zone_ids_place_the_subnets_in_that_order() -> None:
    aws = {"region": "us-east-1", "vpcCidr": "10.10.0.0/16", "serviceCidr": "172.20.0.0/16"}
    pinned = ["use1-az6", "use1-az1", "use1-az5"]
    plan = planned("dev", {"aws": {**aws, "availabilityZoneIds": pinned}})
    by_id = {zone_id: name for name, zone_id in zone_names_and_ids("us-east-1", FAKE_AWS_ACCOUNT)}
    zones = [plan.one(AWS_SUBNET, f"aws-network-private-{i}").inputs["availabilityZone"] for i in range(3)]
    assert zones == [by_id[zone_id] for zone_id in pinned]
    assert plan.outputs["awsAvailabilityZoneIds"] == pinned
