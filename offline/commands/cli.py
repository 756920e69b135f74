"""`crossmesh`: plan a stack offline, check it against the policy pack, draw it, and regenerate
the configuration reference.

Problems are reported as `error:` lines, never as a traceback (unless `plan --debug`); the exit codes
and what each means are in exit_codes.py.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
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
from offline.diff import PlanSnapshot
from offline.record import Plan

Handler = Callable[[argparse.Namespace, Path], int]


def main(argv: Sequence[str] | None = None) -> int:
    args = command_line().parse_args(argv)
    project_dir = Path(args.project_dir).resolve()
    try:
        code = HANDLERS[args.command](args, project_dir)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        return _output_closed(args.command)
    except Exception as err:  # a defect is reported in one line and its own exit code, not raised
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(f"error: crossmesh {args.command} failed: {type(err).__name__}: {err}", file=sys.stderr)
        return PROGRAM_ERROR


def _output_closed(command: str) -> int:
    """The reader of standard output went away (`crossmesh plan | head`): say so once, exit 2."""
    # Later writes and the final flush go nowhere instead of failing again.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    print(f"error: crossmesh {command}: the output was closed before it was written in full", file=sys.stderr)
    return next(code for code in exit_codes.EXIT_CODES[command] if code == 2)


def _write_file(option: str, path: str, text: str) -> ExitCode | None:
    """Write an output file; INVALID_INPUT after one error line when it cannot be written."""
    try:
        Path(path).write_text(text)
    except OSError as err:
        print(f"error: {option} {path}: cannot write it: {err.strerror or err}", file=sys.stderr)
        return INVALID_INPUT
    return None


def command_line() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crossmesh",
        description=__doc__.splitlines()[0],
        epilog="`crossmesh COMMAND --help` lists the command's exit codes.",
    )
    parser.add_argument("--project-dir", default=".", help="the directory holding Pulumi.yaml (default: .)")
    subparsers = parser.add_subparsers(dest="command", required=True)

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return subparsers.add_parser(
            name,
            help=summary,
            description=summary,
            epilog=exit_codes.help_epilog(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    plan = command("plan", "run the program offline and summarise what it would create")
    plan.add_argument("--stack", default="dev", help="stack name: plans Pulumi.<stack>.yaml (default: dev)")
    plan.add_argument("--json", metavar="FILE", help="also write the plan contract as JSON to FILE")
    plan.add_argument("--debug", action="store_true", help="print the traceback of a program error")
    diff_command.add_against_options(plan)

    diff = command("diff", "say what `pulumi up` would create, update, replace or delete between two plans")
    diff_command.configure(diff)

    check = command(
        "check", "run every policy of the pack and the upstream artefact checks over an offline plan"
    )
    source = check.add_mutually_exclusive_group()
    source.add_argument("--stack", default="dev", help="plan Pulumi.<stack>.yaml now (default: dev)")
    source.add_argument("--plan", metavar="FILE", help="check a saved plan (crossmesh plan --json FILE)")
    check.add_argument("--json", metavar="OUT", help="also write the results as JSON to OUT")
    check.add_argument(
        "--policy-config", metavar="FILE", help="pack config JSON, as for pulumi --policy-pack-config"
    )

    audit = command("audit", "run Checkov offline on the plan and report its findings beside the pack's")
    audit.epilog = (
        audit.epilog or ""
    ) + "\n\nexample:\n  crossmesh audit -s prod --format sarif > audit.sarif"
    audit_source = audit.add_mutually_exclusive_group()
    audit_source.add_argument(
        "-s", "--stack", default="dev", help="plan Pulumi.<stack>.yaml now (default: dev)"
    )
    audit_source.add_argument(
        "--plan", metavar="FILE", help="audit a saved plan (crossmesh plan --json FILE)"
    )
    audit.add_argument("--format", choices=["text", "json", "sarif"], default="text")

    policies = command("policies", "list the policy pack: name, level, types, anchors")
    policies.add_argument("--json", action="store_true", help="print the list as JSON")

    graph = command("graph", "draw the stack's architecture from its plan")
    graph.add_argument("--stack", default="dev", help="stack name (default: dev)")
    graph.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")
    graph.add_argument("--readme", action="store_true", help="rewrite the generated diagram in README.md")

    verify = command("verify", "after pulumi up: check tunnels, BGP, istiod sync and a cross-cloud call")
    verify.add_argument("--stack", required=True, help="the deployed stack")
    verify.add_argument(
        "--outputs", metavar="FILE", help="stack outputs as JSON (pulumi stack output --json --show-secrets)"
    )

    policy_docs = command("policy-docs", "regenerate policies/README.md from the pack")
    policy_docs.add_argument("--check", action="store_true", help="only compare with the file, write nothing")

    flow_docs = command("flow-docs", "regenerate docs/flows.md, the flow table, from the dev plan")
    flow_docs.add_argument("--check", action="store_true", help="only compare with the file, write nothing")
    example = "crossmesh flow-docs --check   # 1 when docs/flows.md is stale"
    flow_docs.epilog = f"{flow_docs.epilog}\n\nexample:\n  {example}"

    docs = command("config-docs", "regenerate docs/configuration.md from StackConfig")
    docs.add_argument("--check", action="store_true", help="only compare with the file, write nothing")

    cost_docs = command(
        "cost-docs", "regenerate the shipped stacks' cost table in docs/cost.md and the README's dev estimate"
    )
    cost_docs.add_argument("--check", action="store_true", help="only compare with the files, write nothing")
    cost_docs.epilog = f"{cost_docs.epilog}\n\nexample:\n  crossmesh cost-docs --check"
    return parser


def _planned(
    args: argparse.Namespace, project_dir: Path, against: PlanSnapshot | None = None
) -> Plan | ExitCode:
    """The plan of args.stack, or the exit code after reporting why there is none."""
    from offline.engine import StackFileError, plan_stack

    try:
        return plan_stack(project_dir, args.stack, against=against)
    except ConfigError as err:
        print(
            f"error: invalid configuration in Pulumi.{args.stack}.yaml; nothing was registered",
            file=sys.stderr,
        )
        for problem in err.problems:
            print(f"error: {problem}", file=sys.stderr)
        return INVALID_INPUT
    except StackFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return INVALID_INPUT
    except Exception as err:  # any failure of the program is reported, not raised
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(f"error: the program failed: {type(err).__name__}: {err}", file=sys.stderr)
        return PROGRAM_ERROR


def _plan(args: argparse.Namespace, project_dir: Path) -> int:
    from offline.commands.summary import render_summary

    if args.fail_on and not args.against:
        print("error: --fail-on needs --against OLD.json: it fails on what the diff holds", file=sys.stderr)
        return INVALID_INPUT
    against = diff_command.saved_plan_of(args.against, args.stack) if args.against else None
    if isinstance(against, ExitCode):
        return against
    plan = _planned(args, project_dir, against)
    if isinstance(plan, ExitCode):
        return plan
    for message in plan.warnings:
        print(f"warning: {message}", file=sys.stderr)
    sys.stdout.write(render_summary(plan))
    from offline.commands.check import from_plan, render, run_policies

    planned = from_plan(plan)
    sys.stdout.write("\n" + render(run_policies(planned), planned, len(POLICIES)))
    if args.json:
        from offline.commands.cost_summary import plan_contract

        failed = _write_file("--json", args.json, json.dumps(plan_contract(plan), indent=2) + "\n")
        if failed is not None:
            return failed
        print(f"\nplan written to {args.json}")
    if against is not None:
        sys.stdout.write("\n")
        return diff_command.report_against(against, plan, args)
    return OK


def _check(args: argparse.Namespace, project_dir: Path) -> int:
    from offline.commands import check, flows
    from offline.flows.report import as_json, render

    try:
        pack_config = json.loads(Path(args.policy_config).read_text()) if args.policy_config else {}
        if args.plan:
            planned = check.load_contract(Path(args.plan))
        else:
            plan = _planned(args, project_dir)
            if isinstance(plan, ExitCode):
                return plan
            planned = check.from_plan(plan)
        violations = check.run_policies(planned, POLICIES, pack_config) + check.artefact_violations(planned)
    except (check.PlanFileError, check.PolicyConfigError, OSError, json.JSONDecodeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return INVALID_INPUT
    # The reachability check (docs/flows.md): a closed flow or a wider exposure is a mandatory finding.
    found_flows = flows.flows_of(planned)
    violations += flows.violations(found_flows)
    sys.stdout.write(check.render(violations, planned, len(POLICIES)))
    sys.stdout.write(render(found_flows))
    if args.json:
        results = check.results_json(violations, planned, len(POLICIES))
        results["flows"] = as_json(found_flows)
        failed = _write_file("--json", args.json, json.dumps(results, indent=2) + "\n")
        if failed is not None:
            return failed
        print(f"results written to {args.json}")
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
        print(json.dumps(pack, indent=2))
        return OK
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

    outputs = _deployed_outputs(args)
    if isinstance(outputs, ExitCode):
        return outputs
    findings = verify.verify(outputs)
    sys.stdout.write(verify.render_findings(findings))
    return verify.exit_code(findings)


def _deployed_outputs(args: argparse.Namespace) -> dict[str, Any] | ExitCode:
    """The stack's outputs from --outputs or the Pulumi CLI, or the exit code after saying why not."""
    from offline.commands import verify

    if args.outputs:
        try:
            return verify.outputs_from_file(Path(args.outputs))
        except verify.OutputsFileError as err:
            print(f"error: --outputs {err}", file=sys.stderr)
            return UNVERIFIED
    try:
        return verify.stack_outputs(args.stack)
    except (verify.CommandUnavailable, verify.CommandFailed) as err:
        print(
            f"error: cannot read the outputs of stack {args.stack}: {err}\n"
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
