"""AWS network, KMS, CloudWatch Logs and IAM: security groups, VPCs, subnets, the Transit Gateway."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import Severity

from crossmesh_policy.kit import (
    ADVISORY,
    MANDATORY,
    Config,
    Props,
    StackView,
    as_int,
    as_list,
    has,
    is_world,
    policy_document,
    port_in,
    resource_rule,
    stack_rule,
    statements,
)

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG_TYPES = (SECURITY_GROUP, SG_RULE, SG_INGRESS, SG_EGRESS)
VPC = "aws:ec2/vpc:Vpc"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SUBNET = "aws:ec2/subnet:Subnet"
TGW = "aws:ec2transitgateway/transitGateway:TransitGateway"
KMS_KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
MANAGED_POLICY = "aws:iam/policy:Policy"
IAM_TYPES = (ROLE, ROLE_POLICY, ROLE_POLICY_ATTACHMENT, MANAGED_POLICY)

# AWS managed policies that grant IAM write or full administration (AWS managed policy reference:
# AdministratorAccess and its service variants allow "*"; IAMFullAccess allows "iam:*").
ADMIN_MANAGED_POLICIES = (
    "AdministratorAccess",
    "AdministratorAccess-Amplify",
    "AdministratorAccess-AWSElasticBeanstalk",
    "IAMFullAccess",
)
ALL_PROTOCOLS = ("-1", "all")


@dataclass(frozen=True)
class Rule:
    """One security-group rule, whichever of the four resource shapes declared it."""

    label: str
    direction: str
    protocol: str
    from_port: Any
    to_port: Any
    cidrs: tuple[str, ...]
    description: Any

    def allows_port(self, port: int) -> bool:
        if self.protocol in ALL_PROTOCOLS:
            return True
        return self.protocol in ("tcp", "6") and port_in(port, self.from_port, self.to_port)

    @property
    def from_world(self) -> bool:
        return any(is_world(cidr) for cidr in self.cidrs)


def sg_rules(resource_type: str, props: Props) -> list[Rule]:
    """The rules a security group or rule resource declares."""
    if resource_type == SECURITY_GROUP:
        return [
            _inline_rule(f"{direction}[{index}]", direction, rule)
            for direction in ("ingress", "egress")
            for index, rule in enumerate(as_list(props.get(direction)))
        ]
    if resource_type == SG_RULE:
        return [_inline_rule("rule", str(props.get("type", "")), props)]
    if resource_type in (SG_INGRESS, SG_EGRESS):
        return [
            Rule(
                "rule",
                "ingress" if resource_type == SG_INGRESS else "egress",
                str(props.get("ipProtocol", "")).lower(),
                props.get("fromPort"),
                props.get("toPort"),
                tuple(str(c) for c in (props.get("cidrIpv4"), props.get("cidrIpv6")) if c),
                props.get("description"),
            )
        ]
    return []


def _inline_rule(label: str, direction: str, rule: Any) -> Rule:
    rule = rule if isinstance(rule, Mapping) else {}
    cidrs = [*as_list(rule.get("cidrBlocks")), *as_list(rule.get("ipv6CidrBlocks"))]
    return Rule(
        label,
        direction,
        str(rule.get("protocol", "")).lower(),
        rule.get("fromPort"),
        rule.get("toPort"),
        tuple(str(c) for c in cidrs),
        rule.get("description"),
    )


@resource_rule(
    id="xc-aws-sg-no-world-admin-ports",
    anchors=["CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277", "AVD-AWS-0107"],
    severity=Severity.CRITICAL,
    level=MANDATORY,
    types=SG_TYPES,
    by_type=True,
)
def sg_no_world_admin_ports(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """Security groups do not open SSH, RDP or all ports to 0.0.0.0/0 or ::/0."""
    for rule in sg_rules(resource_type, props):
        if rule.direction != "ingress" or not rule.from_world:
            continue
        if rule.protocol in ALL_PROTOCOLS:
            yield f"{rule.label} allows all traffic from the internet."
            continue
        for port, service in ((22, "SSH"), (3389, "RDP")):
            if rule.allows_port(port):
                yield f"{rule.label} opens {service} (port {port}) to the internet."


@resource_rule(
    id="xc-aws-sg-no-world-80",
    anchors=["CKV_AWS_260", "AVD-AWS-0107"],
    severity=Severity.MEDIUM,
    level=ADVISORY,
    types=SG_TYPES,
    by_type=True,
)
def sg_no_world_80(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """Security groups do not open port 80 to the internet."""
    for rule in sg_rules(resource_type, props):
        if rule.direction == "ingress" and rule.from_world and rule.allows_port(80):
            yield f"{rule.label} opens HTTP (port 80) to the internet."


@resource_rule(
    id="xc-aws-sg-no-world-egress",
    anchors=["CKV_AWS_382", "AVD-AWS-0104"],
    severity=Severity.LOW,
    level=ADVISORY,
    types=SG_TYPES,
    by_type=True,
)
def sg_no_world_egress(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """Security groups do not allow all egress to the internet."""
    for rule in sg_rules(resource_type, props):
        if rule.direction == "egress" and rule.from_world and rule.protocol in ALL_PROTOCOLS:
            yield f"{rule.label} allows all egress to the internet."


@resource_rule(
    id="xc-aws-sg-descriptions",
    anchors=["CKV_AWS_23", "AVD-AWS-0099", "AVD-AWS-0124"],
    severity=Severity.LOW,
    level=ADVISORY,
    types=SG_TYPES,
    by_type=True,
)
def sg_descriptions(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """Security groups and each of their rules carry a description."""
    if resource_type == SECURITY_GROUP and not props.get("description"):
        yield "the security group has no description (the provider default is 'Managed by Pulumi')."
    for rule in sg_rules(resource_type, props):
        if not rule.description:
            yield f"{rule.label} has no description."


@stack_rule(
    id="xc-aws-sg-rule-conflicts",
    anchors=["AWSGuard security-group-no-rule-management-conflicts"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=SG_TYPES,
)
def sg_rule_conflicts(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """A security group is managed either by inline rules or by rule resources, never both."""
    rule_resources = stack.of_type(SG_RULE, SG_INGRESS, SG_EGRESS)
    for group in stack.of_type(SECURITY_GROUP):
        if not (as_list(group.props.get("ingress")) or as_list(group.props.get("egress"))):
            continue
        for rule in rule_resources:
            if rule.props.get("securityGroupId") is not None and stack.refers_to(
                rule, "securityGroupId", group
            ):
                yield (
                    f"security group {group.name} declares inline rules and is also managed by the rule "
                    f"resource {rule.name}: the two fight on every update; use one style.",
                    group.urn,
                )


@stack_rule(
    id="xc-aws-default-sg-closed",
    anchors=["CKV2_AWS_12", "AVD-AWS-0173"],
    severity=Severity.MEDIUM,
    level=ADVISORY,
    types=[VPC, DEFAULT_SG],
)
def default_sg_closed(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """Every VPC's default security group is adopted with no rules."""
    defaults = stack.of_type(DEFAULT_SG)
    for vpc in stack.of_type(VPC):
        mine = [d for d in defaults if stack.refers_to(d, "vpcId", vpc)]
        if not mine:
            yield (
                f"VPC {vpc.name} leaves its default security group's rules in place: adopt it with no rules.",
                vpc.urn,
            )
        for default in mine:
            if as_list(default.props.get("ingress")) or as_list(default.props.get("egress")):
                yield f"the default security group {default.name} has rules: leave it empty.", default.urn


