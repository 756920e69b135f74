"""AWS network, KMS, logs and IAM rules: baselines, one changed field per case, and stack cases.

Log retention ports Checkov's example_CloudWatchLogGroupRetentionYear (365 and 0 pass, 5 fails).
The runner in test_pack.py runs CASES and BASELINES."""

from __future__ import annotations

import json

from tests.support.policy_cases import ABSENT, Baseline, PolicyCase, StackCase, bad, changed, ok, res
from tests.support.types import (
    AWS_DEFAULT_SECURITY_GROUP,
    AWS_FLOW_LOG,
    AWS_SECURITY_GROUP,
    AWS_SG_EGRESS_RULE,
    AWS_SG_INGRESS_RULE,
    AWS_SG_RULE,
    AWS_SUBNET,
    AWS_VPC,
    CLOUDWATCH_LOG_GROUP,
    IAM_MANAGED_POLICY,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_ROLE_POLICY_ATTACHMENT,
    KMS_KEY,
    TGW,
)

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


VPC_R = res(AWS_VPC, "vpc", {"id": "vpc-1", "cidrBlock": "10.10.0.0/16"})
FLOW = res(AWS_FLOW_LOG, "flow", {"vpcId": "vpc-1", "trafficType": "ALL"})
FLOW_BY_DEP = res(AWS_FLOW_LOG, "flow", {"vpcId": "vpc-unknown-until-apply"}, depends_on=[VPC_R])
OTHER_VPC_FLOW = res(AWS_FLOW_LOG, "flow", {"vpcId": "vpc-2"})
CLOSED = res(AWS_DEFAULT_SECURITY_GROUP, "default-sg", {"vpcId": "vpc-1"})
OPEN = res(AWS_DEFAULT_SECURITY_GROUP, "default-sg", {"vpcId": "vpc-1", "ingress": [HTTPS_IN]})
INLINE_SG = res(AWS_SECURITY_GROUP, "nodes", {**SG, "id": "sg-1"})
BARE_SG = res(AWS_SECURITY_GROUP, "nodes", {"id": "sg-1", "vpcId": "vpc-1", "description": "nodes"})
RULE_R = res(AWS_SG_INGRESS_RULE, "https", INGRESS)

