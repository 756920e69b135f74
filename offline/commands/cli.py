"""`crossmesh`: plan a stack of this Pulumi project offline, with no cloud account and no Pulumi CLI,
check the plan against the CrossGuard policy pack, draw it, verify a deployed stack, and regenerate the
configuration and policy references.

The options are spelt as Pulumi spells them: `-s/--stack` (when omitted, the one stack file of the
project, as `pulumi` uses the one stack there is), `-C/--cwd`, `--json FILE`, `--format`, `--debug`,
each accepted after the subcommand as well as before it; `-` as a file name means standard output.
Problems are reported as `error:` lines, never as a traceback (unless `--debug`); the exit codes and
what each means are in exit_codes.py.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import sys
import tomllib
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from crossmesh_policy import POLICIES

from components.config import ConfigError
from offline.commands import diff as diff_command
from offline.commands import exit_codes
from offline.commands.exit_codes import (
    AGREEMENT,
    CANNOT_AUDIT,
    CURRENT,
    DISAGREEMENT,
    INVALID_INPUT,
    MANDATORY_VIOLATION,
    NO_MANDATORY_VIOLATION,
    OK,
    PROGRAM_ERROR,
    STALE,
    UNVERIFIED,
    ExitCode,
)
from offline.diff import PlanFormatError, PlanSnapshot, plan_snapshot
from offline.record import Plan

Handler = Callable[[argparse.Namespace, Path], int]
STDOUT = "-"
CHECK_FORMATS = ("text", "json", "sarif", "junit", "github")
STEP_SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"

# One sentence on what each subcommand does, and one example of its use, for --help and the README.
SUMMARIES = {
    "plan": "Run the program of a stack offline and summarise what `pulumi up` would create.",
    "diff": "Say what `pulumi up` would create, update, replace or delete to go from one plan to another.",
    "check": "Run the policy pack and the upstream artefact checks over an offline plan; report violations.",
    "policies": "List the policy pack's rules with their level, severity, resource types and anchors.",
    "graph": "Draw the stack's architecture, as Mermaid or Graphviz, from its offline plan.",
    "verify": "After `pulumi up`, check tunnels, BGP sessions, istiod sync and one cross-cloud call.",
    "audit": "Run Checkov offline on the plan and report its findings beside the policy pack's verdicts.",
    "config-docs": "Regenerate docs/configuration.md from the stack config schema.",
    "flow-docs": "Regenerate docs/flows.md, the table of the flows the mesh needs, from the dev plan.",
    "cost-docs": "Regenerate the shipped stacks' cost table in docs/cost.md and the README's dev estimate.",
    "policy-docs": "Regenerate policies/README.md from the policy pack.",
}
EXAMPLES = {
    "plan": "crossmesh plan -s prod --json prod-plan.json",
    "diff": diff_command.EXAMPLE,
    "check": "crossmesh check -s dev --format sarif --output dev.sarif",
    "policies": "crossmesh policies --json",
    "graph": "crossmesh graph -s dev --format dot | dot -Tsvg > dev.svg",
    "verify": "crossmesh verify -s dev",
    "audit": "crossmesh audit -s prod --format sarif > audit.sarif",
    "config-docs": "crossmesh config-docs --check",
    "flow-docs": "crossmesh flow-docs --check   # 1 when docs/flows.md is stale",
    "cost-docs": "crossmesh cost-docs --check",
    "policy-docs": "crossmesh policy-docs --check",
}


class StackChoiceError(Exception):
    """No stack was named and the project does not hold exactly one stack file."""


def main(argv: Sequence[str] | None = None) -> int:
    args = command_line().parse_args(argv)
    project_dir = Path(args.cwd).resolve()
    try:
        code = HANDLERS[args.command](args, project_dir)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        return _output_closed(args.command)
    except Exception as err:  # a defect is reported in one line and its own exit code, not raised
        if args.debug:
            traceback.print_exc()
        print(f"error: crossmesh {args.command} failed: {type(err).__name__}: {err}", file=sys.stderr)
        return PROGRAM_ERROR


def version() -> str:
    """The installed distribution's version, or the project's when run from a checkout without it."""
    try:
        return importlib.metadata.version("crossmesh")
    except importlib.metadata.PackageNotFoundError:
        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        return str(tomllib.loads(pyproject.read_text())["project"]["version"])


def _output_closed(command: str) -> int:
    """The reader of standard output went away (`crossmesh plan | head`): say so once, exit 2."""
    # Later writes and the final flush go nowhere instead of failing again.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    print(f"error: crossmesh {command}: the output was closed before it was written in full", file=sys.stderr)
    return next(code for code in exit_codes.EXIT_CODES[command] if code == 2)


def command_line() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crossmesh",
        description=" ".join(__doc__.split("\n\n")[0].split()),
        epilog="`crossmesh COMMAND --help` says what the command does, its exit codes and an example.",
    )
    parser.add_argument("--version", action="version", version=f"crossmesh {version()}")
    _global_options(parser, defaults=True)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str) -> argparse.ArgumentParser:
        sub = subparsers.add_parser(
            name,
            help=SUMMARIES[name],
            description=SUMMARIES[name],
            epilog=f"example:\n  {EXAMPLES[name]}\n\n{exit_codes.help_epilog(name)}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _global_options(sub, defaults=False)
        return sub

    plan = command("plan")
    _stack_option(plan)
    plan.add_argument(
        "--format", choices=["text", "json"], default="text", help="print the summary or the plan's JSON"
    )
    _json_option(plan, "also write the plan contract as JSON to FILE (`-` or no FILE: standard output)")
    diff_command.add_against_options(plan)

    diff = command("diff")
    diff_command.configure(diff)

    check = command("check")
    source = check.add_mutually_exclusive_group()
    _stack_option(source)
    source.add_argument("--plan", metavar="FILE", help="check a saved plan (crossmesh plan --json FILE)")
    check.add_argument(
        "--format",
        choices=CHECK_FORMATS,
        help="text (default), json, sarif (GitHub code scanning), junit, or github (workflow commands and"
        f" a job summary appended to ${STEP_SUMMARY_VARIABLE})",
    )
    check.add_argument(
        "--output", metavar="FILE", help="write the report to FILE and the text report to standard output"
    )
    _json_option(check, "the same as --format json --output FILE")
    check.add_argument(
        "--policy-config", metavar="FILE", help="pack config JSON, as for pulumi --policy-pack-config"
    )
    check.add_argument(
        "--against",
        metavar="OLD.json",
        help="also judge the change from this saved plan of the stack by the day-2 rules (docs/day2.md)",
    )

    audit = command("audit")
    audit_source = audit.add_mutually_exclusive_group()
    _stack_option(audit_source)
    audit_source.add_argument(
        "--plan", metavar="FILE", help="audit a saved plan (crossmesh plan --json FILE)"
    )
    audit.add_argument("--format", choices=["text", "json", "sarif"], default="text")

    policies = command("policies")
    _json_option(policies, "write the list as JSON to FILE (`-` or no FILE: standard output)")

    graph = command("graph")
    _stack_option(graph)
    graph.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")
    graph.add_argument("--readme", action="store_true", help="rewrite the generated diagram in README.md")

    verify = command("verify")
    _stack_option(verify)
    verify.add_argument(
        "--outputs", metavar="FILE", help="stack outputs as JSON (pulumi stack output --json --show-secrets)"
    )
    _json_option(verify, "also write the findings as JSON to FILE (`-` or no FILE: standard output)")

    policy_docs = command("policy-docs")
    policy_docs.add_argument("--check", action="store_true", help="only compare with the file, write nothing")

    flow_docs = command("flow-docs")
    flow_docs.add_argument("--check", action="store_true", help="only compare with the file, write nothing")

    docs = command("config-docs")
    docs.add_argument("--check", action="store_true", help="only compare with the file, write nothing")

    cost_docs = command("cost-docs")
    cost_docs.add_argument("--check", action="store_true", help="only compare with the files, write nothing")
    return parser


def _global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """-C/--cwd and --debug, before the subcommand or after it: a subcommand's parser sets them only when
    given, so that one given before the subcommand stays."""
    parser.add_argument(
        "-C",
        "--cwd",
        "--project-dir",
        dest="cwd",
        metavar="DIR",
        default="." if defaults else argparse.SUPPRESS,
        help="run as if started in DIR, the directory holding Pulumi.yaml (default: .)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=False if defaults else argparse.SUPPRESS,
        help="print the traceback of a failure",
    )


def _stack_option(parser: argparse.ArgumentParser | argparse._MutuallyExclusiveGroup) -> None:
    parser.add_argument(
        "-s",
        "--stack",
        help="the stack: plans Pulumi.<stack>.yaml (default: the project's only stack file)",
    )


def _json_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--json", metavar="FILE", nargs="?", const=STDOUT, help=help_text)


def stack_name(args: argparse.Namespace, project_dir: Path) -> str:
    """--stack, or the project's one stack file when there is exactly one."""
    if args.stack:
        return str(args.stack)
    stacks = sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in project_dir.glob("Pulumi.*.yaml"))
    if len(stacks) == 1:
        return stacks[0]
    if not stacks:
        raise StackChoiceError(f"no stack file (Pulumi.<stack>.yaml) in {project_dir}")
    raise StackChoiceError(f"choose a stack with -s/--stack: {', '.join(stacks)}")


