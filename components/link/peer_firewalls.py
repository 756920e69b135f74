"""PeerFirewalls: what each cloud's own firewall admits from the other, for the traffic that really
reaches its nodes.

Calls across the link arrive on internal load balancers, and each load balancer admits the peer's
ranges itself: the Services carry `loadBalancerSourceRanges`, from which the AWS cloud provider opens
the NLB's node ports on the EKS cluster security group and GKE writes the internal load balancer's
firewall rule (docs/flows.md). The Kubernetes APIs are reached on the control planes, each behind its
own filter (EksCluster's `api-peers` group, GKE's authorized networks). What is left here:

- GCP: the ports of the GKE internal load balancers the AWS side calls, from the AWS VPC, to the GKE
  node tag: a passthrough load balancer delivers to the nodes with the client's address, so this rule
  states in our own code what the load balancer's generated rule also admits;
- GCP: ICMP from anywhere to the GKE nodes, for path-MTU discovery. Cloud VPN does not fragment after
  encapsulation: it answers an oversized packet with DF set by sending ICMP "fragmentation needed" to
  the sender, which Google says needs an ingress allow rule for ICMP on the sending VMs
  (https://cloud.google.com/network-connectivity/docs/vpn/concepts/mtu-considerations). Google names
  no source address for those messages and GCP firewall rules cannot select an ICMP type, so the rule
  admits ICMP from any source; the nodes have no external addresses, so only what is routed into the
  VPC reaches them;
- AWS: ICMP fragmentation-needed (type 3, code 4) from the GCP ranges, in the `mesh-peers` group the
  EKS nodes carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

# ICMP destination unreachable (type 3), fragmentation needed (code 4).
ICMP_UNREACHABLE = 3
ICMP_FRAGMENTATION_NEEDED = 4
ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class PeerFirewallsArgs:
    name_prefix: str
    aws_vpc_id: pulumi.Input[str]
    aws_vpc_cidr: str
    """The AWS source: nodes and (VPC CNI) pods share the VPC range."""
    gcp_network_self_link: pulumi.Input[str]
    gcp_source_ranges: Sequence[str]
    """The GCP sources: the GKE subnet (nodes, internal load balancers) and the pods range."""
    gcp_load_balancer_ports: Sequence[int]
    """TCP ports of the GKE internal load balancers the AWS side calls (Istio's east-west gateway 15443,
    or the App Mesh bridge's ingress gateway)."""
    gke_node_tag: str | None = None
    """Network tag of the GKE nodes; f"{name_prefix}-gke-node" unless given."""


class PeerFirewalls(pulumi.ComponentResource):
    node_security_group_id: pulumi.Output[str]
    """The `mesh-peers` security group, for the EKS nodes."""
    gke_node_tag: str

    def __init__(
        self, name: str, args: PeerFirewallsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("crossmesh:link:PeerFirewalls", name, None, opts)
        prefix = args.name_prefix
        child = pulumi.ResourceOptions(parent=self)
        self.gke_node_tag = args.gke_node_tag or f"{prefix}-gke-node"

        # Ingress only: security groups add up, and the nodes' cluster security group keeps their egress.
        # Its name and description are as first deployed: AWS replaces a group to change either, and the
        # nodes' launch template would roll every node for it.
        group = aws.ec2.SecurityGroup(
            f"{name}-mesh-peers",
            name=f"{prefix}-mesh-peers",
            description="crossmesh: mesh traffic from Google Cloud over the link",
            vpc_id=args.aws_vpc_id,
            tags={"Name": f"{prefix}-mesh-peers"},
            opts=child,
        )
        for source_index, source in enumerate(args.gcp_source_ranges):
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

        ports = sorted(set(args.gcp_load_balancer_ports))
        gcp.compute.Firewall(
            f"{name}-from-aws",
            name=f"{prefix}-mesh-from-aws",
            network=args.gcp_network_self_link,
            direction="INGRESS",
            priority=1000,
            source_ranges=[args.aws_vpc_cidr],
            target_tags=[self.gke_node_tag],
            allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[str(port) for port in ports])],
            log_config=gcp.compute.FirewallLogConfigArgs(metadata="INCLUDE_ALL_METADATA"),
            description="crossmesh: calls from AWS to the GKE internal load balancers on "
            + ", ".join(map(str, ports)),
            opts=child,
        )
        gcp.compute.Firewall(
            f"{name}-pmtu",
            name=f"{prefix}-pmtu-icmp",
            network=args.gcp_network_self_link,
            direction="INGRESS",
            priority=1000,
            source_ranges=[ANYWHERE],
            target_tags=[self.gke_node_tag],
            allows=[gcp.compute.FirewallAllowArgs(protocol="icmp")],
            log_config=gcp.compute.FirewallLogConfigArgs(metadata="INCLUDE_ALL_METADATA"),
            description="crossmesh: ICMP fragmentation-needed from Cloud VPN for path MTU discovery "
            "(the gateway's source address is not documented)",
            opts=child,
        )

        self.node_security_group_id = group.id
        self.register_outputs({"nodeSecurityGroupId": self.node_security_group_id})
