"""AwsNetwork: the VPC that EKS runs in and the Transit Gateway attaches to.

Private subnets (nodes, pods, internal load balancers) and public subnets (NAT gateways only) in every
configured AZ, one NAT gateway and one private route table per AZ so an AZ outage stays in its AZ,
VPC flow logs to an encrypted, retained log group, and a default security group with no rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.config import AwsConfig
from components.network.aws_specs import flow_log_write_policy, flow_logs_trust_policy, logs_key_policy
from components.network.specs import subnet_plan
from components.network.zone_specs import Zone, ZoneChoiceError, choose_zones


@dataclass(frozen=True)
class AwsNetworkArgs:
    config: AwsConfig
    name_prefix: str
    flow_log_retention_days: int = 365
    protect: bool = False
    """Protect the logs key from deletion: every log group it encrypts becomes unreadable without it."""


class AwsNetwork(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    availability_zones: pulumi.Output[list[str]]
    """The subnets' zone names in this account, subnet index by subnet index."""
    availability_zone_ids: pulumi.Output[list[str]]
    """The same zones by ID, which name them in every account (components/network/zone_specs.py)."""
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    private_route_table_ids: list[pulumi.Output[str]]
    logs_key_arn: pulumi.Output[str]
    """KMS key for the stack's CloudWatch log groups (flow, VPN tunnel and control-plane logs)."""

    def __init__(self, name: str, args: AwsNetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crossmesh:aws:AwsNetwork", name, None, opts)
        self._name, self._prefix = name, args.name_prefix
        # Not `_protect`: pulumi.Resource keeps its own protect flag there, which children inherit.
        self._protect_key = args.protect
        self._child = pulumi.ResourceOptions(parent=self)
        config = args.config

        offered = aws.get_availability_zones_output(
            state="available",
            filters=[
                aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])
            ],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        zones = pulumi.Output.all(offered.names, offered.zone_ids).apply(
            lambda found: _chosen_zones(config, found[0], found[1])
        )
        self.availability_zones = zones.apply(lambda chosen: [zone.name for zone in chosen])
        self.availability_zone_ids = zones.apply(lambda chosen: [zone.id for zone in chosen])

        self._build_logs_key(config.region)
        self._build_vpc(config.vpc_cidr)
        self._build_flow_logs(args.flow_log_retention_days)
        internet_gateway, public_routes = self._build_public_routing()

        self.private_subnet_ids = []
        self.public_subnet_ids = []
        self.private_route_table_ids = []
        plan = subnet_plan(config.vpc_cidr, config.az_count, config.resolved_zone_slots())
        for index, (private_cidr, public_cidr) in enumerate(zip(plan.private, plan.public, strict=True)):
            self._build_zone(index, private_cidr, public_cidr, internet_gateway, public_routes)

        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "privateSubnetIds": self.private_subnet_ids,
                "publicSubnetIds": self.public_subnet_ids,
                "privateRouteTableIds": self.private_route_table_ids,
                "logsKeyArn": self.logs_key_arn,
                "availabilityZoneIds": self.availability_zone_ids,
            }
        )

    def _build_logs_key(self, region: str) -> None:
        """The KMS key of every CloudWatch log group of the stack."""
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.logs_key = aws.kms.Key(
            f"{self._name}-logs-key",
            description=f"{self._prefix}: CloudWatch Logs encryption",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=identity.account_id.apply(lambda account: logs_key_policy(account, region)),
            opts=pulumi.ResourceOptions(parent=self, protect=self._protect_key),
        )
        self.logs_key_arn = self.logs_key.arn

    def _build_vpc(self, vpc_cidr: str) -> None:
        """The VPC, and its default security group with every rule removed, so nothing that uses it is
        open."""
        name, prefix, child = self._name, self._prefix, self._child
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": f"{prefix}-vpc"},
            opts=child,
        )
        self.vpc_id = self.vpc.id
        self.vpc_cidr = vpc_cidr
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            tags={"Name": f"{prefix}-default-closed"},
            opts=child,
        )

    def _build_flow_logs(self, retention_days: int) -> None:
        """Flow logs of all traffic into an encrypted, retained log group, through a role that may
        write there only."""
        name, child = self._name, self._child
        flow_logs = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/crossmesh/{self._prefix}/vpc-flow-logs",
            retention_in_days=retention_days,
            kms_key_id=self.logs_key.arn,
            opts=child,
        )
        flow_role = aws.iam.Role(
            f"{name}-flow-logs-role", assume_role_policy=flow_logs_trust_policy(), opts=child
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-write",
            role=flow_role.id,
            policy=flow_logs.arn.apply(flow_log_write_policy),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=flow_logs.arn,
            iam_role_arn=flow_role.arn,
            max_aggregation_interval=60,
            opts=child,
        )

    def _build_public_routing(self) -> tuple[aws.ec2.InternetGateway, aws.ec2.RouteTable]:
        """The internet gateway and the public subnets' route table, its default route through it."""
        name, prefix, child = self._name, self._prefix, self._child
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": f"{prefix}-igw"}, opts=child
        )
        public_routes = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=self.vpc.id, tags={"Name": f"{prefix}-public"}, opts=child
        )
        # Routes are separate resources so that the link can add its own to the same tables.
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_routes.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        return igw, public_routes

    def _build_zone(
        self,
        index: int,
        private_cidr: str,
        public_cidr: str,
        internet_gateway: aws.ec2.InternetGateway,
        public_routes: aws.ec2.RouteTable,
    ) -> None:
        """One AZ: a public subnet with its NAT gateway, and a private subnet whose own route table
        sends the internet through that NAT, so an AZ outage stays in its AZ."""
        name, prefix, child = self._name, self._prefix, self._child
        public = self._subnet("public", index, public_cidr, "elb", public_routes)
        nat_ip = aws.ec2.Eip(
            f"{name}-nat-{index}", domain="vpc", tags={"Name": f"{prefix}-nat-{index}"}, opts=child
        )
        nat = aws.ec2.NatGateway(
            f"{name}-nat-{index}",
            allocation_id=nat_ip.id,
            subnet_id=public.id,
            connectivity_type="public",
            tags={"Name": f"{prefix}-nat-{index}"},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[internet_gateway]),
        )

        private_routes = aws.ec2.RouteTable(
            f"{name}-private-rt-{index}",
            vpc_id=self.vpc.id,
            tags={"Name": f"{prefix}-private-{index}"},
            opts=child,
        )
        aws.ec2.Route(
            f"{name}-private-default-{index}",
            route_table_id=private_routes.id,
            destination_cidr_block="0.0.0.0/0",
            nat_gateway_id=nat.id,
            opts=child,
        )
        private = self._subnet("private", index, private_cidr, "internal-elb", private_routes)
        self.public_subnet_ids.append(public.id)
        self.private_subnet_ids.append(private.id)
        self.private_route_table_ids.append(private_routes.id)

    def _subnet(
        self, kind: str, index: int, cidr: str, load_balancer_role: str, routes: aws.ec2.RouteTable
    ) -> aws.ec2.Subnet:
        """A subnet of the AZ `index`, tagged for the load balancers Kubernetes may place in it, and
        associated with its route table."""
        subnet = aws.ec2.Subnet(
            f"{self._name}-{kind}-{index}",
            vpc_id=self.vpc.id,
            cidr_block=cidr,
            availability_zone=self.availability_zones[index],
            map_public_ip_on_launch=False,
            tags={"Name": f"{self._prefix}-{kind}-{index}", f"kubernetes.io/role/{load_balancer_role}": "1"},
            opts=self._child,
        )
        aws.ec2.RouteTableAssociation(
            f"{self._name}-{kind}-{index}", subnet_id=subnet.id, route_table_id=routes.id, opts=self._child
        )
        return subnet


def _chosen_zones(config: AwsConfig, names: list[str], zone_ids: list[str]) -> list[Zone]:
    try:
        return choose_zones(config.region, names, zone_ids, config.az_count, config.availability_zone_ids)
    except ZoneChoiceError as err:
        raise pulumi.RunError(str(err)) from None
