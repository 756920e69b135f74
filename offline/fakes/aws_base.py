"""AWS: the account, the region's zones, and the network resources."""

from __future__ import annotations

import uuid
from typing import Any

from offline.fake_cloud import (
    AWS_PUBLIC_POOL,
    FAKE_AWS_ACCOUNT,
    FAKE_AWS_CALLER,
    FakeResource,
    digest,
    invoke_result,
    outputs_for,
)

_ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
}
_ARN_KINDS = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/routeTable:RouteTable": "route-table",
    "aws:ec2/internetGateway:InternetGateway": "internet-gateway",
    "aws:ec2/natGateway:NatGateway": "natgateway",
    "aws:ec2/eip:Eip": "elastic-ip",
    "aws:ec2/securityGroup:SecurityGroup": "security-group",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "security-group",
    "aws:ec2/flowLog:FlowLog": "vpc-flow-log",
    "aws:ec2/launchTemplate:LaunchTemplate": "launch-template",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "security-group-rule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "security-group-rule",
}


@outputs_for(*_ID_PREFIXES)
def ec2_resource(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    resource_id = f"{_ID_PREFIXES[resource.type]}-{resource.hex(17)}"
    outputs: dict[str, Any] = {}
    if resource.type in _ARN_KINDS:
        outputs["arn"] = resource.aws_arn("ec2", f"{_ARN_KINDS[resource.type]}/{resource_id}")
    if resource.type == "aws:ec2/vpc:Vpc":
        outputs["defaultSecurityGroupId"] = f"sg-{resource.hex(17, 'default-sg')}"
        outputs["mainRouteTableId"] = f"rtb-{resource.hex(17, 'main-rtb')}"
        outputs["ownerId"] = FAKE_AWS_ACCOUNT
    if resource.type == "aws:ec2/eip:Eip":
        outputs["allocationId"] = resource_id
        outputs["publicIp"] = resource.cloud.public_ip(AWS_PUBLIC_POOL, resource.seed)
    if resource.type == "aws:ec2/natGateway:NatGateway":
        outputs["publicIp"] = resource.lookup(str(resource.inputs.get("allocationId"))).get("publicIp", "")
    if resource.type == "aws:ec2/launchTemplate:LaunchTemplate":
        outputs["latestVersion"] = 1
    return resource_id, outputs


@outputs_for("aws:ec2/route:Route")
def route(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    return f"r-{resource.inputs.get('routeTableId')}-{resource.hex(10)}", {}


@outputs_for("aws:kms/key:Key")
def kms_key(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    key_id = str(uuid.UUID(resource.hex(32)))
    return key_id, {"keyId": key_id, "arn": resource.aws_arn("kms", f"key/{key_id}")}


@outputs_for("aws:cloudwatch/logGroup:LogGroup")
def log_group(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = str(resource.inputs.get("name") or f"{resource.name}-{resource.hex(7)}")
    return name, {"name": name, "arn": resource.aws_arn("logs", f"log-group:{name}")}


@outputs_for("aws:iam/role:Role", "aws:iam/policy:Policy")
def iam_named(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = str(resource.inputs.get("name") or f"{resource.name}-{resource.hex(7)}")
    kind = "role" if resource.type.endswith(":Role") else "policy"
    arn = resource.aws_arn("iam", f"{kind}/{name}", regional=False)
    # A role's ID is its name; a managed policy's ID is its ARN.
    return (name if kind == "role" else arn), {
        "name": name,
        "arn": arn,
        "uniqueId": f"AROA{resource.hex(17).upper()}",
    }


@outputs_for("aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
def iam_attachment(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    return f"{resource.inputs.get('role')}:{resource.name}-{resource.hex(7)}", {}


@invoke_result("aws:index/getCallerIdentity:getCallerIdentity")
def caller_identity(args: dict[str, Any], provider: dict[str, Any]) -> dict[str, Any]:
    return {
        "accountId": FAKE_AWS_ACCOUNT,
        "arn": FAKE_AWS_CALLER,
        "userId": "AROAEXAMPLEDEPLOYER:crossmesh",
        "id": FAKE_AWS_ACCOUNT,
    }


# The zone IDs of the regions the stacks use, as AWS lists them; other regions get az1-az3 under a code
# derived from the region name. us-east-1 still lists use1-az3 to the accounts that have it, although
# EKS refuses cluster subnets there.
_ZONE_IDS = {
    "us-east-1": [f"use1-az{n}" for n in range(1, 7)],
    "us-east-2": [f"use2-az{n}" for n in range(1, 4)],
    "us-west-1": ["usw1-az1", "usw1-az2", "usw1-az3"],
    "us-west-2": [f"usw2-az{n}" for n in range(1, 5)],
    "ca-central-1": ["cac1-az1", "cac1-az2", "cac1-az3", "cac1-az4"],
    "eu-west-1": [f"euw1-az{n}" for n in range(1, 4)],
}
# In these oldest regions each account has its own mapping of zone names to zones; elsewhere a name
# means the same zone in every account
# (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html).
_NAMES_PER_ACCOUNT = frozenset({"us-east-1", "us-west-1", "us-west-2", "eu-west-1"})
_DIRECTIONS = {
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "central": "c",
    "northeast": "ne",
    "southeast": "se",
    "northwest": "nw",
    "southwest": "sw",
}


def zone_ids_of(region: str) -> list[str]:
    if region in _ZONE_IDS:
        return _ZONE_IDS[region]
    *words, number = region.split("-")
    code = words[0] + "".join("g" if word == "gov" else _DIRECTIONS.get(word, word[:1]) for word in words[1:])
    return [f"{code}{number}-az{n}" for n in range(1, 4)]


def zone_names_and_ids(region: str, account: str) -> list[tuple[str, str]]:
    """(name, ID) of every zone of the region as `account` sees it: names a, b, c... in order, each on
    the zone the account's own mapping gives it."""
    ids = zone_ids_of(region)
    if region in _NAMES_PER_ACCOUNT:
        ids = sorted(ids, key=lambda zone_id: digest(f"{account}:{zone_id}"))
    return [(f"{region}{chr(ord('a') + index)}", zone_id) for index, zone_id in enumerate(ids)]


@invoke_result("aws:index/getAvailabilityZones:getAvailabilityZones")
def availability_zones(args: dict[str, Any], provider: dict[str, Any]) -> dict[str, Any]:
    """As DescribeAvailabilityZones answers the provider's account: a provider held to an account
    (allowedAccountIds) answers as that account, any other as the fake one."""
    region = str(provider.get("region", "us-east-1"))
    account = str((provider.get("allowedAccountIds") or [FAKE_AWS_ACCOUNT])[0])
    zones = zone_names_and_ids(region, account)
    return {
        "id": region,
        "names": [name for name, _ in zones],
        "zoneIds": [zone_id for _, zone_id in zones],
        "groupNames": [region] * len(zones),
        "state": args.get("state"),
    }
