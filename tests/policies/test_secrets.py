"""Secrets rules: secret material in plain resource inputs and in stack outputs. The runner in
test_pack.py runs CASES; any compliant bag of the other test modules is a baseline for the input
rule too."""

from __future__ import annotations

import base64

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
    AWS_LAUNCH_TEMPLATE,
    AWS_PROVIDER,
    AWS_VPN_CONNECTION,
    GCP_PROVIDER,
    K8S_CONFIG_MAP,
    K8S_SECRET,
    KUBERNETES_PROVIDER,
    STACK,
    TLS_SELF_SIGNED_CERT,
)

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----\n"
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
CREDENTIALS_FILE = f"[default]\naws_access_key_id = {AWS_KEY_ID}\naws_secret_access_key = {AWS_SECRET}\n"
BOOT = "#!/bin/bash\n/etc/eks/bootstrap.sh cm-dev\n"
KUBECONFIG = (
    "users:\n- name: eks\n  user:\n    exec:\n      command: aws\n"
    "      args: [eks, get-token, --cluster-name, cm-dev]\n"
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


CASES: list[PolicyCase] = [
    # Providers take their identity from the environment (CKV_AWS_41, CKV_SECRET_2).
    ok("xc-secrets-no-plaintext-config", AWS_PROVIDER, {"region": "us-east-1"}, "aws-provider"),
    bad(
        "xc-secrets-no-plaintext-config",
        AWS_PROVIDER,
        {"region": "us-east-1", "accessKey": AWS_KEY_ID, "secretKey": AWS_SECRET},
        "aws-provider-static-keys",
    ),
    bad(
        "xc-secrets-no-plaintext-config",
        AWS_PROVIDER,
        {"region": "us-east-1", "secretKey": "[secret]"},
        "aws-provider-static-key-even-if-secret",
    ),
    bad(
        "xc-secrets-no-plaintext-config",
        GCP_PROVIDER,
        {"project": "p", "credentials": '{"type": "service_account", "private_key_id": "1"}'},
        "gcp-provider-key-file",
    ),
    ok("xc-secrets-no-plaintext-config", KUBERNETES_PROVIDER, {"kubeconfig": KUBECONFIG}, "exec-kubeconfig"),
    bad(
        "xc-secrets-no-plaintext-config",
        KUBERNETES_PROVIDER,
        {"kubeconfig": "users:\n- user:\n    token: eyJhbGciOiJSUzI1NiIsImtpZCI6"},
        "token-kubeconfig",
    ),
    # Base64 user data is decoded before it is judged (CKV_AWS_46 sees only plain text).
    ok("xc-secrets-no-plaintext-config", AWS_LAUNCH_TEMPLATE, {"userData": b64(BOOT)}, "base64-boot-script"),
    bad(
        "xc-secrets-no-plaintext-config",
        AWS_LAUNCH_TEMPLATE,
        {"userData": b64(BOOT + CREDENTIALS_FILE)},
        "base64-cloud-keys",
    ),
    bad(
        "xc-secrets-no-plaintext-config",
        AWS_INSTANCE,
        {
            "userDataBase64": b64(
                f"export AWS_SECRET_ACCESS_KEY={AWS_SECRET}\naws_secret_access_key={AWS_SECRET}"
            )
        },
        "instance-base64-secret-key",
    ),
    ok(
        "xc-secrets-no-plaintext-config",
        AWS_LAUNCH_TEMPLATE,
        {"userData": "not base64 at all!"},
        "undecodable-user-data",
    ),
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
