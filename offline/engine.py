"""The offline engine: run the real program against the Pulumi SDK's mock monitor and record it all.

`plan_stack` reads a stack file, runs `__main__.py` with its config, and returns a `Plan`: every
registration with its parent, provider, dependencies, protect flag and inputs under their wire names,
secrets kept as `Secret`, and the stack outputs. The fake cloud (offline/fake_cloud.py and
offline/fakes/) answers every registration and invoke the way a provider would.
"""

from __future__ import annotations

import json
import logging
import re
import runpy
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

import offline.fakes  # noqa: F401  (registers the fakes)
from components.config import NAMESPACE, ConfigError
from components.config.keys import misplaced_keys
from components.config.messages import did_you_mean, shown, stand_in
from offline import paths
from offline.diff import REPLACE, Differ, PlanSnapshot, snapshot
from offline.fake_cloud import FakeCloud, FakeResource, invoke, resource_outputs
from offline.record import SECRET_MASK, Plan, Registration, Secret, reveal
from offline.replace_rules import renewed_outputs
from offline.stack_file import STACK_FILE_KEYS, StackFile, StackFileError, read_yaml_file
from offline.urns import AliasSpec, alias_urns, make_urn

__all__ = ["StackFileError", "plan_stack", "read_stack", "read_stack_file", "run_program"]

PROVIDER_PREFIX = "pulumi:providers:"
UNKNOWN_MASK = "[unknown]"
# Stand-in for a `secure:` stack value: the engine has no passphrase or KMS key to decrypt it.
ENCRYPTED_PLACEHOLDER = "offline-placeholder-for-encrypted-value"


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
        with self.cloud.lock:  # the SDK registers from several threads; fakes read by_id meanwhile
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


# Pulumi's own rule for a stack name (the last part of org/project/stack); the program checks the
# stricter rule of the cloud names made from it.
_PULUMI_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


@dataclass
class StackInput:
    """A stack file read for a plan: the config as the Pulumi CLI would pass it, and what to tell."""

    project: str
    config: dict[str, str]
    secret_keys: list[str]
    file: StackFile
    environments: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    secret_paths: list[str] = field(default_factory=list)


def read_stack_file(project_dir: Path, stack: str) -> tuple[str, dict[str, str], list[str]]:
    """The project name, the stack's config as the Pulumi CLI would pass it, and the secret keys."""
    loaded = read_stack(project_dir, stack)
    return loaded.project, loaded.config, loaded.secret_keys


def read_stack(project_dir: Path, stack: str) -> StackInput:
    """Read and check Pulumi.yaml and Pulumi.<stack>.yaml; raise StackFileError with the first fault."""
    name = stack.rsplit("/", 1)[-1]
    if not _PULUMI_STACK_NAME.match(name) or name in (".", ".."):
        raise StackFileError(
            f"stack {shown(stack)}: not a Pulumi stack name (letters, digits, '-', '_' and '.', at most 100)"
        )
    stack_file = project_dir / f"Pulumi.{name}.yaml"
    if not stack_file.is_file():
        known = sorted(
            path.name[len("Pulumi.") : -len(".yaml")] for path in project_dir.glob("Pulumi.*.yaml")
        )
        raise StackFileError(f"no stack file {stack_file.name}; stacks here: {', '.join(known) or 'none'}")
    project = _project_name(project_dir / "Pulumi.yaml")
    parsed = read_yaml_file(stack_file)
    document = parsed.document
    _check_top_level(parsed)
    section = document.get("config")
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise StackFileError(
            f"{parsed.where('config')}: config: is {'a list' if isinstance(section, list) else 'one value'}; "
            "it must map keys to values"
        )
    loaded = StackInput(project, {}, [], parsed, environments=_environments(parsed))
    for key, value in section.items():
        full_key = key if ":" in key else f"{project}:{key}"
        plain, encrypted = _without_secure_values(value, full_key)
        if encrypted:
            loaded.secret_keys.append(full_key)
            loaded.secret_paths += encrypted
        loaded.config[full_key] = plain if isinstance(plain, str) else json.dumps(plain)
    loaded.notices = _notices(loaded)
    return loaded


def _project_name(project_file: Path) -> str:
    parsed = read_yaml_file(project_file)
    name = parsed.document.get("name")
    if not isinstance(name, str) or not name:
        raise StackFileError(f"{parsed.where('name')}: name: must be the project's name, as text")
    return name


def _check_top_level(parsed: StackFile) -> None:
    misplaced = misplaced_keys(parsed.document)
    if misplaced:
        raise StackFileError(
            f"{parsed.where(misplaced[0])}: {', '.join(misplaced)} at the top level of the file: misplaced, "
            "config keys belong under config: (indent them below it)"
        )
    unknown = [key for key in parsed.document if key not in STACK_FILE_KEYS]
    if unknown:
        raise StackFileError(
            f"{parsed.where(unknown[0])}: {shown(unknown[0])} is not a stack file key"
            f"{did_you_mean(unknown[0], STACK_FILE_KEYS)}; a stack file holds {', '.join(STACK_FILE_KEYS)}"
        )


