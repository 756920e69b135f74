"""PeerFirewalls: each cloud lets the other's ranges in on exactly what the mesh needs.

Istio multi-network traffic crosses the link on the east-west gateway (15443), istiod's xDS and CA
(15012) and webhook (15017) ports, the Kubernetes API (443, which each istiod reads for the remote
cluster's endpoints) and the declared service ports; ICMP "fragmentation needed" lets path MTU
discovery work through Cloud VPN, which does not fragment after encapsulation
(https://cloud.google.com/network-connectivity/docs/vpn/concepts/mtu-considerations). Nothing is
opened to 0.0.0.0/0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

# https://istio.io/latest/docs/ops/deployment/application-requirements/#ports-used-by-istio
MESH_PORTS: dict[int, str] = {
    443: "Kubernetes API",
    15012: "istiod xDS and CA",
    15017: "istiod webhooks",
    15443: "east-west gateway mTLS",
}
# ICMP destination unreachable (type 3), fragmentation needed (code 4).
ICMP_UNREACHABLE = 3
ICMP_FRAGMENTATION_NEEDED = 4


def peer_ports(service_ports: Sequence[int]) -> dict[int, str]:
    """Every TCP port the peer cloud may reach, with what it is for, in port order."""
    ports = dict(MESH_PORTS)
    for port in service_ports:
        ports.setdefault(port, "declared service port")
    return dict(sorted(ports.items()))


@dataclass(frozen=True)
class PeerFirewallsArgs:
    name_prefix: str
    aws_vpc_id: pulumi.Input[str]
    aws_vpc_cidr: str
    """The AWS source: nodes and (VPC CNI) pods share the VPC range."""
    gcp_network_self_link: pulumi.Input[str]
    gcp_source_ranges: Sequence[str]
    """The GCP sources: the GKE subnet (nodes, internal load balancers) and the pods range."""
    aws_service_ports: Sequence[int] = ()
    gcp_service_ports: Sequence[int] = ()
    gke_node_tag: str | None = None
    """Network tag of the GKE nodes; f"{name_prefix}-gke-node" unless given."""


class PeerFirewalls(pulumi.ComponentResource):
    node_security_group_id: pulumi.Output[str]
    """The `mesh-peers` security group, for the EKS nodes (and the cluster's API endpoint)."""
    gke_node_tag: str

    def __init__(
        self, name: str, args: PeerFirewallsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("crossmesh:link:PeerFirewalls", name, None, opts)
        prefix = args.name_prefix
        child = pulumi.ResourceOptions(parent=self)
        self.gke_node_tag = args.gke_node_tag or f"{prefix}-gke-node"

        # Ingress only: security groups add up, and the nodes' own group keeps their egress.
        group = aws.ec2.SecurityGroup(
            f"{name}-mesh-peers",
            name=f"{prefix}-mesh-peers",
            description="crossmesh: mesh traffic from Google Cloud over the link",
            vpc_id=args.aws_vpc_id,
            tags={"Name": f"{prefix}-mesh-peers"},
            opts=child,
        )
        aws_ports = peer_ports(args.aws_service_ports)
        for source_index, source in enumerate(args.gcp_source_ranges):
            for port, purpose in aws_ports.items():
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-gcp-{source_index}-tcp-{port}",
                    security_group_id=group.id,
                    cidr_ipv4=source,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    description=f"{purpose} from GCP {source}",
                    opts=child,
                )
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-gcp-{source_index}-icmp-frag",
                security_group_id=group.id,
                cidr_ipv4=source,
                ip_protocol="icmp",
                # For ICMP, from_port is the type and to_port the code.
                from_port=ICMP_UNREACHABLE,
                to_port=ICMP_FRAGMENTATION_NEEDED,
                description=f"path MTU discovery (fragmentation needed) from GCP {source}",
                opts=child,
            )

        gcp_ports = peer_ports(args.gcp_service_ports)
        # GCP firewall rules cannot select an ICMP type, so ICMP from the peer VPC is allowed whole.
        gcp.compute.Firewall(
            f"{name}-from-aws",
            name=f"{prefix}-mesh-from-aws",
            network=args.gcp_network_self_link,
            direction="INGRESS",
            priority=1000,
            source_ranges=[args.aws_vpc_cidr],
            target_tags=[self.gke_node_tag],
            allows=[
                gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[str(port) for port in gcp_ports]),
                gcp.compute.FirewallAllowArgs(protocol="icmp"),
            ],
            log_config=gcp.compute.FirewallLogConfigArgs(metadata="INCLUDE_ALL_METADATA"),
            description="crossmesh: mesh traffic from AWS over the link: "
            + ", ".join(f"{port} {purpose}" for port, purpose in gcp_ports.items()),
            opts=child,
        )

        self.node_security_group_id = group.id
        self.register_outputs({"nodeSecurityGroupId": self.node_security_group_id})
