"""HA VPN and BGP rules. The ASN cases are terraform-provider-aws ValidAmazonSideASN's own valid and
invalid lists; inside CIDRs and PSKs are tested at every edge of the AWS rules; the stack cases start
from a compliant four-tunnel link and break one thing each. The runner in test_pack.py runs CASES
and BASELINES."""

from __future__ import annotations

from collections.abc import Sequence

from crossmesh_policy.vpn import psk_problem
from hypothesis import given
from hypothesis import strategies as st
from pulumi_policy import PolicyProviderResource, PolicyResource

from tests.support.policy_cases import (
    ABSENT,
    BY_NAME,
    Baseline,
    PolicyCase,
    StackCase,
    bad,
    changed,
    ok,
    res,
    resource_violations,
    stack_violations,
)
from tests.support.types import (
    AWS_CUSTOMER_GATEWAY,
    AWS_VPN_CONNECTION,
    GCP_EXTERNAL_VPN_GATEWAY,
    GCP_HA_VPN_GATEWAY,
    GCP_PROVIDER,
    GCP_ROUTER,
    GCP_ROUTER_INTERFACE,
    GCP_ROUTER_PEER,
    GCP_VPN_TUNNEL,
    RANDOM_PASSWORD,
    TGW,
)

VALID_AMAZON_ASNS = [
    7224,
    9059,
    10124,
    17493,
    64512,
    64513,
    65533,
    65534,
    4200000000,
    4200000001,
    4294967293,
    4294967294,
]
INVALID_AMAZON_ASNS = [1, 7225, 9058, 10125, 17492, 64511, 65535, 4199999999, 4294967295, 9999999999]

KEYS = [
    "Aq1.key_one_abcdefghij",
    "Bq2.key_two_abcdefghij",
    "Cq3.key_three_abcdefgh",
    "Dq4.key_four_abcdefghi",
]


def tunnel_options(tunnel: str, inside: str, key: str) -> dict[str, object]:
    return {
        f"{tunnel}InsideCidr": inside,
        f"{tunnel}PresharedKey": key,
        f"{tunnel}IkeVersions": ["ikev2"],
        f"{tunnel}Phase1EncryptionAlgorithms": ["AES256"],
        f"{tunnel}Phase1IntegrityAlgorithms": ["SHA2-256"],
        f"{tunnel}Phase1DhGroupNumbers": [20],
        f"{tunnel}Phase2EncryptionAlgorithms": ["AES256"],
        f"{tunnel}Phase2IntegrityAlgorithms": ["SHA2-256"],
        f"{tunnel}Phase2DhGroupNumbers": [20],
        f"{tunnel}DpdTimeoutAction": "restart",
        f"{tunnel}LogOptions": {
            "cloudwatchLogOptions": {"logEnabled": True, "logGroupArn": "arn:aws:logs:x"}
        },
    }


def connection_bag(index: int) -> dict[str, object]:
    return {
        "customerGatewayId": f"cgw-{index}",
        "transitGatewayId": "tgw-1",
        "type": "ipsec.1",
        **tunnel_options("tunnel1", f"169.254.{10 + 2 * index}.0/30", KEYS[2 * index]),
        **tunnel_options("tunnel2", f"169.254.{11 + 2 * index}.0/30", KEYS[2 * index + 1]),
    }


CONNECTION = connection_bag(0)
GCP_TUNNEL = {
    "region": "us-east4",
    "vpnGateway": "ha-1",
    "vpnGatewayInterface": 0,
    "peerExternalGateway": "ext-1",
    "peerExternalGatewayInterface": 0,
    "sharedSecret": KEYS[0],
    "ikeVersion": 2,
    "router": "cm-dev-router",
}
INTERFACE = {"router": "cm-dev-router", "region": "us-east4", "ipRange": "169.254.10.2/30", "vpnTunnel": "t0"}
TGW_BAG = {"amazonSideAsn": 64512}
CGW_BAG = {"bgpAsn": "65515", "ipAddress": "203.0.113.10", "type": "ipsec.1"}
ROUTER_BAG = {"region": "us-east4", "network": "cm-dev-vpc", "bgp": {"asn": 65515}}
PEER_BAG = {
    "router": "cm-dev-router",
    "region": "us-east4",
    "peerAsn": 64512,
    "peerIpAddress": "169.254.10.1",
    "interface": "if0",
}


