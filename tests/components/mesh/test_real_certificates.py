"""The mesh's PKI with real certificates: issued from the plans' inputs (tests/support/real_pki.py), read
back for what they contain, verified by `openssl verify -x509_strict`, and put through mutual-TLS
handshakes over loopback in OpenSSL and BoringSSL (tests/support/tls_peers.py).

The dev plan is issued with its shipped RSA 4096 keys; the legacy plan with ECDSA in place of RSA, since
no assertion on the bridge depends on the algorithm. Root rotation steps: test_root_rotation.py.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, TypeVar

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from components.mesh import certificate_specs as specs
from components.mesh.issued_certificate import (
    CERTIFICATE_INPUTS,
    RENEWAL_PROPERTY,
    IssuedCertificateProvider,
    replacement_reasons,
)
from tests.support.plans import PROJECT_DIR, planned
from tests.support.real_pki import (
    FAST_KEYS,
    Issuer,
    Peer,
    RealPki,
    istiod_workload,
    like_pulumi_tls,
    signed_by,
)
from tests.support.tls_peers import (
    OPENSSL_PURPOSES,
    boringssl_handshake,
    boringssl_verifies,
    mesh_accepts,
    openssl_handshake,
    openssl_verify,
)
from tests.support.types import ISSUED_CERTIFICATE

TRUST_DOMAIN = "crossmesh.local"
FRONTEND = f"spiffe://{TRUST_DOMAIN}/ns/shop/sa/frontend"
PAYMENT = f"spiffe://{TRUST_DOMAIN}/ns/payments/sa/payment"
ExtensionT = TypeVar("ExtensionT", bound=x509.ExtensionType)
needs_openssl = pytest.mark.skipif(
    shutil.which("openssl") is None,
    reason="the openssl binary is not installed (CI has only Python): the ssl-module handshakes still run",
)


@cache
def dev() -> tuple[RealPki, dict[str, dict[str, str]]]:
    plan = planned("dev")
    pki = Issuer().apply(plan)
    return pki, {cloud: pki.files(plan, f"istio-{cloud}-cacerts") for cloud in ("aws", "gcp")}


@cache
def workloads() -> dict[str, Peer]:
    """A GKE workload (frontend) and an EKS one (payment), as their istiods sign them."""
    _, cacerts = dev()
    return {"gke": istiod_workload(cacerts["gcp"], FRONTEND), "eks": istiod_workload(cacerts["aws"], PAYMENT)}


def extension(cert: x509.Certificate, kind: type[ExtensionT]) -> x509.Extension[ExtensionT]:
    return cert.extensions.get_extension_for_class(kind)


def created(provider: IssuedCertificateProvider, news: dict[str, Any]) -> dict[str, Any]:
    outs = provider.create(news).outs
    assert outs is not None
    return outs


# --- what the certificates contain -------------------------------------------------------------------


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_each_intermediate_says_pathlen_0_and_permits_only_the_trust_domain(cloud: str) -> None:
    pki, _ = dev()
    cert = pki.certs[f"mesh-ca-{cloud}"]
    basic = extension(cert, x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    constraints = extension(cert, x509.NameConstraints)
    assert constraints.critical
    assert constraints.value.permitted_subtrees == [x509.UniformResourceIdentifier(TRUST_DOMAIN)]
    assert constraints.value.excluded_subtrees is None
    usage = extension(cert, x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and usage.digital_signature and not usage.key_encipherment
    assert cert.issuer == pki.certs["mesh-ca-root"].subject
    assert cert.not_valid_after_utc < pki.certs["mesh-ca-root"].not_valid_after_utc


def test_the_root_says_pathlen_1_and_each_ca_has_its_own_rsa_4096_key() -> None:
    pki, _ = dev()
    root = pki.certs["mesh-ca-root"]
    assert extension(root, x509.BasicConstraints).value.path_length == 1
    numbers = {
        name: pki.keys[name].public_key().public_numbers()
        for name in ("mesh-ca-root", "mesh-ca-aws", "mesh-ca-gcp")
    }
    assert len({str(n) for n in numbers.values()}) == 3
    assert all(pki.keys[name].key_size == 4096 for name in numbers)


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_cacerts_is_istios_plug_in_layout_of_real_pems(cloud: str) -> None:
    pki, cacerts = dev()
    files = cacerts[cloud]
    assert specs.load_certificate(files["ca-cert.pem"]) == pki.certs[f"mesh-ca-{cloud}"]
    chain = x509.load_pem_x509_certificates(files["cert-chain.pem"].encode())
    assert chain == [pki.certs[f"mesh-ca-{cloud}"], pki.certs["mesh-ca-root"]]
    assert x509.load_pem_x509_certificates(files["root-cert.pem"].encode()) == [pki.certs["mesh-ca-root"]]
    key = specs.load_private_key(files["ca-key.pem"])
    assert specs.public_key_pem(key) == specs.public_key_pem_of(
        specs.certified_key(pki.certs[f"mesh-ca-{cloud}"])
    )


@pytest.fixture(scope="module")
def legacy() -> tuple[RealPki, dict[str, Peer]]:
    plan = planned("legacy")
    pki = Issuer(key_override=FAST_KEYS).apply(plan)
    domain = "legacy.crossmesh.local"

    def peer(
        secret: str, chain: str, key: str, bundle: str, identity: str, dns_name: str | None = None
    ) -> Peer:
        files = pki.files(plan, secret)
        return Peer(files[chain], files[key], files[bundle], f"spiffe://{domain}/{identity}", dns_name)

    return pki, {
        "orders": peer("appmesh-orders-tls", "cert_chain.pem", "key.pem", "root.pem", "ns/orders/sa/orders"),
        "virtual-gateway": peer(
            "appmesh-crossmesh-bridge-tls",
            "cert_chain.pem",
            "key.pem",
            "root.pem",
            "ns/crossmesh-bridge/sa/crossmesh-bridge",
            "orders.orders.svc.cluster.local",
        ),
        "ingress": peer(
            "istio-bridge-ingress-credential",
            "tls.crt",
            "tls.key",
            "ca.crt",
            "ns/istio-system/sa/crossmesh-bridge-gateway",
            "inventory.shop.svc.cluster.local",
        ),
        "storefront": peer(
            "istio-bridge-storefront-credential", "tls.crt", "tls.key", "ca.crt", "ns/shop/sa/storefront"
        ),
    }


def test_file_based_leaves_are_ecdsa_without_key_encipherment_and_end_with_their_intermediate(
    legacy: tuple[RealPki, dict[str, Peer]],
) -> None:
    pki, peers = legacy
    for name, peer in peers.items():
        leaf = peer.leaf
        usage = extension(leaf, x509.KeyUsage).value
        assert usage.digital_signature and not usage.key_encipherment, name
        assert set(extension(leaf, x509.ExtendedKeyUsage).value) == {
            ExtendedKeyUsageOID.SERVER_AUTH,
            ExtendedKeyUsageOID.CLIENT_AUTH,
        }
        issuer = x509.load_pem_x509_certificates(peer.chain_pem.encode())[1]
        assert issuer in (pki.certs["mesh-ca-aws"], pki.certs["mesh-ca-gcp"])
        assert leaf.not_valid_after_utc <= issuer.not_valid_after_utc
        assert leaf.public_key().curve.name == "secp256r1"  # type: ignore[union-attr]


def test_a_leaf_is_cut_to_its_intermediates_end() -> None:
    pki, _ = dev()
    intermediate = specs.issue(
        specs.CertificateSpec(
            common_name="ending soon",
            is_ca=True,
            max_path_length=0,
            allowed_uses=("cert_signing",),
            validity_hours=40 * 24,
        ),
        fast_key().public_key(),
        pki.certs["mesh-ca-root"],
        pki.keys["mesh-ca-root"],
        datetime.now(UTC),
    )
    leaf, _ = signed_by(intermediate, fast_key(), spiffe_id=FRONTEND)
    assert leaf.not_valid_after_utc <= intermediate.not_valid_after_utc


@cache
def fast_key() -> specs.PrivateKey:
    return specs.generate_key(FAST_KEYS)


# --- renewal brings a new key ------------------------------------------------------------------------


def test_renewal_and_a_new_issuer_each_replace_the_key_with_the_certificate() -> None:
    pki, _ = dev()
    provider = IssuedCertificateProvider()
    news = {
        "issuerCertPem": specs.certificate_pem(pki.certs["mesh-ca-root"]),
        "issuerPrivateKeyPem": specs.private_key_pem(pki.keys["mesh-ca-root"]),
        "keyAlgorithm": "ECDSA",
        "ecdsaCurve": "P384",
        "subject": {"commonName": "crossmesh intermediate CA aws"},
        "isCaCertificate": True,
        "maxPathLength": 0,
        "permittedUriDomains": [TRUST_DOMAIN],
        "allowedUses": ["cert_signing", "crl_signing", "digital_signature"],
        "validityPeriodHours": 730 * 24,
        "earlyRenewalHours": 60 * 24,
    }
    assert provider.check({}, news).failures == []
    first = created(provider, news)
    issued_at = specs.parse_rfc3339(first["validityStartTime"])
    assert replacement_reasons(first, news, issued_at + timedelta(days=669)) == []
    assert replacement_reasons(first, news, issued_at + timedelta(days=671)) == ["readyForRenewal"]
    assert provider.diff("", first, {**news, "issuerCertPem": "unknown until the root exists"}).replaces == [
        "issuerCertPem"
    ]
    second = created(provider, news)
    assert second["privateKeyPem"] != first["privateKeyPem"]
    assert second["publicKeyPem"] != first["publicKeyPem"]
    assert "issuerPrivateKeyPem" not in first


def test_check_refuses_key_encipherment_on_an_ecdsa_leaf_and_a_foreign_issuer_key() -> None:
    pki, _ = dev()
    news = {
        "issuerCertPem": specs.certificate_pem(pki.certs["mesh-ca-aws"]),
        "issuerPrivateKeyPem": specs.private_key_pem(pki.keys["mesh-ca-gcp"]),
        "keyAlgorithm": "ECDSA",
        "ecdsaCurve": "P256",
        "uris": [PAYMENT],
        "allowedUses": ["digital_signature", "key_encipherment"],
        "validityPeriodHours": 90 * 24,
        "earlyRenewalHours": 30 * 24,
    }
    reasons = [f.reason for f in IssuedCertificateProvider().check({}, news).failures]
    assert reasons == [
        "['key_encipherment'] mean nothing for an ECDSA key: drop them",
        "is not the key of issuerCertPem",
    ]


# --- EKS -> GKE and back ---------------------------------------------------------------------------


@needs_openssl
@pytest.mark.parametrize("purpose", OPENSSL_PURPOSES)
@pytest.mark.parametrize(("presenter", "verifier"), [("eks", "gke"), ("gke", "eks")])
def test_openssl_verifies_each_clusters_workload_against_the_other(
    presenter: str, verifier: str, purpose: str
) -> None:
    peers = workloads()
    assert openssl_verify(peers[presenter], peers[verifier].bundle_pem, purpose) == "OK"


@pytest.mark.parametrize(("caller", "callee"), [("eks", "gke"), ("gke", "eks")])
def test_mutual_tls_across_clouds_in_openssl(caller: str, callee: str) -> None:
    peers = workloads()
    outcome = openssl_handshake(peers[caller], peers[callee])
    assert mesh_accepts(outcome, peers[caller], peers[callee]), outcome


@pytest.mark.parametrize(("presenter", "verifier"), [("eks", "gke"), ("gke", "eks")])
def test_boringssl_verifies_each_clusters_workload_against_the_other(presenter: str, verifier: str) -> None:
    peers = workloads()
    outcome = boringssl_verifies(peers[presenter], peers[verifier].bundle_pem)
    assert outcome.ok and outcome.server_saw == (peers[presenter].spiffe_id,), outcome


# --- what a leaked intermediate key cannot do ---------------------------------------------------------


def minted_peer(
    issuer: x509.Certificate, key: specs.PrivateKey, chain_tail: str, spiffe_id: str, *, via_sub_ca: bool
) -> Peer:
    if via_sub_ca:
        sub_ca, sub_key = signed_by(issuer, key, spiffe_id=spiffe_id, is_ca=True)
        leaf, leaf_key = signed_by(sub_ca, sub_key, spiffe_id=spiffe_id)
        chain = specs.certificate_pem(leaf) + specs.certificate_pem(sub_ca) + chain_tail
    else:
        leaf, leaf_key = signed_by(issuer, key, spiffe_id=spiffe_id)
        chain = specs.certificate_pem(leaf) + chain_tail
    # The forger trusts the mesh's roots too, so that only the other side's verdict decides.
    return Peer(chain, specs.private_key_pem(leaf_key), workloads()["gke"].bundle_pem, spiffe_id)


ATTACKS = {
    "sub-ca": (PAYMENT, True),
    "other-trust-domain": ("spiffe://elsewhere.example/ns/payments/sa/payment", False),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_leaked_intermediate_key_mints_nothing_the_other_cloud_accepts(attack: str) -> None:
    pki, cacerts = dev()
    spiffe_id, via_sub_ca = ATTACKS[attack]
    forged = minted_peer(
        pki.certs["mesh-ca-aws"],
        pki.keys["mesh-ca-aws"],
        cacerts["aws"]["cert-chain.pem"],
        spiffe_id,
        via_sub_ca=via_sub_ca,
    )
    gke = workloads()["gke"]
    assert not openssl_handshake(forged, gke).ok
    assert not boringssl_verifies(forged, gke.bundle_pem).ok
    if shutil.which("openssl"):
        assert openssl_verify(forged, gke.bundle_pem, "sslclient") != "OK"


def test_the_intermediate_pulumi_tls_would_write_lets_boringssl_follow_a_sub_ca() -> None:
    """Why the intermediates are not pulumi-tls: its `maxPathLength: 0` writes no path length, and
    BoringSSL checks path lengths of untrusted certificates only, so the root's pathlen:1 stops OpenSSL
    but not Envoy."""
    pki, _ = dev()
    root, root_key = pki.certs["mesh-ca-root"], pki.keys["mesh-ca-root"]
    key = fast_key()
    inputs = {
        "subject": {"commonName": "crossmesh intermediate CA aws"},
        "isCaCertificate": True,
        "maxPathLength": 0,
        "allowedUses": ["cert_signing", "crl_signing", "digital_signature"],
        "validityPeriodHours": 24 * 30,
    }
    old_style = like_pulumi_tls(
        inputs, key.public_key(), (root, root_key), root_key, datetime.now(UTC) - timedelta(minutes=5)
    )
    assert extension(old_style, x509.BasicConstraints).value.path_length is None
    tail = specs.certificate_pem(old_style) + specs.certificate_pem(root)
    forged = minted_peer(old_style, key, tail, PAYMENT, via_sub_ca=True)
    gke = workloads()["gke"]
    assert boringssl_verifies(forged, gke.bundle_pem).ok
    assert not openssl_handshake(forged, gke).ok


# --- the bridge legs on legacy ------------------------------------------------------------------------

BRIDGE_LEGS = [("orders", "ingress"), ("storefront", "virtual-gateway")]


@pytest.mark.parametrize(("caller", "callee"), BRIDGE_LEGS, ids=["appmesh-to-istio", "istio-to-appmesh"])
def test_bridge_legs_in_openssl(legacy: tuple[RealPki, dict[str, Peer]], caller: str, callee: str) -> None:
    _, peers = legacy
    outcome = openssl_handshake(peers[caller], peers[callee])
    assert mesh_accepts(outcome, peers[caller], peers[callee]), outcome
    if shutil.which("openssl"):
        assert openssl_verify(peers[caller], peers[callee].bundle_pem, "sslclient") == "OK"
        assert openssl_verify(peers[callee], peers[caller].bundle_pem, "sslserver") == "OK"


@pytest.mark.parametrize(("caller", "callee"), BRIDGE_LEGS, ids=["appmesh-to-istio", "istio-to-appmesh"])
def test_bridge_legs_in_boringssl(legacy: tuple[RealPki, dict[str, Peer]], caller: str, callee: str) -> None:
    _, peers = legacy
    outcome = boringssl_handshake(peers[caller], peers[callee])
    assert outcome.ok and outcome.server_saw == (peers[caller].spiffe_id,), outcome


def test_the_diff_instruments_rule_for_issued_certificates_is_the_providers_own() -> None:
    rules = json.loads((PROJECT_DIR / "offline" / "data" / "replace_rules.json").read_text())["types"]
    entry = rules[ISSUED_CERTIFICATE]
    assert sorted(entry["replace_on"]) == sorted(CERTIFICATE_INPUTS)
    assert [condition["path"] for condition in entry["replace_if"]] == [RENEWAL_PROPERTY]
