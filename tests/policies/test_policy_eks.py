"""EKS rules: a compliant cluster, node group and launch template, then one changed field per case.

The public-CIDR cases are Checkov's example_EKSPublicAccessCIDR fixtures (disabled and restricted
pass; default, empty and open fail) as Pulumi property bags."""

from __future__ import annotations

import pytest
from crossmesh_policy.eks import CLUSTER, INSTANCE, LAUNCH_TEMPLATE, LOG_TYPES, NODE_GROUP

from tests.support.policy_cases import ABSENT, Case, bad, baseline_violations, changed, ok

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

CASES: list[Case] = [
    ok("xc-eks-logging-all-types", CLUSTER, EKS),
    bad("xc-eks-logging-all-types", CLUSTER, changed(EKS, enabledClusterLogTypes=ABSENT), "absent"),
    bad(
        "xc-eks-logging-all-types",
        CLUSTER,
        changed(EKS, enabledClusterLogTypes=["api", "audit"]),
        "two-of-five",
    ),
    # Checkov example_EKSPublicAccessCIDR
    ok(
        "xc-eks-no-open-public-cidr", CLUSTER, changed(EKS, vpcConfig__endpointPublicAccess=False), "disabled"
    ),
    ok(
        "xc-eks-no-open-public-cidr",
        CLUSTER,
        changed(EKS, vpcConfig__endpointPublicAccess=ABSENT, vpcConfig__publicAccessCidrs=["10.0.0.0/16"]),
        "restricted",
    ),
    bad(
        "xc-eks-no-open-public-cidr",
        CLUSTER,
        changed(EKS, vpcConfig__endpointPublicAccess=ABSENT, vpcConfig__publicAccessCidrs=ABSENT),
        "default",
    ),
    bad(
        "xc-eks-no-open-public-cidr",
        CLUSTER,
        changed(EKS, vpcConfig__endpointPublicAccess=ABSENT, vpcConfig__publicAccessCidrs=[]),
        "empty",
    ),
    bad(
        "xc-eks-no-open-public-cidr",
        CLUSTER,
        changed(EKS, vpcConfig__endpointPublicAccess=True, vpcConfig__publicAccessCidrs=["0.0.0.0/0"]),
        "open",
    ),
    ok("xc-eks-public-endpoint-disabled", CLUSTER, EKS),
    bad(
        "xc-eks-public-endpoint-disabled",
        CLUSTER,
        changed(EKS, vpcConfig__endpointPublicAccess=ABSENT),
        "default-public",
    ),
    bad(
        "xc-eks-public-endpoint-disabled",
        CLUSTER,
        changed(EKS, vpcConfig__endpointPrivateAccess=ABSENT),
        "private-access-default-off",
    ),
    ok("xc-eks-secrets-kms", CLUSTER, EKS),
    bad("xc-eks-secrets-kms", CLUSTER, changed(EKS, encryptionConfig=ABSENT), "absent"),
    bad("xc-eks-secrets-kms", CLUSTER, changed(EKS, encryptionConfig__resources=[]), "no-secrets"),
    bad("xc-eks-secrets-kms", CLUSTER, changed(EKS, encryptionConfig__provider=ABSENT), "no-key"),
    ok("xc-eks-supported-version", CLUSTER, EKS),
    ok("xc-eks-supported-version", CLUSTER, changed(EKS, version=ABSENT), "absent-means-latest"),
    bad("xc-eks-supported-version", CLUSTER, changed(EKS, version="1.24"), "1.24"),
    bad(
        "xc-eks-supported-version",
        CLUSTER,
        EKS,
        "stack-allow-list",
        config={"supportedVersions": ["1.34", "1.35"]},
    ),
    ok("xc-eks-nodegroup-no-open-ssh", NODE_GROUP, NODES),
    ok(
        "xc-eks-nodegroup-no-open-ssh",
        NODE_GROUP,
        changed(NODES, remoteAccess={"ec2SshKey": "ops", "sourceSecurityGroupIds": ["sg-1"]}),
        "ssh-from-sg",
    ),
    bad(
        "xc-eks-nodegroup-no-open-ssh",
        NODE_GROUP,
        changed(NODES, remoteAccess={"ec2SshKey": "ops"}),
        "ssh-open",
    ),
    ok("xc-eks-imdsv2", LAUNCH_TEMPLATE, TEMPLATE),
    ok(
        "xc-eks-imdsv2",
        LAUNCH_TEMPLATE,
        changed(TEMPLATE, metadataOptions={"httpEndpoint": "disabled"}),
        "imds-off",
    ),
    bad("xc-eks-imdsv2", LAUNCH_TEMPLATE, changed(TEMPLATE, metadataOptions=ABSENT), "default-optional"),
    bad(
        "xc-eks-imdsv2",
        LAUNCH_TEMPLATE,
        changed(TEMPLATE, metadataOptions__httpTokens="optional"),
        "optional",
    ),
    bad("xc-eks-imdsv2", INSTANCE, {"ami": "ami-1", "instanceType": "t3.small"}, "instance-default"),
    ok("xc-eks-imds-hop-limit", LAUNCH_TEMPLATE, TEMPLATE),
    ok("xc-eks-imds-hop-limit", LAUNCH_TEMPLATE, changed(TEMPLATE, metadataOptions=ABSENT), "default-1"),
    bad(
        "xc-eks-imds-hop-limit",
        LAUNCH_TEMPLATE,
        changed(TEMPLATE, metadataOptions__httpPutResponseHopLimit=2),
        "2",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_verdict(case: Case) -> None:
    case.verify()


@pytest.mark.parametrize(
    ("resource_type", "props"), [(CLUSTER, EKS), (NODE_GROUP, NODES), (LAUNCH_TEMPLATE, TEMPLATE)]
)
def test_baseline_passes_every_rule_of_its_type(resource_type: str, props: dict[str, object]) -> None:
    assert baseline_violations(resource_type, props) == []


def test_open_cidr_message_explains_the_default() -> None:
    from tests.support.policy_cases import BY_NAME, resource_violations

    [message] = resource_violations(
        BY_NAME["xc-eks-no-open-public-cidr"],
        CLUSTER,
        changed(EKS, vpcConfig__endpointPublicAccess=True, vpcConfig__publicAccessCidrs=ABSENT),
    )
    assert "absent means 0.0.0.0/0" in message
