"""MeshCA: one root, an intermediate per cluster chained to it, keys secret, profiles from config.

What the certificates really contain is checked on real certificates in test_real_certificates.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from components.config import CaConfig
from components.mesh.mesh_ca import HOURS_PER_DAY
from offline.record import Plan, Registration, Secret, secret_paths
from tests.support.types import (
    ISSUED_CERTIFICATE,
    TLS_CERT_REQUEST,
    TLS_LOCALLY_SIGNED_CERT,
    TLS_PRIVATE_KEY,
    TLS_SELF_SIGNED_CERT,
)

CLOUDS = ("aws", "gcp")


def dev_mesh_with_ca(plan_of: Callable[..., Plan], ca: dict[str, Any]) -> Plan:
    return plan_of(
        "dev",
        {
            "mesh": {
                "engines": {"aws": "istio", "gcp": "istio"},
                "meshId": "crossmesh",
                "trustDomain": "crossmesh.local",
                "ca": ca,
            }
        },
    )


def root_key(plan: Plan) -> Registration:
    return plan.one(TLS_PRIVATE_KEY, "mesh-ca-root-key")


def test_there_is_one_root_and_one_intermediate_per_cloud(dev_plan: Plan) -> None:
    assert [r.name for r in dev_plan.of_type(TLS_SELF_SIGNED_CERT)] == ["mesh-ca-root"]
    assert sorted(r.name for r in intermediates(dev_plan)) == ["mesh-ca-aws", "mesh-ca-gcp"]
    # Key and certificate are one resource: nothing of pulumi-tls is left for the intermediates.
    assert [r.name for r in dev_plan.of_type(TLS_PRIVATE_KEY)] == ["mesh-ca-root-key"]
    assert not dev_plan.of_type(TLS_CERT_REQUEST) and not dev_plan.of_type(TLS_LOCALLY_SIGNED_CERT)


def intermediates(plan: Plan) -> list[Registration]:
    return [r for r in plan.of_type(ISSUED_CERTIFICATE) if r.inputs.get("isCaCertificate")]


@pytest.mark.parametrize("cloud", CLOUDS)
def test_each_intermediate_is_signed_by_the_root_certificate_and_key(dev_plan: Plan, cloud: str) -> None:
    root = dev_plan.one(TLS_SELF_SIGNED_CERT)
    intermediate = dev_plan.one(ISSUED_CERTIFICATE, f"mesh-ca-{cloud}").plain_inputs
    assert intermediate["issuerCertPem"] == root.outputs["certPem"]
    assert intermediate["issuerPrivateKeyPem"] == root_key(dev_plan).outputs["privateKeyPem"].value
    assert root.plain_inputs["privateKeyPem"] == root_key(dev_plan).outputs["privateKeyPem"].value


def test_each_intermediate_has_a_key_of_its_own(dev_plan: Plan) -> None:
    keys = {r.name: r.outputs["privateKeyPem"].value for r in intermediates(dev_plan)}
    assert len(set(keys.values())) == len(CLOUDS)
    assert root_key(dev_plan).outputs["privateKeyPem"].value not in keys.values()


def test_the_root_is_a_ca_that_signs_certificates_and_crls_over_one_more_ca(dev_plan: Plan) -> None:
    root = dev_plan.one(TLS_SELF_SIGNED_CERT).inputs
    assert root["isCaCertificate"] is True
    assert root["allowedUses"] == ["cert_signing", "crl_signing"]
    assert root["maxPathLength"] == 1


def test_the_root_never_renews_itself_in_place(dev_plan: Plan) -> None:
    """0: pulumi-tls replaces it only once expired; a working root changes through the trust window."""
    assert dev_plan.one(TLS_SELF_SIGNED_CERT).inputs["earlyRenewalHours"] == 0


@pytest.mark.parametrize("cloud", CLOUDS)
def test_intermediates_are_cas_with_path_length_zero_limited_to_the_trust_domain(
    dev_plan: Plan, cloud: str
) -> None:
    intermediate = dev_plan.one(ISSUED_CERTIFICATE, f"mesh-ca-{cloud}").inputs
    assert intermediate["isCaCertificate"] is True
    assert intermediate["maxPathLength"] == 0
    assert intermediate["permittedUriDomains"] == ["crossmesh.local"]
    assert {"cert_signing", "crl_signing"} <= set(intermediate["allowedUses"])
    assert intermediate["subject"] == {
        "commonName": f"crossmesh intermediate CA {cloud}",
        "organization": "crossmesh crossmesh",
        "locality": cloud,
    }


def test_validity_and_early_renewal_come_from_the_config(dev_plan: Plan) -> None:
    ca = CaConfig()
    root = dev_plan.one(TLS_SELF_SIGNED_CERT).inputs
    assert root["validityPeriodHours"] == ca.root_validity_days * HOURS_PER_DAY
    for cloud in CLOUDS:
        intermediate = dev_plan.one(ISSUED_CERTIFICATE, f"mesh-ca-{cloud}").inputs
        assert intermediate["validityPeriodHours"] == ca.intermediate_validity_days * HOURS_PER_DAY
        assert intermediate["earlyRenewalHours"] == ca.early_renewal_days * HOURS_PER_DAY


def test_configured_validity_reaches_the_certificates(plan_of: Callable[..., Plan]) -> None:
    plan = dev_mesh_with_ca(
        plan_of,
        {
            "rootValidityDays": 1825,
            "rootEarlyRenewalDays": 400,
            "intermediateValidityDays": 365,
            "earlyRenewalDays": 30,
        },
    )
    assert plan.one(TLS_SELF_SIGNED_CERT).inputs["validityPeriodHours"] == 1825 * 24
    assert plan.one(ISSUED_CERTIFICATE, "mesh-ca-aws").inputs["validityPeriodHours"] == 365 * 24
    assert plan.one(ISSUED_CERTIFICATE, "mesh-ca-gcp").inputs["earlyRenewalHours"] == 30 * 24


@pytest.mark.parametrize("cloud", CLOUDS)
def test_intermediates_expire_before_the_root(dev_plan: Plan, cloud: str) -> None:
    def ends(resource: Registration) -> datetime:
        return datetime.fromisoformat(resource.outputs["validityEndTime"])

    assert ends(dev_plan.one(ISSUED_CERTIFICATE, f"mesh-ca-{cloud}")) < ends(
        dev_plan.one(TLS_SELF_SIGNED_CERT)
    )


def test_keys_are_rsa_4096_by_default(dev_plan: Plan) -> None:
    assert (root_key(dev_plan).inputs["algorithm"], root_key(dev_plan).inputs["rsaBits"]) == ("RSA", 4096)
    for intermediate in intermediates(dev_plan):
        assert (intermediate.inputs["keyAlgorithm"], intermediate.inputs["rsaBits"]) == ("RSA", 4096)


def test_ecdsa_keys_use_p384(plan_of: Callable[..., Plan]) -> None:
    plan = dev_mesh_with_ca(plan_of, {"keyAlgorithm": "ECDSA"})
    assert root_key(plan).inputs == {"algorithm": "ECDSA", "ecdsaCurve": "P384"}
    for intermediate in intermediates(plan):
        assert (intermediate.inputs["keyAlgorithm"], intermediate.inputs["ecdsaCurve"]) == ("ECDSA", "P384")
        assert "rsaBits" not in intermediate.inputs


def test_every_private_key_is_secret_in_outputs_and_in_every_input_it_reaches(dev_plan: Plan) -> None:
    for key in dev_plan.of_type(TLS_PRIVATE_KEY):
        for field in ("privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"):
            assert isinstance(key.outputs[field], Secret), (key.name, field)
    for issued in dev_plan.of_type(ISSUED_CERTIFICATE):
        assert isinstance(issued.outputs["privateKeyPem"], Secret), issued.name
    for resource in dev_plan.resources:
        secret = list(secret_paths(resource.inputs))
        for path, value in _string_leaves(resource.inputs):
            if "PRIVATE KEY" in value:
                assert any(_within(path, outer) for outer in secret), (resource.name, path)


def test_no_stack_output_holds_a_private_key_in_clear(dev_plan: Plan) -> None:
    for name, value in dev_plan.outputs.items():
        if isinstance(value, Secret):
            continue
        assert all("PRIVATE KEY" not in text for _, text in _string_leaves(value)), name
    assert "BEGIN CERTIFICATE" in dev_plan.outputs["meshRootCertPem"]


def test_the_root_is_protected_in_production_and_intermediates_can_rotate(
    plan_of: Callable[..., Plan],
) -> None:
    prod = plan_of("prod")
    assert prod.one(TLS_SELF_SIGNED_CERT).protect and root_key(prod).protect
    assert not any(prod.one(ISSUED_CERTIFICATE, f"mesh-ca-{cloud}").protect for cloud in CLOUDS)


def test_the_root_is_not_protected_in_dev(dev_plan: Plan) -> None:
    assert not dev_plan.one(TLS_SELF_SIGNED_CERT).protect


def _within(path: str, outer: str) -> bool:
    return path == outer or path.startswith((outer + ".", outer + "["))


def _string_leaves(value: Any, path: str = "") -> list[tuple[str, str]]:
    """(dotted path, text) of every string inside value, looking through Secret wrappers."""
    if isinstance(value, Secret):
        return _string_leaves(value.value, path)
    if isinstance(value, dict):
        return [
            leaf
            for key, item in value.items()
            for leaf in _string_leaves(item, f"{path}.{key}" if path else key)
        ]
    if isinstance(value, list):
        return [leaf for i, item in enumerate(value) for leaf in _string_leaves(item, f"{path}[{i}]")]
    return [(path, value)] if isinstance(value, str) else []


def test_the_stack_exports_when_the_root_and_each_intermediate_expire(dev_plan: Plan) -> None:
    expiry = dev_plan.outputs["meshCaExpiry"]
    assert expiry["root"] == dev_plan.one(TLS_SELF_SIGNED_CERT).outputs["validityEndTime"]
    for cloud in CLOUDS:
        assert (
            expiry[cloud] == dev_plan.one(ISSUED_CERTIFICATE, f"mesh-ca-{cloud}").outputs["validityEndTime"]
        )