def link(
    tunnels: int = 4,
    connection_changes: dict[str, object] | None = None,
    gcp_secrets: Sequence[str] | None = None,
    with_passwords: bool = True,
    router_region: str = "us-east4",
) -> list[PolicyResource]:
    """A compliant HA VPN link: TGW, two CGWs, two connections, FOUR_IPS external gateway, tunnels,
    router, interfaces and peers; keys come from RandomPasswords."""
    passwords = [res(RANDOM_PASSWORD, f"psk-{i}", {"length": 48, "special": True}) for i in range(tunnels)]
    tgw = res(TGW, "tgw", {"id": "tgw-1", **TGW_BAG})
    gateways = [res(AWS_CUSTOMER_GATEWAY, f"cgw-{i}", {"id": f"cgw-{i}", **CGW_BAG}) for i in range(2)]
    connections = []
    for i in range(2):
        bag = changed(connection_bag(i), **(connection_changes or {}) if i == 0 else {})
        deps = [tgw, gateways[i], *(passwords[2 * i : 2 * i + 2] if with_passwords else [])]
        connections.append(res(AWS_VPN_CONNECTION, f"conn-{i}", bag, depends_on=deps))
    external = res(
        GCP_EXTERNAL_VPN_GATEWAY,
        "aws-peer",
        {
            "redundancyType": "FOUR_IPS_REDUNDANCY",
            "interfaces": [{"id": i, "ipAddress": f"198.51.100.{i}"} for i in range(4)],
        },
    )
    router = res(GCP_ROUTER, "router", {"name": "cm-dev-router", **changed(ROUTER_BAG, region=router_region)})
    ha = res(GCP_HA_VPN_GATEWAY, "ha", {"region": "us-east4", "network": "cm-dev-vpc"})
    secrets = list(gcp_secrets) if gcp_secrets is not None else KEYS[:tunnels]
    gcp: list[PolicyResource] = []
    for i in range(tunnels):
        tunnel = res(
            GCP_VPN_TUNNEL,
            f"tunnel-{i}",
            changed(
                GCP_TUNNEL,
                vpnGatewayInterface=i // 2 % 2,
                peerExternalGatewayInterface=i % 4,
                sharedSecret=secrets[i],
            ),
            depends_on=[ha, external, router, *([passwords[i]] if with_passwords else [])],
        )
        interface = res(
            GCP_ROUTER_INTERFACE,
            f"if-{i}",
            changed(INTERFACE, ipRange=f"169.254.{10 + i}.2/30"),
            depends_on=[router, tunnel],
        )
        peer = res(
            GCP_ROUTER_PEER,
            f"peer-{i}",
            changed(PEER_BAG, peerIpAddress=f"169.254.{10 + i}.1"),
            depends_on=[router, interface],
        )
        gcp += [tunnel, interface, peer]
    return [*passwords, tgw, *gateways, *connections, external, router, ha, *gcp]


def without(resources: list[PolicyResource], name: str) -> list[PolicyResource]:
    return [r for r in resources if r.name != name]


def replaced(resources: list[PolicyResource], name: str, **changes: object) -> list[PolicyResource]:
    return [
        res(r.resource_type, r.name, changed(r.props, **changes), r.dependencies) if r.name == name else r
        for r in resources
    ]


LINK = link()

