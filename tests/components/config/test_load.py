"""Loading a stack: the shipped files load, every problem comes in one run, the runtime's keys are read."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest
import yaml

from components.config import ConfigError, StackConfig, load_config, read_stack_config
from tests.support.config_samples import VALID, problems_of, with_change

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("stack_file", sorted(ROOT.glob("Pulumi.*.yaml")), ids=lambda p: p.name)
def test_every_shipped_stack_file_is_valid(stack_file: Path) -> None:
    config_keys = yaml.safe_load(stack_file.read_text())["config"]
    raw = {key.split(":", 1)[1]: value for key, value in config_keys.items() if key.startswith("crossmesh:")}
    assert isinstance(load_config(raw), StackConfig)


def test_every_problem_is_reported_one_line_each() -> None:
    raw = with_change("link.tunnelBandwidth", "huge")
    raw["link"]["awsAsn"] = 1
    raw["aws"]["vpcCidr"] = "bad"
    assert len(problems_of(raw)) == 3


def test_cross_field_problems_are_reported_alongside_bad_values() -> None:
    raw = with_change("gcp.podsCidr", "10.8.0.0/14")
    raw["aws"]["azCuont"] = 3
    raw["link"] = {"tunnelBandwidth": "huge", "awsAsn": 65000, "gcpAsn": 65000}
    problems = problems_of(raw)
    assert [p.split(":")[1].split(" ")[0] for p in problems] == [
        "aws.azCuont",
        "link.tunnelBandwidth",
        "gcp.podsCidr",
        "link.gcpAsn",
    ]


def test_no_cross_field_problem_is_derived_from_a_rejected_value() -> None:
    # awsAsn 1 is rejected and falls back to its default 64512, which equals gcpAsn: that clash is the
    # default's, not the user's, so only the rejection is reported.
    problems = problems_of(with_change("link", {"awsAsn": 1, "gcpAsn": 64512}))
    assert len(problems) == 1 and problems[0].startswith("crossmesh:link.awsAsn: 1 ")


def test_read_stack_config_decodes_structured_values_of_the_namespace_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pulumi.runtime import config as runtime_config

    monkeypatch.setenv(
        "PULUMI_CONFIG",
        json.dumps(
            {"crossmesh:aws": json.dumps(VALID["aws"]), "crossmesh:protect": "true", "aws:region": "x"}
        ),
    )
    # Config set in-process (as the offline engine does) by an earlier plan must not leak in.
    earlier = runtime_config.CONFIG.set({})
    try:
        assert read_stack_config() == {"aws": VALID["aws"], "protect": "true"}
    finally:
        runtime_config.CONFIG.reset(earlier)


def test_a_config_error_is_a_pulumi_run_error_listing_each_problem_on_its_own_line() -> None:
    # A RunError is reported by Pulumi as its message alone, without a Python traceback.
    problem_lines = ["crossmesh:link.awsAsn: 1 must be a private ASN", "crossmesh:gcp.project: missing"]
    error = ConfigError(problem_lines)
    assert isinstance(error, pulumi.RunError)
    assert str(error) == (
        "invalid stack configuration:\n"
        "  crossmesh:link.awsAsn: 1 must be a private ASN\n"
        "  crossmesh:gcp.project: missing"
    )
