"""`crossmesh verify` on recorded API answers: all healthy, each kind of failure, and no credentials."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from offline.commands.exit_codes import CHECK_FAILED, UNVERIFIED, VERIFIED
from offline.commands.verify import (
    CommandFailed,
    CommandUnavailable,
    Finding,
    call_finding,
    cross_cloud_call,
    exit_code,
    remote_cluster_findings,
    render_findings,
    run_command,
    verify,
)
from tests.support.plans import PROJECT_DIR

RECORDED = PROJECT_DIR / "tests" / "fixtures" / "verify"


def _recorded(name: str) -> Any:
    text = (RECORDED / name).read_text()
    return json.loads(text) if name.endswith(".json") else text


class RecordedClouds:
    """Answers each command from the recorded responses, as the CLIs would."""

    def __init__(self, overrides: dict[str, Any] | None = None, http_code: str = "200") -> None:
        self.answers = {
            "aws": _recorded("aws-describe-vpn-connections.json"),
            "alarms": _recorded("aws-describe-alarms.json"),
            "vpn-tunnels": _recorded("gcloud-vpn-tunnels-list.json"),
            "routers": _recorded("gcloud-routers-get-status.json"),
        } | (overrides or {})
        self.http_code = http_code
        self.commands: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> str:
        self.commands.append(list(argv))
        if argv[:2] == ["aws", "cloudwatch"]:
            return json.dumps(self.answers["alarms"])
        if argv[0] == "aws":
            return json.dumps(self.answers["aws"])
        if argv[:3] == ["gcloud", "compute", "vpn-tunnels"]:
            return json.dumps(self.answers["vpn-tunnels"])
        if argv[:3] == ["gcloud", "compute", "routers"]:
            return json.dumps(self.answers["routers"])
        if argv[0] == "istioctl":
            context = (
                Path(argv[argv.index("--kubeconfig") + 1]).read_text().split("current-context: ")[1].strip()
            )
            return str(_recorded(f"istioctl-remote-clusters-{context.removeprefix('cm-dev-')}.txt"))
        if argv[0] == "kubectl":
            return self.http_code
        raise AssertionError(f"unexpected command {argv}")


def _outputs() -> dict[str, Any]:
    outputs: dict[str, Any] = _recorded("stack-outputs.json")
    return outputs


def test_a_healthy_deployment_passes_every_check() -> None:
    clouds = RecordedClouds()
    findings = verify(_outputs(), clouds)
    assert exit_code(findings) == VERIFIED, render_findings(findings)
    assert sum(f.check.startswith("AWS tunnel") for f in findings) == 4
    assert sum(f.check.startswith("GCP tunnel") for f in findings) == 4
    assert sum(f.check.startswith("BGP") for f in findings) == 4
    assert sum(f.check.startswith("alarm on AWS tunnel") for f in findings) == 4
    assert sum(f.check.startswith("istiod") for f in findings) == 2
    (call,) = [f for f in findings if "over the link" in f.check]
    assert call.check == "checkout (gcp) -> payment (aws) over the link"
    kubectl = next(c for c in clouds.commands if c[0] == "kubectl")
    assert kubectl[-1] == "http://payment.payments.svc.cluster.local:8443/"
    assert kubectl[kubectl.index("exec") + 1] == "deploy/checkout"


def test_a_down_aws_tunnel_is_named_with_its_reason() -> None:
    answer = copy.deepcopy(_recorded("aws-describe-vpn-connections.json"))
    answer["VpnConnections"][1]["VgwTelemetry"][0].update(Status="DOWN", StatusMessage="IPSEC IS DOWN")
    findings = verify(_outputs(), RecordedClouds({"aws": answer}))
    failed = [f for f in findings if f.status == "fail"]
    assert [(f.check, f.detail) for f in failed] == [("AWS tunnel 1.2 (198.18.20.1)", "DOWN: IPSEC IS DOWN")]
    assert exit_code(findings) == CHECK_FAILED


def test_a_bgp_session_not_established_points_to_the_runbook() -> None:
    answer = copy.deepcopy(_recorded("gcloud-routers-get-status.json"))
    answer["result"]["bgpPeerStatus"][3].update(state="Active", status="DOWN")
    (failed,) = [f for f in verify(_outputs(), RecordedClouds({"routers": answer})) if f.status == "fail"]
    assert failed.check.startswith("BGP 1.3 (169.254.13.2 <-> 169.254.13.1)")
    assert "docs/runbooks/vpn-bgp-down.md" in failed.detail
    assert (PROJECT_DIR / "docs" / "runbooks" / "vpn-bgp-down.md").is_file()


def test_a_missing_gcp_tunnel_is_reported() -> None:
    answer = _recorded("gcloud-vpn-tunnels-list.json")[:3]
    (failed,) = [f for f in verify(_outputs(), RecordedClouds({"vpn-tunnels": answer})) if f.status == "fail"]
    assert failed.check == "GCP tunnel 1.3 (to 198.18.20.2)"


def test_a_call_refused_by_policy_fails() -> None:
    findings = verify(_outputs(), RecordedClouds(http_code="403"))
    (failed,) = [f for f in findings if f.status == "fail"]
    assert "denied by an AuthorizationPolicy" in failed.detail


def test_without_credentials_it_says_what_it_would_check_and_exits_2() -> None:
    def no_credentials(argv: Sequence[str]) -> str:
        raise CommandUnavailable(f"{argv[0]} is not installed")

    findings = verify(_outputs(), no_credentials)
    assert {f.status for f in findings} == {"skipped"}
    assert exit_code(findings) == UNVERIFIED
    text = render_findings(findings)
    assert "would check this; needs the AWS CLI with credentials" in text
    assert "0 passed, 0 failed, 7 not checked" in text


def test_kubeconfigs_are_passed_as_private_temporary_files() -> None:
    seen: list[tuple[str, int]] = []
    clouds = RecordedClouds()

    def watching(argv: Sequence[str]) -> str:
        if "--kubeconfig" in argv:
            path = Path(argv[list(argv).index("--kubeconfig") + 1])
            seen.append((str(path), path.stat().st_mode & 0o777))
        return clouds(argv)

    verify(_outputs(), watching)
    assert seen and all(mode == 0o600 for _, mode in seen)
    assert not any(Path(path).exists() for path, _ in seen)


@pytest.mark.parametrize(
    ("code", "status"), [("200", "pass"), ("404", "pass"), ("503", "fail"), ("000", "fail")]
)
def test_http_codes_that_mean_the_call_arrived(code: str, status: str) -> None:
    caller = {"name": "a", "cloud": "gcp"}
    callee = {"name": "b", "cloud": "aws"}
    assert call_finding(caller, callee, code).status == status


def test_local_cluster_row_without_a_secret_does_not_confuse_the_parser() -> None:
    listing = _recorded("istioctl-remote-clusters-eks.txt")
    assert remote_cluster_findings("cm-dev-eks", listing, "cm-dev-gke")[0].status == "pass"
    assert remote_cluster_findings("cm-dev-eks", listing, "cm-dev-other")[0].status == "fail"


def test_no_cross_cloud_call_declared() -> None:
    services = {"a": {"cloud": "aws", "callers": []}, "b": {"cloud": "aws", "callers": ["a"]}}
    assert cross_cloud_call(services) is None


def test_exit_code_prefers_failure_over_unchecked() -> None:
    assert exit_code([Finding("x", "skipped", ""), Finding("y", "fail", "")]) == CHECK_FAILED


def test_commands_without_credentials_are_told_apart_from_failing_ones() -> None:
    no_credentials = [sys.executable, "-c", "import sys; sys.exit('Unable to locate credentials')"]
    failing = [sys.executable, "-c", "import sys; sys.exit('InvalidVpnConnectionID.NotFound')"]
    with pytest.raises(CommandUnavailable, match="locate credentials"):
        run_command(no_credentials)
    with pytest.raises(CommandFailed, match="NotFound"):
        run_command(failing)
    with pytest.raises(CommandUnavailable, match="not installed"):
        run_command(["crossmesh-no-such-tool"])
    assert run_command([sys.executable, "-c", "print('ok')"]) == "ok\n"


def test_verify_command_without_pulumi_says_what_it_would_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from offline.commands.cli import main

    monkeypatch.setenv("PATH", "")
    assert main(["verify", "--stack", "dev"]) == UNVERIFIED
    err = capsys.readouterr().err
    assert "cannot read the outputs of stack dev: pulumi is not installed" in err
    assert "every BGP session Established" in err


def test_a_tunnel_in_alarm_or_without_an_alarm_fails() -> None:
    answer = copy.deepcopy(_recorded("aws-describe-alarms.json"))
    answer["MetricAlarms"][0]["StateValue"] = "ALARM"
    del answer["MetricAlarms"][3]
    findings = verify(_outputs(), RecordedClouds({"alarms": answer}))
    failed = [(f.check, f.detail) for f in findings if f.status == "fail"]
    assert failed == [
        (
            "alarm on AWS tunnel 1.0 (198.18.10.1)",
            "cm-dev-vpn-tunnel-198.18.10.1-down is in ALARM; see docs/runbooks/vpn-bgp-down.md",
        ),
        ("alarm on AWS tunnel 1.3 (198.18.20.2)", "no TunnelState alarm names this tunnel's outside IP"),
    ]


def test_the_alarm_check_asks_for_exactly_the_exported_alarms() -> None:
    clouds = RecordedClouds()
    verify(_outputs(), clouds)
    (command,) = [c for c in clouds.commands if c[:2] == ["aws", "cloudwatch"]]
    names = command[command.index("--alarm-names") + 1 : command.index("--output")]
    assert names == _outputs()["tunnelAlarms"]


def test_a_stack_without_alarms_skips_the_alarm_check() -> None:
    outputs = _outputs() | {"tunnelAlarms": []}
    clouds = RecordedClouds()
    findings = verify(outputs, clouds)
    assert not [c for c in clouds.commands if c[:2] == ["aws", "cloudwatch"]]
    assert exit_code(findings) == VERIFIED
