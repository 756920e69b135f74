"""Bad input of every kind, as a user meets it: exit 2 and one clear line naming the key or the file
position, never a traceback, within bounded time and memory.

One case per class of bad input: stack files (`crossmesh plan`), plan files (`crossmesh check --plan`),
the command's own inputs and outputs, and the program as `pulumi up` runs it (config passed by the
Pulumi CLI, nothing registered). Each case runs the real command in this process; its time (CPU time
of this process, so that other work on the machine does not count) and the peak of the memory it
allocates (tracemalloc) are bounded.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.config import ConfigError
from offline import engine
from offline.commands.cli import main
from offline.commands.exit_codes import INVALID_INPUT, UNVERIFIED
from offline.diff import PlanSnapshot
from offline.plan_file import MAX_PLAN_BYTES
from offline.stack_file import MAX_DEPTH, MAX_FILE_BYTES
from tests.support.plans import PROJECT_DIR

MAX_SECONDS = 2.0
MAX_BYTES = 200 * 1024 * 1024

# A valid stack, the base every case breaks in one way; its lines are numbered as the cases expect.
BASE = """\
config:
  crossmesh:aws:
    region: us-east-1
    vpcCidr: 10.10.0.0/16
    serviceCidr: 172.20.0.0/16
  crossmesh:gcp:
    project: crossmesh-test-0001
    region: us-east4
    subnetCidr: 10.20.0.0/20
    podsCidr: 10.24.0.0/14
    servicesCidr: 10.28.0.0/20
    masterCidr: 172.16.0.0/28
  crossmesh:services:
    - {name: checkout, cloud: gcp, namespace: shop}
    - {name: payment, cloud: aws, namespace: payments, callers: [checkout]}
  crossmesh:protect: false
