"""`crossmesh diff`: its formats, its exit codes, and one clear line for input it cannot read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from offline.commands.cli import main
from offline.commands.exit_codes import FAILED_ON, INVALID_INPUT, OK
from tests.support.contracts import contract, resource
from tests.support.types import (
    AWS_SECURITY_GROUP,
    AWS_VPN_CONNECTION,
    K8S_NAMESPACE,
    KUBERNETES_PROVIDER,
    TGW,
)

PSK_BEFORE = "first-pre-shared-key"
PSK_AFTER = "second-pre-shared-key"


def write(path: Path, document: Any) -> str:
    path.write_text(json.dumps(document))
    return str(path)


def plans(tmp_path: Path) -> tuple[str, str]:
    """Before and after: a security group re-described (replace), a key rotated (update), a protected
    TGW removed."""

    def group(description: str) -> dict[str, Any]:
        return resource(AWS_SECURITY_GROUP, "nodes", {"vpcId": "vpc-1", "description": description})

    def connection(psk: str) -> dict[str, Any]:
        return resource(
            AWS_VPN_CONNECTION, "vpn-0", {"type": "ipsec.1"}, secrets={"tunnel1PresharedKey": psk}
        )

    tgw = resource(TGW, "tgw", {"amazonSideAsn": 64512}, protect=True)
    old = write(tmp_path / "old.json", contract(group("EKS nodes"), connection(PSK_BEFORE), tgw))
    new = write(tmp_path / "new.json", contract(group("EKS worker nodes"), connection(PSK_AFTER)))
    return old, new


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["diff", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_text_lists_the_protected_delete_first_and_counts_each_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, *plans(tmp_path))
    assert code == OK
    lines = out.splitlines()
    assert lines[1] == "Critical: 1 protected delete blocked"
    assert "-! delete-blocked-by-protect" in lines[2] and "tgw" in lines[2]
    assert "replaced: description forces replacement [hashicorp/terraform-provider-aws" in out
    assert 'description: "EKS nodes" -> "EKS worker nodes"' in out
    assert "tunnel1PresharedKey: (secret changed)" in out
    assert lines[-1] == (
        "dev: 3 changes: 0 to create, 1 to update, 1 to replace, 0 to delete, 1 delete blocked by protect,"
        " 0 retained, 0 unchanged"
    )


def test_no_secret_value_or_hash_leaves_in_any_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = plans(tmp_path)
    hashes = [
        item["secretHashes"]["tunnel1PresharedKey"]
        for item in json.loads(Path(old).read_text())["resources"][1:2]
    ]
    for fmt in ("text", "json", "github"):
        _, out, _ = run(capsys, old, new, "--format", fmt)
        assert PSK_BEFORE not in out and PSK_AFTER not in out and hashes[0] not in out


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [([], OK), (["replace"], FAILED_ON), (["delete"], FAILED_ON), (["replace", "delete"], FAILED_ON)],
)
def test_fail_on_exits_1_when_such_a_change_is_present(
    fail_on: list[str], code: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [item for kind in fail_on for item in ("--fail-on", kind)]
    assert run(capsys, *plans(tmp_path), *argv)[0] == code


def test_fail_on_passes_when_no_such_change_is_present(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, _ = plans(tmp_path)
    assert run(capsys, old, old, "--fail-on", "replace", "--fail-on", "delete")[0] == OK


def test_json_holds_the_summary_the_critical_changes_and_every_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "diff.json"
    code, _, _ = run(capsys, *plans(tmp_path), "--json", str(out_file))
    document = json.loads(out_file.read_text())
    assert code == OK
    assert document["summary"]["replace"] == 1 and document["summary"]["delete-blocked-by-protect"] == 1
    assert [item["name"] for item in document["critical"]] == ["tgw"]
    assert [(item["name"], item["kind"]) for item in document["changes"]] == [
        ("tgw", "delete-blocked-by-protect"),
        ("nodes", "replace"),
        ("vpn-0", "update"),
    ]
    [secret_change] = document["changes"][2]["changes"]
    assert secret_change == {
        "path": "tunnel1PresharedKey",
        "old": "[secret]",
        "new": "[secret]",
        "secret": True,
        "reads": [],
    }


def test_github_writes_annotations_and_appends_the_summary_for_the_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, _ = run(capsys, *plans(tmp_path), "--format", "github")
    assert code == OK
    commands = out.splitlines()
    assert commands[0].startswith("::error title=crossmesh diff (dev)::delete-blocked-by-protect of critical")
    assert commands[1].startswith(
        "::warning title=crossmesh diff (dev)::replace of aws:ec2/securityGroup:SecurityGroup nodes"
    )
    assert commands[-1].startswith("::notice title=crossmesh diff (dev)::dev: 3 changes")
    markdown = summary.read_text()
    assert markdown.startswith("earlier step\n### crossmesh diff: `dev`")
    assert markdown.index("1 protected delete blocked") < markdown.index("Other replacements: 1")


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        ("not json", None, "not JSON: line 1 column 1"),
        ({"resources": "none"}, None, "not a crossmesh plan"),
        (contract(stack="prod"), None, "the plans are of different stacks: prod and dev"),
        (
            contract({"urn": "u", "type": "t", "name": "n", "inputs": {}}),
            None,
            "a plan from an earlier crossmesh (no secret hashes, URNs not yet Pulumi's): plan it again",
        ),
        (contract(project="elsewhere"), None, "the plans are of different projects: elsewhere and crossmesh"),
    ],
)
def test_unreadable_or_mismatched_plans_exit_2_with_one_line(
    first: Any, second: Any, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "old.json"
    old.write_text(first if isinstance(first, str) else json.dumps(first))
    new = write(tmp_path / "new.json", second or contract())
    code, out, err = run(capsys, str(old), new)
    assert code == INVALID_INPUT and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(tmp_path / "gone.json"), write(tmp_path / "new.json", contract()))
    assert (
        code == INVALID_INPUT
        and err == f"error: {tmp_path / 'gone.json'}: cannot read it: No such file or directory\n"
    )


def test_a_replaced_provider_is_named_under_everything_it_takes_with_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def cluster(endpoint: str) -> dict[str, Any]:
        provider = resource(KUBERNETES_PROVIDER, "gke-k8s", {}, secrets={"kubeconfig": endpoint})
        namespace = resource(K8S_NAMESPACE, "shop", {"metadata": {"name": "shop"}}, provider=provider["urn"])
        return contract(provider, namespace)

    old = write(tmp_path / "old.json", cluster("https://public"))
    new = write(tmp_path / "new.json", cluster("https://private"))
    code, out, _ = run(capsys, old, new, "--fail-on", "replace")
    assert code == FAILED_ON
    assert "replaced: its provider gke-k8s is replaced [the Pulumi engine]" in out
    assert "kubeconfig: (secret changed)" in out and "https://" not in out


def test_the_day2_rules_refusals_come_first_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def connection(bandwidth: str) -> dict[str, Any]:
        return resource(AWS_VPN_CONNECTION, "link-0-vpn-0", {"type": "ipsec.1", "tunnelBandwidth": bandwidth})

    old = write(tmp_path / "old.json", contract(connection("standard")))
    new = write(tmp_path / "new.json", contract(connection("large")))
    code, out, _ = run(capsys, old, new)
    assert code == OK
    assert out.splitlines()[1] == "Refused by the day-2 rules (docs/day2.md): 1"
    assert out.splitlines()[2].startswith("  refused (link-group-replaced): 1 of the link's VPN connections")
    _, out, _ = run(capsys, old, new, "--format", "json")
    [refused] = json.loads(out)["refused"]
    assert refused.endswith("see docs/runbooks/change-tunnel-bandwidth.md")
    _, out, _ = run(capsys, old, new, "--format", "github")
    assert out.splitlines()[0].startswith("::error title=crossmesh diff (dev)::refused (link-group-replaced)")
    assert run(capsys, old, new, "--fail-on", "refused")[0] == FAILED_ON
    assert run(capsys, old, old, "--fail-on", "refused")[0] == OK
