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