"""
# Appended to a file that must be accepted: the one problem reported, so that the case stops before
# a full plan and shows that nothing else in the file was refused.
SENTINEL = "  crossmesh:link: {awsAsn: 1}\n"
SENTINEL_PROBLEM = "crossmesh:link.awsAsn: 1 must be a private ASN"


def edit(old: str, new: str, base: str = BASE) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


@dataclass(frozen=True)
class Case:
    """A stack file (text or bytes) and what its error must name."""

    id: str
    content: str | bytes
    expected: str
    stack: str = "t"
    absent: str | None = None
    """Text the errors must not hold (a value that must be accepted, a value that must not be echoed)."""


def _nested_block(depth: int) -> str:
    lines = ["config:", "  crossmesh:aws:"]
    lines += [f"{'  ' * (level + 2)}k{level}:" for level in range(depth)]
    return "\n".join(lines) + " x\n"


def _alias_bomb() -> str:
    text = "config:\n  crossmesh:aws:\n    a0: &a0 [" + ", ".join(["lol"] * 9) + "]\n"
    for level in range(1, 10):
        text += f"    a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]\n"
    return text


HUGE = "x" * 10_000_000

STACK_FILE_CASES = [
    # not valid YAML, not text
    Case("tab", edit("    region: us-east-1", "\tregion: us-east-1"), "Pulumi.t.yaml:3:1: a tab character"),
    Case(
        "unclosed-flow-map",
        edit("{name: checkout,", "{name: checkout"),
        "Pulumi.t.yaml:14:28: not valid YAML: did not find expected ',' or '}'",
    ),
    Case("unclosed-quote", edit("region: us-east4", 'region: "us-east4'), "Pulumi.t.yaml:"),
    Case(
        "merge-conflict",
        edit("  crossmesh:gcp:\n", "<<<<<<< HEAD\n  crossmesh:gcp:\n=======\n>>>>>>> main\n"),
        "Pulumi.t.yaml:6:1: a merge-conflict marker",
    ),
    Case("nul-byte", BASE.encode().replace(b"us-east4", b"us-\x00east4"), "Pulumi.t.yaml:8:16: binary data"),
    Case("gzip", gzip.compress(BASE.encode()), "Pulumi.t.yaml:1:1: gzip-compressed data"),
    Case("zip", b"PK\x03\x04" + b"\x00" * 40, "Pulumi.t.yaml:1:1: a zip archive"),
    Case("utf16-bom", BASE.encode("utf-16"), "Pulumi.t.yaml:1:1: UTF-16 text"),
    Case("utf16-no-bom", BASE.encode("utf-16-le"), "Pulumi.t.yaml:1:1: UTF-16 text"),
    Case(
        "latin1",
        edit("shop}", "sh\u00f6p}").encode("latin-1"),
        "Pulumi.t.yaml:14:49: not UTF-8 text (byte 0xf6)",
    ),
    Case(
        "control-character",
        edit("us-east4", "us-\x07east4"),
        "Pulumi.t.yaml:8:16: a control character (0x07)",
    ),
    Case("two-documents", BASE + "---\nconfig: {}\n", "Pulumi.t.yaml:17:1: a second YAML document"),
    # accepted: a byte-order mark, CRLF line ends
    Case(
        "bom-accepted",
        b"\xef\xbb\xbf" + (BASE + SENTINEL).encode(),
        f"Pulumi.t.yaml:17:20: {SENTINEL_PROBLEM}",
    ),
    Case(
        "crlf-accepted", (BASE + SENTINEL).replace("\n", "\r\n"), f"Pulumi.t.yaml:17:20: {SENTINEL_PROBLEM}"
    ),
    # the wrong shape
    Case("file-is-a-list", "- config\n- crossmesh:aws\n", "Pulumi.t.yaml:1:1: the file is a list"),
    Case("file-is-a-scalar", "crossmesh\n", "Pulumi.t.yaml:1:1: the file is a single value"),
    Case("config-is-a-list", "config:\n  - crossmesh:aws\n", "Pulumi.t.yaml:1:1: config: is a list"),
    Case("config-is-a-scalar", "config: crossmesh\n", "Pulumi.t.yaml:1:1: config: is one value"),
    Case(
        "section-is-a-list",
        edit("  crossmesh:aws:\n    region: us-east-1\n", "  crossmesh:aws: [us-east-1]\n  crossmesh:x:\n"),
        "Pulumi.t.yaml:2:3: crossmesh:aws: ['us-east-1'] is a list; it must be a map of keys",
    ),
    Case(
        "list-is-a-map",
        edit(
            "  crossmesh:services:\n", "  crossmesh:services: {checkout: {cloud: gcp}}\n  crossmesh:unused:\n"
        ),
        "Pulumi.t.yaml:13:3: crossmesh:services: {'checkout': {'cloud': 'gcp'}} is a map; it must be a list",
    ),
    Case(
        "service-is-a-scalar",
        edit("    - {name: checkout, cloud: gcp, namespace: shop}", "    - checkout"),
        "Pulumi.t.yaml:14:7: crossmesh:services[0]: 'checkout' is text; it must be a map of keys",
    ),
    Case(
        "key-is-a-list", edit("    region: us-east4", "    ? [region]\n    : us-east4"), "a key must be text"
    ),
    Case("empty-file", "", "crossmesh:aws: missing"),
    Case("config-is-empty", "config:\n", "crossmesh:gcp: missing"),
    # duplicate keys, at any level
    Case(
        "duplicate-config-key",
        BASE + "  crossmesh:protect: true\n",
        "Pulumi.t.yaml:17:3: crossmesh:protect: duplicate key (first at line 16)",
    ),
    Case(
        "duplicate-nested-key",
        edit("    serviceCidr: 172.20.0.0/16\n", "    serviceCidr: 172.20.0.0/16\n    region: us-east-2\n"),
        "Pulumi.t.yaml:6:5: crossmesh:aws.region: duplicate key (first at line 3)",
    ),
    Case(
        "duplicate-key-in-a-list-item",
        edit("{name: checkout, cloud: gcp,", "{name: checkout, cloud: gcp, name: cart,"),
        "crossmesh:services[0].name: duplicate key (first at line 14)",
    ),
    Case(
        "duplicate-file-key",
        BASE + "config: {}\n",
        "Pulumi.t.yaml:17:1: config: duplicate key (first at line 1)",
    ),
    # hostile YAML
    Case("alias-bomb", _alias_bomb(), "aliases expand to more than 100,000 values"),
    Case(
        "deep-flow-nesting",
        "config:\n  crossmesh:aws: " + "[" * 100_000 + "]" * 100_000 + "\n",
        "nested deeper",
    ),
    Case("deep-block-nesting", _nested_block(MAX_DEPTH + 2), f"nested deeper than {MAX_DEPTH} levels"),
    Case(
        "undefined-alias",
        edit("region: us-east4", "region: *nowhere"),
        "Pulumi.t.yaml:8:13: *nowhere names no anchor",
    ),
    # huge values are quoted by a short prefix
    Case(
        "huge-value",
        edit("region: us-east4", f"region: {HUGE}"),
        "(10,000,000 characters) is not a Google Cloud region",
        absent="x" * 100,
    ),
    Case("huge-number", edit("region: us-east4", "region: " + "9" * 100_000), "a number of 100,000 digits"),
    # YAML types that are not config
    Case(
        "date",
        edit("region: us-east4", "region: 2026-11-30"),
        "Pulumi.t.yaml:8:13: crossmesh:gcp.region: a YAML date",
    ),
    Case(
        "timestamp",
        edit("project: crossmesh-test-0001", "project: 2026-11-30T12:00:00Z"),
        "crossmesh:gcp.project: a YAML date or timestamp",
    ),
    Case(
        "binary",
        edit("region: us-east4", "region: !!binary aGVsbG8="),
        "crossmesh:gcp.region: YAML binary data",
    ),
    Case(
        "set",
        edit("  crossmesh:protect: false", "  crossmesh:protect: !!set {a, b}"),
        "crossmesh:protect: a YAML set",
    ),
    Case(
        "omap",
        edit("  crossmesh:protect: false", "  crossmesh:protect: !!omap [a: 1]"),
        "crossmesh:protect: a YAML ordered map",
    ),
    Case(
        "python-tag",
        edit("region: us-east4", "region: !!python/object:os.system x"),
        "crossmesh:gcp.region: a value tagged",
    ),
    Case(
        "custom-tag", edit("region: us-east4", "region: !Ref x"), "crossmesh:gcp.region: a value tagged !Ref"
    ),
    # namespaces, case slips, misplaced and literal path keys
    Case(
        "misspelt-namespace",
        edit("crossmesh:protect", "crosmesh:protect"),
        "Pulumi.t.yaml:16:3: crosmesh:protect: unknown namespace 'crosmesh'",
    ),
    Case(
        "space-in-namespace",
        edit("crossmesh:protect", "crossmesh :protect"),
        "unknown namespace 'crossmesh ' ('protect' is a crossmesh key); did you mean 'crossmesh'?",
    ),
    Case(
        "unknown-namespace",
        BASE + "  acme:owner: team-a\n",
        "Pulumi.t.yaml:17:3: acme:owner: unknown namespace 'acme'",
    ),
    Case(
        "provider-keys-accepted",
        BASE + "  aws:region: us-west-2\n  pulumi:tags: {team: a}\n" + SENTINEL,
        SENTINEL_PROBLEM,
        absent="aws:region",
    ),
    Case(
        "case-slip-key",
        edit("vpcCidr:", "vpcCIDR:"),
        "Pulumi.t.yaml:4:5: crossmesh:aws.vpcCIDR: unknown key; did you mean 'vpcCidr'?",
    ),
    Case(
        "case-slip-section",
        edit("crossmesh:gcp:", "crossmesh:GCP:"),
        "crossmesh:GCP: unknown key; did you mean 'gcp'?",
    ),
    Case(
        "typo-key",
        edit("serviceCidr:", "servceCidr:"),
        "crossmesh:aws.servceCidr: unknown key; did you mean 'serviceCidr'?",
    ),
    Case(
        "literal-path-key",
        BASE + "  crossmesh:link.tunnelGroups: 2\n",
        "Pulumi.t.yaml:17:3: crossmesh:link.tunnelGroups: one literal key to Pulumi, not a path into "
        "crossmesh:link",
    ),
    Case(
        "misplaced-keys",
        BASE + "crossmesh:link: {tunnelGroups: 2}\n",
        "Pulumi.t.yaml:17:1: crossmesh:link at the top level of the file: misplaced",
    ),
    Case(
        "misplaced-own-key",
        "protect: true\n" + BASE,
        "Pulumi.t.yaml:1:1: protect at the top level of the file: misplaced",
    ),
    Case(
        "unknown-file-key",
        "confg:\n  x: 1\n" + BASE,
        "Pulumi.t.yaml:1:1: 'confg' is not a stack file key; did you mean 'config'?",
    ),
    # values the clouds refuse
    Case(
        "eks-version-retired",
        BASE + '  crossmesh:clusters: {eks: {version: "1.28"}}\n',
        "crossmesh:clusters.eks.version: '1.28' reached the end of EKS extended support on 2025-11-26",
    ),
    Case(
        "eks-version-unknown",
        BASE + '  crossmesh:clusters: {eks: {version: "1.47"}}\n',
        "crossmesh:clusters.eks.version: '1.47' is newer than any EKS version in the calendar",
    ),
    Case(
        "eks-version-malformed",
        BASE + "  crossmesh:clusters: {eks: {version: 1.3}}\n",
        "Pulumi.t.yaml:17:30: crossmesh:clusters.eks.version: 1.3 is a number; it must be text",
    ),
    Case(
        "istio-minor-not-for-the-eks-version",
        BASE + '  crossmesh:clusters: {eks: {version: "1.35"}}\n'
        "  crossmesh:mesh: {istio: {revisions: {default: 1.28.10}}}\n",
        "crossmesh:mesh.istio.revisions.default: '1.28.10': Istio 1.28 supports Kubernetes 1.30 to 1.34, "
        "not crossmesh:clusters.eks.version '1.35'",
    ),
    Case(
        "istio-minor-unknown",
        BASE + "  crossmesh:mesh: {istio: {revisions: {default: 1.47.0}}}\n",
        "crossmesh:mesh.istio.revisions.default: '1.47.0' is newer than any Istio minor in the support "
        "calendar",
    ),
    Case(
        "gke-version-retired",
        BASE + '  crossmesh:clusters: {gke: {minMasterVersion: "1.33"}}\n',
        "crossmesh:clusters.gke.minMasterVersion: '1.33': 1.33 reached the end of GKE standard support",
    ),
    Case(
        "gke-version-unknown",
        BASE + '  crossmesh:clusters: {gke: {minMasterVersion: "1.52.1-gke.1"}}\n',
        "is newer than any GKE version in the calendar",
    ),
    Case(
        "aws-region-unknown",
        edit("region: us-east-1", "region: us-east-7"),
        "Pulumi.t.yaml:3:5: crossmesh:aws.region: 'us-east-7' is not an AWS region",
    ),
    Case("aws-region-case", edit("region: us-east-1", "region: US-East-1"), "did you mean 'us-east-1'?"),
    Case(
        "gcp-region-unknown",
        edit("region: us-east4", "region: us-east9"),
        "crossmesh:gcp.region: 'us-east9' is not a Google Cloud region",
    ),
    Case(
        "namespace-kube-system",
        edit("namespace: shop", "namespace: kube-system"),
        "crossmesh:services[0].namespace: 'kube-system' is a namespace Kubernetes reserves",
    ),
    Case(
        "namespace-kube-prefix",
        edit("namespace: shop", "namespace: kube-shop"),
        "'kube-shop' is a namespace Kubernetes reserves",
    ),
    Case(
        "namespace-default",
        edit("namespace: shop", "namespace: default"),
        "'default' is a namespace Kubernetes reserves",
    ),
    Case(
        "namespace-istio-system",
        edit("namespace: shop", "namespace: istio-system"),
        "'istio-system' is a namespace of the mesh itself",
    ),
    Case(
        "namespace-observability",
        edit("namespace: shop", "namespace: observability"),
        "'observability' is a namespace of the mesh itself",
    ),
    Case(
        "namespace-bridge",
        edit("namespace: shop", "namespace: crossmesh-bridge"),
        "'crossmesh-bridge' is a namespace of the mesh itself",
    ),
    Case(
        "namespace-not-dns",
        edit("namespace: shop", "namespace: Shop_Floor"),
        "crossmesh:services[0].namespace: 'Shop_Floor' must be a DNS label",
    ),
    Case(
        "service-name-not-dns",
        edit("name: checkout", "name: check.out"),
        "crossmesh:services[0].name: 'check.out' must be a DNS label",
    ),
    Case("stack-upper-case", BASE, "stack 'Prod': has upper-case letters", stack="Prod"),
    Case(
        "stack-underscore",
        BASE,
        "stack 'qa_1': has characters other than letters, digits and '-'",
        stack="qa_1",
    ),
    Case(
        "stack-too-long",
        BASE,
        "stack 'integration-staging': is 19 characters, more than 17",
        stack="integration-staging",
    ),
    Case("stack-digit-first", BASE, "does not start with a letter", stack="1dev"),
    Case("stack-not-a-pulumi-name", BASE, "stack 'a b': not a Pulumi stack name", stack="a b"),
    # secrets at any depth, ESC imports
    Case(
        "secure-nested-accepted",
        edit("    project: crossmesh-test-0001", "    project:\n      secure: AAABAJjRUO4=") + SENTINEL,
        SENTINEL_PROBLEM,
        absent="gcp.project",
    ),
    Case(
        "secure-value-that-no-stand-in-fits",
        edit("    region: us-east-1", "    region:\n      secure: AAABAJjRUO4="),
        "crossmesh:aws.region: 'offline-placeholder-for-encrypted-value' is not an AWS region",
    ),
    Case(
        "esc-import",
        "environment:\n  - acme/dev\n"
        + BASE.replace(BASE[BASE.index("  crossmesh:aws:") : BASE.index("  crossmesh:gcp:")], ""),
        "crossmesh:aws: missing; set it with `pulumi config set --path 'aws' <value>` (or set by the ESC "
        "environment acme/dev, not resolved offline)",
    ),
    Case(
        "esc-import-malformed",
        "environment: {imports: 3}\n" + BASE,
        "Pulumi.t.yaml:1:1: environment: must list Pulumi ESC environment names",
    ),
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project directory with the real program, the cases' stack files written into it."""
    directory = tmp_path_factory.mktemp("project")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_DIR / name, directory / name)
    (directory / "components").symlink_to(PROJECT_DIR / "components")
    # Import what a failing plan imports before the first measured case.
    (directory / "Pulumi.t.yaml").write_text(BASE + SENTINEL)
    main(["--project-dir", str(directory), "plan", "--stack", "t"])
    return directory


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float
    peak_bytes: int


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    def measured(*argv: str) -> Run:
        capsys.readouterr()
        tracemalloc.start()
        started = time.process_time()
        try:
            code = main(list(argv))
        finally:
            seconds = time.process_time() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err, seconds, peak)

    return measured