@stack_rule(
    id="xc-aws-vpc-flow-logs",
    anchors=["CKV2_AWS_11", "AVD-AWS-0178"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=[VPC, FLOW_LOG],
)
def vpc_flow_logs(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """Every VPC has a flow log."""
    logs = stack.of_type(FLOW_LOG)
    for vpc in stack.of_type(VPC):
        if not any(has(log.props, "vpcId") and stack.refers_to(log, "vpcId", vpc) for log in logs):
            yield f"VPC {vpc.name} has no flow log.", vpc.urn


@resource_rule(
    id="xc-aws-node-subnets-private",
    anchors=["CKV_AWS_130", "AVD-AWS-0164", "CIS EKS 5.4.3"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[SUBNET],
)
def node_subnets_private(props: Props, _: Config) -> Iterator[str]:
    """Subnets do not assign public IPs on launch (nodes live in private subnets)."""
    if props.get("mapPublicIpOnLaunch") is True:
        yield "mapPublicIpOnLaunch gives every instance launched here a public IP: keep it false."


@resource_rule(
    id="xc-aws-tgw-no-auto-accept",
    anchors=["CKV_AWS_331"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[TGW],
)
def tgw_no_auto_accept(props: Props, _: Config) -> Iterator[str]:
    """The Transit Gateway does not auto-accept shared attachments."""
    if props.get("autoAcceptSharedAttachments", "disable") == "enable":
        yield "autoAcceptSharedAttachments accepts any shared account's attachment: set it to 'disable'."


@resource_rule(
    id="xc-aws-tgw-ecmp",
    anchors=["Google HA VPN to AWS guide: ECMP across tunnels"],
    severity=Severity.MEDIUM,
    level=ADVISORY,
    types=[TGW],
)
def tgw_ecmp(props: Props, _: Config) -> Iterator[str]:
    """The Transit Gateway keeps VPN ECMP on so traffic spreads over every tunnel."""
    if props.get("vpnEcmpSupport", "enable") == "disable":
        yield "vpnEcmpSupport is off: the four HA VPN tunnels cannot share load."


@resource_rule(
    id="xc-aws-kms-rotation",
    anchors=["CKV_AWS_7", "AVD-AWS-0065", "AWSGuard kms-key-rotation-enabled"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=[KMS_KEY],
)
def kms_rotation(props: Props, _: Config) -> Iterator[str]:
    """Symmetric KMS keys rotate automatically."""
    spec = props.get("customerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    if spec != "SYMMETRIC_DEFAULT":
        return  # KMS rotates only symmetric encryption keys.
    if props.get("enableKeyRotation") is not True:
        yield "enableKeyRotation is off (the default): turn on automatic yearly rotation."


def _public_principal(statement: Any) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any("*" in as_list(value) for value in principal.values())
    return False


@resource_rule(
    id="xc-aws-kms-no-wildcard-principal",
    anchors=["CKV_AWS_33"],
    severity=Severity.CRITICAL,
    level=MANDATORY,
    types=[KMS_KEY],
)
def kms_no_wildcard_principal(props: Props, _: Config) -> Iterator[str]:
    """KMS key policies never allow '*' principals without a condition."""
    for statement in statements(policy_document(props.get("policy"))):
        if (
            statement.get("Effect") == "Allow"
            and _public_principal(statement)
            and not statement.get("Condition")
        ):
            sid = statement.get("Sid", "(no Sid)")
            yield f"key policy statement {sid} allows any principal without a condition."


@resource_rule(
    id="xc-aws-kms-no-lockout-bypass",
    anchors=["AWS KMS BypassPolicyLockoutSafetyCheck", "Pulumi compliance-policies"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[KMS_KEY],
)
def kms_no_lockout_bypass(props: Props, _: Config) -> Iterator[str]:
    """KMS keys keep the policy lockout safety check."""
    if props.get("bypassPolicyLockoutSafetyCheck") is True:
        yield "bypassPolicyLockoutSafetyCheck lets a key policy lock every administrator out: keep it false."


@resource_rule(
    id="xc-aws-log-retention",
    anchors=["CKV_AWS_66", "CKV_AWS_338"],
    severity=Severity.LOW,
    level=ADVISORY,
    types=[LOG_GROUP],
)
def log_retention(props: Props, _: Config) -> Iterator[str]:
    """CloudWatch log groups keep logs at least a year."""
    days = as_int(props.get("retentionInDays"))
    if days is None:
        yield "retentionInDays is unset: decide how long logs live (0 keeps them forever, else 365+)."
    elif 0 < days < 365:
        yield f"retentionInDays is {days}: keep logs at least 365 days."


@resource_rule(
    id="xc-aws-log-kms",
    anchors=["CKV_AWS_158"],
    severity=Severity.LOW,
    level=ADVISORY,
    types=[LOG_GROUP],
)
def log_kms(props: Props, _: Config) -> Iterator[str]:
    """CloudWatch log groups are encrypted with a customer-managed KMS key."""
    if not props.get("kmsKeyId"):
        yield "the log group is not encrypted with a customer-managed KMS key: set kmsKeyId."


def _actions(statement: Any) -> list[str]:
    return [str(action) for action in as_list(statement.get("Action"))]


def _resources(statement: Any) -> list[str]:
    return [str(resource) for resource in as_list(statement.get("Resource"))]


def _allows_on_everything(document: dict[str, Any]) -> set[str]:
    """The actions (lower-cased, wildcards kept) an Allow grants on Resource '*'."""
    return {
        action.lower()
        for statement in statements(document)
        if statement.get("Effect") == "Allow" and "*" in _resources(statement)
        for action in _actions(statement)
    }


def _admin_grants(document: dict[str, Any]) -> list[str]:
    """What in a policy document makes it administrator: '*' or 'iam:*' on '*'."""
    granted = _allows_on_everything(document)
    return [f"'{action}' on '*'" for action in ("*", "iam:*") if action in granted]


def _managed_admin(arn: Any, denied: Sequence[str]) -> str | None:
    name = str(arn).rsplit("/", 1)[-1]
    return name if ":iam::aws:policy/" in str(arn) and name in denied else None


def _documents(resource_type: str, props: Props) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, document) of each policy document a role, inline or managed policy carries."""
    if resource_type == ROLE:
        for inline in as_list(props.get("inlinePolicies")):
            if isinstance(inline, Mapping):
                yield (
                    f"inline policy {inline.get('name', '(unnamed)')}",
                    policy_document(inline.get("policy")),
                )
    elif resource_type in (ROLE_POLICY, MANAGED_POLICY):
        yield "the policy", policy_document(props.get("policy"))


@resource_rule(
    id="xc-aws-iam-no-admin",
    anchors=["CKV_AWS_274", "CKV2_AWS_56", "CKV_AWS_62", "CKV2_AWS_40"],
    severity=Severity.CRITICAL,
    level=MANDATORY,
    types=IAM_TYPES,
    by_type=True,
    config={
        "deniedManagedPolicies": {
            "type": "array",
            "items": {"type": "string"},
            "default": list(ADMIN_MANAGED_POLICIES),
        }
    },
)
def iam_no_admin(resource_type: str, props: Props, config: Config) -> Iterator[str]:
    """IAM roles get no AWS managed policy that grants IAM write or administration (AdministratorAccess,
    IAMFullAccess; list configurable as deniedManagedPolicies), and no policy allows '*' or 'iam:*' on
    '*'."""
    denied = config["deniedManagedPolicies"]
    arns = [props.get("policyArn")] if resource_type == ROLE_POLICY_ATTACHMENT else []
    if resource_type == ROLE:
        arns = as_list(props.get("managedPolicyArns"))
    for arn in arns:
        name = _managed_admin(arn, denied)
        if name:
            yield f"the role gets the AWS managed policy {name}, which grants IAM write or administration."
    for label, document in _documents(resource_type, props):
        for grant in _admin_grants(document):
            yield f"{label} allows {grant} (administrator)."


@resource_rule(
    id="xc-aws-iam-trust-not-public",
    anchors=["CKV_AWS_60", "CKV_AWS_61"],
    severity=Severity.CRITICAL,
    level=MANDATORY,
    types=[ROLE],
)
def iam_trust_not_public(props: Props, _: Config) -> Iterator[str]:
    """IAM role trust policies never trust '*' (with or without a condition) and never trust a whole
    account (its root) without a condition."""
    for statement in statements(policy_document(props.get("assumeRolePolicy"))):
        if statement.get("Effect") != "Allow":
            continue
        if _public_principal(statement):
            yield "the trust policy lets any AWS principal ('*') assume the role, whatever its condition."
        elif _account_root_principal(statement) and not statement.get("Condition"):
            yield (
                "the trust policy lets every principal of an account (its root) assume the role without a "
                "condition: name the roles, or add a condition."
            )


def _account_root_principal(statement: Any) -> bool:
    principal = statement.get("Principal")
    values = as_list(principal.get("AWS")) if isinstance(principal, Mapping) else []
    return any(
        str(value).endswith(":root") or (str(value).isdigit() and len(str(value)) == 12) for value in values
    )


# Privilege-escalation paths (Rhino Security Labs' AWS IAM privilege escalation methods, the list
# Checkov's CKV_AWS_286 evaluates through cloudsplaining): each set of actions, all allowed on '*',
# lets a principal give itself more than it was granted.
PRIVILEGE_ESCALATIONS: Mapping[str, tuple[str, ...]] = {
    "create access keys for other users": ("iam:createaccesskey",),
    "create a console password for other users": ("iam:createloginprofile",),
    "change other users' console passwords": ("iam:updateloginprofile",),
    "add users to groups": ("iam:addusertogroup",),
    "publish a new default policy version": ("iam:createpolicyversion",),
    "switch a policy's default version": ("iam:setdefaultpolicyversion",),
    "attach policies to users": ("iam:attachuserpolicy",),
    "attach policies to groups": ("iam:attachgrouppolicy",),
    "attach policies to a role it assumes": ("iam:attachrolepolicy", "sts:assumerole"),
    "put inline policies on users": ("iam:putuserpolicy",),
    "put inline policies on groups": ("iam:putgrouppolicy",),
    "put inline policies on a role it assumes": ("iam:putrolepolicy", "sts:assumerole"),
    "rewrite a role's trust policy and assume it": ("iam:updateassumerolepolicy", "sts:assumerole"),
    "pass any role to a new EC2 instance": ("iam:passrole", "ec2:runinstances"),
    "pass any role to a new Lambda function": ("iam:passrole", "lambda:createfunction"),
    "pass any role to a Glue dev endpoint": ("iam:passrole", "glue:createdevendpoint"),
    "pass any role to CloudFormation": ("iam:passrole", "cloudformation:createstack"),
    "pass any role to Data Pipeline": ("iam:passrole", "datapipeline:createpipeline"),
    "take over a Glue dev endpoint": ("glue:updatedevendpoint",),
    "rewrite a Lambda function that runs with a role": ("lambda:updatefunctioncode",),
}
# IAM actions that manage permissions (grant, attach, trust): on '*' they reach every principal.
PERMISSIONS_MANAGEMENT_PREFIXES = (
    "iam:attach",
    "iam:put",
    "iam:create",
    "iam:update",
    "iam:delete",
    "iam:detach",
    "iam:set",
    "iam:add",
    "iam:remove",
    "iam:passrole",
)


def _grants(granted: set[str], action: str) -> bool:
    """Whether the granted actions (wildcards allowed) include action."""
    return any(fnmatchcase(action, pattern) for pattern in granted)


@resource_rule(
    id="xc-aws-iam-no-privesc",
    anchors=["CKV_AWS_286", "CKV_AWS_289"],
    severity=Severity.CRITICAL,
    level=MANDATORY,
    types=IAM_TYPES,
    by_type=True,
)
def iam_no_privesc(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """No policy opens a privilege-escalation path (iam:PassRole, iam:CreatePolicyVersion,
    iam:AttachRolePolicy ... on '*') or manages IAM permissions on '*'."""
    for label, document in _documents(resource_type, props):
        granted = _allows_on_everything(document)
        if not granted:
            continue
        for method, actions in PRIVILEGE_ESCALATIONS.items():
            if all(_grants(granted, action) for action in actions):
                yield f"{label} lets its holder {method} ({', '.join(actions)} on '*')."
        managing = sorted(action for action in granted if action.startswith(PERMISSIONS_MANAGEMENT_PREFIXES))
        if managing:
            yield f"{label} manages IAM permissions on '*' ({', '.join(managing)}): scope them to ARNs."


READ_PREFIXES = ("Describe", "Get", "List")
# Actions that support no resource-level permissions, so Resource "*" is their only form
# (AWS Service Authorization Reference, e.g.
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html).
RESOURCELESS_ACTIONS = frozenset(
    {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
        "cloudwatch:PutMetricData",
    }
)


@resource_rule(
    id="xc-aws-iam-no-star",
    anchors=["CKV_AWS_63", "CKV_AWS_355"],
    severity=Severity.MEDIUM,
    level=ADVISORY,
    types=[ROLE_POLICY],
)
def iam_no_star(props: Props, _: Config) -> Iterator[str]:
    """Inline role policies list their actions and scope write actions to ARNs."""
    for statement in statements(policy_document(props.get("policy"))):
        if statement.get("Effect") != "Allow":
            continue
        actions = _actions(statement)
        if any(action == "*" or action.endswith(":*") for action in actions):
            yield "a statement allows every action of a service ('*' or 'service:*'): list the actions."
        writes = [
            a
            for a in actions
            if a not in RESOURCELESS_ACTIONS and not a.split(":")[-1].startswith(READ_PREFIXES)
        ]
        if "*" in _resources(statement) and writes:
            yield "a statement allows write actions on Resource '*': scope them to ARNs."
