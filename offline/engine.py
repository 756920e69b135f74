"""The offline engine: run the real program against the Pulumi SDK's mock monitor and record it all.

`plan_stack` reads a stack file, runs `__main__.py` with its config, and returns a `Plan`: every
registration with its parent, provider, dependencies, protect flag and inputs under their wire names,
secrets kept as `Secret`, and the stack outputs. The fake cloud (offline/fake_cloud.py and
offline/fakes/) answers every registration and invoke the way a provider would.
"""

from __future__ import annotations

import json
import logging
import runpy
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

import offline.fakes  # noqa: F401  (registers the fakes)
from offline import paths
from offline.diff import REPLACE, Differ, PlanSnapshot, snapshot
from offline.fake_cloud import FakeCloud, FakeResource, invoke, resource_outputs
from offline.record import Plan, Registration, Secret, reveal
from offline.replace_rules import renewed_outputs
from offline.urns import AliasSpec, alias_urns, make_urn

PROVIDER_PREFIX = "pulumi:providers:"
UNKNOWN_MASK = "[unknown]"
# Stand-in for a `secure:` stack value: the engine has no passphrase or KMS key to decrypt it.
ENCRYPTED_PLACEHOLDER = "offline-placeholder-for-encrypted-value"


class StackFileError(Exception):
    """A stack that cannot be planned: no such stack file, or a file that is not a Pulumi stack file."""


class FakeCloudMocks(pulumi.runtime.Mocks):
    def __init__(self, cloud: FakeCloud) -> None:
        self.cloud = cloud
        # The SDK calls the monitor from executor threads; each call's URN travels in a thread-local.
        self.registering = threading.local()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        urn: str = getattr(self.registering, "urn", args.name)
        if not args.custom:
            return None, {}
        if args.typ.startswith(PROVIDER_PREFIX):
            self.cloud.providers[urn] = inputs
            return f"{args.name}-provider-id", inputs
        resource = FakeResource(
            type=args.typ,
            name=args.name,
            urn=urn,
            inputs=inputs,
            provider_inputs=self.cloud.providers.get(_provider_urn(args.provider) or "", {}),
            cloud=self.cloud,
            generation=getattr(self.registering, "generation", 0),
        )
        resource_id, outputs = resource_outputs(resource)
        state = {**inputs, **outputs}
        self.cloud.by_id[resource_id] = (args.typ, state)
        # The engine, not the SDK, marks additionalSecretOutputs secret: do what it would.
        secret_outputs: frozenset[str] = getattr(self.registering, "secret_outputs", frozenset())
        return resource_id, {
            key: _wire_secret(value) if key in secret_outputs else value for key, value in state.items()
        }

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        provider_inputs = self.cloud.providers.get(_provider_urn(args.provider) or "", {})
        return invoke(args.token, dict(args.args), provider_inputs), []


class RecordingMonitor(mocks.MockMonitor):
    """The SDK's mock monitor, keeping what it is told about each resource, under the URNs the Pulumi
    engine would assign (the SDK's mock builds them from the immediate parent's type only).

    Against an earlier plan, each resource is judged as it registers, as the Pulumi engine does: one
    found replaced gets the next generation, hence a new fake ID and new cloud-assigned outputs, which
    the resources registered after it read.
    """

    def __init__(self, fake_mocks: FakeCloudMocks, against: PlanSnapshot | None = None) -> None:
        super().__init__(fake_mocks)
        self.fake_mocks = fake_mocks
        self.registrations: list[Registration] = []
        self.stack_urn: str | None = None
        self.aliases: dict[str, list[str]] = {}
        self.renewed_values: dict[str, tuple[str, ...]] = {}
        self.differ = Differ(against) if against is not None else None
        self.judging = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        return make_urn(settings.get_stack(), settings.get_project(), parent or None, type_, name)

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = urn
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]
        property_dependencies = {
            key: sorted(set(deps.urns)) for key, deps in request.propertyDependencies.items() if deps.urns
        }
        data_dependencies = sorted({dep for deps in property_dependencies.values() for dep in deps})
        aliases = alias_urns(
            urn,
            request.parent or None,
            [_alias_spec(alias) for alias in request.aliases],
            self.aliases.get(request.parent, ()),
        )
        self.aliases[urn] = aliases
        registration = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent or None,
            provider=_provider_urn(request.provider),
            dependencies=sorted(set(request.dependencies)),
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            inputs=_from_wire(json_format.MessageToDict(request.object)),
            data_dependencies=data_dependencies,
            property_dependencies=property_dependencies,
            options=_options(request, aliases, data_dependencies),
        )
        registration.reads = self._reads(registration)
        registration.generation = self._generation(registration)
        self.registrations.append(registration)
        self.fake_mocks.registering.urn = urn
        self.fake_mocks.registering.secret_outputs = frozenset(request.additionalSecretOutputs)
        self.fake_mocks.registering.generation = registration.generation
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        registration.id = response.id or None
        state = self.resources[urn].state if urn in self.resources else {}
        registration.outputs = {key: _from_wire(value) for key, value in state.items()}
        if registration.custom:
            self.renewed_values[urn] = _renewed_values(registration)
        return response

    def _reads(self, registration: Registration) -> dict[str, list[str]]:
        """The input paths whose values are an ID or a cloud-assigned output of a resource they
        depend on (or contain one, as a kubeconfig holds its cluster's endpoint)."""
        reads: dict[str, list[str]] = {}
        for key, dependencies in registration.property_dependencies.items():
            sources = [
                (dep, self.renewed_values[dep]) for dep in dependencies if self.renewed_values.get(dep)
            ]
            if not sources or key not in registration.inputs:
                continue
            for path, text in _string_leaves(registration.inputs[key], paths.join("", key)):
                for dependency, values in sources:
                    if any(_holds_value(text, value) for value in values):
                        reads.setdefault(path, [])
                        if dependency not in reads[path]:
                            reads[path].append(dependency)
        return reads

    def _generation(self, registration: Registration) -> int:
        """0 without an earlier plan; else the earlier generation, plus one if this run replaces it."""
        if self.differ is None or not registration.custom:
            return 0
        salt = f"{settings.get_project()}/{settings.get_stack()}"
        new = snapshot(registration.to_contract(salt), 0)
        with self.judging:
            old = self.differ.match(new)
            verdict = self.differ.verdict(new, old)
        if old is None:
            return 0
        return old.generation + (1 if verdict.kind == REPLACE else 0)