def assert_refused(result: Run, code: int, expected: str) -> None:
    """The exit code, the expected words in an error line, no traceback, bounded time and memory."""
    assert result.code == code, result.err
    assert any(line.startswith("error: ") and expected in line for line in result.err.splitlines()), (
        f"{expected!r} not in:\n{result.err[:3000]}"
    )
    assert "Traceback" not in result.err and "Traceback" not in result.out
    assert all(line.startswith(("error: ", "warning: ")) for line in result.err.splitlines()), result.err[
        :3000
    ]
    assert result.seconds < MAX_SECONDS, f"{result.seconds:.2f} s"
    assert result.peak_bytes < MAX_BYTES, f"{result.peak_bytes / 1e6:.0f} MB"


@pytest.mark.parametrize("case", STACK_FILE_CASES, ids=lambda case: case.id)
def test_a_bad_stack_file_exits_2_naming_the_key_or_position(
    case: Case, project: Path, run: Callable[..., Run]
) -> None:
    stack_file = project / f"Pulumi.{case.stack}.yaml"
    if case.stack == "a b":
        stack_file = project / "Pulumi.t.yaml"
    if isinstance(case.content, bytes):
        stack_file.write_bytes(case.content)
    else:
        stack_file.write_text(case.content)
    result = run("--project-dir", str(project), "plan", "--stack", case.stack)
    assert_refused(result, INVALID_INPUT, case.expected)
    if case.absent:
        assert case.absent not in result.err
    assert len(result.err) < 5_000
    assert result.out == ""


