"""Secrets never travel in plain resource inputs or plain stack outputs.

CrossGuard's Python SDK hands rules secret values already unwrapped, so these rules look at what a
value is (a private key, a cloud access key, a kubeconfig credential, a tunnel key), not at whether
Pulumi marked it secret. The offline check shows secret outputs as "[secret]", so there a correctly
marked secret output passes; in a real preview such values are reported too, because exporting a
private key or a tunnel key at all is what Checkov's secret rules forbid.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity
from pulumi_policy.proxy import UnknownValueError

from crossmesh_policy.kit import (
    MANDATORY,
    Config,
    Props,
    StackView,
    is_masked,
    known,
    resource_rule,
    stack_rule,
)
from crossmesh_policy.vpn import VPN_CONNECTION, VPN_TUNNEL

STACK = "pulumi:pulumi:Stack"

PATTERNS = (
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("an AWS access key ID", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a Google service-account key", re.compile(r'"private_key_id"\s*:')),
    ("a kubeconfig credential", re.compile(r"\b(client-key-data|token)\s*:\s*\S{16,}")),
    ("an AWS secret access key", re.compile(r"aws_secret_access_key\s*[=:]\s*\S{40}", re.IGNORECASE)),
)

# Inputs whose job is to carry a secret to the resource (and which Pulumi keeps secret in state).
CARRIER_TYPES = (
    "tls:index/",
    "kubernetes:core/v1:Secret",
    "random:index/",
    # components/mesh/issued_certificate.py: takes its issuer's key, as tls:index/locallySignedCert does.
    "pulumi-python:dynamic/pki:IssuedCertificate",
)
# Provider inputs that hold static cloud credentials (Checkov CKV_AWS_41 for aws): a stack should get
# its identity from the environment (OIDC, an assumed role, workload identity), never from inputs.
STATIC_CREDENTIALS = {
    "pulumi:providers:aws": ("accessKey", "secretKey", "token"),
    "pulumi:providers:gcp": ("credentials", "accessToken"),
}
# Inputs the cloud decodes from base64 before use: EC2 user data (CKV_AWS_46).
BASE64_INPUTS = {
    "aws:ec2/launchTemplate:LaunchTemplate": ("userData",),
    "aws:ec2/instance:Instance": ("userDataBase64",),
}


def leaks(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, kind) for every string inside value that holds secret material."""
    if isinstance(value, str):
        if is_masked(value):
            return
        for kind, pattern in PATTERNS:
            if pattern.search(value):
                yield path or "(value)", kind
                return
    elif isinstance(value, Mapping):
        for key in value:
            yield from leaks(known(value, key), f"{path}.{key}" if path else str(key))
    elif isinstance(value, Sequence):
        for index in range(len(value)):
            yield from leaks(_known_item(value, index), f"{path}[{index}]")


def _known_item(items: Sequence[Any], index: int) -> Any:
    # A value computed by another resource is not plain config; skip it rather than block the rule.
    try:
        return items[index]
    except UnknownValueError:
        return None


@resource_rule(
    id="xc-secrets-no-plaintext-config",
    anchors=[
        "CKV_SECRET_2",
        "CKV_SECRET_6",
        "CKV_SECRET_13",
        "CKV_SECRET_19",
        "CKV_AWS_41",
        "CKV_AWS_46",
        "Pulumi secrets",
    ],
    severity=Severity.CRITICAL,
    level=MANDATORY,
    types=["*"],
    by_type=True,
)
def no_plaintext_config(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """No resource input holds private keys, cloud access keys or kubeconfig credentials (base64 user
    data decoded), except the inputs made to carry them (tls, Kubernetes Secrets); providers take no
    static cloud credentials at all."""
    if resource_type.startswith(CARRIER_TYPES):
        return
    for key in STATIC_CREDENTIALS.get(resource_type, ()):
        if known(props, key):
            yield (
                f"the provider is given static credentials ({key}): let it take its identity from the "
                "environment (OIDC, an assumed role, workload identity) instead."
            )
    for path, kind in leaks(props):
        yield f"input {path} holds {kind} in plain config: pass it as a secret Output to a resource for it."
    for key in BASE64_INPUTS.get(resource_type, ()):
        for _path, kind in leaks(_base64_text(known(props, key))):
            yield f"input {key} (base64) holds {kind}: any process on the instance reads user data."


def _base64_text(value: Any) -> str | None:
    if not isinstance(value, str) or is_masked(value):
        return None
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return None


@stack_rule(
    id="xc-secrets-outputs-secret",
    anchors=["CKV_SECRET_2", "CKV_SECRET_13", "Pulumi secrets"],
    severity=Severity.CRITICAL,
    level=MANDATORY,
    types=[STACK],
)
def outputs_secret(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """No stack output exposes a private key, cloud access key, kubeconfig credential or tunnel key."""
    tunnel_keys = set()
    for resource in stack.of_type(VPN_CONNECTION, VPN_TUNNEL):
        for field in ("tunnel1PresharedKey", "tunnel2PresharedKey", "sharedSecret"):
            value = known(resource.props, field)
            if isinstance(value, str) and not is_masked(value):
                tunnel_keys.add(value)
    for root in stack.of_type(STACK):
        for name in root.props:
            value = known(root.props, name)
            for path, kind in leaks(value, name):
                yield f"stack output {path} holds {kind}: export it as a secret, or not at all.", root.urn
            if isinstance(value, str) and value in tunnel_keys:
                yield f"stack output {name} is a VPN tunnel key.", root.urn