def write_output(target: str, text: str) -> None:
    """text to the file target, or to standard output for `-`."""
    if target == STDOUT:
        sys.stdout.write(text)
    else:
        Path(target).write_text(text)


def _planned(
    args: argparse.Namespace, project_dir: Path, against: PlanSnapshot | None = None
) -> Plan | ExitCode:
    """The plan of the chosen stack, or the exit code after reporting why there is none."""
    from offline.engine import StackFileError, plan_stack

    try:
        stack = stack_name(args, project_dir)
    except StackChoiceError as err:
        print(f"error: {err}", file=sys.stderr)
        return INVALID_INPUT
    try:
        return plan_stack(project_dir, stack, against=against)
    except ConfigError as err:
        print(f"error: invalid configuration in Pulumi.{stack}.yaml; nothing was registered", file=sys.stderr)
        for problem in err.problems:
            print(f"error: {problem}", file=sys.stderr)
        return INVALID_INPUT
    except StackFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return INVALID_INPUT
    except Exception as err:  # any failure of the program is reported, not raised
        if args.debug:
            traceback.print_exc()
        print(f"error: the program failed: {type(err).__name__}: {err}", file=sys.stderr)
        return PROGRAM_ERROR


def _plan(args: argparse.Namespace, project_dir: Path) -> int:
    from offline.commands.check import from_plan, render, run_policies
    from offline.commands.summary import render_summary

    json_to_stdout = args.format == "json" or args.json == STDOUT
    if args.fail_on and not args.against:
        print("error: --fail-on needs --against OLD.json: it fails on what the diff holds", file=sys.stderr)
        return INVALID_INPUT
    if args.against and json_to_stdout:
        print(
            "error: --against prints a diff; write the plan's JSON to a file (--json FILE)", file=sys.stderr
        )
        return INVALID_INPUT
    try:
        stack = stack_name(args, project_dir)
    except StackChoiceError as err:
        print(f"error: {err}", file=sys.stderr)
        return INVALID_INPUT
    against = diff_command.saved_plan_of(args.against, stack) if args.against else None
    if isinstance(against, ExitCode):
        return against
    plan = _planned(args, project_dir, against)
    if isinstance(plan, ExitCode):
        return plan
    for message in plan.warnings:
        print(f"warning: {message}", file=sys.stderr)
    from offline.commands.cost_summary import plan_contract

    contract = json.dumps(plan_contract(plan), indent=2) + "\n"
    if json_to_stdout:
        sys.stdout.write(contract)
    else:
        planned = from_plan(plan)
        sys.stdout.write(render_summary(plan) + "\n" + render(run_policies(planned), planned, len(POLICIES)))
    if args.json and args.json != STDOUT:
        written = _written("--json", args.json, contract, "plan")
        if written != OK:
            return written
    if against is not None:
        sys.stdout.write("\n")
        return diff_command.report_against(against, plan, args)
    return OK


