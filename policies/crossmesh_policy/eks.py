"""EKS control plane, node groups and node launch templates."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from crossmesh_policy.kit import (
    ADVISORY,
    MANDATORY,
    Config,
    Props,
    as_int,
    as_list,
    get,
    is_world,
    resource_rule,
)

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")

# Checkov CKV_AWS_339's allow-list at the catalogue's snapshot; a stack can pass its own list.
SUPPORTED_VERSIONS = ["1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35"]


@resource_rule(
    id="xc-eks-logging-all-types",
    anchors=["CKV_AWS_37", "AVD-AWS-0038", "KICS 66f130d9", "CIS EKS 2.1.1"],
    severity=Severity.MEDIUM,
    level=MANDATORY,
    types=[CLUSTER],
)
def logging_all_types(props: Props, _: Config) -> Iterator[str]:
    """EKS clusters send all five control-plane log types to CloudWatch."""
    enabled = set(as_list(props.get("enabledClusterLogTypes")))
    missing = [kind for kind in LOG_TYPES if kind not in enabled]
    if missing:
        yield f"enabledClusterLogTypes lacks {', '.join(missing)}: enable all five control-plane log types."


@resource_rule(
    id="xc-eks-no-open-public-cidr",
    anchors=["CKV_AWS_38", "AVD-AWS-0041", "KICS 61cf9883", "CIS EKS 5.4.1"],
    severity=Severity.CRITICAL,
    level=MANDATORY,
    types=[CLUSTER],
)
def no_open_public_cidr(props: Props, _: Config) -> Iterator[str]:
    """A public EKS API endpoint is restricted to known CIDRs, never 0.0.0.0/0."""
    if get(props, "vpcConfig.endpointPublicAccess", True) is False:
        return
    cidrs = as_list(get(props, "vpcConfig.publicAccessCidrs", ["0.0.0.0/0"]))
    if not cidrs or any(is_world(cidr) for cidr in cidrs):
        yield (
            "the public API endpoint is open to the whole internet: set vpcConfig.publicAccessCidrs "
            "to the operators' ranges (absent means 0.0.0.0/0), or disable endpointPublicAccess."
        )


@resource_rule(
    id="xc-eks-public-endpoint-disabled",
    anchors=["CKV_AWS_39", "AVD-AWS-0040", "KICS 42f4b905", "CIS EKS 5.4.2"],
    severity=Severity.MEDIUM,
    level=ADVISORY,
    types=[CLUSTER],
)
def public_endpoint_disabled(props: Props, _: Config) -> Iterator[str]:
    """EKS API endpoint is private (public access off, private access on); advisory because the
    Pulumi Kubernetes provider must then run inside the network."""
    if get(props, "vpcConfig.endpointPublicAccess", True) is not False:
        yield "vpcConfig.endpointPublicAccess is on (the default): prefer a private-only endpoint."
    if get(props, "vpcConfig.endpointPrivateAccess", False) is not True:
        yield "vpcConfig.endpointPrivateAccess is off (the default): nodes reach the API over the internet."


@resource_rule(
    id="xc-eks-secrets-kms",
    anchors=["CKV_AWS_58", "AVD-AWS-0039", "KICS 63ebcb19", "CIS EKS 5.3.1"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[CLUSTER],
)
def secrets_kms(props: Props, _: Config) -> Iterator[str]:
    """EKS encrypts Kubernetes Secrets with a customer-managed KMS key."""
    resources = as_list(get(props, "encryptionConfig.resources"))
    if "secrets" not in resources or not get(props, "encryptionConfig.provider.keyArn"):
        yield "Kubernetes Secrets are not envelope-encrypted: set encryptionConfig with a KMS keyArn."


@resource_rule(
    id="xc-eks-supported-version",
    anchors=["CKV_AWS_339"],
    severity=Severity.MEDIUM,
    level=ADVISORY,
    types=[CLUSTER],
    config={
        "supportedVersions": {"type": "array", "items": {"type": "string"}, "default": SUPPORTED_VERSIONS}
    },
)
def supported_version(props: Props, config: Config) -> Iterator[str]:
    """EKS runs a Kubernetes version in standard support (list configurable as supportedVersions)."""
    version = props.get("version")
    if version is None:
        return  # EKS creates the latest standard-support version.
    allowed = [str(v) for v in as_list(config.get("supportedVersions"))]
    if str(version) not in allowed:
        yield f"Kubernetes version {version} is not in the supported list {', '.join(allowed)}."


@resource_rule(
    id="xc-eks-nodegroup-no-open-ssh",
    anchors=["CKV_AWS_100", "KICS ba40ace1"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[NODE_GROUP],
)
def nodegroup_no_open_ssh(props: Props, _: Config) -> Iterator[str]:
    """EKS node groups with an SSH key restrict SSH to source security groups."""
    if get(props, "remoteAccess.ec2SshKey") and not as_list(
        get(props, "remoteAccess.sourceSecurityGroupIds")
    ):
        yield "remoteAccess opens SSH to 0.0.0.0/0: set remoteAccess.sourceSecurityGroupIds (or drop SSH)."


@resource_rule(
    id="xc-eks-imdsv2",
    anchors=["CKV_AWS_79", "AVD-AWS-0130"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[LAUNCH_TEMPLATE, INSTANCE],
)
def imdsv2(props: Props, _: Config) -> Iterator[str]:
    """Node launch templates and instances require IMDSv2 session tokens."""
    if get(props, "metadataOptions.httpEndpoint", "enabled") == "disabled":
        return
    if get(props, "metadataOptions.httpTokens", "optional") != "required":
        yield "instance metadata accepts IMDSv1: set metadataOptions.httpTokens to 'required'."


@resource_rule(
    id="xc-eks-imds-hop-limit",
    anchors=["CKV_AWS_341"],
    severity=Severity.LOW,
    level=ADVISORY,
    types=[LAUNCH_TEMPLATE],
)
def imds_hop_limit(props: Props, _: Config) -> Iterator[str]:
    """Node launch templates keep the IMDS response hop limit at 1 so pods cannot use node credentials."""
    limit = as_int(get(props, "metadataOptions.httpPutResponseHopLimit", 1))
    if limit is not None and limit > 1:
        yield (
            f"metadataOptions.httpPutResponseHopLimit is {limit}: pods can reach the node's IMDS "
            "credentials; keep it 1 and give pods IRSA roles."
        )
