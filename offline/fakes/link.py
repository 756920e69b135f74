"""The cross-cloud link: Transit Gateway, VPN connections, HA VPN, Cloud Router parts, interconnect,
and the pre-shared keys.

The VPN connection answers like AWS does: four distinct outside IPs per group, the TGW's ASN on
every tunnel, the inside addresses taken from the inside CIDRs it was given (AWS end = first host,
customer gateway = second), and the ID of the TGW attachment it creates.
"""

from __future__ import annotations

import ipaddress
import string
from typing import Any

from offline.fake_cloud import (
    AWS_PUBLIC_POOL,
    FAKE_AWS_ACCOUNT,
    GCP_PUBLIC_POOL,
    FakeResource,
    digest,
    outputs_for,
)
from offline.fakes.gcp_base import COMPUTE_API

_TGW_PREFIXES = {
    "aws:ec2transitgateway/transitGateway:TransitGateway": ("tgw", "transit-gateway"),
    "aws:ec2transitgateway/routeTable:RouteTable": ("tgw-rtb", "transit-gateway-route-table"),
    "aws:ec2transitgateway/vpcAttachment:VpcAttachment": ("tgw-attach", "transit-gateway-attachment"),
    "aws:ec2/customerGateway:CustomerGateway": ("cgw", "customer-gateway"),
}