CASES: list[PolicyCase] = [
    *(ok("xc-vpn-asn-ranges", TGW, {"amazonSideAsn": asn}, str(asn)) for asn in VALID_AMAZON_ASNS),
    *(bad("xc-vpn-asn-ranges", TGW, {"amazonSideAsn": asn}, str(asn)) for asn in INVALID_AMAZON_ASNS),
    ok("xc-vpn-asn-ranges", TGW, {}, "absent-is-64512"),
    ok("xc-vpn-asn-ranges", AWS_CUSTOMER_GATEWAY, CGW_BAG),
    ok("xc-vpn-asn-ranges", AWS_CUSTOMER_GATEWAY, changed(CGW_BAG, bgpAsn="2147483647"), "2147483647"),
    bad("xc-vpn-asn-ranges", AWS_CUSTOMER_GATEWAY, changed(CGW_BAG, bgpAsn="4200000010"), "4-byte-in-bgpAsn"),
    ok(
        "xc-vpn-asn-ranges",
        AWS_CUSTOMER_GATEWAY,
        changed(CGW_BAG, bgpAsn=ABSENT, bgpAsnExtended="4200000010"),
        "extended",
    ),
    bad(
        "xc-vpn-asn-ranges",
        AWS_CUSTOMER_GATEWAY,
        changed(CGW_BAG, bgpAsn=ABSENT, bgpAsnExtended="65000"),
        "small-extended",
    ),
    bad("xc-vpn-asn-ranges", AWS_CUSTOMER_GATEWAY, changed(CGW_BAG, bgpAsn="0"), "zero"),
    bad("xc-vpn-asn-ranges", AWS_CUSTOMER_GATEWAY, changed(CGW_BAG, bgpAsn=ABSENT), "none"),
    ok("xc-vpn-asn-ranges", GCP_ROUTER, ROUTER_BAG),
    ok("xc-vpn-asn-ranges", GCP_ROUTER, changed(ROUTER_BAG, bgp__asn=4200000000), "4-byte-private"),
    bad("xc-vpn-asn-ranges", GCP_ROUTER, changed(ROUTER_BAG, bgp__asn=15169), "public"),
    ok("xc-vpn-asn-ranges", GCP_ROUTER_PEER, PEER_BAG),
    bad("xc-vpn-asn-ranges", GCP_ROUTER_PEER, changed(PEER_BAG, peerAsn=0), "zero"),
    ok("xc-vpn-inside-cidr", AWS_VPN_CONNECTION, CONNECTION),
    ok(
        "xc-vpn-inside-cidr", AWS_VPN_CONNECTION, changed(CONNECTION, tunnel1InsideCidr=ABSENT), "aws-chooses"
    ),
    ok(
        "xc-vpn-inside-cidr",
        AWS_VPN_CONNECTION,
        changed(CONNECTION, tunnel1InsideCidr="169.254.6.0/30"),
        "first-unreserved",
    ),
    *(
        bad("xc-vpn-inside-cidr", AWS_VPN_CONNECTION, changed(CONNECTION, tunnel1InsideCidr=cidr), cidr)
        for cidr in (
            "169.254.0.0/30",
            "169.254.1.0/30",
            "169.254.2.0/30",
            "169.254.3.0/30",
            "169.254.4.0/30",
            "169.254.5.0/30",
            "169.254.169.252/30",
            "169.254.10.0/29",
            "10.0.0.0/30",
            "notacidr",
        )
    ),
    ok("xc-vpn-inside-cidr", GCP_ROUTER_INTERFACE, INTERFACE, "gcp-host-form"),
    bad(
        "xc-vpn-inside-cidr",
        GCP_ROUTER_INTERFACE,
        changed(INTERFACE, ipRange="169.254.1.2/30"),
        "gcp-reserved",
    ),
    ok("xc-vpn-psk-format", AWS_VPN_CONNECTION, CONNECTION),
    ok(
        "xc-vpn-psk-format", AWS_VPN_CONNECTION, changed(CONNECTION, tunnel1PresharedKey="[secret]"), "masked"
    ),
    ok(
        "xc-vpn-psk-format",
        AWS_VPN_CONNECTION,
        changed(CONNECTION, tunnel2PresharedKey=ABSENT),
        "aws-generates",
    ),
    bad(
        "xc-vpn-psk-format",
        AWS_VPN_CONNECTION,
        changed(CONNECTION, tunnel1PresharedKey="0abcdefgh"),
        "leading-zero",
    ),
    bad(
        "xc-vpn-psk-format",
        AWS_VPN_CONNECTION,
        changed(CONNECTION, tunnel2PresharedKey="pa$$word1"),
        "bad-char",
    ),
    bad(
        "xc-vpn-psk-format", AWS_VPN_CONNECTION, changed(CONNECTION, tunnel1PresharedKey="abc1234"), "7-chars"
    ),
    bad(
        "xc-vpn-psk-format", AWS_VPN_CONNECTION, changed(CONNECTION, tunnel1PresharedKey="a" * 65), "65-chars"
    ),
    ok("xc-vpn-psk-format", GCP_VPN_TUNNEL, GCP_TUNNEL, "gcp"),
    bad(
        "xc-vpn-psk-format",
        GCP_VPN_TUNNEL,
        changed(GCP_TUNNEL, sharedSecret="0" + KEYS[0]),
        "gcp-leading-zero",
    ),
    ok("xc-vpn-ikev2-single-proposal", AWS_VPN_CONNECTION, CONNECTION),
    ok(
        "xc-vpn-ikev2-single-proposal",
        GCP_VPN_TUNNEL,
        changed(GCP_TUNNEL, ikeVersion=ABSENT),
        "gcp-default-2",
    ),
    bad("xc-vpn-ikev2-single-proposal", GCP_VPN_TUNNEL, changed(GCP_TUNNEL, ikeVersion=1), "gcp-ikev1"),
    bad(
        "xc-vpn-ikev2-single-proposal",
        AWS_VPN_CONNECTION,
        changed(CONNECTION, tunnel2IkeVersions=ABSENT),
        "ike-default",
    ),
    bad(
        "xc-vpn-ikev2-single-proposal",
        AWS_VPN_CONNECTION,
        changed(CONNECTION, tunnel1IkeVersions=["ikev1", "ikev2"]),
        "ikev1-too",
    ),
    bad(
        "xc-vpn-ikev2-single-proposal",
        AWS_VPN_CONNECTION,
        changed(CONNECTION, tunnel1Phase1EncryptionAlgorithms=["AES256", "AES128"]),
        "two-ciphers",
    ),
    bad(
        "xc-vpn-ikev2-single-proposal",
        AWS_VPN_CONNECTION,
        changed(CONNECTION, tunnel2Phase2DhGroupNumbers=ABSENT),
        "dh-default-all",
    ),
    ok("xc-vpn-crypto-floor", AWS_VPN_CONNECTION, CONNECTION),
    ok("xc-vpn-crypto-floor", GCP_VPN_TUNNEL, GCP_TUNNEL, "gcp-default"),
    ok(
        "xc-vpn-crypto-floor",
        GCP_VPN_TUNNEL,
        changed(
            GCP_TUNNEL,
            cipherSuite={
                "phase1": {
                    "encryptions": ["AES-GCM-16-256"],
                    "integrities": ["HMAC-SHA2-256-128"],
                    "dhs": ["Group-20"],
                },
                "phase2": {"encryptions": ["AES-GCM-16-256"], "pfs": ["Group-20"]},
            },
        ),
        "gcp-pinned-suite",
    ),
    bad(
        "xc-vpn-crypto-floor",
        GCP_VPN_TUNNEL,
        changed(GCP_TUNNEL, cipherSuite={"phase2": {"integrities": ["HMAC-SHA1-96"]}}),
        "gcp-sha1",
    ),
    bad(
        "xc-vpn-crypto-floor",
        AWS_VPN_CONNECTION,
        changed(CONNECTION, tunnel1Phase1IntegrityAlgorithms=["SHA1"]),
        "sha1",
    ),
    bad(
        "xc-vpn-crypto-floor", AWS_VPN_CONNECTION, changed(CONNECTION, tunnel1Phase2DhGroupNumbers=[2]), "dh2"
    ),
    bad(
        "xc-vpn-crypto-floor",
        AWS_VPN_CONNECTION,
        changed(CONNECTION, tunnel2Phase1EncryptionAlgorithms=["AES128"]),
        "aes128-cbc",
    ),
    bad(
        "xc-vpn-crypto-floor",
        AWS_VPN_CONNECTION,
        changed(CONNECTION, tunnel2Phase1EncryptionAlgorithms=ABSENT),
        "default",
    ),
    bad(
        "xc-vpn-crypto-floor",
        GCP_VPN_TUNNEL,
        changed(GCP_TUNNEL, cipherSuite={"phase1": {"encryptions": ["AES-CBC-128"], "dhs": ["Group-2"]}}),
        "gcp-weak-suite",
    ),
    ok("xc-vpn-dpd", AWS_VPN_CONNECTION, CONNECTION),
    bad(
        "xc-vpn-dpd", AWS_VPN_CONNECTION, changed(CONNECTION, tunnel1DpdTimeoutAction=ABSENT), "default-clear"
    ),
    ok("xc-vpn-tunnel-logging", AWS_VPN_CONNECTION, CONNECTION),
    bad("xc-vpn-tunnel-logging", AWS_VPN_CONNECTION, changed(CONNECTION, tunnel2LogOptions=ABSENT), "absent"),
    # Whole stacks
    *(
        StackCase(policy, LINK, False, "compliant-link")
        for policy in (
            "xc-vpn-psk-secret",
            "xc-vpn-psk-per-tunnel",
            "xc-vpn-asn-pairing",
            "xc-vpn-ha-topology",
            "xc-vpn-same-region",
            "xc-vpn-inside-cidr-unique",
        )
    ),
    StackCase("xc-vpn-psk-secret", link(with_passwords=False), True, "keys-from-config"),
    StackCase(
        "xc-vpn-psk-secret",
        link(connection_changes={"tunnel1PresharedKey": ABSENT}, with_passwords=False)[2:3],
        False,
        "no-vpn-resources",
    ),
    StackCase(
        "xc-vpn-psk-per-tunnel", link(connection_changes={"tunnel2PresharedKey": KEYS[0]}), True, "aws-reuse"
    ),
    StackCase(
        "xc-vpn-psk-per-tunnel", link(gcp_secrets=[KEYS[0], KEYS[0], KEYS[2], KEYS[3]]), True, "gcp-reuse"
    ),
    StackCase(
        "xc-vpn-psk-per-tunnel", link(gcp_secrets=[*KEYS[:3], "Zz9.unpaired_key_abcd"]), True, "gcp-unpaired"
    ),
    StackCase(
        "xc-vpn-psk-per-tunnel",
        link(connection_changes={"tunnel1PresharedKey": "[secret]"}, gcp_secrets=["[secret]", *KEYS[1:]]),
        False,
        "masked-keys-not-judged",
    ),
    StackCase("xc-vpn-asn-pairing", replaced(LINK, "cgw-1", bgpAsn="65000"), True, "cgw-not-router-asn"),
    StackCase("xc-vpn-asn-pairing", replaced(LINK, "peer-2", peerAsn=64600), True, "peer-not-amazon-asn"),
    StackCase(
        "xc-vpn-asn-pairing",
        replaced(replaced(LINK, "tgw", amazonSideAsn=65515), "peer-0", peerAsn=65515),
        True,
        "same-asn",
    ),
    StackCase("xc-vpn-ha-topology", link(tunnels=2), True, "two-tunnels"),
    StackCase("xc-vpn-ha-topology", replaced(LINK, "tgw", vpnEcmpSupport="disable"), True, "ecmp-off"),
    StackCase(
        "xc-vpn-ha-topology", replaced(LINK, "aws-peer", redundancyType="TWO_IPS_REDUNDANCY"), True, "two-ips"
    ),
    StackCase(
        "xc-vpn-ha-topology",
        replaced(LINK, "tunnel-2", vpnGatewayInterface=0),
        True,
        "one-ha-interface-heavy",
    ),
    StackCase("xc-vpn-ha-topology", without(LINK, "conn-1"), True, "one-aws-connection"),
    StackCase("xc-vpn-ha-topology", [r for r in LINK if r.resource_type == TGW], False, "no-link-yet"),
    StackCase("xc-vpn-same-region", link(router_region="us-east1"), True, "router-elsewhere"),
    StackCase(
        "xc-vpn-inside-cidr-unique",
        replaced(LINK, "conn-1", tunnel2InsideCidr="169.254.10.0/30"),
        True,
        "duplicate",
    ),
]


