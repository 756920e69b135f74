"""GcpNetwork: the custom-mode VPC that GKE runs in and HA VPN terminates on.

One regional subnet with the GKE pods and services secondary ranges, Private Google Access and flow
logs; a Cloud Router that also carries the link's BGP sessions; Cloud NAT so private nodes can pull
images. Dynamic routing is global so routes learned over the link reach every region of the VPC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.config import GcpConfig
from components.link.specs import GcpPrefix

PODS_RANGE_NAME = "gke-pods"
SERVICES_RANGE_NAME = "gke-services"


@dataclass(frozen=True)
class GcpNetworkArgs:
    config: GcpConfig
    router_asn: int
    name_prefix: str
    advertised: Sequence[GcpPrefix]
    """What the Cloud Router advertises to BGP peers that take its defaults: the ranges AWS routes to
    the link (components/link/specs.py, gcp_prefixes)."""


class GcpNetwork(pulumi.ComponentResource):
    network_self_link: pulumi.Output[str]
    network_name: pulumi.Output[str]
    subnet_self_link: pulumi.Output[str]
    router_name: pulumi.Output[str]
    region: str
    pods_range_name: str = PODS_RANGE_NAME
    services_range_name: str = SERVICES_RANGE_NAME

    def __init__(self, name: str, args: GcpNetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crossmesh:gcp:GcpNetwork", name, None, opts)
        config = args.config
        self._name, self._prefix = name, args.name_prefix
        self._child = pulumi.ResourceOptions(parent=self)
        self.region = config.region

        network = gcp.compute.Network(
            f"{name}-vpc",
            name=f"{self._prefix}-vpc",
            auto_create_subnetworks=False,
            routing_mode="GLOBAL",
            description="crossmesh: GKE and the cross-cloud link",
            opts=self._child,
        )
        subnet = self._build_subnet(network, config)
        router = self._build_router(network, config, args.router_asn, args.advertised)
        self._build_nat(router, subnet)

        self.network_self_link = network.self_link
        self.network_name = network.name
        self.subnet_self_link = subnet.self_link
        self.router_name = router.name
        self.register_outputs(
            {
                "networkSelfLink": self.network_self_link,
                "subnetSelfLink": self.subnet_self_link,
                "routerName": self.router_name,
            }
        )

    def _build_subnet(self, network: gcp.compute.Network, config: GcpConfig) -> gcp.compute.Subnetwork:
        """The GKE subnet with its pods and services secondary ranges, Private Google Access and flow
        logs."""
        return gcp.compute.Subnetwork(
            f"{self._name}-subnet",
            name=f"{self._prefix}-gke",
            network=network.id,
            region=config.region,
            ip_cidr_range=config.subnet_cidr,
            private_ip_google_access=True,
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(
                    range_name=PODS_RANGE_NAME, ip_cidr_range=config.pods_cidr
                ),
                gcp.compute.SubnetworkSecondaryIpRangeArgs(
                    range_name=SERVICES_RANGE_NAME, ip_cidr_range=config.services_cidr
                ),
            ],
            log_config=gcp.compute.SubnetworkLogConfigArgs(
                aggregation_interval="INTERVAL_5_SEC",
                flow_sampling=0.5,
                metadata="INCLUDE_ALL_METADATA",
            ),
            opts=self._child,
        )

    def _build_router(
        self, network: gcp.compute.Network, config: GcpConfig, asn: int, advertised: Sequence[GcpPrefix]
    ) -> gcp.compute.Router:
        """The Cloud Router that also carries the link's BGP sessions. Custom advertisement of exactly
        the ranges AWS can reach: the subnet and the pods range, the GKE control plane (it lives in a
        Google-owned peered VPC and is not advertised by default) and the Cloud DNS forwarding source,
        so the AWS resolver's answers come back over the link. Not `ALL_SUBNETS`, which would add the
        GKE services range: ClusterIPs are not reachable from outside the cluster."""
        return gcp.compute.Router(
            f"{self._name}-router",
            name=f"{self._prefix}-router",
            network=network.id,
            region=config.region,
            bgp=gcp.compute.RouterBgpArgs(
                asn=asn,
                advertise_mode="CUSTOM",
                advertised_ip_ranges=[
                    gcp.compute.RouterBgpAdvertisedIpRangeArgs(
                        range=prefix.cidr, description=prefix.description
                    )
                    for prefix in advertised
                ],
            ),
            opts=self._child,
        )

    def _build_nat(self, router: gcp.compute.Router, subnet: gcp.compute.Subnetwork) -> None:
        """Cloud NAT for the subnet, so private nodes can pull images."""
        gcp.compute.RouterNat(
            f"{self._name}-nat",
            name=f"{self._prefix}-nat",
            router=router.name,
            region=self.region,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetworks=[
                gcp.compute.RouterNatSubnetworkArgs(
                    name=subnet.id, source_ip_ranges_to_nats=["ALL_IP_RANGES"]
                )
            ],
            log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
            opts=self._child,
        )