@outputs_for(*_TGW_PREFIXES)
def transit_resource(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    id_prefix, arn_kind = _TGW_PREFIXES[resource.type]
    resource_id = f"{id_prefix}-{resource.hex(17)}"
    outputs: dict[str, Any] = {"arn": resource.aws_arn("ec2", f"{arn_kind}/{resource_id}")}
    if resource.type == "aws:ec2transitgateway/transitGateway:TransitGateway":
        outputs["ownerId"] = FAKE_AWS_ACCOUNT
        outputs["associationDefaultRouteTableId"] = f"tgw-rtb-{resource.hex(17, 'association')}"
        outputs["propagationDefaultRouteTableId"] = f"tgw-rtb-{resource.hex(17, 'propagation')}"
    if resource.type == "aws:ec2transitgateway/vpcAttachment:VpcAttachment":
        outputs["vpcOwnerId"] = FAKE_AWS_ACCOUNT
    return resource_id, outputs


@outputs_for(
    "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation",
    "aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation",
)
def route_table_link(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    table = resource.inputs.get("transitGatewayRouteTableId")
    attachment = resource.inputs.get("transitGatewayAttachmentId")
    return f"{table}_{attachment}", {"resourceType": "vpn" if "vpn" in resource.name else "vpc"}


@outputs_for("aws:ec2/vpnConnection:VpnConnection")
def vpn_connection(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    resource_id = f"vpn-{resource.hex(17)}"
    tgw = resource.lookup(str(resource.inputs.get("transitGatewayId", "")))
    # AWS reports the ASN as a string; the recorded input is a JSON number.
    asn = str(int(float(tgw.get("amazonSideAsn", 64512))))
    outputs: dict[str, Any] = {
        "arn": resource.aws_arn("ec2", f"vpn-connection/{resource_id}"),
        "transitGatewayAttachmentId": f"tgw-attach-{resource.hex(17, 'attachment')}",
        "tunnelBandwidth": resource.inputs.get("tunnelBandwidth", "standard"),
    }
    for number in (1, 2):
        hosts = _hosts(str(resource.inputs.get(f"tunnel{number}InsideCidr", "")), resource, number)
        outputs[f"tunnel{number}Address"] = resource.cloud.public_ip(
            AWS_PUBLIC_POOL, f"{resource.seed}/tunnel{number}"
        )
        outputs[f"tunnel{number}VgwInsideAddress"] = hosts[0]
        outputs[f"tunnel{number}CgwInsideAddress"] = hosts[1]
        outputs[f"tunnel{number}InsideCidr"] = f"{ipaddress.IPv4Address(hosts[0]) - 1}/30"
        outputs[f"tunnel{number}BgpAsn"] = asn
        outputs[f"tunnel{number}BgpHoldtime"] = 30
    return resource_id, outputs


def _hosts(cidr: str, resource: FakeResource, number: int) -> tuple[str, str]:
    """AWS numbers a tunnel's /30 first host = AWS end, second host = customer gateway; with no
    CIDR given it picks one itself."""
    if not cidr:
        offset = int(digest(f"{resource.seed}/{number}"), 16) % 16_000
        cidr = str(ipaddress.IPv4Network((int(ipaddress.IPv4Address("169.254.64.0")) + offset * 4, 30)))
    first, second = ipaddress.IPv4Network(cidr).hosts()
    return str(first), str(second)


@outputs_for("aws:directconnect/gateway:Gateway")
def dx_gateway(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    resource_id = str(digest(resource.seed)[:8]) + "-" + resource.hex(4, "a") + "-" + resource.hex(12, "b")
    return resource_id, {
        "arn": resource.aws_arn("directconnect", f"dx-gateway/{resource_id}", regional=False),
        "ownerAccountId": FAKE_AWS_ACCOUNT,
    }


@outputs_for("aws:directconnect/gatewayAssociation:GatewayAssociation")
def dx_gateway_association(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    association_id = f"ga-{resource.inputs.get('dxGatewayId')}{resource.inputs.get('associatedGatewayId')}"
    return association_id, {
        "associatedGatewayType": "transitGateway",
        "associatedGatewayOwnerAccountId": FAKE_AWS_ACCOUNT,
        "dxGatewayAssociationId": resource.hex(36),
        "dxGatewayOwnerAccountId": FAKE_AWS_ACCOUNT,
        "transitGatewayAttachmentId": f"tgw-attach-{resource.hex(17, 'attachment')}",
    }


_GCP_REGIONAL = {
    "gcp:compute/haVpnGateway:HaVpnGateway": "vpnGateways",
    "gcp:compute/vPNTunnel:VPNTunnel": "vpnTunnels",
}


@outputs_for(*_GCP_REGIONAL, "gcp:compute/externalVpnGateway:ExternalVpnGateway")
def vpn_gateway(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = str(resource.inputs.get("name") or f"{resource.name}-{resource.hex(7)}")
    project = resource.gcp_project
    collection = _GCP_REGIONAL.get(resource.type)
    location = f"regions/{resource.gcp_region}" if collection else "global"
    resource_id = f"projects/{project}/{location}/{collection or 'externalVpnGateways'}/{name}"
    outputs: dict[str, Any] = {"name": name, "project": project, "selfLink": COMPUTE_API + resource_id}
    if resource.type == "gcp:compute/haVpnGateway:HaVpnGateway":
        outputs["region"] = resource.gcp_region
        outputs["vpnInterfaces"] = [
            {"id": index, "ipAddress": resource.cloud.public_ip(GCP_PUBLIC_POOL, f"{resource.seed}/{index}")}
            for index in (0, 1)
        ]
    if resource.type == "gcp:compute/vPNTunnel:VPNTunnel":
        outputs["region"] = resource.gcp_region
        outputs["tunnelId"] = str(int(resource.hex(15), 16) % 10**19)
        outputs["detailedStatus"] = "Tunnel is up and running."
    return resource_id, outputs


@outputs_for("gcp:compute/routerInterface:RouterInterface", "gcp:compute/routerPeer:RouterPeer")
def router_part(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = str(resource.inputs.get("name"))
    router = resource.inputs.get("router")
    return f"projects/{resource.gcp_project}/regions/{resource.gcp_region}/routers/{router}/{name}", {
        "name": name,
        "project": resource.gcp_project,
        "region": resource.gcp_region,
    }


@outputs_for("gcp:networkconnectivity/transport:Transport")
def transport(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    name = str(resource.inputs.get("name") or f"{resource.name}-{resource.hex(7)}")
    region = str(resource.inputs.get("region"))
    resource_id = f"projects/{resource.gcp_project}/locations/{region}/transports/{name}"
    return resource_id, {
        "name": name,
        "generatedActivationKey": f"ak-{resource.hex(32, 'activation')}",
        "peeringNetwork": f"projects/{resource.gcp_project}-tp/global/networks/transport-{resource.hex(8)}",
        "state": "PENDING_CONFIG",
        "mtuLimit": 8896,
    }


@outputs_for("random:index/randomPassword:RandomPassword")
def random_password(resource: FakeResource) -> tuple[str, dict[str, Any]]:
    """A fixed-per-URN password drawn from exactly the alphabet the inputs allow."""
    inputs = resource.inputs
    alphabet = (
        (string.ascii_uppercase if inputs.get("upper", True) else "")
        + (string.ascii_lowercase if inputs.get("lower", True) else "")
        + (string.digits if inputs.get("numeric", True) else "")
        + (str(inputs.get("overrideSpecial", "!@#$%&*()-_=+[]{}<>:?")) if inputs.get("special", True) else "")
    )
    length = int(inputs["length"])
    stream = ""
    counter = 0
    while len(stream) < length * 2:
        stream += digest(f"{resource.seed}/{counter}")
        counter += 1
    result = "".join(alphabet[int(stream[2 * i : 2 * i + 2], 16) % len(alphabet)] for i in range(length))
    return "none", {"result": result, "bcryptHash": f"$2a$10${resource.hex(53)}"}
