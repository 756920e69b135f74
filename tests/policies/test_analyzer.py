"""The pack served by pulumi-policy's own analyzer, fed the gRPC requests the Pulumi engine sends
during `pulumi preview --policy-pack policies`: levels, pack config, unknown values and secrets behave
as CrossGuard makes them behave."""

from __future__ import annotations

from typing import Any

from crossmesh_policy import PACK_NAME, POLICIES
from google.protobuf import json_format
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE

from tests.support.types import AWS_FLOW_LOG, AWS_INSTANCE, AWS_VPC, AWS_VPN_CONNECTION, EKS_CLUSTER, KMS_KEY

SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
MANDATORY = proto.EnforcementLevel.Value("MANDATORY")
ADVISORY = proto.EnforcementLevel.Value("ADVISORY")


def analyzer(pack_config: dict[str, Any] | None = None) -> Any:
    """The servicer `pulumi preview` talks to (its gRPC methods are untyped)."""
    servicer: Any = _PolicyAnalyzerServicer(PACK_NAME, "0.1.0", list(POLICIES), EnforcementLevel.ADVISORY)
    request = proto.ConfigureAnalyzerRequest()
    for name, setting in (pack_config or {}).items():
        config = proto.PolicyConfig(
            enforcementLevel=proto.EnforcementLevel.Value(setting.pop("enforcementLevel"))
        )
        config.properties.update(setting)
        request.policyConfig[name].CopyFrom(config)
    servicer.Configure(request, None)
    return servicer


def urn(type_token: str, name: str) -> str:
    return f"urn:pulumi:dev::crossmesh::{type_token}::{name}"


def analyze(type_token: str, props: dict[str, Any], pack_config: dict[str, Any] | None = None) -> list[Any]:
    request = proto.AnalyzeRequest(type=type_token, urn=urn(type_token, "subject"), name="subject")
    json_format.ParseDict(props, request.properties)
    return list(analyzer(pack_config).Analyze(request, None).diagnostics)


Row = tuple[str, str, dict[str, Any], dict[str, list[str]]]
"""type, name, properties, property dependencies (by URN)"""


def analyze_stack(resources: list[Row]) -> list[Any]:
    request = proto.AnalyzeStackRequest()
    for type_token, name, props, property_dependencies in resources:
        resource = request.resources.add(type=type_token, urn=urn(type_token, name), name=name)
        json_format.ParseDict(props, resource.properties)
        for key, urns in property_dependencies.items():
            resource.propertyDependencies[key].urns.extend(urns)
            resource.dependencies.extend(urns)
    return list(analyzer().AnalyzeStack(request, None).diagnostics)


OPEN_EKS = {"vpcConfig": {"subnetIds": ["subnet-1"], "publicAccessCidrs": ["0.0.0.0/0"]}}


def by_policy(diagnostics: list[Any], name: str) -> list[Any]:
    return [d for d in diagnostics if d.policyName == name]


def test_a_mandatory_violation_reaches_the_engine_as_mandatory() -> None:
    [diagnostic] = by_policy(analyze(EKS_CLUSTER, OPEN_EKS), "xc-eks-no-open-public-cidr")
    assert diagnostic.enforcementLevel == MANDATORY
    assert "CKV_AWS_38" in diagnostic.description
    assert "0.0.0.0/0" in diagnostic.message


def test_pack_config_downgrades_a_policy() -> None:
    config = {"xc-eks-no-open-public-cidr": {"enforcementLevel": "ADVISORY"}}
    [diagnostic] = by_policy(analyze(EKS_CLUSTER, OPEN_EKS, config), "xc-eks-no-open-public-cidr")
    assert diagnostic.enforcementLevel == ADVISORY


def test_pack_config_reaches_a_rule_s_own_settings() -> None:
    config = {"xc-eks-supported-version": {"enforcementLevel": "MANDATORY", "supportedVersions": ["1.35"]}}
    props = {**OPEN_EKS, "version": "1.33"}
    [diagnostic] = by_policy(analyze(EKS_CLUSTER, props, config), "xc-eks-supported-version")
    assert diagnostic.enforcementLevel == MANDATORY and "1.35" in diagnostic.message


def test_an_unknown_judged_value_becomes_an_advisory_preview_notice() -> None:
    diagnostics = analyze(KMS_KEY, {"enableKeyRotation": UNKNOWN_BOOLEAN_VALUE, "policy": "{}"})
    [diagnostic] = by_policy(diagnostics, "xc-aws-kms-rotation")
    assert diagnostic.enforcementLevel == ADVISORY and "during preview" in diagnostic.message


def test_unknown_inputs_do_not_stop_the_plaintext_secret_rule() -> None:
    diagnostics = analyze(AWS_INSTANCE, {"ami": UNKNOWN_STRING_VALUE, "userData": "#!/bin/sh"})
    assert by_policy(diagnostics, "xc-secrets-no-plaintext-config") == []


def test_a_secret_key_is_judged_but_never_echoed() -> None:
    props = {"tunnel1PresharedKey": {**SECRET_SIG, "value": "0leadingzero_key"}}
    [diagnostic] = by_policy(analyze(AWS_VPN_CONNECTION, props), "xc-vpn-psk-format")
    assert "0leadingzero_key" not in diagnostic.message + diagnostic.description


def test_a_flow_log_finds_its_vpc_by_dependency_while_the_id_is_unknown() -> None:
    vpc: Row = (AWS_VPC, "vpc", {"cidrBlock": "10.10.0.0/16"}, {})
    flow_log: Row = (
        AWS_FLOW_LOG,
        "flow",
        {"vpcId": UNKNOWN_STRING_VALUE},
        {"vpcId": [urn(vpc[0], "vpc")]},
    )
    assert by_policy(analyze_stack([vpc, flow_log]), "xc-aws-vpc-flow-logs") == []
    [diagnostic] = by_policy(analyze_stack([vpc]), "xc-aws-vpc-flow-logs")
    assert diagnostic.urn == urn(AWS_VPC, "vpc") and diagnostic.enforcementLevel == MANDATORY


def test_the_pack_serves_the_analyzer_protocol_as_pulumi_starts_it() -> None:
    """Pulumi runs policies/__main__.py in policies/ and reads the port it prints."""
    import subprocess
    import sys
    from pathlib import Path

    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2_grpc

    pack_dir = Path(__file__).resolve().parents[2] / "policies"
    process = subprocess.Popen(
        [sys.executable, "__main__.py"], cwd=pack_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().decode().strip())
        # Closed before the pack stops, so the channel does not log the server's goodbye.
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            info = analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(empty_pb2.Empty(), timeout=60)
        assert info.name == PACK_NAME
        assert [p.name for p in info.policies] == [p.name for p in POLICIES]
        assert sum(p.enforcementLevel == MANDATORY for p in info.policies) >= 40
    finally:
        process.kill()
        process.wait()
