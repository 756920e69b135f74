"""GCP network and Cloud KMS: firewall rules, subnetworks, crypto keys and who may use them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from crossmesh_policy.kit import (
    MANDATORY,
    Config,
    Props,
    as_int,
    as_list,
    get,
    is_world,
    policy_document,
    resource_rule,
)

FIREWALL = "gcp:compute/firewall:Firewall"
SUBNETWORK = "gcp:compute/subnetwork:Subnetwork"
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
KMS_IAM = (
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
    "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding",
    "gcp:kms/cryptoKeyIAMPolicy:CryptoKeyIAMPolicy",
    "gcp:kms/keyRingIAMMember:KeyRingIAMMember",
    "gcp:kms/keyRingIAMBinding:KeyRingIAMBinding",
    "gcp:kms/keyRingIAMPolicy:KeyRingIAMPolicy",
)
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")

# Subnet purposes that carry no VM traffic, so flow logs and Private Google Access do not apply.
PROXY_PURPOSES = (
    "REGIONAL_MANAGED_PROXY",
    "GLOBAL_MANAGED_PROXY",
    "INTERNAL_HTTPS_LOAD_BALANCER",
    "PRIVATE_SERVICE_CONNECT",
)
MAX_ROTATION_SECONDS = 90 * 24 * 3600


def _port_ranges(ports: list[Any]) -> list[tuple[int, int]]:
    ranges = []
    for port in ports:
        low, _, high = str(port).partition("-")
        first, last = as_int(low), as_int(high or low)
        if first is not None and last is not None:
            ranges.append((first, last))
    return ranges


def world_ingress_allows(props: Props) -> list[tuple[str, list[tuple[int, int]] | None]]:
    """(protocol, port ranges or None for every port) of an ingress rule open to the world. A disabled
    rule counts: enabling it is one click or one field away, and Checkov judges it the same way."""
    if props.get("direction", "INGRESS") != "INGRESS":
        return []
    if not any(is_world(cidr) for cidr in as_list(props.get("sourceRanges"))):
        return []
    result: list[tuple[str, list[tuple[int, int]] | None]] = []
    for allow in as_list(props.get("allows")):
        protocol = str(get(allow, "protocol", "")).lower()
        ports = as_list(get(allow, "ports"))
        result.append((protocol, _port_ranges(ports) if ports else None))
    return result


@resource_rule(
    id="xc-gcp-fw-no-world-admin-ports",
    anchors=["CKV_GCP_2", "CKV_GCP_3", "AVD-GCP-0027"],
    severity=Severity.CRITICAL,
    level=MANDATORY,
    types=[FIREWALL],
)
def fw_no_world_admin_ports(props: Props, _: Config) -> Iterator[str]:
    """Firewall rules do not open SSH or RDP to 0.0.0.0/0."""
    for protocol, ranges in world_ingress_allows(props):
        if protocol not in ("tcp", "all", "6"):
            continue
        for port, service in ((22, "SSH"), (3389, "RDP")):
            if ranges is None or any(low <= port <= high for low, high in ranges):
                yield f"the rule opens {service} (tcp/{port}) to 0.0.0.0/0."


@resource_rule(
    id="xc-gcp-fw-no-world-all-ports",
    anchors=["CKV2_GCP_12", "AVD-GCP-0070", "AVD-GCP-0071", "AVD-GCP-0072"],
    severity=Severity.CRITICAL,
    level=MANDATORY,
    types=[FIREWALL],
)
def fw_no_world_all_ports(props: Props, _: Config) -> Iterator[str]:
    """Firewall rules do not open every port to 0.0.0.0/0."""
    for protocol, ranges in world_ingress_allows(props):
        if protocol == "all" or (protocol in ("tcp", "udp") and (ranges is None or (0, 65535) in ranges)):
            yield f"the rule opens every {protocol} port to 0.0.0.0/0."


# Application and data ports Checkov checks one by one (CKV_GCP_77 FTP data 20, CKV_GCP_75 FTP 21,
# CKV_GCP_106 HTTP 80, CKV_GCP_88 MySQL 3306), with the other database and cache ports of the same kind.
WORLD_CLOSED_PORTS = {
    20: "FTP data",
    21: "FTP",
    23: "Telnet",
    80: "HTTP",
    1433: "SQL Server",
    3306: "MySQL",
    5432: "PostgreSQL",
    6379: "Redis",
    9200: "Elasticsearch",
    27017: "MongoDB",
}


@resource_rule(
    id="xc-gcp-fw-no-world-app-ports",
    anchors=["CKV_GCP_106", "CKV_GCP_75", "CKV_GCP_77", "CKV_GCP_88"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[FIREWALL],
)
def fw_no_world_app_ports(props: Props, _: Config) -> Iterator[str]:
    """Firewall rules do not open application or database ports (HTTP, FTP, MySQL, PostgreSQL, Redis
    ...) to 0.0.0.0/0 (stricter than the anchors: more ports, and a rule with every port counts)."""
    for protocol, ranges in world_ingress_allows(props):
        if protocol not in ("tcp", "all", "6"):
            continue
        for port, service in WORLD_CLOSED_PORTS.items():
            if ranges is None or any(low <= port <= high for low, high in ranges):
                yield f"the rule opens {service} (tcp/{port}) to 0.0.0.0/0."


@resource_rule(
    id="xc-gcp-subnet-flow-logs",
    anchors=["CKV_GCP_26", "AVD-GCP-0029", "AVD-GCP-0076"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=[SUBNETWORK],
)
def subnet_flow_logs(props: Props, _: Config) -> Iterator[str]:
    """Subnetworks have VPC flow logs."""
    if props.get("purpose") in PROXY_PURPOSES:
        return
    if props.get("logConfig") is None:
        yield "the subnetwork has no flow logs: set logConfig."


@resource_rule(
    id="xc-gcp-subnet-private-google-access",
    anchors=["CKV_GCP_74", "AVD-GCP-0075"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=[SUBNETWORK],
)
def subnet_private_google_access(props: Props, _: Config) -> Iterator[str]:
    """Subnetworks enable Private Google Access."""
    if props.get("purpose") in PROXY_PURPOSES:
        return
    if props.get("privateIpGoogleAccess") is not True:
        yield "privateIpGoogleAccess is off: private nodes cannot reach Google APIs without NAT."


def _duration_seconds(value: Any) -> int | None:
    text = str(value).strip()
    if text.endswith("s"):
        text = text[:-1]
    try:
        return int(float(text))
    except ValueError:
        return None


@resource_rule(
    id="xc-gcp-kms-rotation",
    anchors=["CKV_GCP_43", "AVD-GCP-0065"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=[CRYPTO_KEY],
)
def kms_rotation(props: Props, _: Config) -> Iterator[str]:
    """Cloud KMS encryption keys rotate at least every 90 days."""
    if props.get("purpose", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
        return  # Cloud KMS rotates only symmetric encryption keys automatically.
    period = props.get("rotationPeriod")
    seconds = _duration_seconds(period) if period is not None else None
    if seconds is None:
        yield "rotationPeriod is unset: the key never rotates."
    elif seconds > MAX_ROTATION_SECONDS:
        yield f"rotationPeriod {period} exceeds 90 days (7776000s)."


@resource_rule(
    id="xc-gcp-kms-not-public",
    anchors=["CKV_GCP_112", "CKV2_GCP_6", "CKV2_GCP_8"],
    severity=Severity.CRITICAL,
    level=MANDATORY,
    types=KMS_IAM,
)
def kms_not_public(props: Props, _: Config) -> Iterator[str]:
    """Cloud KMS keys and key rings are never granted to allUsers or allAuthenticatedUsers."""
    members = [props.get("member"), *as_list(props.get("members"))]
    for binding in as_list(policy_document(props.get("policyData")).get("bindings")):
        members.extend(as_list(get(binding, "members")))
    for member in members:
        if member in PUBLIC_MEMBERS:
            yield f"{member} is granted access to the key."


PROJECT_IAM = (
    "gcp:projects/iAMMember:IAMMember",
    "gcp:projects/iAMBinding:IAMBinding",
    "gcp:projects/iAMPolicy:IAMPolicy",
)
BASIC_ROLES = ("roles/owner", "roles/editor", "roles/viewer")
# Roles that let their holder act as, or mint tokens for, every service account of the project when
# granted at project level (Google: "Best practices for using service accounts").
IMPERSONATION_ROLES = (
    "roles/iam.serviceAccountUser",
    "roles/iam.serviceAccountTokenCreator",
    "roles/iam.serviceAccountOpenIdTokenCreator",
    "roles/iam.workloadIdentityUser",
    "roles/iam.serviceAccountAdmin",
    "roles/iam.serviceAccountKeyAdmin",
)
# The Compute Engine and App Engine default service accounts.
ADMIN_ROLE = re.compile(r"admin|Admin|roles/editor$|roles/owner$")
DEFAULT_ACCOUNT = re.compile(r"-compute@developer\.gserviceaccount\.com$|@appspot\.gserviceaccount\.com$")


def project_grants(props: Props) -> list[tuple[str, list[str]]]:
    """(role, members) of a project IAM member, binding or whole policy."""
    grants: list[tuple[str, list[str]]] = []
    if props.get("role") is not None:
        members = [props.get("member"), *as_list(props.get("members"))]
        grants.append((str(props.get("role")), [str(m) for m in members if m]))
    for binding in as_list(policy_document(props.get("policyData")).get("bindings")):
        grants.append((str(get(binding, "role", "")), [str(m) for m in as_list(get(binding, "members"))]))
    return grants


@resource_rule(
    id="xc-gcp-iam-no-basic-roles",
    anchors=["CKV_GCP_117"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=PROJECT_IAM,
)
def iam_no_basic_roles(props: Props, _: Config) -> Iterator[str]:
    """No one gets a basic role (owner, editor, viewer) on the project: grant predefined roles."""
    for role, _members in project_grants(props):
        if role in BASIC_ROLES:
            yield f"{role} is a basic role at project level: grant the predefined roles the holder needs."


@resource_rule(
    id="xc-gcp-iam-no-project-impersonation",
    anchors=["CKV_GCP_41", "CKV_GCP_49"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=PROJECT_IAM,
)
def iam_no_project_impersonation(props: Props, _: Config) -> Iterator[str]:
    """Service Account User, Token Creator and the other roles that act as service accounts are granted
    on one service account, never project-wide."""
    for role, _members in project_grants(props):
        if role in IMPERSONATION_ROLES:
            yield (
                f"{role} at project level lets its holder act as every service account of the project: "
                "grant it on the one service account instead."
            )


@resource_rule(
    id="xc-gcp-iam-no-default-sa",
    anchors=["CKV_GCP_46", "CKV_GCP_42"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=PROJECT_IAM,
)
def iam_no_default_sa(props: Props, _: Config) -> Iterator[str]:
    """The default Compute Engine and App Engine service accounts get no project roles, and no service
    account gets an admin, editor or owner role at project level."""
    for role, members in project_grants(props):
        for member in members:
            account = member.removeprefix("serviceAccount:")
            if DEFAULT_ACCOUNT.search(account):
                yield f"{role} is granted to the default service account {account}: use a dedicated one."
            elif account.endswith(".iam.gserviceaccount.com") and ADMIN_ROLE.search(role):
                yield f"the service account {account} gets {role}, an administrative role, at project level."
