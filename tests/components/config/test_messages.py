"""How a problem is worded: the full key path, a suggestion for a misspelt key, the keys allowed there."""

from __future__ import annotations

import pytest

from components.config.messages import loc_path
from tests.support.config_samples import problems_of, with_change


def test_misspelt_key_is_rejected_with_a_suggestion_at_any_depth() -> None:
    raw = with_change("aws.azCuont", 3)
    raw["servces"] = []
    raw["mesh"] = {"ca": {"rootValidityDay": 3650}}
    problems = problems_of(raw)
    assert any(p.startswith("crossmesh:aws.azCuont: unknown key; did you mean 'azCount'?") for p in problems)
    assert any(p.startswith("crossmesh:servces: unknown key; did you mean 'services'?") for p in problems)
    assert any(
        p.startswith("crossmesh:mesh.ca.rootValidityDay: unknown key; did you mean 'rootValidityDays'?")
        for p in problems
    )


def test_service_override_errors_name_the_service_path() -> None:
    raw = with_change("services.1.trafficPolicy", {"retries": {"attemps": 3}, "timeout": 5})
    problems = problems_of(raw)
    assert any(
        p.startswith(
            "crossmesh:services[1].trafficPolicy.retries.attemps: unknown key; did you mean 'attempts'?"
        )
        for p in problems
    )
    assert any(
        p.startswith("crossmesh:services[1].trafficPolicy.timeout: 5 must be a duration") for p in problems
    )


def test_an_unknown_key_lists_the_keys_allowed_where_it_stands() -> None:
    assert problems_of(with_change("clusters.eks.nodes.mn", 2)) == [
        "crossmesh:clusters.eks.nodes.mn: unknown key; did you mean 'min'?; allowed here: desired, max, min"
    ]


def test_an_unknown_key_like_no_allowed_one_gets_no_suggestion() -> None:
    assert problems_of(with_change("link.zzz", 1))[0].startswith(
        "crossmesh:link.zzz: unknown key; allowed here: awsAsn, gcpAsn, groups, interconnect, kind,"
    )


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        (("aws", "vpcCidr"), "aws.vpcCidr"),
        (("services", 1, "callers", 0), "services[1].callers[0]"),
        ((), ""),
    ],
)
def test_a_validation_location_reads_as_the_key_path(loc: tuple[str | int, ...], path: str) -> None:
    assert loc_path(loc) == path