def test_the_cases_cover_at_least_sixty_files() -> None:
    assert len(STACK_FILE_CASES) >= 60
    assert len({case.id for case in STACK_FILE_CASES}) == len(STACK_FILE_CASES)


# --- plan files: crossmesh check --plan ------------------------------------------------------------------


def _resource(**changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "urn": "urn:pulumi:t::crossmesh::aws:ec2/vpc:Vpc::v",
        "type": "aws:ec2/vpc:Vpc",
    }
    resource |= {"name": "v", "inputs": {}, "dependencies": []}
    return {key: value for key, value in (resource | changes).items() if value is not ...}


def _plan_text(**changes: Any) -> str:
    return json.dumps({"project": "crossmesh", "stack": "t", "resources": [_resource(**changes)]})


def _nested_json(depth: int) -> str:
    return '{"resources": [], "outputs": {"a": ' + "[" * depth + "]" * depth + "}}"


PLAN_FILE_CASES: list[tuple[str, str | bytes, str]] = [
    ("not-json", '{"resources": [', "not JSON: line 1 column 16"),
    ("empty", "", "not JSON: line 1 column 1"),
    ("gzip", gzip.compress(_plan_text().encode()), "gzip-compressed data"),
    ("utf16", _plan_text().encode("utf-16"), "not UTF-8 text"),
    ("a-list", "[1, 2]", "(root): a JSON list"),
    ("a-string", '"plan"', "(root): a JSON str"),
    ("no-resources", '{"project": "crossmesh"}', "/resources: missing"),
    ("resources-a-map", '{"resources": {"a": 1}}', "/resources: {'a': 1} must be a valid list"),
    ("resource-a-string", '{"resources": ["urn:x"]}', "/resources/0: 'urn:x'"),
    ("no-type", _plan_text(type=...), "/resources/0/type: missing"),
    ("no-urn", _plan_text(urn=...), "/resources/0/urn: missing"),
    ("type-a-number", _plan_text(type=3), "/resources/0/type: 3 must be a valid string"),
    ("inputs-a-list", _plan_text(inputs=[1]), "/resources/0/inputs: [1] must be a valid dictionary"),
    (
        "dependencies-a-string",
        _plan_text(dependencies="urn:a"),
        "/resources/0/dependencies: 'urn:a' must be a valid list",
    ),
    ("protect-a-string", _plan_text(protect="yes"), "/resources/0/protect: 'yes' must be a valid boolean"),
    ("outputs-a-list", '{"resources": [], "outputs": [1]}', "/outputs: [1] must be a valid dictionary"),
    ("warnings-a-string", '{"resources": [], "warnings": "soon"}', "/warnings: 'soon' must be a valid list"),
    ("nan", '{"resources": [], "outputs": {"a": NaN}}', "not JSON"),
    ("nesting-past-the-parser", _nested_json(100_000), "nested deeper than the JSON parser's limit"),
    ("nesting-past-the-limit", _nested_json(80), "/outputs/a/0/0/0"),
]