def _environments(parsed: StackFile) -> list[str]:
    """The Pulumi ESC environments the stack imports (`environment: [name, ...]`)."""
    imports = parsed.document.get("environment")
    if imports is None:
        return []
    names = [imports] if isinstance(imports, str) else imports
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise StackFileError(
            f"{parsed.where('environment')}: environment: must list Pulumi ESC environment names"
        )
    return names


def _without_secure_values(value: Any, path: str) -> tuple[Any, list[str]]:
    """The value with each `secure:` (an encrypted value, at any depth) replaced by a stand-in, and the
    paths replaced: the engine has no passphrase or key to decrypt them."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        namespace, _, key = path.partition(":")
        substitute = stand_in(key) if namespace == NAMESPACE else None
        return (ENCRYPTED_PLACEHOLDER if substitute is None else substitute), [path]
    if isinstance(value, dict):
        pairs = [(key, _without_secure_values(item, f"{path}.{key}")) for key, item in value.items()]
        return {key: plain for key, (plain, _) in pairs}, [p for _, (_, found) in pairs for p in found]
    if isinstance(value, list):
        items = [_without_secure_values(item, f"{path}[{index}]") for index, item in enumerate(value)]
        return [plain for plain, _ in items], [p for _, found in items for p in found]
    return value, []


def _notices(loaded: StackInput) -> list[str]:
    notices = [
        f"{path} is encrypted (secure:); the offline engine cannot decrypt it and plans a stand-in "
        f"({_stand_in_shown(loaded, path)}), shown as {SECRET_MASK}"
        for path in loaded.secret_paths
    ]
    if loaded.environments:
        notices.append(
            f"{loaded.file.name} imports the Pulumi ESC environment(s) {', '.join(loaded.environments)}; "
            "the offline engine does not resolve them, so keys they set are missing from this plan"
        )
    return notices


def _stand_in_shown(loaded: StackInput, path: str) -> str:
    namespace, _, key = path.partition(":")
    substitute = stand_in(key) if namespace == NAMESPACE else None
    return "a placeholder" if substitute is None else f"the schema's {shown(substitute)}"


def located(loaded: StackInput, problems: list[str]) -> list[str]:
    """Config problems prefixed with the file position of their key (or of its nearest parent in the
    file); a missing key an ESC import may set says so; an encrypted value's problem says why."""
    result = []
    for problem in problems:
        key, _, rest = problem.partition(": ")
        path = key if ":" in key else ""
        written = loaded.file.config_keys.get(key) or loaded.file.config_keys.get(key.partition(":")[2])
        if written:
            position = f"{loaded.file.name}:{written}"
        else:
            position = _nearest_position(loaded.file, path) if path else loaded.file.name
        if any(path == secret or path.startswith(f"{secret}.") for secret in loaded.secret_paths):
            rest += "; it is encrypted (secure:), so the offline engine checked its stand-in, not your value"
        elif rest.startswith("missing") and loaded.environments:
            rest += f" (or set by the ESC environment {', '.join(loaded.environments)}, not resolved offline)"
        result.append(f"{position}: {key}: {rest}" if rest else f"{position}: {problem}")
    return result


def _nearest_position(file: StackFile, path: str) -> str:
    """The position of the key at `path`, or of its nearest parent the file holds (a missing key)."""
    while path:
        # A key written without its namespace (`protect:` under config:) is the project's.
        for candidate in (path, path.partition(":")[2]):
            if candidate in file.positions:
                return f"{file.name}:{file.positions[candidate]}"
        trimmed = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", path)
        if trimmed == path:
            break
        path = trimmed
    return file.name


def plan_stack(
    project_dir: Path,
    stack: str,
    overrides: Mapping[str, Any] | None = None,
    against: PlanSnapshot | None = None,
) -> Plan:
    """Plan one stack file; `overrides` replace whole top-level keys (e.g. {"link": {...}}); `against`
    an earlier plan of the stack, whose replaced resources get new fake IDs and assigned outputs."""
    loaded = read_stack(project_dir, stack)
    config = dict(loaded.config)
    for key, value in (overrides or {}).items():
        config[f"{loaded.project}:{key}"] = value if isinstance(value, str) else json.dumps(value)
    try:
        plan = run_program(
            project_dir, loaded.project, stack.rsplit("/", 1)[-1], config, loaded.secret_keys, against
        )
    except ConfigError as err:
        raise ConfigError(located(loaded, err.problems)) from None
    plan.warnings = loaded.notices + plan.warnings
    return plan


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
        config=dict(config),
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