ADMIN = "xc-aws-sg-no-world-admin-ports"
CASES: list[PolicyCase] = [
    ok(ADMIN, AWS_SECURITY_GROUP, SG),
    bad(ADMIN, AWS_SECURITY_GROUP, changed(SG, ingress=[WORLD_SSH]), "inline-ssh"),
    bad(
        ADMIN,
        AWS_SECURITY_GROUP,
        changed(SG, ingress=[{**WORLD_SSH, "fromPort": 3389, "toPort": 3389}]),
        "inline-rdp",
    ),
    bad(
        ADMIN,
        AWS_SECURITY_GROUP,
        changed(SG, ingress=[{**WORLD_SSH, "fromPort": 0, "toPort": 65535}]),
        "range-covers-22",
    ),
    bad(
        ADMIN,
        AWS_SECURITY_GROUP,
        changed(SG, ingress=[{**TO_VPC, "cidrBlocks": ["0.0.0.0/0"]}]),
        "all-traffic",
    ),
    bad(
        ADMIN,
        AWS_SECURITY_GROUP,
        changed(SG, ingress=[{**WORLD_SSH, "cidrBlocks": [], "ipv6CidrBlocks": ["::/0"]}]),
        "ipv6",
    ),
    ok(
        ADMIN,
        AWS_SECURITY_GROUP,
        changed(SG, egress=[{**TO_VPC, "cidrBlocks": ["0.0.0.0/0"]}]),
        "egress-is-not-ingress",
    ),
    ok(ADMIN, AWS_SG_RULE, RULE),
    bad(ADMIN, AWS_SG_RULE, changed(RULE, fromPort=22, toPort=22, cidrBlocks=["0.0.0.0/0"]), "rule-ssh"),
    ok(ADMIN, AWS_SG_INGRESS_RULE, INGRESS),
    bad(
        ADMIN,
        AWS_SG_INGRESS_RULE,
        changed(INGRESS, fromPort=3389, toPort=3389, cidrIpv4="0.0.0.0/0"),
        "vpc-rule-rdp",
    ),
    ok("xc-aws-sg-no-world-80", AWS_SECURITY_GROUP, SG),
    bad(
        "xc-aws-sg-no-world-80",
        AWS_SG_INGRESS_RULE,
        changed(INGRESS, fromPort=80, toPort=80, cidrIpv4="0.0.0.0/0"),
        "http",
    ),
    ok("xc-aws-sg-no-world-egress", AWS_SG_EGRESS_RULE, EGRESS),
    bad("xc-aws-sg-no-world-egress", AWS_SG_EGRESS_RULE, changed(EGRESS, cidrIpv4="0.0.0.0/0"), "all-egress"),
    bad(
        "xc-aws-sg-no-world-egress",
        AWS_SECURITY_GROUP,
        changed(SG, egress=[{**TO_VPC, "cidrBlocks": ["0.0.0.0/0"]}]),
        "inline",
    ),
    ok("xc-aws-sg-descriptions", AWS_SECURITY_GROUP, SG),
    ok("xc-aws-sg-descriptions", AWS_SG_RULE, RULE, "rule"),
    bad("xc-aws-sg-descriptions", AWS_SECURITY_GROUP, changed(SG, description=ABSENT), "provider-default"),
    bad(
        "xc-aws-sg-descriptions",
        AWS_SECURITY_GROUP,
        changed(SG, ingress=[{**HTTPS_IN, "description": ""}]),
        "rule",
    ),
    bad("xc-aws-sg-descriptions", AWS_SG_INGRESS_RULE, changed(INGRESS, description=ABSENT), "vpc-rule"),
    ok("xc-aws-node-subnets-private", AWS_SUBNET, SUBNET_BAG),
    ok(
        "xc-aws-node-subnets-private",
        AWS_SUBNET,
        changed(SUBNET_BAG, mapPublicIpOnLaunch=ABSENT),
        "default-false",
    ),
    bad(
        "xc-aws-node-subnets-private", AWS_SUBNET, changed(SUBNET_BAG, mapPublicIpOnLaunch=True), "public-ip"
    ),
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
    ok("xc-aws-log-retention", CLOUDWATCH_LOG_GROUP, LOGS, "365"),
    ok("xc-aws-log-retention", CLOUDWATCH_LOG_GROUP, changed(LOGS, retentionInDays=0), "0-keeps-forever"),
    bad("xc-aws-log-retention", CLOUDWATCH_LOG_GROUP, changed(LOGS, retentionInDays=5), "5"),
    bad("xc-aws-log-retention", CLOUDWATCH_LOG_GROUP, changed(LOGS, retentionInDays=ABSENT), "unset"),
    ok("xc-aws-log-kms", CLOUDWATCH_LOG_GROUP, LOGS),
    bad("xc-aws-log-kms", CLOUDWATCH_LOG_GROUP, changed(LOGS, kmsKeyId=ABSENT), "no-key"),
    ok("xc-aws-iam-no-admin", IAM_ROLE, ROLE_BAG),
    ok("xc-aws-iam-no-admin", IAM_ROLE_POLICY, ROLE_POLICY_BAG, "scoped-policy"),
    ok("xc-aws-iam-no-admin", IAM_ROLE_POLICY_ATTACHMENT, ATTACHMENT, "worker-policy"),
    bad(
        "xc-aws-iam-no-admin",
        IAM_ROLE_POLICY_ATTACHMENT,
        changed(ATTACHMENT, policyArn="arn:aws:iam::aws:policy/AdministratorAccess"),
        "admin-attached",
    ),
    bad(
        "xc-aws-iam-no-admin",
        IAM_ROLE,
        changed(ROLE_BAG, managedPolicyArns=["arn:aws:iam::aws:policy/AdministratorAccess"]),
        "admin-managed",
    ),
    bad(
        "xc-aws-iam-no-admin",
        IAM_ROLE_POLICY,
        changed(ROLE_POLICY_BAG, policy=doc({"Effect": "Allow", "Action": "*", "Resource": "*"})),
        "star-star",
    ),
    bad(
        "xc-aws-iam-no-admin",
        IAM_ROLE,
        changed(
            ROLE_BAG,
            inlinePolicies=[
                {"name": "all", "policy": doc({"Effect": "Allow", "Action": ["*"], "Resource": ["*"]})}
            ],
        ),
        "inline-star-star",
    ),
    bad(
        "xc-aws-iam-no-admin",
        IAM_ROLE_POLICY_ATTACHMENT,
        changed(ATTACHMENT, policyArn="arn:aws:iam::aws:policy/IAMFullAccess"),
        "iam-full-access",
    ),
    ok(
        "xc-aws-iam-no-admin",
        IAM_ROLE_POLICY_ATTACHMENT,
        changed(ATTACHMENT, policyArn="arn:aws:iam::111122223333:policy/IAMFullAccess"),
        "customer-policy-of-the-same-name-is-judged-by-its-document",
    ),
    bad(
        "xc-aws-iam-no-admin",
        IAM_ROLE_POLICY_ATTACHMENT,
        changed(ATTACHMENT, policyArn="arn:aws:iam::aws:policy/PowerUserAccess"),
        "configured-list",
        config={"deniedManagedPolicies": ["PowerUserAccess"]},
    ),
    bad(
        "xc-aws-iam-no-admin",
        IAM_ROLE_POLICY,
        changed(ROLE_POLICY_BAG, policy=doc({"Effect": "Allow", "Action": "iam:*", "Resource": "*"})),
        "inline-iam-star",
    ),
    bad(
        "xc-aws-iam-no-admin",
        IAM_MANAGED_POLICY,
        {"policy": doc({"Effect": "Allow", "Action": ["IAM:*"], "Resource": ["*"]})},
        "customer-managed-iam-star",
    ),
    ok(
        "xc-aws-iam-no-admin",
        IAM_ROLE_POLICY,
        changed(
            ROLE_POLICY_BAG,
            policy=doc({"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::1:role/app-*"}),
        ),
        "iam-star-on-scoped-resources",
    ),
    ok("xc-aws-iam-no-privesc", IAM_ROLE_POLICY, ROLE_POLICY_BAG),
    ok("xc-aws-iam-no-privesc", IAM_ROLE, ROLE_BAG, "role"),
    bad(
        "xc-aws-iam-no-privesc",
        IAM_ROLE_POLICY,
        changed(
            ROLE_POLICY_BAG,
            policy=doc({"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}),
        ),
        "pass-role-to-ec2",
    ),
    bad(
        "xc-aws-iam-no-privesc",
        IAM_MANAGED_POLICY,
        {"policy": doc({"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"})},
        "create-policy-version",
    ),
    bad(
        "xc-aws-iam-no-privesc",
        IAM_ROLE,
        changed(
            ROLE_BAG,
            inlinePolicies=[
                {
                    "name": "ops",
                    "policy": doc({"Effect": "Allow", "Action": ["iam:Attach*", "sts:*"], "Resource": "*"}),
                }
            ],
        ),
        "attach-role-policy-by-wildcards",
    ),
    bad(
        "xc-aws-iam-no-privesc",
        IAM_ROLE_POLICY,
        changed(ROLE_POLICY_BAG, policy=doc({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"})),
        "pass-any-role",
    ),
    ok(
        "xc-aws-iam-no-privesc",
        IAM_ROLE_POLICY,
        changed(
            ROLE_POLICY_BAG,
            policy=doc({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/node"}),
        ),
        "pass-one-role",
    ),
    ok(
        "xc-aws-iam-no-privesc",
        IAM_ROLE_POLICY,
        changed(
            ROLE_POLICY_BAG,
            policy=doc({"Effect": "Deny", "Action": "iam:*", "Resource": "*"}),
        ),
        "deny",
    ),
    ok("xc-aws-iam-trust-not-public", IAM_ROLE, ROLE_BAG),
    bad(
        "xc-aws-iam-trust-not-public",
        IAM_ROLE,
        changed(ROLE_BAG, assumeRolePolicy=doc({**TRUST, "Principal": {"AWS": "*"}})),
        "aws-star",
    ),
    bad(
        "xc-aws-iam-trust-not-public",
        IAM_ROLE,
        changed(ROLE_BAG, assumeRolePolicy=doc({**TRUST, "Principal": "*"})),
        "star",
    ),
    # CKV_AWS_60 fails '*' whatever the condition; CKV_AWS_61 fails an account root without one.
    bad(
        "xc-aws-iam-trust-not-public",
        IAM_ROLE,
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
    bad(
        "xc-aws-iam-trust-not-public",
        IAM_ROLE,
        changed(
            ROLE_BAG, assumeRolePolicy=doc({**TRUST, "Principal": {"AWS": "arn:aws:iam::111122223333:root"}})
        ),
        "account-root",
    ),
    bad(
        "xc-aws-iam-trust-not-public",
        IAM_ROLE,
        changed(ROLE_BAG, assumeRolePolicy=doc({**TRUST, "Principal": {"AWS": ["111122223333"]}})),
        "account-id",
    ),
    ok(
        "xc-aws-iam-trust-not-public",
        IAM_ROLE,
        changed(
            ROLE_BAG,
            assumeRolePolicy=doc(
                {
                    **TRUST,
                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                    "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/ops-*"}},
                }
            ),
        ),
        "account-root-with-condition",
    ),
    ok(
        "xc-aws-iam-trust-not-public",
        IAM_ROLE,
        changed(ROLE_BAG, assumeRolePolicy=doc({**TRUST, "Principal": {"AWS": "arn:aws:iam::1:role/ci"}})),
        "one-role",
    ),
    ok("xc-aws-iam-no-star", IAM_ROLE_POLICY, ROLE_POLICY_BAG),
    ok(
        "xc-aws-iam-no-star",
        IAM_ROLE_POLICY,
        changed(
            ROLE_POLICY_BAG,
            policy=doc({"Effect": "Allow", "Action": ["ec2:DescribeInstances"], "Resource": "*"}),
        ),
        "read-on-star",
    ),
    bad(
        "xc-aws-iam-no-star",
        IAM_ROLE_POLICY,
        changed(ROLE_POLICY_BAG, policy=doc({**WRITE_LOGS, "Action": "logs:*"})),
        "service-star",
    ),
    bad(
        "xc-aws-iam-no-star",
        IAM_ROLE_POLICY,
        changed(ROLE_POLICY_BAG, policy=doc({**WRITE_LOGS, "Resource": "*"})),
        "write-on-star",
    ),
    # Whole stacks
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


BASELINES = [
    Baseline(AWS_SECURITY_GROUP, SG),
    Baseline(AWS_SG_RULE, RULE),
    Baseline(AWS_SG_INGRESS_RULE, INGRESS),
    Baseline(AWS_SG_EGRESS_RULE, EGRESS),
    Baseline(AWS_SUBNET, SUBNET_BAG),
    Baseline(TGW, TGW_BAG),
    Baseline(KMS_KEY, KEY),
    Baseline(CLOUDWATCH_LOG_GROUP, LOGS),
    Baseline(IAM_ROLE, ROLE_BAG),
    Baseline(IAM_ROLE_POLICY, ROLE_POLICY_BAG),
    Baseline(IAM_ROLE_POLICY_ATTACHMENT, ATTACHMENT),
    Baseline(IAM_MANAGED_POLICY, {"policy": ROLE_POLICY_BAG["policy"]}),
]