# Both commands that read saved plans read them through offline/plan_file.py.
PLAN_READERS = {"check": ("check", "--plan", "{plan}"), "diff": ("diff", "{plan}", "{plan}")}


@pytest.mark.parametrize("reader", sorted(PLAN_READERS))
@pytest.mark.parametrize(
    ("content", "expected"), [c[1:] for c in PLAN_FILE_CASES], ids=[c[0] for c in PLAN_FILE_CASES]
)
def test_a_bad_plan_file_exits_2_naming_the_file_and_the_pointer(
    reader: str, content: str | bytes, expected: str, tmp_path: Path, run: Callable[..., Run]
) -> None:
    plan_file = tmp_path / "plan.json"
    if isinstance(content, bytes):
        plan_file.write_bytes(content)
    else:
        plan_file.write_text(content)
    result = run(*(argument.format(plan=plan_file) for argument in PLAN_READERS[reader]))
    assert_refused(result, INVALID_INPUT, f"{plan_file}: {expected}")
    assert f"{reader} failed" not in result.err


def test_a_plan_file_of_tens_of_megabytes_is_refused_unread(tmp_path: Path, run: Callable[..., Run]) -> None:
    plan_file = tmp_path / "plan.json"
    with plan_file.open("wb") as file:
        file.truncate(MAX_PLAN_BYTES * 3)
    result = run("check", "--plan", str(plan_file))
    assert_refused(result, INVALID_INPUT, f"{plan_file}: 48.0 MiB, more than the 16 MiB a plan file may be")
    assert result.peak_bytes < 1024 * 1024