def _written(option: str, target: str, text: str, what: str) -> ExitCode:
    """text to the file an option names (or standard output for `-`), or INVALID_INPUT after one line."""
    try:
        write_output(target, text)
    except OSError as err:
        print(f"error: {option} {target}: cannot write it: {err.strerror or err}", file=sys.stderr)
        return INVALID_INPUT
    if target != STDOUT:
        print(f"{what} written to {target}", file=sys.stderr)
    return OK


def _check(args: argparse.Namespace, project_dir: Path) -> int:
    from offline.commands import check, check_reports, flows
    from offline.flows.report import as_json as flows_json
    from offline.flows.report import render as render_flows

    report_format, output = args.format or "text", args.output or STDOUT
    if args.json is not None:
        if args.format not in (None, "json") or args.output is not None:
            print("error: --json FILE is --format json --output FILE; give one or the other", file=sys.stderr)
            return INVALID_INPUT
        report_format, output = "json", args.json
    try:
        pack_config = json.loads(Path(args.policy_config).read_text()) if args.policy_config else {}
        now: Plan | None = None
        if args.plan:
            planned = check.load_contract(Path(args.plan))
        else:
            plan = _planned(args, project_dir)
            if isinstance(plan, ExitCode):
                return plan
            planned, now = check.from_plan(plan), plan
        # What `pulumi up` would warn of (support windows of Kubernetes and Istio), as `plan` shows it.
        for message in planned.warnings:
            print(f"warning: {message}", file=sys.stderr)
        violations = check.run_policies(planned, POLICIES, pack_config) + check.artefact_violations(planned)
        if args.against:
            saved = diff_command.saved_plan_of(args.against, planned.stack)
            if isinstance(saved, ExitCode):
                return saved
            after = plan_snapshot(now.to_contract()) if now else diff_command.load_plan(args.plan)
            violations += check.day2_violations(saved, after)
        levels = check.levels(POLICIES, pack_config)
    except (
        check.PlanFileError,
        check.PolicyConfigError,
        diff_command.DiffInputError,
        PlanFormatError,
        OSError,
        json.JSONDecodeError,
    ) as err:
        print(f"error: {err}", file=sys.stderr)
        return INVALID_INPUT
    # The reachability check (docs/flows.md): a closed flow or a wider exposure is a mandatory finding.
    found_flows = flows.flows_of(planned)
    violations += flows.violations(found_flows)
    context = check_reports.ReportContext(
        planned, POLICIES, levels, violations, project_dir, render_flows(found_flows), flows_json(found_flows)
    )
    option = "--json" if args.json is not None else "--output"
    written = _written(option, output, check_reports.render(report_format, context), "results")
    if written != OK:
        return written
    if output != STDOUT and report_format != "text":
        sys.stdout.write(check_reports.render("text", context))
    summary_file = os.environ.get(STEP_SUMMARY_VARIABLE)
    if report_format == "github" and summary_file:
        with open(summary_file, "a") as summary:
            summary.write(check_reports.github_summary(context))
    return MANDATORY_VIOLATION if check.has_mandatory(violations) else NO_MANDATORY_VIOLATION


