"""A minimal valid stack config (wire names), the base that config tests change one key of."""

from __future__ import annotations

from typing import Any

VALID: dict[str, Any] = {
    "aws": {"region": "us-east-1", "vpcCidr": "10.10.0.0/16", "serviceCidr": "172.20.0.0/16"},
    "gcp": {
        "project": "crossmesh-test",
        "region": "us-east4",
        "subnetCidr": "10.20.0.0/20",
        "podsCidr": "10.24.0.0/14",
        "servicesCidr": "10.28.0.0/20",
        "masterCidr": "172.16.0.0/28",
    },
    "services": [
        {"name": "checkout", "cloud": "gcp", "namespace": "shop"},
        {"name": "payment", "cloud": "aws", "namespace": "payments", "callers": ["checkout"]},
    ],
}