def test_a_device_as_plan_file_is_refused_unread(run: Callable[..., Run]) -> None:
    result = run("check", "--plan", "/dev/zero")
    assert_refused(result, INVALID_INPUT, "/dev/zero: not a regular file")


def test_a_stack_file_of_tens_of_megabytes_is_refused_unread(project: Path, run: Callable[..., Run]) -> None:
    with (project / "Pulumi.t.yaml").open("wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)
    result = run("--project-dir", str(project), "plan", "--stack", "t")
    assert_refused(result, INVALID_INPUT, "Pulumi.t.yaml: larger than 32 MiB; not a stack file")
    assert result.peak_bytes < 1024 * 1024


def test_a_missing_plan_file_exits_2(tmp_path: Path, run: Callable[..., Run]) -> None:
    result = run("check", "--plan", str(tmp_path / "nope.json"))
    assert_refused(result, INVALID_INPUT, f"{tmp_path / 'nope.json'}: cannot read it: No such file")


# --- the command's own inputs and outputs ------------------------------------------------------------------


def test_json_to_an_unwritable_path_exits_2(tmp_path: Path, run: Callable[..., Run]) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(_plan_text())
    target = tmp_path / "missing-directory" / "results.json"
    result = run("check", "--plan", str(plan_file), "--json", str(target))
    assert_refused(result, INVALID_INPUT, f"--json {target}: cannot write it: No such file or directory")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read it: No such file or directory"),
        ("{not json", "not JSON: line 1 column 2"),
        ("[1, 2]", "a JSON list; stack outputs are an object"),
        (
            '{"awsRegion": "us-east-1", "eksKubeconfig": "[secret]", "gkeKubeconfig": "[secret]"}',
            "saved without --show-secrets (eksKubeconfig, gkeKubeconfig read [secret])",
        ),
    ],
    ids=["missing", "not-json", "a-list", "without-show-secrets"],
)
def test_verify_outputs_it_cannot_use_exit_2(
    content: str | None, expected: str, tmp_path: Path, run: Callable[..., Run]
) -> None:
    outputs = tmp_path / "outputs.json"
    if content is not None:
        outputs.write_text(content)
    result = run("verify", "--stack", "t", "--outputs", str(outputs))
    assert_refused(result, UNVERIFIED, f"--outputs {outputs}: {expected}")


