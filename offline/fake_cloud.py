"""Fake cloud: what the providers would return for each registered resource and invoke.

Every value is derived from the resource's URN (and, once `plan --against` finds it replaced, its
generation), so a plan is the same from run to run and one resource's outputs do not move when another
is added. Public addresses come from RFC 2544's
benchmarking range, accounts and projects from the documentation examples: nothing here can be
mistaken for a real estate. Fakes per area live in offline/fakes/ and register themselves with
`@outputs_for` / `@invoke_result`.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# The account ID AWS uses throughout its documentation.
FAKE_AWS_ACCOUNT = "123456789012"
FAKE_GCP_PROJECT_NUMBER = "123456789"
FAKE_AWS_CALLER = f"arn:aws:iam::{FAKE_AWS_ACCOUNT}:role/crossmesh-deployer"
# RFC 2544's benchmarking block, never routed on the internet, one half per cloud so the two clouds'
# addresses never coincide; large enough that addresses chosen by hash almost never collide.
AWS_PUBLIC_POOL = ipaddress.IPv4Network("198.18.0.0/16")
GCP_PUBLIC_POOL = ipaddress.IPv4Network("198.19.0.0/16")


@dataclass
class FakeCloud:
    """State shared by the fakes of one plan: registered outputs by ID and allocated addresses."""

    by_id: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)
    used_ips: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def public_ip(self, pool: ipaddress.IPv4Network, seed: str) -> str:
        """A distinct host address of the pool, chosen by the seed and probing past ones in use."""
        size = pool.num_addresses - 2
        start = int(digest(seed), 16) % size
        with self.lock:
            for step in range(size):
                candidate = str(pool.network_address + 1 + (start + step) % size)
                if candidate not in self.used_ips:
                    self.used_ips.add(candidate)
                    return candidate
        raise RuntimeError(f"the fake address pool {pool} is exhausted")


@dataclass(frozen=True)
class FakeResource:
    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    provider_inputs: dict[str, Any]
    cloud: FakeCloud
    generation: int = 0
    """How many times the resource was replaced: a replacement gets new IDs and assigned values."""

    @property
    def seed(self) -> str:
        """What the resource's fake values derive from: its URN, and its generation once replaced."""
        return self.urn if self.generation == 0 else f"{self.urn}#{self.generation}"

    def hex(self, length: int, salt: str = "") -> str:
        return digest(self.seed + salt)[:length]

    @property
    def aws_region(self) -> str:
        return str(self.provider_inputs.get("region", "us-east-1"))

    @property
    def gcp_project(self) -> str:
        return str(self.inputs.get("project") or self.provider_inputs.get("project", "crossmesh-plan"))

    @property
    def gcp_region(self) -> str:
        return str(self.inputs.get("region") or self.provider_inputs.get("region", "us-central1"))

    def aws_arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = self.aws_region if regional else ""
        account = FAKE_AWS_ACCOUNT if service != "s3" else ""
        return f"arn:aws:{service}:{region}:{account}:{resource}"

    def lookup(self, resource_id: str) -> dict[str, Any]:
        """The recorded outputs of an earlier resource, by its ID."""
        return self.cloud.by_id.get(resource_id, ("", {}))[1]


FakeOutputs = Callable[[FakeResource], tuple[str, dict[str, Any]]]
"""Returns the resource ID and the outputs to merge over the inputs."""

FakeInvoke = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
"""Given the invoke's args and its provider's inputs, returns the result."""

_RESOURCES: dict[str, FakeOutputs] = {}
_INVOKES: dict[str, FakeInvoke] = {}


def outputs_for(*type_tokens: str) -> Callable[[FakeOutputs], FakeOutputs]:
    def register(function: FakeOutputs) -> FakeOutputs:
        for token in type_tokens:
            _RESOURCES[token] = function
        return function

    return register


def invoke_result(*tokens: str) -> Callable[[FakeInvoke], FakeInvoke]:
    def register(function: FakeInvoke) -> FakeInvoke:
        for token in tokens:
            _INVOKES[token] = function
        return function

    return register


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def fake_pem_certificate(seed: str) -> str:
    body = base64.b64encode(hashlib.sha512(seed.encode()).digest() * 4).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def resource_outputs(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    function = _RESOURCES.get(resource.type)
    if function is not None:
        return function(resource)
    return _generic_outputs(resource)


def invoke(token: str, args: dict[str, Any], provider_inputs: dict[str, Any]) -> dict[str, Any]:
    function = _INVOKES.get(token)
    if function is None:
        raise NotImplementedError(
            f"the offline engine has no fake for the invoke {token}; add one in offline/fakes/"
        )
    return function(args, provider_inputs)


def _generic_outputs(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    package, _, rest = resource.type.partition(":")
    module = rest.split("/")[0].split(":")[0]
    kind = resource.type.rsplit(":", 1)[-1]
    if package == "aws":
        resource_id = f"{kind.lower()}-{resource.hex(17)}"
        return resource_id, {"arn": resource.aws_arn(module, f"{kind.lower()}/{resource_id}")}
    if package == "gcp":
        name = resource.inputs.get("name") or f"{resource.name}-{resource.hex(7)}"
        collection = kind[0].lower() + kind[1:] + "s"
        resource_id = f"projects/{resource.gcp_project}/locations/{resource.gcp_region}/{collection}/{name}"
        return resource_id, {"name": name}
    if package == "kubernetes":
        metadata = dict(resource.inputs.get("metadata") or {})
        metadata.setdefault("name", f"{resource.name}-{resource.hex(8)}")
        namespace = metadata.get("namespace")
        resource_id = f"{namespace}/{metadata['name']}" if namespace else str(metadata["name"])
        return resource_id, {"metadata": metadata}
    return f"{resource.name}-{resource.hex(12)}", {}
