"""A minimal valid stack config (wire names), the base that config tests change one key of, and helpers."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.config import ConfigError, load_config

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

# Interconnect settings that load with VALID (whose AWS region is us-east-1).
INTERCONNECT: dict[str, Any] = {"remoteProfile": "aws-us-east-1", "awsAccountId": "123456789012"}


def with_change(path: str, value: Any) -> dict[str, Any]:
    """VALID with one dotted key set (or removed when value is ...)."""
    raw = copy.deepcopy(VALID)
    *parents, leaf = path.split(".")
    node: Any = raw
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    if value is ...:
        del node[leaf]
    elif leaf.isdigit():
        node[int(leaf)] = value
    else:
        node[leaf] = value
    return raw


def problems_of(raw: dict[str, Any]) -> list[str]:
    """The problem lines load_config raises for raw; fails the test when raw loads."""
    with pytest.raises(ConfigError) as caught:
        load_config(raw)
    return caught.value.problems