def test_output_piped_into_head_ends_with_one_line_and_exit_2() -> None:
    command = [
        sys.executable,
        "-c",
        "import sys; from crossmesh_command import main; sys.argv[0] = 'crossmesh'; main()",
    ]
    started = time.perf_counter()
    with subprocess.Popen(
        [*command, "--project-dir", str(PROJECT_DIR), "policies"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        # The reader goes away before the command writes: its first write finds the pipe closed.
        process.stdout.close()
        err = process.stderr.read().decode()
        code = process.wait(timeout=30)
    assert code == INVALID_INPUT, err
    assert err == "error: crossmesh policies: the output was closed before it was written in full\n"
    assert time.perf_counter() - started < 30


# --- the program under pulumi up: the config as the Pulumi CLI passes it, nothing registered ---------------


def _cli_config(**changes: str) -> dict[str, str]:
    """BASE's keys as the Pulumi CLI passes them to the program: every key namespaced, structured
    values as JSON."""
    config = {
        "crossmesh:aws": json.dumps(
            {"region": "us-east-1", "vpcCidr": "10.10.0.0/16", "serviceCidr": "172.20.0.0/16"}
        ),
        "crossmesh:gcp": json.dumps(
            {
                "project": "crossmesh-test-0001",
                "region": "us-east4",
                "subnetCidr": "10.20.0.0/20",
                "podsCidr": "10.24.0.0/14",
                "servicesCidr": "10.28.0.0/20",
                "masterCidr": "172.16.0.0/28",
            }
        ),
        "crossmesh:protect": "false",
    }
    return config | changes


PROGRAM_CASES = [
    ("misspelt-namespace", "t", {"crosmesh:protect": "true"}, "crosmesh:protect: unknown namespace"),
    (
        "literal-path-key",
        "t",
        {"crossmesh:link.tunnelGroups": "2"},
        "crossmesh:link.tunnelGroups: one literal key",
    ),
    (
        "case-slip",
        "t",
        {"crossmesh:Protect": "true"},
        "crossmesh:Protect: unknown key; did you mean 'protect'?",
    ),
    ("stack-name", "Prod", {}, "stack 'Prod': has upper-case letters"),
    (
        "eks-version",
        "t",
        {"crossmesh:clusters": json.dumps({"eks": {"version": "1.29"}})},
        "crossmesh:clusters.eks.version: '1.29'",
    ),
    (
        "reserved-namespace",
        "t",
        {"crossmesh:services": json.dumps([{"name": "a", "cloud": "aws", "namespace": "kube-system"}])},
        "'kube-system' is a namespace Kubernetes reserves",
    ),
]


@pytest.fixture
def monitors(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[engine.RecordingMonitor]]:
    watched: list[engine.RecordingMonitor] = []

    class WatchedMonitor(engine.RecordingMonitor):
        def __init__(self, fake_mocks: engine.FakeCloudMocks, against: PlanSnapshot | None = None) -> None:
            super().__init__(fake_mocks, against)
            watched.append(self)

    monkeypatch.setattr(engine, "RecordingMonitor", WatchedMonitor)
    yield watched


@pytest.mark.parametrize(
    ("stack", "changes", "expected"), [c[1:] for c in PROGRAM_CASES], ids=[c[0] for c in PROGRAM_CASES]
)
def test_the_program_refuses_the_same_config_before_registering_anything(
    stack: str, changes: dict[str, str], expected: str, monitors: list[engine.RecordingMonitor]
) -> None:
    started = time.process_time()
    with pytest.raises(ConfigError) as raised:
        engine.run_program(PROJECT_DIR, "crossmesh", stack, _cli_config(**changes), [])
    assert any(expected in problem for problem in raised.value.problems), raised.value.problems
    assert len(monitors) == 1 and monitors[0].registrations == []
    assert time.process_time() - started < MAX_SECONDS