def _audit(args: argparse.Namespace, project_dir: Path) -> int:
    from offline.commands import audit, check
    from offline.record import mask

    try:
        if args.plan:
            planned = masked = check.load_contract(Path(args.plan))
        else:
            plan = _planned(args, project_dir)
            if isinstance(plan, ExitCode):
                return CANNOT_AUDIT if plan == INVALID_INPUT else plan
            planned = check.from_plan(plan)
            masked = check.PlannedStack(
                planned.project,
                planned.stack,
                tuple(
                    check.PlannedResource(**{**vars(r), "inputs": mask(r.inputs)}) for r in planned.resources
                ),
                planned.outputs,
            )
        findings, converted, verdicts = audit.audit(planned, masked, project_dir)
    except (check.PlanFileError, audit.CheckovUnavailable, audit.CheckovFailed) as err:
        print(f"error: {err}", file=sys.stderr)
        return CANNOT_AUDIT
    if args.format == "json":
        sys.stdout.write(audit.render_json(findings, converted, len(verdicts)))
    elif args.format == "sarif":
        sys.stdout.write(audit.render_sarif(findings))
    else:
        sys.stdout.write(audit.render_text(findings, converted, len(verdicts)))
    return DISAGREEMENT if audit.new_disagreements(findings) else AGREEMENT


def _policies(args: argparse.Namespace, project_dir: Path) -> int:
    from offline.commands.check import describe_pack

    pack = describe_pack(POLICIES)
    if args.json:
        return _written("--json", args.json, json.dumps(pack, indent=2) + "\n", "policy list")
    for policy in pack:
        print(
            f"{policy['name']:40} {policy['level']:9} {policy['severity']:8} {policy['kind']:8} "
            f"{' / '.join(policy['anchors'])}"
        )
        print(f"{'':40} types: {', '.join(policy['resourceTypes'])}")
    mandatory = sum(1 for p in pack if p["level"] == "mandatory")
    print(f"\n{len(pack)} policies, {mandatory} mandatory")
    return OK


def _graph(args: argparse.Namespace, project_dir: Path) -> int:
    from offline.commands.graph import render, update_readme

    plan = _planned(args, project_dir)
    if isinstance(plan, ExitCode):
        return plan
    if args.readme:
        changed = update_readme(project_dir / "README.md", plan)
        print("README.md updated" if changed else "README.md already current")
        return OK
    sys.stdout.write(render(plan, args.format))
    return OK


def _verify(args: argparse.Namespace, project_dir: Path) -> int:
    from offline.commands import verify

    try:
        stack = stack_name(args, project_dir)
    except StackChoiceError as err:
        print(f"error: {err}", file=sys.stderr)
        return UNVERIFIED
    outputs = _deployed_outputs(args.outputs, stack)
    if isinstance(outputs, ExitCode):
        return outputs
    findings = verify.verify(outputs)
    if args.json != STDOUT:
        sys.stdout.write(verify.render_findings(findings))
    if args.json:
        written = _written(
            "--json", args.json, json.dumps(verify.findings_json(findings), indent=2) + "\n", "findings"
        )
        if written != OK:
            return UNVERIFIED
    return verify.exit_code(findings)


