"""pulumi-tls: keys, self-signed and locally signed certificates, certificate requests.

The PEM bodies are deterministic bytes derived from the URN, not real DER: tests follow the chain by
which PEM feeds which input, not by parsing. Validity windows start at a fixed instant so that plans
do not change from run to run.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from offline.fake_cloud import FakeResource, fake_pem_certificate, outputs_for

# Every fake certificate is issued at this instant.
ISSUED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def fake_pem(label: str, seed: str) -> str:
    body = base64.b64encode(hashlib.sha512(seed.encode()).digest() * 3).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


@outputs_for("tls:index/privateKey:PrivateKey")
def private_key(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    return resource.hex(40), {
        "privateKeyPem": fake_pem("PRIVATE KEY", resource.seed + "private"),
        "privateKeyPemPkcs8": fake_pem("PRIVATE KEY", resource.seed + "pkcs8"),
        "privateKeyOpenssh": fake_pem("OPENSSH PRIVATE KEY", resource.seed + "openssh"),
        "publicKeyPem": fake_pem("PUBLIC KEY", resource.seed + "public"),
        "publicKeyFingerprintSha256": f"SHA256:{resource.hex(43, 'fingerprint')}",
    }


@outputs_for("tls:index/certRequest:CertRequest")
def cert_request(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    return resource.hex(40), {"certRequestPem": fake_pem("CERTIFICATE REQUEST", resource.seed)}


@outputs_for("tls:index/selfSignedCert:SelfSignedCert", "tls:index/locallySignedCert:LocallySignedCert")
def certificate(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    hours = int(resource.inputs.get("validityPeriodHours") or 0)
    end = ISSUED_AT + timedelta(hours=hours)
    # A serial number, as the provider uses for the ID.
    serial = str(int(resource.hex(30), 16))
    return serial, {
        "certPem": fake_pem_certificate(resource.seed),
        "validityStartTime": ISSUED_AT.isoformat().replace("+00:00", "Z"),
        "validityEndTime": end.isoformat().replace("+00:00", "Z"),
        "readyForRenewal": False,
    }


# components/mesh/issued_certificate.py TYPE_TOKEN: a dynamic resource holding a key and its certificate.
ISSUED_CERTIFICATE = "pulumi-python:dynamic/pki:IssuedCertificate"


@outputs_for(ISSUED_CERTIFICATE)
def issued_certificate(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    """What the provider's create returns: a new key, its certificate (ending no later than its
    issuer's), and the inputs but the issuer's key."""
    end = ISSUED_AT + timedelta(hours=int(resource.inputs.get("validityPeriodHours") or 0))
    issuer_end = _end_of_certificate(resource, resource.inputs.get("issuerCertPem"))
    if issuer_end is not None:
        end = min(end, issuer_end)
    serial = str(int(resource.hex(30), 16))
    return serial, {
        "certPem": fake_pem_certificate(resource.urn),
        "privateKeyPem": fake_pem(_private_key_label(resource.inputs), resource.urn + "private"),
        "publicKeyPem": fake_pem("PUBLIC KEY", resource.urn + "public"),
        "validityStartTime": _rfc3339(ISSUED_AT),
        "validityEndTime": _rfc3339(end),
        "readyForRenewal": False,
    }


def _private_key_label(inputs: dict[str, Any]) -> str:
    return "RSA PRIVATE KEY" if inputs.get("keyAlgorithm") == "RSA" else "EC PRIVATE KEY"


def _end_of_certificate(resource: FakeResource, cert_pem: Any) -> datetime | None:
    with resource.cloud.lock:
        states = [state for _, state in resource.cloud.by_id.values()]
    for state in states:
        if cert_pem and state.get("certPem") == cert_pem and state.get("validityEndTime"):
            return datetime.fromisoformat(str(state["validityEndTime"]).replace("Z", "+00:00"))
    return None


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
