"""`crossmesh verify`: after `pulumi up`, check that the deployed mesh works end to end.

It reads the stack's outputs and asks the clouds, through the CLIs an operator already has (aws,
gcloud, istioctl, kubectl): every AWS tunnel UP and watched by its TunnelState alarm, every GCP
tunnel ESTABLISHED, every BGP session Established, each istiod synced with the other cluster, and
one declared cross-cloud call answered through the mesh (mesh-wide STRICT mTLS, so an answer means
a mutually authenticated call). Where a tool or credentials are missing it says what it would have
checked and how to enable it.

Checks are pure functions of the APIs' JSON answers, so tests run them on recorded responses.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from offline.commands.exit_codes import CHECK_FAILED, UNVERIFIED, VERIFIED, ExitCode

Status = Literal["pass", "fail", "skipped"]
Runner = Callable[[Sequence[str]], str]
"""Runs a command and returns its stdout; raises CommandUnavailable or CommandFailed."""

# HTTP codes that mean the call never reached the service: no route, no healthy upstream, refused by
# an AuthorizationPolicy (Istio answers "RBAC: access denied" with 403), or a timeout.
UNREACHED_CODES = {"000", "403", "502", "503", "504"}
# Words in a CLI's error that mean "no usable credentials" rather than "the check failed".
CREDENTIAL_WORDS = ("credential", "authenticat", "token", "login", "unauthorized", "expired", "sso")
# How `pulumi stack output --json` shows a secret without --show-secrets.
SECRET_MASK = "[secret]"
# The STATUS values `istioctl remote-clusters` prints.
SYNC_STATES = {"synced", "syncing", "timeout", "failed", "unknown"}


class CommandUnavailable(Exception):
    """The tool is not installed or has no credentials."""


class CommandFailed(Exception):
    """The tool ran and failed."""


class OutputsFileError(Exception):
    """A --outputs file that is not the stack's outputs with their secrets shown."""


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    detail: str


def run_command(argv: Sequence[str]) -> str:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=120, check=False)
    except FileNotFoundError:
        raise CommandUnavailable(f"{argv[0]} is not installed") from None
    except subprocess.TimeoutExpired:
        raise CommandFailed(f"{' '.join(argv[:3])} timed out") from None
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        text = message[-1] if message else f"exit {done.returncode}"
        if any(word in text.lower() for word in CREDENTIAL_WORDS):
            raise CommandUnavailable(f"{argv[0]}: {text}")
        raise CommandFailed(f"{argv[0]}: {text}")
    return done.stdout


# --- the checks, on the APIs' answers -----------------------------------------------------------------


