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


@dataclass(frozen=True)
class AwsNetworkArgs:
    config: AwsConfig
    name_prefix: str
    flow_log_retention_days: int = 365


class AwsNetwork(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    availability_zones: pulumi.Output[list[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    private_route_table_ids: list[pulumi.Output[str]]
    logs_key_arn: pulumi.Output[str]
    """KMS key for the stack's CloudWatch log groups (flow, VPN tunnel and control-plane logs)."""

    def __init__(self, name: str, args: AwsNetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("crossmesh:aws:AwsNetwork", name, None, opts)
        config, prefix = args.config, args.name_prefix
        child = pulumi.ResourceOptions(parent=self)
        plan = subnet_plan(config.vpc_cidr, config.az_count)

        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        zones = aws.get_availability_zones_output(
            state="available",
            filters=[
                aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])
            ],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.availability_zones = zones.names.apply(lambda names: _first_zones(names, config.az_count))

        self.logs_key = aws.kms.Key(
            f"{name}-logs-key",
            description=f"{prefix}: CloudWatch Logs encryption",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=identity.account_id.apply(lambda account: logs_key_policy(account, config.region)),
            opts=child,
        )
        self.logs_key_arn = self.logs_key.arn

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=config.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": f"{prefix}-vpc"},
            opts=child,
        )
        self.vpc_id = self.vpc.id
        self.vpc_cidr = config.vpc_cidr

        # Removing every rule from the default security group leaves nothing that uses it open.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            tags={"Name": f"{prefix}-default-closed"},
            opts=child,
        )

        flow_logs = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/crossmesh/{prefix}/vpc-flow-logs",
            retention_in_days=args.flow_log_retention_days,
            kms_key_id=self.logs_key.arn,
            opts=child,
        )
        flow_role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=flow_logs_trust_policy(),
            opts=child,
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

        self.private_subnet_ids = []
        self.public_subnet_ids = []
        self.private_route_table_ids = []
        for index, (private_cidr, public_cidr) in enumerate(zip(plan.private, plan.public, strict=True)):
            zone = self.availability_zones[index]
            public = aws.ec2.Subnet(
                f"{name}-public-{index}",
                vpc_id=self.vpc.id,
                cidr_block=public_cidr,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={"Name": f"{prefix}-public-{index}", "kubernetes.io/role/elb": "1"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{index}", subnet_id=public.id, route_table_id=public_routes.id, opts=child
            )
            nat_ip = aws.ec2.Eip(
                f"{name}-nat-{index}", domain="vpc", tags={"Name": f"{prefix}-nat-{index}"}, opts=child
            )
            nat = aws.ec2.NatGateway(
                f"{name}-nat-{index}",
                allocation_id=nat_ip.id,
                subnet_id=public.id,
                connectivity_type="public",
                tags={"Name": f"{prefix}-nat-{index}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )

            private = aws.ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=self.vpc.id,
                cidr_block=private_cidr,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={"Name": f"{prefix}-private-{index}", "kubernetes.io/role/internal-elb": "1"},
                opts=child,
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
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}", subnet_id=private.id, route_table_id=private_routes.id, opts=child
            )
            self.public_subnet_ids.append(public.id)
            self.private_subnet_ids.append(private.id)
            self.private_route_table_ids.append(private_routes.id)

        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "privateSubnetIds": self.private_subnet_ids,
                "publicSubnetIds": self.public_subnet_ids,
                "privateRouteTableIds": self.private_route_table_ids,
                "logsKeyArn": self.logs_key_arn,
            }
        )


def _first_zones(names: list[str], count: int) -> list[str]:
    if len(names) < count:
        raise pulumi.RunError(
            f"crossmesh:aws.azCount is {count} but the region offers {len(names)} available zones: {names}"
        )
    return sorted(names)[:count]
