"""Check rendered Istio objects against Istio's own CRD schemas (cloudcoil-models-istio, from the CRDs).

The generated models ignore unknown keys, so a misspelt field would pass validation silently: a spec
is valid only if it validates AND survives the round trip through the model unchanged. Durations are
checked against the Go duration form the CRDs' CEL rules accept.
"""

from __future__ import annotations

import re
from typing import Any

from cloudcoil.models.istio.networking import v1 as networking
from cloudcoil.models.istio.security import v1 as security
from cloudcoil.models.istio.telemetry import v1 as telemetry
from pydantic import BaseModel

SPEC_MODELS: dict[str, type[BaseModel]] = {
    "DestinationRule": networking.DestinationRuleSpec,
    "VirtualService": networking.VirtualServiceSpec,
    "Gateway": networking.GatewaySpec,
    "ServiceEntry": networking.ServiceEntrySpec,
    "PeerAuthentication": security.PeerAuthenticationSpec,
    "AuthorizationPolicy": security.AuthorizationPolicySpec,
    "Telemetry": telemetry.TelemetrySpec,
}
_DURATION_KEYS = {"timeout", "perTryTimeout", "interval", "baseEjectionTime", "connectTimeout"}
_GO_DURATION = re.compile(r"^(\d+(\.\d+)?(h|m|s|ms|us|ns))+$")


def istio_problems(kind: str, spec: dict[str, Any]) -> list[str]:
    """Every way `spec` departs from the CRD schema of `kind`; empty when it is valid."""
    model = SPEC_MODELS[kind].model_validate(spec)
    dumped = model.model_dump(by_alias=True, exclude_none=True, mode="json")
    return _differences(spec, dumped, kind) + _bad_durations(spec, kind)


def _differences(given: Any, kept: Any, path: str) -> list[str]:
    if isinstance(given, dict) and isinstance(kept, dict):
        problems = [f"{path}.{key}: not in the schema" for key in given if key not in kept]
        return problems + [
            problem
            for key in given
            if key in kept
            for problem in _differences(given[key], kept[key], f"{path}.{key}")
        ]
    if isinstance(given, list) and isinstance(kept, list) and len(given) == len(kept):
        return [
            p
            for i, (g, k) in enumerate(zip(given, kept, strict=True))
            for p in _differences(g, k, f"{path}[{i}]")
        ]
    return [] if given == kept else [f"{path}: {given!r} became {kept!r}"]


def _bad_durations(value: Any, path: str) -> list[str]:
    if isinstance(value, dict):
        problems = [
            f"{path}.{key}: {item!r} is not a duration"
            for key, item in value.items()
            if key in _DURATION_KEYS and not (isinstance(item, str) and _GO_DURATION.match(item))
        ]
        return problems + [p for key, item in value.items() for p in _bad_durations(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _bad_durations(item, f"{path}[{i}]")]
    return []