def _string_leaves(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string inside an input value, with its path; inside a secret, the secret's own path (the
    plan masks what is below it)."""
    if isinstance(value, Secret):
        for _, text in _string_leaves(value.value, path):
            yield path, text
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_leaves(item, paths.join(path, str(key)))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _string_leaves(item, paths.index(path, position))
    elif isinstance(value, str):
        yield path, value


def _holds_value(text: str, value: str) -> bool:
    """Whether the text is the value or holds it as a whole token (an address in a name, an endpoint
    in a kubeconfig), not as part of a longer word or number."""
    if text == value:
        return True
    start = text.find(value)
    while start >= 0:
        end = start + len(value)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before == ".") and not (after.isalnum() or after == "."):
            return True
        start = text.find(value, start + 1)
    return False


# A value this short (a port, a zone letter, a small number) says nothing of where it came from.
MIN_RENEWED_LENGTH = 8


def _renewed_values(registration: Registration) -> tuple[str, ...]:
    """What a replacement of the resource renews: its ID and cloud-assigned outputs, less what merely
    echoes one of its own inputs (a name, an ID that is the name)."""
    echoes = {text for _, text in _string_leaves(registration.inputs, "")}
    outputs = reveal(registration.outputs)
    candidates = [registration.id or ""]
    for parts in renewed_outputs(registration.type):
        for value in paths.values_at(outputs, parts):
            candidates += [text for _, text in _string_leaves(value, "")]
    return tuple(
        dict.fromkeys(text for text in candidates if len(text) >= MIN_RENEWED_LENGTH and text not in echoes)
    )


def _alias_spec(alias: Any) -> AliasSpec | str:
    """An alias as the SDK sent it: a full URN, or a spec whose blank fields mean "unchanged"."""
    if alias.urn:
        return str(alias.urn)
    spec = alias.spec
    return AliasSpec(
        name=spec.name,
        type=spec.type,
        stack=spec.stack,
        project=spec.project,
        parent=spec.parentUrn,
        no_parent=spec.noParent,
    )


def _options(request: Any, aliases: list[str], data_dependencies: list[str]) -> dict[str, Any]:
    """The resource options the program set, under their Pulumi names; unset ones are left out."""
    options: dict[str, Any] = {}
    if request.retainOnDelete:
        options["retainOnDelete"] = True
    if request.ignoreChanges:
        options["ignoreChanges"] = list(request.ignoreChanges)
    if request.deleteBeforeReplaceDefined:
        options["deleteBeforeReplace"] = bool(request.deleteBeforeReplace)
    if request.replaceOnChanges:
        options["replaceOnChanges"] = list(request.replaceOnChanges)
    if aliases:
        options["aliases"] = aliases
    # The SDK sends explicit dependsOn and the input dependencies together; what no input reads was
    # asked for with dependsOn.
    depends_on = sorted(set(request.dependencies) - set(data_dependencies))
    if depends_on:
        options["dependsOn"] = depends_on
    if request.additionalSecretOutputs:
        options["additionalSecretOutputs"] = list(request.additionalSecretOutputs)
    if request.HasField("customTimeouts"):
        timeouts = request.customTimeouts
        chosen = {
            key: getattr(timeouts, key) for key in ("create", "update", "delete") if getattr(timeouts, key)
        }
        if chosen:
            options["customTimeouts"] = chosen
    return options


def _wire_secret(value: Any) -> dict[str, Any]:
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def _provider_urn(reference: str | None) -> str | None:
    """A provider reference is 'urn::id'; the record wants the URN."""
    if not reference:
        return None
    return reference.rsplit("::", 1)[0]


def _from_wire(value: Any) -> Any:
    """Decode a property value as the monitor received it, keeping secrets as Secret."""
    if isinstance(value, dict):
        signature = value.get(rpc._special_sig_key)
        if signature == rpc._special_secret_sig:
            return Secret(_from_wire(value.get("value")))
        if signature == rpc._special_resource_sig:
            return value.get("urn")
        return {key: _from_wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_from_wire(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == rpc.UNKNOWN:
        return UNKNOWN_MASK
    return value


def read_stack_file(project_dir: Path, stack: str) -> tuple[str, dict[str, str], list[str]]:
    """The project name, the stack's config as the Pulumi CLI would pass it, and the secret keys."""
    project_file = project_dir / "Pulumi.yaml"
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        known = sorted(
            path.name[len("Pulumi.") : -len(".yaml")] for path in project_dir.glob("Pulumi.*.yaml")
        )
        raise StackFileError(f"no stack file {stack_file.name}; stacks here: {', '.join(known) or 'none'}")
    project = yaml.safe_load(project_file.read_text())["name"]
    document = yaml.safe_load(stack_file.read_text()) or {}
    if not isinstance(document, dict):
        raise StackFileError(f"{stack_file.name} is not a mapping")
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in (document.get("config") or {}).items():
        full_key = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full_key] = ENCRYPTED_PLACEHOLDER
            secret_keys.append(full_key)
        elif isinstance(value, str):
            config[full_key] = value
        else:
            config[full_key] = json.dumps(value)
    return project, config, secret_keys


