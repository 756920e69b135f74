"""AWS network, KMS, CloudWatch Logs and IAM: security groups, VPCs, subnets, the Transit Gateway."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
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

ADMIN_POLICY_SUFFIX = ":policy/AdministratorAccess"
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


def _full_admin(document: dict[str, Any]) -> bool:
    return any(
        statement.get("Effect") == "Allow" and "*" in _actions(statement) and "*" in _resources(statement)
        for statement in statements(document)
    )


@resource_rule(
    id="xc-aws-iam-no-admin",
    anchors=["CKV_AWS_274", "CKV2_AWS_56", "CKV_AWS_62", "CKV2_AWS_40"],
    severity=Severity.CRITICAL,
    level=MANDATORY,
    types=[ROLE, ROLE_POLICY, ROLE_POLICY_ATTACHMENT],
    by_type=True,
)
def iam_no_admin(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """IAM roles get neither AdministratorAccess nor an Allow of '*' on '*'."""
    if resource_type == ROLE_POLICY_ATTACHMENT and str(props.get("policyArn", "")).endswith(
        ADMIN_POLICY_SUFFIX
    ):
        yield "the role gets AdministratorAccess."
    if resource_type == ROLE:
        if any(str(arn).endswith(ADMIN_POLICY_SUFFIX) for arn in as_list(props.get("managedPolicyArns"))):
            yield "the role gets AdministratorAccess."
        for inline in as_list(props.get("inlinePolicies")):
            if isinstance(inline, Mapping) and _full_admin(policy_document(inline.get("policy"))):
                yield f"inline policy {inline.get('name', '(unnamed)')} allows '*' on '*'."
    if resource_type == ROLE_POLICY and _full_admin(policy_document(props.get("policy"))):
        yield "the policy allows '*' on '*' (full administrator)."


@resource_rule(
    id="xc-aws-iam-trust-not-public",
    anchors=["CKV_AWS_60", "CKV_AWS_61"],
    severity=Severity.CRITICAL,
    level=MANDATORY,
    types=[ROLE],
)
def iam_trust_not_public(props: Props, _: Config) -> Iterator[str]:
    """IAM role trust policies never let '*' assume the role without a condition."""
    for statement in statements(policy_document(props.get("assumeRolePolicy"))):
        if (
            statement.get("Effect") == "Allow"
            and _public_principal(statement)
            and not statement.get("Condition")
        ):
            yield "the trust policy lets any AWS principal assume the role."


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
