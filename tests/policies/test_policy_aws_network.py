"""AWS network, KMS, logs and IAM rules: baselines, one changed field per case, and stack cases.

Log retention ports Checkov's example_CloudWatchLogGroupRetentionYear (365 and 0 pass, 5 fails)."""

from __future__ import annotations

import json

import pytest
from crossmesh_policy.aws import (
    DEFAULT_SG,
    FLOW_LOG,
    KMS_KEY,
    LOG_GROUP,
    ROLE,
    ROLE_POLICY,
    ROLE_POLICY_ATTACHMENT,
    SECURITY_GROUP,
    SG_EGRESS,
    SG_INGRESS,
    SG_RULE,
    SUBNET,
    TGW,
    VPC,
)

from tests.support.policy_cases import ABSENT, Case, StackCase, bad, baseline_violations, changed, ok, res

HTTPS_IN = {
    "protocol": "tcp",
    "fromPort": 443,
    "toPort": 443,
    "cidrBlocks": ["10.0.0.0/8"],
    "description": "api",
}
TO_VPC = {"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["10.0.0.0/8"], "description": "in-vpc"}
SG = {"vpcId": "vpc-1", "description": "nodes", "ingress": [HTTPS_IN], "egress": [TO_VPC]}
RULE = {
    "type": "ingress",
    "securityGroupId": "sg-1",
    "protocol": "tcp",
    "fromPort": 443,
    "toPort": 443,
    "cidrBlocks": ["10.0.0.0/8"],
    "description": "api",
}
INGRESS = {
    "securityGroupId": "sg-1",
    "ipProtocol": "tcp",
    "fromPort": 443,
    "toPort": 443,
    "cidrIpv4": "10.0.0.0/8",
    "description": "api",
}
EGRESS = {"securityGroupId": "sg-1", "ipProtocol": "-1", "cidrIpv4": "10.0.0.0/8", "description": "in-vpc"}
SUBNET_BAG = {"vpcId": "vpc-1", "cidrBlock": "10.10.0.0/19", "mapPublicIpOnLaunch": False}
TGW_BAG = {"amazonSideAsn": 64512, "autoAcceptSharedAttachments": "disable", "vpnEcmpSupport": "enable"}
ACCOUNT_ROOT = {
    "Sid": "Admin",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::1:root"},
    "Action": "kms:*",
    "Resource": "*",
}
KEY = {
    "enableKeyRotation": True,
    "policy": json.dumps({"Version": "2012-10-17", "Statement": [ACCOUNT_ROOT]}),
}
LOGS = {"retentionInDays": 365, "kmsKeyId": "arn:aws:kms:us-east-1:1:key/k"}
TRUST = {
    "Effect": "Allow",
    "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
    "Action": "sts:AssumeRole",
}
ROLE_BAG = {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [TRUST]})}
WRITE_LOGS = {
    "Effect": "Allow",
    "Action": ["logs:PutLogEvents"],
    "Resource": ["arn:aws:logs:us-east-1:1:log-group:x:*"],
}
ROLE_POLICY_BAG = {"role": "r", "policy": json.dumps({"Version": "2012-10-17", "Statement": [WRITE_LOGS]})}
ATTACHMENT = {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"}

WORLD_SSH = {**HTTPS_IN, "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}


def doc(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ADMIN = "xc-aws-sg-no-world-admin-ports"
CASES: list[Case] = [
    ok(ADMIN, SECURITY_GROUP, SG),
    bad(ADMIN, SECURITY_GROUP, changed(SG, ingress=[WORLD_SSH]), "inline-ssh"),
    bad(
        ADMIN,
        SECURITY_GROUP,
        changed(SG, ingress=[{**WORLD_SSH, "fromPort": 3389, "toPort": 3389}]),
        "inline-rdp",
    ),
    bad(
        ADMIN,
        SECURITY_GROUP,
        changed(SG, ingress=[{**WORLD_SSH, "fromPort": 0, "toPort": 65535}]),
        "range-covers-22",
    ),
    bad(ADMIN, SECURITY_GROUP, changed(SG, ingress=[{**TO_VPC, "cidrBlocks": ["0.0.0.0/0"]}]), "all-traffic"),
    bad(
        ADMIN,
        SECURITY_GROUP,
        changed(SG, ingress=[{**WORLD_SSH, "cidrBlocks": [], "ipv6CidrBlocks": ["::/0"]}]),
        "ipv6",
    ),
    ok(
        ADMIN,
        SECURITY_GROUP,
        changed(SG, egress=[{**TO_VPC, "cidrBlocks": ["0.0.0.0/0"]}]),
        "egress-is-not-ingress",
    ),
    ok(ADMIN, SG_RULE, RULE),
    bad(ADMIN, SG_RULE, changed(RULE, fromPort=22, toPort=22, cidrBlocks=["0.0.0.0/0"]), "rule-ssh"),
    ok(ADMIN, SG_INGRESS, INGRESS),
    bad(
        ADMIN, SG_INGRESS, changed(INGRESS, fromPort=3389, toPort=3389, cidrIpv4="0.0.0.0/0"), "vpc-rule-rdp"
    ),
    ok("xc-aws-sg-no-world-80", SECURITY_GROUP, SG),
    bad(
        "xc-aws-sg-no-world-80",
        SG_INGRESS,
        changed(INGRESS, fromPort=80, toPort=80, cidrIpv4="0.0.0.0/0"),
        "http",
    ),
    ok("xc-aws-sg-no-world-egress", SG_EGRESS, EGRESS),
    bad("xc-aws-sg-no-world-egress", SG_EGRESS, changed(EGRESS, cidrIpv4="0.0.0.0/0"), "all-egress"),
    bad(
        "xc-aws-sg-no-world-egress",
        SECURITY_GROUP,
        changed(SG, egress=[{**TO_VPC, "cidrBlocks": ["0.0.0.0/0"]}]),
        "inline",
    ),
    ok("xc-aws-sg-descriptions", SECURITY_GROUP, SG),
    ok("xc-aws-sg-descriptions", SG_RULE, RULE, "rule"),
    bad("xc-aws-sg-descriptions", SECURITY_GROUP, changed(SG, description=ABSENT), "provider-default"),
    bad(
        "xc-aws-sg-descriptions",
        SECURITY_GROUP,
        changed(SG, ingress=[{**HTTPS_IN, "description": ""}]),
        "rule",
    ),
    bad("xc-aws-sg-descriptions", SG_INGRESS, changed(INGRESS, description=ABSENT), "vpc-rule"),
    ok("xc-aws-node-subnets-private", SUBNET, SUBNET_BAG),
    ok(
        "xc-aws-node-subnets-private",
        SUBNET,
        changed(SUBNET_BAG, mapPublicIpOnLaunch=ABSENT),
        "default-false",
    ),
    bad("xc-aws-node-subnets-private", SUBNET, changed(SUBNET_BAG, mapPublicIpOnLaunch=True), "public-ip"),
    ok("xc-aws-tgw-no-auto-accept", TGW, TGW_BAG),
    ok("xc-aws-tgw-no-auto-accept", TGW, changed(TGW_BAG, autoAcceptSharedAttachments=ABSENT), "default"),
    bad("xc-aws-tgw-no-auto-accept", TGW, changed(TGW_BAG, autoAcceptSharedAttachments="enable"), "enable"),
    ok("xc-aws-tgw-ecmp", TGW, changed(TGW_BAG, vpnEcmpSupport=ABSENT), "default-enable"),
    bad("xc-aws-tgw-ecmp", TGW, changed(TGW_BAG, vpnEcmpSupport="disable"), "disable"),
    ok("xc-aws-kms-rotation", KMS_KEY, KEY),
    ok(
        "xc-aws-kms-rotation",
        KMS_KEY,
        changed(KEY, enableKeyRotation=ABSENT, customerMasterKeySpec="RSA_4096"),
        "asymmetric",
    ),
    bad("xc-aws-kms-rotation", KMS_KEY, changed(KEY, enableKeyRotation=ABSENT), "default-off"),
    bad("xc-aws-kms-rotation", KMS_KEY, changed(KEY, enableKeyRotation=False), "off"),
    ok("xc-aws-kms-no-wildcard-principal", KMS_KEY, KEY),
    ok(
        "xc-aws-kms-no-wildcard-principal",
        KMS_KEY,
        changed(
            KEY,
            policy=doc(
                {
                    **ACCOUNT_ROOT,
                    "Principal": {"AWS": "*"},
                    "Condition": {"StringEquals": {"kms:CallerAccount": "1"}},
                }
            ),
        ),
        "star-with-condition",
    ),
    bad(
        "xc-aws-kms-no-wildcard-principal",
        KMS_KEY,
        changed(KEY, policy=doc({**ACCOUNT_ROOT, "Principal": "*"})),
        "star",
    ),
    bad(
        "xc-aws-kms-no-wildcard-principal",
        KMS_KEY,
        changed(KEY, policy=doc({**ACCOUNT_ROOT, "Principal": {"AWS": ["arn:aws:iam::1:root", "*"]}})),
        "star-in-list",
    ),
    ok("xc-aws-kms-no-lockout-bypass", KMS_KEY, KEY),
    bad("xc-aws-kms-no-lockout-bypass", KMS_KEY, changed(KEY, bypassPolicyLockoutSafetyCheck=True), "bypass"),
    # Checkov example_CloudWatchLogGroupRetentionYear, plus CKV_AWS_66's unset case
    ok("xc-aws-log-retention", LOG_GROUP, LOGS, "365"),
    ok("xc-aws-log-retention", LOG_GROUP, changed(LOGS, retentionInDays=0), "0-keeps-forever"),
    bad("xc-aws-log-retention", LOG_GROUP, changed(LOGS, retentionInDays=5), "5"),
    bad("xc-aws-log-retention", LOG_GROUP, changed(LOGS, retentionInDays=ABSENT), "unset"),
    ok("xc-aws-log-kms", LOG_GROUP, LOGS),
    bad("xc-aws-log-kms", LOG_GROUP, changed(LOGS, kmsKeyId=ABSENT), "no-key"),
    ok("xc-aws-iam-no-admin", ROLE, ROLE_BAG),
    ok("xc-aws-iam-no-admin", ROLE_POLICY, ROLE_POLICY_BAG, "scoped-policy"),
    ok("xc-aws-iam-no-admin", ROLE_POLICY_ATTACHMENT, ATTACHMENT, "worker-policy"),
    bad(
        "xc-aws-iam-no-admin",
        ROLE_POLICY_ATTACHMENT,
        changed(ATTACHMENT, policyArn="arn:aws:iam::aws:policy/AdministratorAccess"),
        "admin-attached",
    ),
    bad(
        "xc-aws-iam-no-admin",
        ROLE,
        changed(ROLE_BAG, managedPolicyArns=["arn:aws:iam::aws:policy/AdministratorAccess"]),
        "admin-managed",
    ),
    bad(
        "xc-aws-iam-no-admin",
        ROLE_POLICY,
        changed(ROLE_POLICY_BAG, policy=doc({"Effect": "Allow", "Action": "*", "Resource": "*"})),
        "star-star",
    ),
    bad(
        "xc-aws-iam-no-admin",
        ROLE,
        changed(
            ROLE_BAG,
            inlinePolicies=[
                {"name": "all", "policy": doc({"Effect": "Allow", "Action": ["*"], "Resource": ["*"]})}
            ],
        ),
        "inline-star-star",
    ),
    ok("xc-aws-iam-trust-not-public", ROLE, ROLE_BAG),
    bad(
        "xc-aws-iam-trust-not-public",
        ROLE,
        changed(ROLE_BAG, assumeRolePolicy=doc({**TRUST, "Principal": {"AWS": "*"}})),
        "aws-star",
    ),
    bad(
        "xc-aws-iam-trust-not-public",
        ROLE,
        changed(ROLE_BAG, assumeRolePolicy=doc({**TRUST, "Principal": "*"})),
        "star",
    ),
    ok(
        "xc-aws-iam-trust-not-public",
        ROLE,
        changed(
            ROLE_BAG,
            assumeRolePolicy=doc(
                {
                    **TRUST,
                    "Principal": {"AWS": "*"},
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}},
                }
            ),
        ),
        "star-with-condition",
    ),
    ok("xc-aws-iam-no-star", ROLE_POLICY, ROLE_POLICY_BAG),
    ok(
        "xc-aws-iam-no-star",
        ROLE_POLICY,
        changed(
            ROLE_POLICY_BAG,
            policy=doc({"Effect": "Allow", "Action": ["ec2:DescribeInstances"], "Resource": "*"}),
        ),
        "read-on-star",
    ),
    bad(
        "xc-aws-iam-no-star",
        ROLE_POLICY,
        changed(ROLE_POLICY_BAG, policy=doc({**WRITE_LOGS, "Action": "logs:*"})),
        "service-star",
    ),
    bad(
        "xc-aws-iam-no-star",
        ROLE_POLICY,
        changed(ROLE_POLICY_BAG, policy=doc({**WRITE_LOGS, "Resource": "*"})),
        "write-on-star",
    ),
]


VPC_R = res(VPC, "vpc", {"id": "vpc-1", "cidrBlock": "10.10.0.0/16"})
FLOW = res(FLOW_LOG, "flow", {"vpcId": "vpc-1", "trafficType": "ALL"})
FLOW_BY_DEP = res(FLOW_LOG, "flow", {"vpcId": "vpc-unknown-until-apply"}, depends_on=[VPC_R])
OTHER_VPC_FLOW = res(FLOW_LOG, "flow", {"vpcId": "vpc-2"})
CLOSED = res(DEFAULT_SG, "default-sg", {"vpcId": "vpc-1"})
OPEN = res(DEFAULT_SG, "default-sg", {"vpcId": "vpc-1", "ingress": [HTTPS_IN]})
INLINE_SG = res(SECURITY_GROUP, "nodes", {**SG, "id": "sg-1"})
BARE_SG = res(SECURITY_GROUP, "nodes", {"id": "sg-1", "vpcId": "vpc-1", "description": "nodes"})
RULE_R = res(SG_INGRESS, "https", INGRESS)

STACK_CASES: list[StackCase] = [
    StackCase("xc-aws-vpc-flow-logs", [VPC_R, FLOW], False, "flow-log-by-id"),
    StackCase("xc-aws-vpc-flow-logs", [VPC_R, FLOW_BY_DEP], False, "flow-log-by-dependency"),
    StackCase("xc-aws-vpc-flow-logs", [VPC_R], True, "none"),
    StackCase("xc-aws-vpc-flow-logs", [VPC_R, OTHER_VPC_FLOW], True, "other-vpc"),
    StackCase("xc-aws-default-sg-closed", [VPC_R, CLOSED], False, "adopted-closed"),
    StackCase("xc-aws-default-sg-closed", [VPC_R], True, "not-adopted"),
    StackCase("xc-aws-default-sg-closed", [VPC_R, OPEN], True, "has-rules"),
    StackCase("xc-aws-sg-rule-conflicts", [INLINE_SG], False, "inline-only"),
    StackCase("xc-aws-sg-rule-conflicts", [BARE_SG, RULE_R], False, "rule-resources-only"),
    StackCase("xc-aws-sg-rule-conflicts", [INLINE_SG, RULE_R], True, "both"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_verdict(case: Case) -> None:
    case.verify()


@pytest.mark.parametrize("case", STACK_CASES, ids=str)
def test_stack_verdict(case: StackCase) -> None:
    case.verify()


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        (SECURITY_GROUP, SG),
        (SG_RULE, RULE),
        (SG_INGRESS, INGRESS),
        (SG_EGRESS, EGRESS),
        (SUBNET, SUBNET_BAG),
        (TGW, TGW_BAG),
        (KMS_KEY, KEY),
        (LOG_GROUP, LOGS),
        (ROLE, ROLE_BAG),
        (ROLE_POLICY, ROLE_POLICY_BAG),
        (ROLE_POLICY_ATTACHMENT, ATTACHMENT),
    ],
)
def test_baseline_passes_every_rule_of_its_type(resource_type: str, props: dict[str, object]) -> None:
    assert baseline_violations(resource_type, props) == []