def _deployed_outputs(outputs_file: str | None, stack: str) -> dict[str, Any] | ExitCode:
    """The stack's outputs from --outputs or the Pulumi CLI, or the exit code after saying why not."""
    from offline.commands import verify

    if outputs_file:
        try:
            return verify.outputs_from_file(Path(outputs_file))
        except verify.OutputsFileError as err:
            print(f"error: --outputs {err}", file=sys.stderr)
            return UNVERIFIED
    try:
        return verify.stack_outputs(stack)
    except (verify.CommandUnavailable, verify.CommandFailed) as err:
        print(
            f"error: cannot read the outputs of stack {stack}: {err}\n"
            "error: crossmesh verify needs the Pulumi CLI logged in to the stack's backend, or --outputs FILE"
            " written by `pulumi stack output --json --show-secrets`. It would then check: every AWS tunnel"
            " UP, every GCP tunnel ESTABLISHED, every BGP session Established, each istiod synced with the"
            " other cluster, and one declared cross-cloud call through the mesh.",
            file=sys.stderr,
        )
        return UNVERIFIED


def _config_docs(args: argparse.Namespace, project_dir: Path) -> int:
    from offline.commands.config_reference import REFERENCE_PATH, render_reference, write_reference

    if args.check:
        current = (
            (project_dir / REFERENCE_PATH).read_text() if (project_dir / REFERENCE_PATH).exists() else ""
        )
        if current != render_reference(project_dir):
            print(f"error: {REFERENCE_PATH} is stale; run `crossmesh config-docs`", file=sys.stderr)
            return STALE
        return CURRENT
    print(f"wrote {write_reference(project_dir)}")
    return CURRENT


def _cost_docs(args: argparse.Namespace, project_dir: Path) -> int:
    from offline.commands.cost_docs import rendered

    stacks = sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in project_dir.glob("Pulumi.*.yaml"))
    plans = {}
    for stack in stacks:
        plan = _planned(argparse.Namespace(stack=stack, debug=False), project_dir)
        if isinstance(plan, ExitCode):
            return plan
        plans[stack] = plan
    stale = []
    for path, text in rendered(project_dir, plans).items():
        if (project_dir / path).read_text() == text:
            continue
        stale.append(path)
        if not args.check:
            (project_dir / path).write_text(text)
    if args.check and stale:
        print(f"error: {', '.join(map(str, stale))} stale; run `crossmesh cost-docs`", file=sys.stderr)
        return STALE
    print(f"wrote {', '.join(map(str, stale))}" if stale else "docs/cost.md and README.md already current")
    return CURRENT


def _policy_docs(args: argparse.Namespace, project_dir: Path) -> int:
    from offline.commands.policy_reference import (
        REFERENCE_PATH,
        render_policy_reference,
        write_policy_reference,
    )

    if args.check:
        path = project_dir / REFERENCE_PATH
        if not path.exists() or path.read_text() != render_policy_reference():
            print(f"error: {REFERENCE_PATH} is stale; run `crossmesh policy-docs`", file=sys.stderr)
            return STALE
        return CURRENT
    print(f"wrote {write_policy_reference(project_dir)}")
    return CURRENT


def _flow_docs(args: argparse.Namespace, project_dir: Path) -> int:
    from offline.commands import check, flows

    args.stack = flows.DOCS_STACK
    plan = _planned(args, project_dir)
    if isinstance(plan, ExitCode):
        return plan
    planned = check.from_plan(plan)
    path = project_dir / flows.DOCS_PATH
    if args.check:
        if not path.exists() or path.read_text() != flows.render_docs(planned):
            print(f"error: {flows.DOCS_PATH} is stale; run `crossmesh flow-docs`", file=sys.stderr)
            return STALE
        return CURRENT
    print(f"wrote {flows.write_docs(project_dir, planned)}")
    return CURRENT


HANDLERS: dict[str, Handler] = {
    "plan": _plan,
    "check": _check,
    "audit": _audit,
    "policies": _policies,
    "graph": _graph,
    "diff": diff_command.run,
    "verify": _verify,
    "flow-docs": _flow_docs,
    "config-docs": _config_docs,
    "cost-docs": _cost_docs,
    "policy-docs": _policy_docs,
}
