"""The mesh's identity: meshId, the CA's key algorithm and the trust domain. A root keeps what it was
created with, so the first two renew the intermediates under the same root and reach the root at its
next rotation; the trust domain moves through an alias window. Skipped rotation steps are refused."""

from __future__ import annotations

from typing import Any

from tests.day2.routine import ca
from tests.support.day2 import Case, Config, Edit, Expect, Step
from tests.support.types import ISSUED_CERTIFICATE, TLS_SELF_SIGNED_CERT

MESH_IDENTITY = "docs/mesh.md#changing-the-meshs-identity"
ROTATE_CA = "docs/runbooks/rotate-ca.md"
RENEWED = (Expect("replace", ISSUED_CERTIFICATE),)
# What protection changes in a rotation is held on prod by the root rotation case (tests/day2/routine.py).
ISTIO_STACKS = ("dev",)


def mesh(**keys: Any) -> Edit:
    def edit(config: Config) -> None:
        config["mesh"] = {**config["mesh"], **keys}

    return edit


def new_trust_domain(config: Config, aliased: bool) -> None:
    old = config["mesh"].get("trustDomain", "crossmesh.local")
    config["mesh"] = {**config["mesh"], "trustDomain": f"next.{old}"}
    if aliased:
        config["mesh"]["trustDomainAliases"] = [old]


def trust_domain(aliased: bool) -> Edit:
    def edit(config: Config) -> None:
        new_trust_domain(config, aliased)

    return edit


def rename_mesh(config: Config) -> None:
    config["mesh"] = {**config["mesh"], "meshId": f"{config['mesh']['meshId']}-next"}


CASES: tuple[Case, ...] = (
    Case(
        "mesh-id",
        "Change mesh.meshId",
        (
            Step(
                "mesh.meshId: a new name",
                rename_mesh,
                "reissues both intermediates under the same root with the new name and restarts istiod with "
                "the new meshID; the root keeps its name until its next rotation",
                critical=RENEWED,
            ),
        ),
        stacks=ISTIO_STACKS,
        issue_case=6,
        procedure=MESH_IDENTITY,
    ),
    Case(
        "mesh-id-on-app-mesh",
        "Change mesh.meshId on App Mesh",
        (
            Step(
                "mesh.meshId: a new name",
                rename_mesh,
                "would rename App Mesh's mesh and Cloud Map namespace: every App Mesh object replaced",
                critical=RENEWED,
                refused=("appmesh-identity-changed",),
            ),
        ),
        stacks=("legacy",),
        issue_case=6,
        procedure="docs/runbooks/move-off-app-mesh.md",
    ),
    Case(
        "key-algorithm",
        "Change mesh.ca.keyAlgorithm",
        (
            Step(
                "mesh.ca.keyAlgorithm: ECDSA",
                ca(keyAlgorithm="ECDSA"),
                "reissues both intermediates with ECDSA keys under the same (RSA) root; the root keeps "
                "its key",
                critical=RENEWED,
            ),
            Step(
                "mesh.ca: roots [1, 2]",
                ca(keyAlgorithm="ECDSA", roots=[1, 2], signingRoot=1),
                "creates root 2 with an ECDSA key; istiod restarts trusting both roots",
            ),
            Step(
                "mesh.ca: signingRoot 2",
                ca(keyAlgorithm="ECDSA", roots=[1, 2], signingRoot=2),
                "reissues both intermediates under root 2",
                critical=RENEWED,
            ),
            Step(
                "mesh.ca: roots [2]",
                ca(keyAlgorithm="ECDSA", roots=[2], signingRoot=2),
                "deletes root 1 (in a protected stack after `pulumi state unprotect`)",
                critical=(Expect("delete", TLS_SELF_SIGNED_CERT, "mesh-ca-root"),),
            ),
        ),
        stacks=ISTIO_STACKS,
        issue_case=6,
        procedure=ROTATE_CA,
    ),
    Case(
        "trust-domain",
        "Change mesh.trustDomain",
        (
            Step(
                "mesh.trustDomain: new, trustDomainAliases: [old]",
                trust_domain(aliased=True),
                "reissues the intermediates for the new domain under the same root; istiod issues new "
                "identities and counts the old domain's as its own; policies name the new identities",
                critical=RENEWED,
            ),
            Step(
                "mesh.trustDomainAliases: []",
                mesh(trustDomainAliases=[]),
                "istiod stops counting the old domain's identities",
                by_hand="restart every workload of both clusters; check each presents the new domain",
            ),
        ),
        stacks=ISTIO_STACKS,
        issue_case=6,
        procedure=MESH_IDENTITY,
    ),
    Case(
        "trust-domain-in-place",
        "Change mesh.trustDomain without an alias",
        (
            Step(
                "mesh.trustDomain: new",
                trust_domain(aliased=False),
                "would change every identity and every policy at once",
                critical=RENEWED,
                refused=("trust-domain-changed",),
            ),
        ),
        stacks=("dev",),
        issue_case=6,
        procedure=MESH_IDENTITY,
    ),
    Case(
        "rotation-step-skipped",
        "Skip a step of the root rotation",
        (
            Step(
                "mesh.ca: roots [1, 2], signingRoot 2 at once",
                ca(roots=[1, 2], signingRoot=2),
                "would sign the intermediates with a root no workload trusts yet",
                critical=RENEWED,
                refused=("signing-root-untrusted",),
            ),
        ),
        stacks=("dev",),
        issue_case=6,
        procedure=ROTATE_CA,
    ),
    Case(
        "rotation-root-swapped",
        "Swap the root in one step",
        (
            Step(
                "mesh.ca: roots [2], signingRoot 2",
                ca(roots=[2], signingRoot=2),
                "would delete the only trusted root and sign with a new one",
                critical=(*RENEWED, Expect("delete", TLS_SELF_SIGNED_CERT, "mesh-ca-root")),
                refused=("signing-root-deleted", "signing-root-untrusted"),
            ),
        ),
        stacks=("dev",),
        issue_case=6,
        procedure=ROTATE_CA,
    ),
)
