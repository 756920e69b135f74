"""The HA VPN link: AWS Site-to-Site VPN on a Transit Gateway <-> GCP HA VPN and Cloud Router (BGP).

No public scanner covers these; the rules follow the AWS and GCP API constraints and the Google
guide "Create HA VPN connections between Google Cloud and AWS"
(https://cloud.google.com/network-connectivity/docs/vpn/tutorials/create-ha-vpn-connections-google-cloud-aws).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from pulumi_policy import PolicyResource, Severity

from crossmesh_policy.kit import (
    ADVISORY,
    MANDATORY,
    Config,
    Props,
    StackView,
    as_int,
    as_list,
    get,
    has,
    is_masked,
    known,
    resource_rule,
    stack_rule,
)

VPN_CONNECTION = "aws:ec2/vpnConnection:VpnConnection"
CUSTOMER_GATEWAY = "aws:ec2/customerGateway:CustomerGateway"
TGW = "aws:ec2transitgateway/transitGateway:TransitGateway"
VPN_GATEWAY = "aws:ec2/vpnGateway:VpnGateway"
HA_VPN_GATEWAY = "gcp:compute/haVpnGateway:HaVpnGateway"
EXTERNAL_GATEWAY = "gcp:compute/externalVpnGateway:ExternalVpnGateway"
VPN_TUNNEL = "gcp:compute/vPNTunnel:VPNTunnel"
ROUTER = "gcp:compute/router:Router"
ROUTER_INTERFACE = "gcp:compute/routerInterface:RouterInterface"
ROUTER_PEER = "gcp:compute/routerPeer:RouterPeer"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"

TUNNELS = ("tunnel1", "tunnel2")
LINK_LOCAL = ipaddress.ip_network("169.254.0.0/16")
# AWS rejects these inside CIDRs (Site-to-Site VPN tunnel options; terraform-provider-aws validator).
RESERVED_INSIDE = tuple(
    ipaddress.ip_network(c)
    for c in (
        "169.254.0.0/30",
        "169.254.1.0/30",
        "169.254.2.0/30",
        "169.254.3.0/30",
        "169.254.4.0/30",
        "169.254.5.0/30",
        "169.254.169.252/30",
    )
)
PSK_ALPHABET = re.compile(r"^[A-Za-z0-9_.]{8,64}$")
DEFAULT_AMAZON_ASN = 64512

ALLOWED_ENCRYPTION = ("AES256", "AES128-GCM-16", "AES256-GCM-16")
ALLOWED_INTEGRITY = ("SHA2-256", "SHA2-384", "SHA2-512")
ALLOWED_DH = (14, 15, 16, 17, 18, 19, 20, 21)
# The same floor in Cloud VPN's names (https://cloud.google.com/network-connectivity/docs/vpn/concepts/supported-ike-ciphers).
GCP_ENCRYPTION = ("AES-CBC-256", "AES-GCM-16-128", "AES-GCM-16-256")
GCP_INTEGRITY = ("HMAC-SHA2-256-128", "HMAC-SHA2-384-192", "HMAC-SHA2-512-256")
GCP_DH = tuple(f"Group-{group}" for group in ALLOWED_DH)
PROPOSAL_FIELDS = (
    "Phase1EncryptionAlgorithms",
    "Phase1IntegrityAlgorithms",
    "Phase1DhGroupNumbers",
    "Phase2EncryptionAlgorithms",
    "Phase2IntegrityAlgorithms",
    "Phase2DhGroupNumbers",
)


def inside_cidr_problem(value: Any) -> str | None:
    """Why an inside-tunnel CIDR is not usable, or None. Host bits are allowed (GCP's ipRange form)."""
    try:
        cidr = ipaddress.ip_interface(str(value)).network
    except ValueError:
        return "is not a CIDR"
    if cidr.prefixlen != 30:
        return "is not a /30"
    if not (cidr.version == 4 and cidr.subnet_of(LINK_LOCAL)):  # type: ignore[arg-type]
        return "is not inside 169.254.0.0/16"
    if cidr in RESERVED_INSIDE:
        return "is reserved by AWS"
    return None


def valid_amazon_side_asn(asn: int) -> bool:
    """terraform-provider-aws ValidAmazonSideASN."""
    return asn in (7224, 9059, 10124, 17493) or 64512 <= asn <= 65534 or 4200000000 <= asn <= 4294967294


def private_asn(asn: int) -> bool:
    """RFC 6996 private-use ASNs."""
    return 64512 <= asn <= 65534 or 4200000000 <= asn <= 4294967294


def psk_problem(value: Any) -> str | None:
    """Why a pre-shared key breaks the AWS rules, without echoing it; None when fine or unreadable."""
    if value is None or is_masked(value) or not isinstance(value, str):
        return None
    if not PSK_ALPHABET.match(value):
        return "must be 8-64 characters of letters, digits, '.' and '_'"
    if value.startswith("0"):
        return "must not start with '0'"
    return None


@resource_rule(
    id="xc-vpn-inside-cidr",
    anchors=["AWS Site-to-Site VPN tunnel options", "terraform-provider-aws inside CIDR validator"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[VPN_CONNECTION, ROUTER_INTERFACE],
    by_type=True,
)
def inside_cidr(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """Inside tunnel CIDRs are /30s in 169.254.0.0/16, outside AWS's reserved blocks."""
    fields = [f"{t}InsideCidr" for t in TUNNELS] if resource_type == VPN_CONNECTION else ["ipRange"]
    for field in fields:
        value = props.get(field)
        if value is None:
            continue
        problem = inside_cidr_problem(value)
        if problem:
            yield f"{field} {value} {problem}."


@stack_rule(
    id="xc-vpn-inside-cidr-unique",
    anchors=["AWS Site-to-Site VPN tunnel options"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[VPN_CONNECTION],
)
def inside_cidr_unique(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """Every tunnel has its own inside CIDR."""
    seen: dict[ipaddress.IPv4Network, str] = {}
    for connection in stack.of_type(VPN_CONNECTION):
        for tunnel in TUNNELS:
            value = connection.props.get(f"{tunnel}InsideCidr")
            if value is None or inside_cidr_problem(value):
                continue
            cidr = ipaddress.ip_network(str(value), strict=False)
            label = f"{connection.name}.{tunnel}"
            if cidr in seen:
                yield f"{label} reuses inside CIDR {cidr} of {seen[cidr]}.", connection.urn  # type: ignore[index]
            else:
                seen[cidr] = label  # type: ignore[index]


def _psk_fields(resource_type: str) -> tuple[str, ...]:
    return (
        tuple(f"{t}PresharedKey" for t in TUNNELS) if resource_type == VPN_CONNECTION else ("sharedSecret",)
    )


@resource_rule(
    id="xc-vpn-psk-format",
    anchors=["AWS Site-to-Site VPN pre-shared key rules", "terraform-provider-aws PSK validator"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[VPN_CONNECTION, VPN_TUNNEL],
    by_type=True,
)
def psk_format(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """Pre-shared keys are 8-64 characters of [A-Za-z0-9_.] and do not start with '0'. A generated key is
    unknown on a first preview, which then reports this rule as unable to run; the link's key generator
    is built to this format."""
    for field in _psk_fields(resource_type):
        problem = psk_problem(props.get(field))
        if problem:
            yield f"{field} {problem} (AWS accepts nothing else, and both ends share the key)."


@stack_rule(
    id="xc-vpn-psk-secret",
    anchors=["Pulumi secrets", "CKV_SECRET_6"],
    severity=Severity.CRITICAL,
    level=MANDATORY,
    types=[VPN_CONNECTION, VPN_TUNNEL, RANDOM_PASSWORD],
)
def psk_secret(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """Tunnel keys come from random.RandomPassword (a secret), never from plain config."""
    for resource in stack.of_type(VPN_CONNECTION, VPN_TUNNEL):
        for field in _psk_fields(resource.resource_type):
            if not has(resource.props, field):
                continue  # AWS generates it, and the provider keeps it secret.
            sources = resource.property_dependencies.get(field) or resource.dependencies
            if not any(dep.resource_type == RANDOM_PASSWORD for dep in sources):
                yield (
                    f"{field} of {resource.name} does not come from a random.RandomPassword "
                    "(whose result is secret); never from config or RandomString.",
                    resource.urn,
                )


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@stack_rule(
    id="xc-vpn-psk-per-tunnel",
    anchors=["AWS Site-to-Site VPN pre-shared key rules", "Google HA VPN to AWS guide"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[VPN_CONNECTION, VPN_TUNNEL],
)
def psk_per_tunnel(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """Each tunnel has its own key, and each GCP tunnel's key is one AWS tunnel's key (keys not yet
    generated, or masked in a saved plan, are not compared)."""
    aws: list[tuple[str, str, PolicyResource]] = []
    gcp: list[tuple[str, str, PolicyResource]] = []
    for resource in stack.of_type(VPN_CONNECTION, VPN_TUNNEL):
        side = aws if resource.resource_type == VPN_CONNECTION else gcp
        for field in _psk_fields(resource.resource_type):
            value = known(resource.props, field)  # a RandomPassword's result is unknown until created
            if isinstance(value, str) and not is_masked(value):
                side.append((_fingerprint(value), field, resource))
    for label, side in (("AWS", aws), ("GCP", gcp)):
        counts = Counter(fp for fp, _, _ in side)
        for fp, field, resource in side:
            if counts[fp] > 1:
                yield (
                    f"{field} of {resource.name} reuses another {label} tunnel's key: one key per tunnel.",
                    resource.urn,
                )
    if aws and gcp:
        aws_keys = {fp for fp, _, _ in aws}
        for fp, field, resource in gcp:
            if fp not in aws_keys:
                yield f"{field} of {resource.name} matches no AWS tunnel's key: IKE will fail.", resource.urn


@resource_rule(
    id="xc-vpn-asn-ranges",
    anchors=["terraform-provider-aws ValidAmazonSideASN", "Valid4ByteASN", "RFC 6996"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[TGW, VPN_GATEWAY, CUSTOMER_GATEWAY, ROUTER, ROUTER_PEER],
    by_type=True,
)
def asn_ranges(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """ASNs are in range: Amazon side per ValidAmazonSideASN, customer gateway 1-2147483647 (bgpAsnExtended
    above), Cloud Router private."""
    if resource_type in (TGW, VPN_GATEWAY):
        asn = as_int(props.get("amazonSideAsn", DEFAULT_AMAZON_ASN))
        if asn is None or not valid_amazon_side_asn(asn):
            yield (
                f"amazonSideAsn {props.get('amazonSideAsn')} must be 7224, 9059, 10124 or 17493 "
                "or in the "
                "range 64512 to 65534 or 4200000000 to 4294967294."
            )
    elif resource_type == CUSTOMER_GATEWAY:
        short, extended = props.get("bgpAsn"), props.get("bgpAsnExtended")
        if short is not None:
            asn = as_int(short)
            if asn is None or not 1 <= asn <= 2147483647:
                yield f"bgpAsn {short} must be 1 to 2147483647; larger ASNs go in bgpAsnExtended."
        if extended is not None:
            asn = as_int(extended)
            if asn is None or not 2147483648 <= asn <= 4294967294:
                yield f"bgpAsnExtended {extended} must be 2147483648 to 4294967294."
        if short is None and extended is None:
            yield "the customer gateway has no BGP ASN: set bgpAsn (or bgpAsnExtended) to the router's."
    elif resource_type == ROUTER:
        asn = as_int(get(props, "bgp.asn"))
        if get(props, "bgp") is not None and (asn is None or not private_asn(asn)):
            yield (
                f"bgp.asn {get(props, 'bgp.asn')} is not a private ASN (64512-65534, 4200000000-4294967294)."
            )
    elif resource_type == ROUTER_PEER:
        asn = as_int(props.get("peerAsn"))
        if asn is None or not 1 <= asn <= 4294967294:
            yield f"peerAsn {props.get('peerAsn')} is not a valid ASN."


def _customer_asn(resource: PolicyResource) -> int | None:
    return as_int(resource.props.get("bgpAsn") or resource.props.get("bgpAsnExtended"))


@stack_rule(
    id="xc-vpn-asn-pairing",
    anchors=["Google HA VPN to AWS guide"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[TGW, VPN_GATEWAY, CUSTOMER_GATEWAY, ROUTER, ROUTER_PEER],
)
def asn_pairing(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """Customer gateways carry the Cloud Router's ASN, router peers the Amazon-side ASN, and the two
    differ."""
    routers = [r for r in stack.of_type(ROUTER) if as_int(get(r.props, "bgp.asn")) is not None]
    peers = stack.of_type(ROUTER_PEER)
    peered = [r for r in routers if any(stack.refers_to(p, "router", r) for p in peers)] or routers
    gcp_asns = {as_int(get(r.props, "bgp.asn")) for r in peered}
    amazon = [
        as_int(t.props.get("amazonSideAsn", DEFAULT_AMAZON_ASN)) for t in stack.of_type(TGW, VPN_GATEWAY)
    ]
    for gateway in stack.of_type(CUSTOMER_GATEWAY):
        asn = _customer_asn(gateway)
        if gcp_asns and asn not in gcp_asns:
            yield f"customer gateway {gateway.name}'s ASN is not the Cloud Router's ASN.", gateway.urn
    if amazon:
        for peer in peers:
            if as_int(peer.props.get("peerAsn")) not in amazon:
                yield f"router peer {peer.name}'s peerAsn is not the AWS gateway's amazonSideAsn.", peer.urn
    for router in peered:
        if as_int(get(router.props, "bgp.asn")) in amazon:
            yield (
                f"Cloud Router {router.name} uses the AWS side's ASN: the two sides need different ASNs.",
                router.urn,
            )


@stack_rule(
    id="xc-vpn-ha-topology",
    anchors=["Google HA VPN to AWS guide", "terraform-google-vpn validations"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[EXTERNAL_GATEWAY, VPN_TUNNEL, VPN_CONNECTION, CUSTOMER_GATEWAY, TGW],
)
def ha_topology(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """HA VPN to AWS: FOUR_IPS_REDUNDANCY, at least 4 tunnels in pairs over both HA interfaces, two AWS
    connections, ECMP on the Transit Gateway."""
    tunnels = stack.of_type(VPN_TUNNEL)
    externals = stack.of_type(EXTERNAL_GATEWAY)
    if not tunnels and not externals:
        return
    for external in externals:
        interfaces = {as_int(get(i, "id")) for i in as_list(external.props.get("interfaces"))}
        if external.props.get("redundancyType") != "FOUR_IPS_REDUNDANCY" or interfaces != {0, 1, 2, 3}:
            yield (
                f"external VPN gateway {external.name} must be FOUR_IPS_REDUNDANCY with interfaces 0-3.",
                external.urn,
            )
    if len(tunnels) < 4 or len(tunnels) % 2:
        yield f"{len(tunnels)} HA VPN tunnels: the 99.99% SLA needs at least 4, in multiples of 2.", None
    ha_interfaces = Counter(as_int(t.props.get("vpnGatewayInterface")) for t in tunnels)
    if tunnels and (set(ha_interfaces) != {0, 1} or ha_interfaces[0] != ha_interfaces[1]):
        yield "tunnels must be spread evenly over HA VPN gateway interfaces 0 and 1.", None
    peer_interfaces = {as_int(t.props.get("peerExternalGatewayInterface")) for t in tunnels}
    if tunnels and not {0, 1, 2, 3} <= peer_interfaces:
        yield "tunnels must reach all four AWS tunnel endpoints (peerExternalGatewayInterface 0-3).", None
    for hub in stack.of_type(TGW):
        if tunnels and known(hub.props, "vpnEcmpSupport") == "disable":
            yield (
                f"Transit Gateway {hub.name} has vpnEcmpSupport off: the HA VPN's tunnels cannot share "
                "traffic, so the link runs on one tunnel's bandwidth.",
                hub.urn,
            )
    connections = stack.of_type(VPN_CONNECTION)
    gateways = {
        gateway.urn
        for connection in connections
        for gateway in stack.of_type(CUSTOMER_GATEWAY)
        if stack.refers_to(connection, "customerGatewayId", gateway)
    }
    if tunnels and (len(connections) < 2 or len(gateways) < 2):
        yield "AWS needs two VPN connections on two customer gateways (one per HA VPN interface).", None


@resource_rule(
    id="xc-vpn-ikev2-single-proposal",
    anchors=["Google Cloud VPN known issue: IKE fragmentation", "AWS tunnel options"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[VPN_CONNECTION, VPN_TUNNEL],
    by_type=True,
)
def ikev2_single_proposal(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """Tunnels use IKEv2 with a single proposal per phase."""
    if resource_type == VPN_TUNNEL:
        if as_int(props.get("ikeVersion", 2)) != 2:
            yield "ikeVersion must be 2."
        return
    for tunnel in TUNNELS:
        if as_list(props.get(f"{tunnel}IkeVersions")) != ["ikev2"]:
            yield f"{tunnel}IkeVersions must be exactly ['ikev2'] (absent allows IKEv1 too)."
        for field in PROPOSAL_FIELDS:
            values = as_list(props.get(f"{tunnel}{field}"))
            if len(values) != 1:
                yield (
                    f"{tunnel}{field} must hold exactly one value (absent offers all): Cloud VPN drops "
                    "the fragmented IKE packets a large proposal makes."
                )


@resource_rule(
    id="xc-vpn-crypto-floor",
    anchors=["AWS tunnel options allowed values", "Cloud VPN supported ciphers"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[VPN_CONNECTION, VPN_TUNNEL],
    by_type=True,
)
def crypto_floor(resource_type: str, props: Props, _: Config) -> Iterator[str]:
    """Tunnels use AES-256 or AES-GCM, SHA-2 and DH groups 14-21 only."""
    if resource_type == VPN_TUNNEL:
        for path, allowed in (
            ("phase1.encryptions", GCP_ENCRYPTION),
            ("phase1.integrities", GCP_INTEGRITY),
            ("phase1.dhs", GCP_DH),
            ("phase2.encryptions", GCP_ENCRYPTION),
            ("phase2.integrities", GCP_INTEGRITY),
            ("phase2.pfs", GCP_DH),
        ):
            weak = [v for v in as_list(get(props, f"cipherSuite.{path}")) if v not in allowed]
            if weak:
                yield f"cipherSuite.{path} offers {', '.join(str(w) for w in weak)}, below the floor."
        return
    floor: tuple[tuple[str, tuple[object, ...]], ...] = (
        ("Phase1EncryptionAlgorithms", ALLOWED_ENCRYPTION),
        ("Phase2EncryptionAlgorithms", ALLOWED_ENCRYPTION),
        ("Phase1IntegrityAlgorithms", ALLOWED_INTEGRITY),
        ("Phase2IntegrityAlgorithms", ALLOWED_INTEGRITY),
        ("Phase1DhGroupNumbers", ALLOWED_DH),
        ("Phase2DhGroupNumbers", ALLOWED_DH),
    )
    for tunnel in TUNNELS:
        for field, accepted in floor:
            values = props.get(f"{tunnel}{field}")
            if values is None:
                yield f"{tunnel}{field} is unset: AWS then offers weak algorithms too."
                continue
            weak = [v for v in as_list(values) if (as_int(v) if "Dh" in field else v) not in accepted]
            if weak:
                yield f"{tunnel}{field} offers {', '.join(str(w) for w in weak)}, below the floor."


@resource_rule(
    id="xc-vpn-dpd",
    anchors=["AWS tunnel options: DPD timeout action"],
    severity=Severity.LOW,
    level=ADVISORY,
    types=[VPN_CONNECTION],
)
def dpd(props: Props, _: Config) -> Iterator[str]:
    """AWS tunnels restart on dead-peer detection."""
    for tunnel in TUNNELS:
        if props.get(f"{tunnel}DpdTimeoutAction", "clear") != "restart":
            yield (
                f"{tunnel}DpdTimeoutAction is not 'restart': after a dead-peer timeout the tunnel stays "
                "down until GCP re-initiates."
            )


@resource_rule(
    id="xc-vpn-tunnel-logging",
    anchors=["AWS Site-to-Site VPN tunnel logs"],
    severity=Severity.LOW,
    level=ADVISORY,
    types=[VPN_CONNECTION],
)
def tunnel_logging(props: Props, _: Config) -> Iterator[str]:
    """AWS tunnels send their logs to CloudWatch."""
    for tunnel in TUNNELS:
        if get(props, f"{tunnel}LogOptions.cloudwatchLogOptions.logEnabled") is not True:
            yield f"{tunnel}LogOptions does not send tunnel logs to CloudWatch."


@stack_rule(
    id="xc-vpn-same-region",
    anchors=["GCP HA VPN resource model"],
    severity=Severity.HIGH,
    level=MANDATORY,
    types=[HA_VPN_GATEWAY, VPN_TUNNEL, ROUTER, ROUTER_INTERFACE, ROUTER_PEER],
)
def same_region(stack: StackView, _: Config) -> Iterator[tuple[str, str | None]]:
    """The HA VPN gateway, its tunnels, router, interfaces and peers are in one region."""
    resources = stack.of_type(HA_VPN_GATEWAY, VPN_TUNNEL, ROUTER_INTERFACE, ROUTER_PEER)
    if not resources:
        return
    routers = [r for r in stack.of_type(ROUTER) if any(stack.refers_to(p, "router", r) for p in resources)]
    regions = {r.urn: stack.region_of(r) for r in [*resources, *routers]}
    known = Counter(region for region in regions.values() if region)
    if len(known) <= 1:
        return
    majority = known.most_common(1)[0][0]
    for resource in [*resources, *routers]:
        region = regions[resource.urn]
        if region and region != majority:
            yield f"{resource.name} is in {region}, the rest of the HA VPN in {majority}.", resource.urn
