"""EKS rules: a compliant cluster, node group and launch template, then one changed field per case.

The public-CIDR cases are Checkov's example_EKSPublicAccessCIDR fixtures (disabled and restricted
pass; default, empty and open fail) as Pulumi property bags. The runner in test_pack.py runs CASES
and BASELINES."""

from __future__ import annotations

from crossmesh_policy.eks import LOG_TYPES

from tests.support.policy_cases import (
    ABSENT,
    BY_NAME,
    Baseline,
    PolicyCase,
    bad,
    changed,
    ok,
    resource_violations,
)
from tests.support.types import AWS_INSTANCE, AWS_LAUNCH_TEMPLATE, EKS_CLUSTER, EKS_NODE_GROUP

EKS = {
    "name": "cm-dev-eks",
    "roleArn": "arn:aws:iam::123456789012:role/eks",
    "version": "1.33",
    "enabledClusterLogTypes": list(LOG_TYPES),
    "vpcConfig": {
        "subnetIds": ["subnet-1", "subnet-2"],
        "endpointPrivateAccess": True,
        "endpointPublicAccess": False,
        "publicAccessCidrs": ["203.0.113.0/24"],
    },
    "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:us-east-1:1:key/k"}},
}
NODES = {
    "clusterName": "cm-dev-eks",
    "nodeRoleArn": "arn:aws:iam::123456789012:role/nodes",
    "subnetIds": ["subnet-1"],
    "scalingConfig": {"desiredSize": 3, "maxSize": 6, "minSize": 3},
    "launchTemplate": {"id": "lt-1", "version": "1"},
}
TEMPLATE = {
    "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1}
}

CASES: list[PolicyCase] = [
    ok("xc-eks-logging-all-types", EKS_CLUSTER, EKS),
    bad("xc-eks-logging-all-types", EKS_CLUSTER, changed(EKS, enabledClusterLogTypes=ABSENT), "absent"),
    bad(
        "xc-eks-logging-all-types",
        EKS_CLUSTER,
        changed(EKS, enabledClusterLogTypes=["api", "audit"]),
        "two-of-five",
    ),
    # Checkov example_EKSPublicAccessCIDR
    ok(
        "xc-eks-no-open-public-cidr",
        EKS_CLUSTER,
        changed(EKS, vpcConfig__endpointPublicAccess=False),
        "disabled",
    ),
    ok(
        "xc-eks-no-open-public-cidr",
        EKS_CLUSTER,
        changed(EKS, vpcConfig__endpointPublicAccess=ABSENT, vpcConfig__publicAccessCidrs=["10.0.0.0/16"]),
        "restricted",
    ),
    bad(
        "xc-eks-no-open-public-cidr",
        EKS_CLUSTER,
        changed(EKS, vpcConfig__endpointPublicAccess=ABSENT, vpcConfig__publicAccessCidrs=ABSENT),
        "default",
    ),
    bad(
        "xc-eks-no-open-public-cidr",
        EKS_CLUSTER,
        changed(EKS, vpcConfig__endpointPublicAccess=ABSENT, vpcConfig__publicAccessCidrs=[]),
        "empty",
    ),
    bad(
        "xc-eks-no-open-public-cidr",
        EKS_CLUSTER,
        changed(EKS, vpcConfig__endpointPublicAccess=True, vpcConfig__publicAccessCidrs=["0.0.0.0/0"]),
        "open",
    ),
    ok("xc-eks-public-endpoint-disabled", EKS_CLUSTER, EKS),
    bad(
        "xc-eks-public-endpoint-disabled",
        EKS_CLUSTER,
        changed(EKS, vpcConfig__endpointPublicAccess=ABSENT),
        "default-public",
    ),
    bad(
        "xc-eks-public-endpoint-disabled",
        EKS_CLUSTER,
        changed(EKS, vpcConfig__endpointPrivateAccess=ABSENT),
        "private-access-default-off",
    ),
    ok("xc-eks-secrets-kms", EKS_CLUSTER, EKS),
    bad("xc-eks-secrets-kms", EKS_CLUSTER, changed(EKS, encryptionConfig=ABSENT), "absent"),
    bad("xc-eks-secrets-kms", EKS_CLUSTER, changed(EKS, encryptionConfig__resources=[]), "no-secrets"),
    bad("xc-eks-secrets-kms", EKS_CLUSTER, changed(EKS, encryptionConfig__provider=ABSENT), "no-key"),
    ok("xc-eks-supported-version", EKS_CLUSTER, EKS),
    ok("xc-eks-supported-version", EKS_CLUSTER, changed(EKS, version=ABSENT), "absent-means-latest"),
    bad("xc-eks-supported-version", EKS_CLUSTER, changed(EKS, version="1.24"), "1.24"),
    bad(
        "xc-eks-supported-version",
        EKS_CLUSTER,
        EKS,
        "stack-allow-list",
        config={"supportedVersions": ["1.34", "1.35"]},
    ),
    ok("xc-eks-nodegroup-no-open-ssh", EKS_NODE_GROUP, NODES),
    ok(
        "xc-eks-nodegroup-no-open-ssh",
        EKS_NODE_GROUP,
        changed(NODES, remoteAccess={"ec2SshKey": "ops", "sourceSecurityGroupIds": ["sg-1"]}),
        "ssh-from-sg",
    ),
    bad(
        "xc-eks-nodegroup-no-open-ssh",
        EKS_NODE_GROUP,
        changed(NODES, remoteAccess={"ec2SshKey": "ops"}),
        "ssh-open",
    ),
    ok("xc-eks-imdsv2", AWS_LAUNCH_TEMPLATE, TEMPLATE),
    ok(
        "xc-eks-imdsv2",
        AWS_LAUNCH_TEMPLATE,
        changed(TEMPLATE, metadataOptions={"httpEndpoint": "disabled"}),
        "imds-off",
    ),
    bad("xc-eks-imdsv2", AWS_LAUNCH_TEMPLATE, changed(TEMPLATE, metadataOptions=ABSENT), "default-optional"),
    bad(
        "xc-eks-imdsv2",
        AWS_LAUNCH_TEMPLATE,
        changed(TEMPLATE, metadataOptions__httpTokens="optional"),
        "optional",
    ),
    bad("xc-eks-imdsv2", AWS_INSTANCE, {"ami": "ami-1", "instanceType": "t3.small"}, "instance-default"),
    ok("xc-eks-imds-hop-limit", AWS_LAUNCH_TEMPLATE, TEMPLATE),
    ok("xc-eks-imds-hop-limit", AWS_LAUNCH_TEMPLATE, changed(TEMPLATE, metadataOptions=ABSENT), "default-1"),
    bad(
        "xc-eks-imds-hop-limit",
        AWS_LAUNCH_TEMPLATE,
        changed(TEMPLATE, metadataOptions__httpPutResponseHopLimit=2),
        "2",
    ),
]


BASELINES = [
    Baseline(EKS_CLUSTER, EKS),
    Baseline(EKS_NODE_GROUP, NODES),
    Baseline(AWS_LAUNCH_TEMPLATE, TEMPLATE),
]


def test_open_cidr_message_explains_the_default() -> None:
    [message] = resource_violations(
        BY_NAME["xc-eks-no-open-public-cidr"],
        EKS_CLUSTER,
        changed(EKS, vpcConfig__endpointPublicAccess=True, vpcConfig__publicAccessCidrs=ABSENT),
    )
    assert "absent means 0.0.0.0/0" in message
