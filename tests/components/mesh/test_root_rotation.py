"""A root rotation in four stages of config, three `pulumi up`s, and no outage between any two.

[1] sign 1 -> [1, 2] sign 1 -> [1, 2] sign 2 -> [2] sign 2 (docs/runbooks/rotate-ca.md). Each stage is
planned from the dev stack file with only mesh.ca.roots and mesh.ca.signingRoot changed. The fake
certificates are derived from their URNs, so a root keeps its PEM from stage to stage, as a real root
does between `pulumi up`s: a PEM identifies a root across stages.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from components.mesh import certificate_specs as specs
from components.mesh.istio_specs import CA_FINGERPRINT_ANNOTATION, ca_fingerprint
from components.mesh.mesh_ca import root_suffix
from offline.commands import check
from offline.fake_cloud import fake_pem_certificate
from offline.record import Plan, Registration
from tests.support.plans import PROJECT_DIR, planned
from tests.support.real_pki import FAST_KEYS, Issuer, Peer, RealPki, istiod_workload, signed_by
from tests.support.tls_peers import boringssl_verifies, mesh_accepts, openssl_handshake
from tests.support.types import (
    HELM_RELEASE,
    ISSUED_CERTIFICATE,
    K8S_SECRET,
    TLS_PRIVATE_KEY,
    TLS_SELF_SIGNED_CERT,
)

CLOUDS = ("aws", "gcp")

Stage = tuple[tuple[int, ...], int]
"""(roots, signingRoot)."""

ROTATION: tuple[Stage, ...] = (((1,), 1), ((1, 2), 1), ((1, 2), 2), ((2,), 2))
STAGE_IDS = [f"roots{list(roots)}-sign{signing}" for roots, signing in ROTATION]
STEPS = list(itertools.pairwise(ROTATION))
"""Each `pulumi up` of the rotation, as (stage before, stage after)."""

# The names generation 1 has had since the first single-root release: deployed stacks hold these URNs,
# and a different one would make `pulumi up` replace the root and re-root the mesh.
GENERATION_1_URNS = {
    "urn:pulumi:dev::crossmesh::crossmesh:index:CrossMesh$crossmesh:pki:MeshCA$tls:index/privateKey:PrivateKey::mesh-ca-root-key",
    "urn:pulumi:dev::crossmesh::crossmesh:index:CrossMesh$crossmesh:pki:MeshCA$tls:index/selfSignedCert:SelfSignedCert::mesh-ca-root",
}


def stack_mesh(stack: str) -> dict[str, Any]:
    config = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    mesh: dict[str, Any] = config["crossmesh:mesh"]
    return mesh


def stage_plan(stage: Stage, stack: str = "dev") -> Plan:
    roots, signing = stage
    mesh = stack_mesh(stack)
    ca = {**mesh.get("ca", {}), "roots": list(roots), "signingRoot": signing}
    return planned(stack, {"mesh": {**mesh, "ca": ca}})


def root_cert(plan: Plan, generation: int) -> Registration:
    return plan.one(TLS_SELF_SIGNED_CERT, f"mesh-ca-root{root_suffix(generation)}")


def root_key(plan: Plan, generation: int) -> Registration:
    return plan.one(TLS_PRIVATE_KEY, f"mesh-ca-root-key{root_suffix(generation)}")


def cacerts(plan: Plan, cloud: str) -> dict[str, str]:
    secret = plan.one(K8S_SECRET, f"istio-{cloud}-cacerts")
    data: dict[str, str] = secret.plain_inputs["stringData"]
    return data


@dataclass(frozen=True)
class Trust:
    """What one stage puts in the clusters: the roots every workload trusts, and the root each
    certificate istiod issues chains to (workload certificates chain through their intermediate)."""

    bundle: frozenset[str]
    issuers: frozenset[str]


def trust_of(plan: Plan) -> Trust:
    roots = {r.outputs["certPem"] for r in plan.of_type(TLS_SELF_SIGNED_CERT)}
    bundles = {cacerts(plan, cloud)["root-cert.pem"] for cloud in CLOUDS}
    assert len(bundles) == 1, "both clusters must trust the same roots"
    (bundle_pem,) = bundles
    bundle = frozenset(pem for pem in roots if pem in bundle_pem)
    issuers = frozenset(
        plan.one(ISSUED_CERTIFICATE, f"mesh-ca-{cloud}").plain_inputs["issuerCertPem"] for cloud in CLOUDS
    )
    return Trust(bundle=bundle, issuers=issuers)


def outage_between(before: Trust, after: Trust) -> list[str]:
    """Why a workload of one stage could fail to verify a workload of the next, if it could."""
    common = before.bundle & after.bundle
    if not common:
        return ["no root is trusted in both stages"]
    return [
        f"a certificate issued under {issuer[:60]!r} chains to a root one stage does not trust"
        for issuer in sorted(before.issuers | after.issuers)
        if issuer not in common
    ]


@pytest.mark.parametrize("stage", ROTATION, ids=STAGE_IDS)
def test_each_stage_has_one_root_per_trusted_generation(stage: Stage) -> None:
    roots, _ = stage
    plan = stage_plan(stage)
    assert sorted(r.name for r in plan.of_type(TLS_SELF_SIGNED_CERT)) == sorted(
        f"mesh-ca-root{root_suffix(g)}" for g in roots
    )
    assert sorted(r.name for r in plan.of_type(TLS_PRIVATE_KEY) if "-root-" in r.name) == sorted(
        f"mesh-ca-root-key{root_suffix(g)}" for g in roots
    )
    for generation in roots:
        assert root_cert(plan, generation).plain_inputs["privateKeyPem"] == (
            root_key(plan, generation).outputs["privateKeyPem"].value
        )


@pytest.mark.parametrize("stage", ROTATION, ids=STAGE_IDS)
def test_the_trust_bundle_is_exactly_the_trusted_roots_signing_root_first(stage: Stage) -> None:
    roots, signing = stage
    plan = stage_plan(stage)
    others = sorted(g for g in roots if g != signing)
    expected = "".join(root_cert(plan, g).outputs["certPem"] for g in (signing, *others))
    for cloud in CLOUDS:
        assert cacerts(plan, cloud)["root-cert.pem"] == expected
    assert plan.outputs["meshTrustBundlePem"] == expected
    assert plan.outputs["meshRootCertPem"] == root_cert(plan, signing).outputs["certPem"]


@pytest.mark.parametrize("stage", ROTATION, ids=STAGE_IDS)
@pytest.mark.parametrize("cloud", CLOUDS)
def test_intermediates_are_signed_by_the_signing_root_and_chain_to_it(stage: Stage, cloud: str) -> None:
    _, signing = stage
    plan = stage_plan(stage)
    intermediate = plan.one(ISSUED_CERTIFICATE, f"mesh-ca-{cloud}")
    root_pem = root_cert(plan, signing).outputs["certPem"]
    assert intermediate.plain_inputs["issuerCertPem"] == root_pem
    assert (
        intermediate.plain_inputs["issuerPrivateKeyPem"]
        == root_key(plan, signing).outputs["privateKeyPem"].value
    )
    data = cacerts(plan, cloud)
    assert data["cert-chain.pem"] == intermediate.outputs["certPem"] + root_pem
    assert data["ca-cert.pem"] == intermediate.outputs["certPem"]


@pytest.mark.parametrize("stage", ROTATION, ids=STAGE_IDS)
def test_generation_1_keeps_todays_names_and_the_intermediates_theirs(stage: Stage, dev_plan: Plan) -> None:
    roots, _ = stage
    plan = stage_plan(stage)
    root_urns = {
        r.urn
        for r in (*plan.of_type(TLS_SELF_SIGNED_CERT), *plan.of_type(TLS_PRIVATE_KEY))
        if r.name.startswith("mesh-ca-root")
    }
    assert (root_urns >= GENERATION_1_URNS) == (1 in roots)
    assert {r.urn for r in plan.of_type(ISSUED_CERTIFICATE)} == {
        r.urn for r in dev_plan.of_type(ISSUED_CERTIFICATE)
    }


def test_a_stack_without_rotation_keys_plans_exactly_as_stage_one(dev_plan: Plan) -> None:
    first = stage_plan(ROTATION[0])
    assert {r.urn for r in dev_plan.resources} == {r.urn for r in first.resources}
    assert {r.urn for r in dev_plan.resources} >= GENERATION_1_URNS
    for resource in first.resources:
        assert dev_plan.by_urn(resource.urn).inputs == resource.inputs, resource.urn
    assert dev_plan.outputs == first.outputs


@pytest.mark.parametrize(("before", "after"), STEPS, ids=STAGE_IDS[1:])
def test_no_two_consecutive_stages_leave_workloads_without_a_common_root(before: Stage, after: Stage) -> None:
    """During each `pulumi up` and the restarts after it, workloads of both stages run side by side:
    each must verify every certificate the other can present."""
    assert outage_between(trust_of(stage_plan(before)), trust_of(stage_plan(after))) == []


def test_swapping_the_root_in_one_step_is_the_outage_the_window_prevents() -> None:
    problems = outage_between(trust_of(stage_plan(ROTATION[0])), trust_of(stage_plan(ROTATION[-1])))
    assert problems == ["no root is trusted in both stages"]
    skipping_the_window = outage_between(trust_of(stage_plan(ROTATION[0])), trust_of(stage_plan(ROTATION[2])))
    assert (
        len(skipping_the_window) == 1
        and "chains to a root one stage does not trust" in skipping_the_window[0]
    )


@pytest.mark.parametrize(("before", "after"), STEPS, ids=STAGE_IDS[1:])
@pytest.mark.parametrize("cloud", CLOUDS)
def test_istiod_restarts_at_every_stage(before: Stage, after: Stage, cloud: str) -> None:
    def fingerprint(plan: Plan) -> str:
        values = plan.one(HELM_RELEASE, f"istio-{cloud}-istiod").inputs["values"]
        annotation: str = values["podAnnotations"][CA_FINGERPRINT_ANNOTATION]
        return annotation

    assert fingerprint(stage_plan(before)) != fingerprint(stage_plan(after))


@pytest.mark.parametrize("stage", ROTATION, ids=STAGE_IDS)
def test_every_trusted_root_has_an_expiry_and_root_is_the_signer(stage: Stage) -> None:
    roots, signing = stage
    plan = stage_plan(stage)
    expiry = plan.outputs["meshCaExpiry"]
    assert expiry["root"] == root_cert(plan, signing).outputs["validityEndTime"]
    assert {key for key in expiry if key.startswith("root-")} == {f"root-g{g}" for g in roots}
    for generation in roots:
        assert expiry[f"root-g{generation}"] == root_cert(plan, generation).outputs["validityEndTime"]


def test_both_roots_are_protected_in_production_during_the_window() -> None:
    plan = stage_plan(((1, 2), 2), stack="prod")
    for generation in (1, 2):
        assert root_cert(plan, generation).protect and root_key(plan, generation).protect
    assert not any(r.protect for r in plan.of_type(ISSUED_CERTIFICATE))


def test_a_later_root_has_its_own_subject() -> None:
    plan = stage_plan(ROTATION[1])
    subjects = [root_cert(plan, g).inputs["subject"]["commonName"] for g in (1, 2)]
    assert subjects == ["crossmesh root CA", "crossmesh root CA 2"]


@given(seeds=st.lists(st.text(min_size=1), min_size=3, max_size=3, unique=True))
def test_the_fingerprint_is_the_chains_until_the_bundle_holds_another_root(seeds: list[str]) -> None:
    intermediate, root, other = (fake_pem_certificate(seed) for seed in seeds)
    chain = intermediate + root
    single = ca_fingerprint(chain, root)
    assert single == hashlib.sha256(chain.encode()).hexdigest()
    assert ca_fingerprint(chain, root + other) != single
    assert ca_fingerprint(chain, root + other) != ca_fingerprint(chain, other + root)


# Every stage on dev; on prod the widest one (two protected roots), which the protection test plans too.
POLICY_CASES = [(stage, "dev") for stage in ROTATION] + [(((1, 2), 2), "prod")]


@pytest.mark.parametrize(("stage", "stack"), POLICY_CASES, ids=[*STAGE_IDS, "prod-window"])
def test_every_stage_passes_every_mandatory_policy_of_the_pack(stage: Stage, stack: str) -> None:
    violations = check.run_policies(check.from_plan(stage_plan(stage, stack)))
    assert not check.has_mandatory(violations), [v.message for v in violations if v.level == "mandatory"]


# --- the rotation with real certificates and handshakes (tests/support/real_pki.py, tls_peers.py) ----


@dataclass(frozen=True)
class RealStage:
    pki: RealPki
    workloads: dict[str, Peer]
    """An EKS and a GKE workload, as their istiods sign them at this stage."""


@cache
def real_stages() -> tuple[RealStage, ...]:
    """The four stages as four `pulumi up`s of one stack, ECDSA in place of RSA for speed."""
    issuer = Issuer(key_override=FAST_KEYS)
    stages = []
    for stage in ROTATION:
        plan = stage_plan(stage)
        pki = issuer.apply(plan)
        cacerts = {cloud: pki.files(plan, f"istio-{cloud}-cacerts") for cloud in CLOUDS}
        stages.append(
            RealStage(
                pki,
                {
                    "eks": istiod_workload(cacerts["aws"], "spiffe://crossmesh.local/ns/payments/sa/payment"),
                    "gke": istiod_workload(cacerts["gcp"], "spiffe://crossmesh.local/ns/shop/sa/frontend"),
                },
            )
        )
    return tuple(stages)


CROSS_CLOUD = [("eks", "gke"), ("gke", "eks")]


@pytest.mark.parametrize("step", range(1, len(ROTATION)), ids=STAGE_IDS[1:])
@pytest.mark.parametrize(("older", "newer"), CROSS_CLOUD)
def test_workloads_of_adjacent_stages_call_each_other_in_both_libraries(
    step: int, older: str, newer: str
) -> None:
    before, after = real_stages()[step - 1].workloads[older], real_stages()[step].workloads[newer]
    for caller, callee in ((before, after), (after, before)):
        outcome = openssl_handshake(caller, callee)
        assert mesh_accepts(outcome, caller, callee), outcome
        verdict = boringssl_verifies(caller, callee.bundle_pem)
        assert verdict.ok and verdict.server_saw == (caller.spiffe_id,), verdict


def test_skipping_the_window_fails_the_handshake_in_both_libraries() -> None:
    first, last = real_stages()[0].workloads["eks"], real_stages()[-1].workloads["gke"]
    assert not openssl_handshake(first, last).ok
    assert not boringssl_verifies(first, last.bundle_pem).ok


@pytest.mark.parametrize("cloud", CLOUDS)
def test_the_intermediate_key_changes_exactly_when_the_signing_root_does(cloud: str) -> None:
    keys = [specs.public_key_pem(stage.pki.keys[f"mesh-ca-{cloud}"]) for stage in real_stages()]
    assert keys[0] == keys[1] and keys[2] == keys[3]
    assert keys[1] != keys[2]


@pytest.mark.parametrize("chain_from", ["pre-rotation", "post-rotation"])
def test_a_leaf_from_the_pre_rotation_intermediate_key_is_rejected_after_the_rotation(
    chain_from: str,
) -> None:
    """Whoever kept the old EKS intermediate key mints a workload certificate; after step 3 the GKE side
    rejects it whichever intermediate certificate it is presented with."""
    old, new = real_stages()[0].pki, real_stages()[-1].pki
    leaf, key = signed_by(
        old.certs["mesh-ca-aws"],
        old.keys["mesh-ca-aws"],
        spiffe_id="spiffe://crossmesh.local/ns/payments/sa/payment",
    )
    intermediate = (old if chain_from == "pre-rotation" else new).certs["mesh-ca-aws"]
    gke = real_stages()[-1].workloads["gke"]
    forged = Peer(
        specs.certificate_pem(leaf) + specs.certificate_pem(intermediate),
        specs.private_key_pem(key),
        gke.bundle_pem,
        "spiffe://crossmesh.local/ns/payments/sa/payment",
    )
    assert not openssl_handshake(forged, gke).ok
    assert not boringssl_verifies(forged, gke.bundle_pem).ok