def plan_stack(
    project_dir: Path,
    stack: str,
    overrides: Mapping[str, Any] | None = None,
    against: PlanSnapshot | None = None,
) -> Plan:
    """Plan one stack file; `overrides` replace whole top-level keys (e.g. {"link": {...}}); `against`
    an earlier plan of the stack, whose replaced resources get new fake IDs and assigned outputs."""
    project, config, secret_keys = read_stack_file(project_dir, stack)
    for key, value in (overrides or {}).items():
        config[f"{project}:{key}"] = value if isinstance(value, str) else json.dumps(value)
    return run_program(project_dir, project, stack, config, secret_keys, against)


def run_program(
    project_dir: Path,
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str],
    against: PlanSnapshot | None = None,
) -> Plan:
    """Run `__main__.py` of project_dir under the recording monitor with exactly this config."""
    cloud = FakeCloud()
    monitor = RecordingMonitor(FakeCloudMocks(cloud), against)
    settings.ROOT.set(None)
    warnings = _WarningLog()
    pulumi.runtime.set_mocks(
        monitor.fake_mocks,
        project=project,
        stack=stack,
        preview=False,
        monitor=monitor,
        logger=warnings.logger,
    )
    runtime_config.set_all_config(config, secret_keys)
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    outputs: dict[str, Any] = {}

    async def program() -> None:
        runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")
        root = settings.get_root_resource()
        exported: dict[str, Any] = getattr(root, "outputs", {})
        for name, value in exported.items():
            output = pulumi.Output.from_input(value)
            resolved = await output.future(with_unknowns=True)
            outputs[name] = Secret(_plain(resolved)) if await output.is_secret() else _plain(resolved)

    try:
        with _without_source_positions():
            _sync_await(run_pulumi_func(program))
    finally:
        # The SDK keeps the root resource and the config in process globals; leave neither behind.
        settings.ROOT.set(None)
        runtime_config.set_all_config({}, [])
    return Plan(
        project=project,
        stack=stack,
        resources=tree_order(monitor.registrations),
        outputs=outputs,
        warnings=warnings.messages,
    )


class _WarningLog(logging.Handler):
    """Collects what the program logs with pulumi.log.warn, which `pulumi up` would show as warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        # A logger outside the logging tree: nothing propagates to the root logger's handlers.
        self.logger = logging.Logger("crossmesh.plan", logging.WARNING)
        self.logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno == logging.WARNING:
            self.messages.append(record.getMessage())


def tree_order(registrations: list[Registration]) -> list[Registration]:
    """Parents before children, siblings by URN: the same order whatever order the SDK registered in."""
    children: dict[str | None, list[Registration]] = {}
    urns = {registration.urn for registration in registrations}
    for registration in registrations:
        parent = registration.parent if registration.parent in urns else None
        children.setdefault(parent, []).append(registration)
    ordered: list[Registration] = []
    pending = sorted(children.get(None, []), key=lambda r: r.urn, reverse=True)
    while pending:
        current = pending.pop()
        ordered.append(current)
        pending.extend(sorted(children.get(current.urn, []), key=lambda r: r.urn, reverse=True))
    return ordered


@contextmanager
def _without_source_positions() -> Iterator[None]:
    """Skip the SDK's capture of a stack trace per registration: only the Pulumi CLI shows source
    positions, the mock monitor drops them, and extracting them is a fifth of a plan's time."""
    capture = sdk_resource._get_stack_trace
    sdk_resource._get_stack_trace = source_pb2.StackTrace
    try:
        yield
    finally:
        sdk_resource._get_stack_trace = capture


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if type(value).__name__ == "Unknown":
        return UNKNOWN_MASK
    return value
