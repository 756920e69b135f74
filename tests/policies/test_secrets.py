"""Secrets rules: secret material in plain resource inputs and in stack outputs. The runner in
test_pack.py runs CASES; any compliant bag of the other test modules is a baseline for the input
rule too."""

from __future__ import annotations

from tests.support.policy_cases import (
    BY_NAME,
    Baseline,
    PolicyCase,
    StackCase,
    bad,
    ok,
    res,
    stack_violations,
)
from tests.support.types import (
    AWS_INSTANCE,
    AWS_VPN_CONNECTION,
    K8S_CONFIG_MAP,
    K8S_SECRET,
    STACK,
    TLS_SELF_SIGNED_CERT,
)

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----\n"

CASES: list[PolicyCase] = [
    ok("xc-secrets-no-plaintext-config", AWS_INSTANCE, {"userData": "#!/bin/sh\necho hi"}),
    ok(
        "xc-secrets-no-plaintext-config",
        K8S_SECRET,
        {"stringData": {"key.pem": PEM}},
        "kubernetes-secret-carries-it",
    ),
    ok(
        "xc-secrets-no-plaintext-config",
        TLS_SELF_SIGNED_CERT,
        {"privateKeyPem": PEM},
        "tls-carries-it",
    ),
    bad(
        "xc-secrets-no-plaintext-config",
        AWS_INSTANCE,
        {"userData": f"cat > k <<EOF\n{PEM}EOF"},
        "pem",
    ),
    bad(
        "xc-secrets-no-plaintext-config",
        K8S_CONFIG_MAP,
        {"data": {"aws": "AKIAIOSFODNN7EXAMPLE"}},
        "aws-key-id",
    ),
    bad(
        "xc-secrets-no-plaintext-config",
        K8S_CONFIG_MAP,
        {"data": {"kubeconfig": "users:\n- user:\n    token: eyJhbGciOiJSUzI1NiIsImtpZCI6"}},
        "kubeconfig-token",
    ),
    # Whole stacks
    StackCase(
        "xc-secrets-outputs-secret",
        [res(STACK, "crossmesh-dev", {"awsVpcId": "vpc-1", "rootCaKey": "[secret]"})],
        False,
        "masked",
    ),
    StackCase(
        "xc-secrets-outputs-secret",
        [res(STACK, "crossmesh-dev", {"rootCaKey": PEM})],
        True,
        "plain-pem",
    ),
    StackCase(
        "xc-secrets-outputs-secret",
        [
            res(
                AWS_VPN_CONNECTION,
                "conn",
                {"tunnel1PresharedKey": "Aq1.key_one_abcdefghij"},
            ),
            res(STACK, "crossmesh-dev", {"tunnels": "Aq1.key_one_abcdefghij"}),
        ],
        True,
        "tunnel-key",
    ),
]

BASELINES: list[Baseline] = []


def test_secret_messages_name_the_path_not_the_value() -> None:
    [(message, _)] = stack_violations(
        BY_NAME["xc-secrets-outputs-secret"], [res(STACK, "s", {"rootCaKey": PEM})]
    )
    assert "rootCaKey" in message and "MIIE" not in message