def aws_tunnel_findings(described: Mapping[str, Any], tunnels: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """`aws ec2 describe-vpn-connections` against the exported tunnel table."""
    telemetry = {
        item["OutsideIpAddress"]: item
        for connection in described.get("VpnConnections", [])
        for item in connection.get("VgwTelemetry", [])
    }
    findings = []
    for tunnel in tunnels:
        name = f"AWS tunnel {tunnel['group']}.{tunnel['tunnel']} ({tunnel['awsOutsideIp']})"
        item = telemetry.get(tunnel["awsOutsideIp"])
        if item is None:
            findings.append(Finding(name, "fail", "not found among the Transit Gateway's VPN connections"))
        elif item.get("Status") == "UP":
            findings.append(Finding(name, "pass", f"UP, {item.get('AcceptedRouteCount', 0)} routes accepted"))
        else:
            findings.append(
                Finding(name, "fail", f"{item.get('Status')}: {item.get('StatusMessage') or 'no message'}")
            )
    return findings


def tunnel_alarm_findings(
    described: Mapping[str, Any], tunnels: Sequence[Mapping[str, Any]]
) -> list[Finding]:
    """`aws cloudwatch describe-alarms`: one AWS/VPN TunnelState alarm watches each tunnel and is OK."""
    watching = {
        dimension["Value"]: alarm
        for alarm in described.get("MetricAlarms", [])
        if alarm.get("Namespace") == "AWS/VPN" and alarm.get("MetricName") == "TunnelState"
        for dimension in alarm.get("Dimensions", [])
        if dimension.get("Name") == "TunnelIpAddress"
    }
    findings = []
    for tunnel in tunnels:
        name = f"alarm on AWS tunnel {tunnel['group']}.{tunnel['tunnel']} ({tunnel['awsOutsideIp']})"
        alarm = watching.get(tunnel["awsOutsideIp"])
        if alarm is None:
            findings.append(Finding(name, "fail", "no TunnelState alarm names this tunnel's outside IP"))
        elif alarm.get("StateValue") == "ALARM":
            findings.append(
                Finding(name, "fail", f"{alarm['AlarmName']} is in ALARM; see docs/runbooks/vpn-bgp-down.md")
            )
        else:
            findings.append(Finding(name, "pass", f"{alarm['AlarmName']} {alarm.get('StateValue')}"))
    return findings


def gcp_tunnel_findings(
    listed: Sequence[Mapping[str, Any]], tunnels: Sequence[Mapping[str, Any]]
) -> list[Finding]:
    """`gcloud compute vpn-tunnels list` against the exported tunnel table, matched by peer IP."""
    by_peer = {item.get("peerIp"): item for item in listed}
    findings = []
    for tunnel in tunnels:
        name = f"GCP tunnel {tunnel['group']}.{tunnel['tunnel']} (to {tunnel['awsOutsideIp']})"
        item = by_peer.get(tunnel["awsOutsideIp"])
        if item is None:
            findings.append(Finding(name, "fail", "no GCP tunnel peers with this AWS address"))
        elif item.get("status") == "ESTABLISHED":
            findings.append(Finding(name, "pass", "ESTABLISHED"))
        else:
            findings.append(
                Finding(name, "fail", f"{item.get('status')}: {item.get('detailedStatus', '')}".strip())
            )
    return findings


def bgp_findings(router_status: Mapping[str, Any], tunnels: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """`gcloud compute routers get-status`: one Established session per tunnel, matched by peer IP."""
    peers = {p.get("peerIpAddress"): p for p in router_status.get("result", {}).get("bgpPeerStatus", [])}
    findings = []
    for tunnel in tunnels:
        name = (
            f"BGP {tunnel['group']}.{tunnel['tunnel']} ({tunnel['gcpInsideIp']} <-> {tunnel['awsInsideIp']})"
        )
        peer = peers.get(tunnel["awsInsideIp"])
        if peer is None:
            findings.append(Finding(name, "fail", "no BGP peer with this AWS inside address on the router"))
        elif peer.get("state") == "Established":
            findings.append(
                Finding(name, "pass", f"Established, {peer.get('numLearnedRoutes', 0)} routes learned")
            )
        else:
            findings.append(
                Finding(
                    name,
                    "fail",
                    f"{peer.get('state')} (status {peer.get('status')}); see docs/runbooks/vpn-bgp-down.md",
                )
            )
    return findings


def remote_cluster_findings(cluster: str, listing: str, expected_remote: str) -> list[Finding]:
    """`istioctl remote-clusters`: this cluster's istiod must list the other cluster as synced."""
    name = f"istiod in {cluster} watches {expected_remote}"
    for line in listing.splitlines()[1:]:
        columns = line.split()
        if columns and columns[0] == expected_remote:
            # The SECRET column is empty for the local cluster, so find the status by value.
            status = next((column for column in columns[1:] if column in SYNC_STATES), "unknown")
            return [Finding(name, "pass" if status == "synced" else "fail", status)]
    return [Finding(name, "fail", "the remote cluster is not listed: check its istio-remote-secret")]


def call_finding(caller: Mapping[str, Any], callee: Mapping[str, Any], http_code: str) -> Finding:
    name = f"{caller['name']} ({caller['cloud']}) -> {callee['name']} ({callee['cloud']}) over the link"
    if http_code.strip() in UNREACHED_CODES:
        reason = "denied by an AuthorizationPolicy" if http_code.strip() == "403" else "not reached"
        return Finding(name, "fail", f"HTTP {http_code.strip()}: {reason}")
    return Finding(name, "pass", f"answered HTTP {http_code.strip()} through the sidecars (STRICT mTLS)")


def cross_cloud_call(
    catalogue: Mapping[str, Mapping[str, Any]],
) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """The first declared call (from the `services` output) whose two ends run in different clouds."""
    by_name = {name: {"name": name, **service} for name, service in catalogue.items()}
    for callee in by_name.values():
        for caller_name in callee.get("callers", []):
            caller = by_name.get(caller_name)
            if caller and caller["cloud"] != callee["cloud"]:
                return caller, callee
    return None


# --- running them ---------------------------------------------------------------------------------------


def verify(outputs: Mapping[str, Any], run: Runner = run_command) -> list[Finding]:
    tunnels: list[Mapping[str, Any]] = outputs.get("tunnels") or []
    findings: list[Finding] = []
    findings += _attempt(
        "AWS tunnels UP",
        "the AWS CLI with credentials for the stack's account (aws sso login / AWS_PROFILE)",
        lambda: aws_tunnel_findings(
            json.loads(
                run(
                    [
                        "aws",
                        "ec2",
                        "describe-vpn-connections",
                        "--region",
                        outputs["awsRegion"],
                        "--filters",
                        f"Name=transit-gateway-id,Values={outputs['transitGatewayId']}",
                        "--output",
                        "json",
                    ]
                )
            ),
            tunnels,
        ),
    )
    if outputs.get("tunnelAlarms"):
        findings += _attempt(
            "tunnel alarms",
            "the AWS CLI with credentials for the stack's account (aws sso login / AWS_PROFILE)",
            lambda: tunnel_alarm_findings(
                json.loads(
                    run(
                        [
                            "aws",
                            "cloudwatch",
                            "describe-alarms",
                            "--region",
                            outputs["awsRegion"],
                            "--alarm-names",
                            *outputs["tunnelAlarms"],
                            "--output",
                            "json",
                        ]
                    )
                ),
                tunnels,
            ),
        )
    gcp_scope = ["--project", str(outputs.get("gcpProject")), "--format", "json"]
    findings += _attempt(
        "GCP tunnels ESTABLISHED",
        "gcloud with credentials for the stack's project (gcloud auth login)",
        lambda: gcp_tunnel_findings(
            json.loads(
                run(
                    [
                        "gcloud",
                        "compute",
                        "vpn-tunnels",
                        "list",
                        f"--filter=region:{outputs['gcpRegion']}",
                        *gcp_scope,
                    ]
                )
            ),
            tunnels,
        ),
    )
    findings += _attempt(
        "BGP sessions Established",
        "gcloud with credentials for the stack's project (gcloud auth login)",
        lambda: bgp_findings(
            json.loads(
                run(
                    [
                        "gcloud",
                        "compute",
                        "routers",
                        "get-status",
                        str(outputs.get("gcpRouter")),
                        "--region",
                        str(outputs.get("gcpRegion")),
                        *gcp_scope,
                    ]
                )
            ),
            tunnels,
        ),
    )
    clusters = {"aws": outputs.get("eksClusterName"), "gcp": outputs.get("gkeClusterName")}
    kubeconfigs = {"aws": outputs.get("eksKubeconfig"), "gcp": outputs.get("gkeKubeconfig")}
    for cloud, other in (("aws", "gcp"), ("gcp", "aws")):
        findings += _attempt(
            f"istiod in {clusters[cloud]} synced with {clusters[other]}",
            "istioctl, and network access to both API servers with the kubeconfig's cloud credentials",
            functools.partial(
                _remote_sync, run, kubeconfigs[cloud], str(clusters[cloud]), str(clusters[other])
            ),
        )
    call = cross_cloud_call(outputs.get("services") or {})
    if call is None:
        findings.append(Finding("a cross-cloud call", "skipped", "no declared call crosses the link"))
    else:
        caller, callee = call
        url = f"http://{callee['name']}.{callee['namespace']}.svc.cluster.local:{callee['port']}/"
        findings += _attempt(
            f"{caller['name']} calls {callee['name']} across the link",
            "kubectl, and a running deployment of the caller with its sidecar",
            lambda: _with_kubeconfig(
                kubeconfigs[caller["cloud"]],
                lambda path: [
                    call_finding(
                        caller,
                        callee,
                        run(
                            [
                                "kubectl",
                                "--kubeconfig",
                                path,
                                "-n",
                                caller["namespace"],
                                "exec",
                                f"deploy/{caller['name']}",
                                "-c",
                                "istio-proxy",
                                "--",
                                "curl",
                                "-sS",
                                "-o",
                                "/dev/null",
                                "-w",
                                "%{http_code}",
                                "--max-time",
                                "10",
                                url,
                            ]
                        ),
                    )
                ],
            ),
        )
    return findings


def _remote_sync(run: Runner, kubeconfig: Any, cluster: str, remote: str) -> list[Finding]:
    return _with_kubeconfig(
        kubeconfig,
        lambda path: remote_cluster_findings(
            cluster, run(["istioctl", "remote-clusters", "--kubeconfig", path]), remote
        ),
    )


def _attempt(check: str, needs: str, probe: Callable[[], list[Finding]]) -> list[Finding]:
    try:
        return probe()
    except CommandUnavailable as err:
        return [Finding(check, "skipped", f"would check this; needs {needs} ({err})")]
    except CommandFailed as err:
        return [Finding(check, "fail", str(err))]
    except (KeyError, TypeError) as err:
        return [Finding(check, "skipped", f"the stack outputs lack {err}; is this stack deployed?")]


def _with_kubeconfig(kubeconfig: Any, use: Callable[[str], list[Finding]]) -> list[Finding]:
    if not kubeconfig:
        raise KeyError("a kubeconfig output")
    with _private_file(str(kubeconfig)) as path:
        return use(path)


@contextmanager
def _private_file(content: str) -> Iterator[str]:
    """The kubeconfig in a file only the current user can read, removed afterwards."""
    handle, path = tempfile.mkstemp(prefix="crossmesh-kubeconfig-")
    try:
        with os.fdopen(handle, "w") as file:
            file.write(content)
        yield path
    finally:
        os.unlink(path)


def exit_code(findings: Sequence[Finding]) -> ExitCode:
    if any(finding.status == "fail" for finding in findings):
        return CHECK_FAILED
    if any(finding.status == "skipped" for finding in findings):
        return UNVERIFIED
    return VERIFIED


def findings_json(findings: Sequence[Finding]) -> dict[str, Any]:
    """The findings and their counts, for `crossmesh verify --json`."""
    counts = {status: sum(f.status == status for f in findings) for status in ("pass", "fail", "skipped")}
    return {
        "verified": counts["fail"] == 0 and counts["skipped"] == 0,
        "counts": counts,
        "findings": [{"check": f.check, "status": f.status, "detail": f.detail} for f in findings],
    }


def render_findings(findings: Sequence[Finding]) -> str:
    marks = {"pass": "ok  ", "fail": "FAIL", "skipped": "skip"}
    lines = [f"{marks[f.status]}  {f.check}: {f.detail}" for f in findings]
    counts = {status: sum(f.status == status for f in findings) for status in marks}
    lines.append(f"\n{counts['pass']} passed, {counts['fail']} failed, {counts['skipped']} not checked")
    return "\n".join(lines) + "\n"


def stack_outputs(stack: str, run: Runner = run_command) -> dict[str, Any]:
    """The deployed stack's outputs, secrets included (they stay in memory and in 0600 temp files)."""
    result: dict[str, Any] = json.loads(
        run(["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", stack])
    )
    return result


def outputs_from_file(path: Path) -> dict[str, Any]:
    """Stack outputs saved by `pulumi stack output --json --show-secrets`; raises OutputsFileError
    naming the file and the problem (missing, not JSON, not an object, secrets saved masked)."""
    try:
        outputs = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as err:
        raise OutputsFileError(f"{path}: cannot read it: {err.strerror}") from None
    except UnicodeDecodeError:
        raise OutputsFileError(f"{path}: not UTF-8 text; not saved by pulumi stack output --json") from None
    except json.JSONDecodeError as err:
        raise OutputsFileError(f"{path}: not JSON: line {err.lineno} column {err.colno}: {err.msg}") from None
    except RecursionError:
        raise OutputsFileError(f"{path}: nested deeper than the JSON parser's limit") from None
    if not isinstance(outputs, dict):
        raise OutputsFileError(f"{path}: a JSON {type(outputs).__name__}; stack outputs are an object")
    masked = sorted(name for name, value in outputs.items() if value == SECRET_MASK)
    if masked:
        raise OutputsFileError(
            f"{path}: saved without --show-secrets ({', '.join(masked)} read {SECRET_MASK}); save it with "
            f"`pulumi stack output --json --show-secrets --stack <stack> > {path.name}`"
        )
    return outputs
