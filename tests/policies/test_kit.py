"""The rule decorators of the pack's kit: what a decorated check becomes, and how the pack gathers
a module's rules."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest
from crossmesh_policy import eks
from crossmesh_policy.kit import (
    ADVISORY,
    MANDATORY,
    Config,
    CrossmeshResourcePolicy,
    CrossmeshStackPolicy,
    Props,
    StackView,
    resource_rule,
    rules_of,
    stack_rule,
)
from pulumi_policy import Severity

from tests.support.policy_cases import res, resource_violations, stack_violations
from tests.support.types import AWS_SUBNET, AWS_VPC, GCP_SUBNETWORK


@resource_rule(
    id="xc-test-public-ip",
    anchors=["CKV_AWS_130", "CIS EKS 5.4.3"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=["aws:ec2/*"],
    config={"allowed": {"type": "boolean", "default": False}},
)
def public_ip(props: Props, config: Config) -> Iterator[str]:
    """Subnets assign no public IPs,
    unless the stack allows them."""
    if props.get("mapPublicIpOnLaunch") is True and config.get("allowed") is not True:
        yield "public IPs on launch."


@resource_rule(
    id="xc-test-typed",
    anchors=["A"],
    severity=Severity.LOW,
    level=ADVISORY,
    types=[AWS_SUBNET, GCP_SUBNETWORK],
    by_type=True,
)
def typed(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """Reports the type it was given."""
    yield resource_type


@stack_rule(id="xc-test-vpcs", anchors=["B"], severity=Severity.MEDIUM, level=MANDATORY, types=[AWS_VPC])
def vpcs(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """Counts VPCs."""
    for vpc in stack.of_type(AWS_VPC):
        yield f"VPC {vpc.name}", vpc.urn


def test_a_decorated_check_is_a_policy_carrying_what_its_decorator_says() -> None:
    assert isinstance(public_ip, CrossmeshResourcePolicy)
    assert public_ip.name == "xc-test-public-ip"
    assert public_ip.anchors == ("CKV_AWS_130", "CIS EKS 5.4.3")
    assert public_ip.severity == Severity.HIGH
    assert public_ip.enforcement_level == MANDATORY
    assert public_ip.resource_types == ("aws:ec2/*",)
    assert public_ip.defaults == {"allowed": False}
    assert public_ip.module == __name__


def test_the_docstring_on_one_line_is_the_description_before_the_anchors() -> None:
    assert public_ip.description == (
        "Subnets assign no public IPs, unless the stack allows them. Anchors: CKV_AWS_130 / CIS EKS 5.4.3."
    )


def test_a_resource_rule_runs_on_its_types_with_its_defaults_under_the_stack_s_config() -> None:
    public = {"mapPublicIpOnLaunch": True}
    assert resource_violations(public_ip, AWS_SUBNET, public) == ["public IPs on launch."]
    assert resource_violations(public_ip, AWS_SUBNET, public, {"allowed": True}) == []
    assert resource_violations(public_ip, GCP_SUBNETWORK, public) == []


def test_a_rule_by_type_gets_the_resource_type_first() -> None:
    assert resource_violations(typed, GCP_SUBNETWORK, {}) == [GCP_SUBNETWORK]


def test_a_stack_rule_sees_the_stack_and_reports_urns() -> None:
    assert isinstance(vpcs, CrossmeshStackPolicy)
    vpc = res(AWS_VPC, "main", {})
    assert stack_violations(vpcs, [vpc, res(AWS_SUBNET, "a", {})]) == [("VPC main", vpc.urn)]


def test_a_check_without_docstring_is_refused_with_its_rule_named() -> None:
    def undocumented(props: Props, _: Config) -> Iterator[str]:
        yield from ()

    decorate = resource_rule(
        id="xc-test-bare", anchors=["C"], severity=Severity.LOW, level=ADVISORY, types=["*"]
    )
    with pytest.raises(TypeError, match="xc-test-bare"):
        decorate(undocumented)


def test_rules_of_gathers_a_module_s_own_rules_in_written_order() -> None:
    module = ModuleType(__name__)
    module.vpcs = vpcs  # type: ignore[attr-defined]
    module.imported = eks.imdsv2  # type: ignore[attr-defined]
    module.public_ip = public_ip  # type: ignore[attr-defined]
    module.alias = vpcs  # type: ignore[attr-defined]
    assert rules_of(module) == [vpcs, public_ip]
    assert rules_of(eks)[0] is eks.logging_all_types