BASELINES = [
    Baseline(AWS_VPN_CONNECTION, CONNECTION),
    Baseline(GCP_VPN_TUNNEL, GCP_TUNNEL),
    Baseline(GCP_ROUTER_INTERFACE, INTERFACE),
    Baseline(TGW, TGW_BAG),
    Baseline(AWS_CUSTOMER_GATEWAY, CGW_BAG),
    Baseline(GCP_ROUTER, ROUTER_BAG),
    Baseline(GCP_ROUTER_PEER, PEER_BAG),
]


def test_region_falls_back_to_the_provider_region() -> None:
    provider = PolicyProviderResource(GCP_PROVIDER, {"region": "us-east1"}, "urn:provider", "gcp")
    resources = [
        res(r.resource_type, r.name, changed(r.props, region=ABSENT), r.dependencies, provider=provider)
        if r.name == "router"
        else r
        for r in LINK
    ]
    messages = [message for message, _ in stack_violations(BY_NAME["xc-vpn-same-region"], resources)]
    assert messages == ["router is in us-east1, the rest of the HA VPN in us-east4."]


@given(st.text(max_size=80), st.booleans())
def test_psk_messages_never_echo_the_key(text: str, leading: bool) -> None:
    # Every key carries a marker no message text contains, so an echo of any part of it is caught,
    # not mistaken for a common word the message happens to share with the key.
    marker = "Qx7Zq"
    key = marker + text if leading else text + marker
    messages = resource_violations(
        BY_NAME["xc-vpn-psk-format"], AWS_VPN_CONNECTION, changed(CONNECTION, tunnel1PresharedKey=key)
    )
    assert bool(messages) == (psk_problem(key) is not None)
    assert all(marker not in message for message in messages)


