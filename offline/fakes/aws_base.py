"""AWS: the account, the region's zones, and the network resources."""

from __future__ import annotations

import uuid
from typing import Any

from offline.fake_cloud import (
    AWS_PUBLIC_POOL,
    FAKE_AWS_ACCOUNT,
    FAKE_AWS_CALLER,
    FakeResource,
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


@invoke_result("aws:index/getAvailabilityZones:getAvailabilityZones")
def availability_zones(args: dict[str, Any], provider: dict[str, Any]) -> dict[str, Any]:
    region = str(provider.get("region", "us-east-1"))
    letters = "abcdef"
    return {
        "id": region,
        "names": [f"{region}{letter}" for letter in letters],
        "zoneIds": [f"{region}-az{index + 1}" for index in range(len(letters))],
        "groupNames": [region] * len(letters),
        "state": args.get("state"),
    }