@given(st.from_regex(r"[1-9A-Za-z_.][0-9A-Za-z_.]{7,63}", fullmatch=True))
def test_every_key_in_the_aws_alphabet_passes(key: str) -> None:
    assert psk_problem(key) is None


RESERVED = {
    "169.254.0.0",
    "169.254.1.0",
    "169.254.2.0",
    "169.254.3.0",
    "169.254.4.0",
    "169.254.5.0",
    "169.254.169.252",
}


@given(st.integers(min_value=0, max_value=2**14 - 1))
def test_every_link_local_slash_30_passes_unless_aws_reserves_it(index: int) -> None:
    import ipaddress

    cidr = ipaddress.ip_network("169.254.0.0/30").network_address + 4 * index
    props = changed(CONNECTION, tunnel1InsideCidr=f"{cidr}/30")
    messages = resource_violations(BY_NAME["xc-vpn-inside-cidr"], AWS_VPN_CONNECTION, props)
    assert bool(messages) == (str(cidr) in RESERVED)


@given(st.integers(min_value=1, max_value=2**32 + 10))
def test_amazon_side_asn_verdict_matches_the_provider_ranges(asn: int) -> None:
    valid = asn in (7224, 9059, 10124, 17493) or 64512 <= asn <= 65534 or 4200000000 <= asn <= 4294967294
    messages = resource_violations(BY_NAME["xc-vpn-asn-ranges"], TGW, {"amazonSideAsn": asn})
    assert bool(messages) != valid
