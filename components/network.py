"""One region's VPC: three subnet tiers across AZs, NAT, flow logs, private AWS endpoints."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.cidr import carve_subnets
from components.config import DataClassification, NatMode
from components.iam_documents import service_trust_policy
from components.tagging import classification

#: Interface endpoints in the private subnets, so AWS API calls never cross the internet.
INTERFACE_ENDPOINT_SERVICES: tuple[str, ...] = (
    "kms",
    "secretsmanager",
    "sqs",
    "sts",
    "ecr.api",
    "ecr.dkr",
    "logs",
)

_INTERNAL = classification(DataClassification.INTERNAL.value)


@dataclass
class RegionalNetworkArgs:
    region: str
    vpc_cidr: str
    az_count: int
    nat_mode: NatMode
    flow_log_retention_days: int
    logs_key_arn: pulumi.Input[str]


class RegionalNetwork(pulumi.ComponentResource):
    vpc: aws.ec2.Vpc
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    isolated_subnet_ids: list[pulumi.Output[str]]
    private_route_table_ids: list[pulumi.Output[str]]
    isolated_route_table_ids: list[pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        args: RegionalNetworkArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gdpr-platform:network:RegionalNetwork", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        plan = carve_subnets(args.vpc_cidr, args.az_count)
        zones = aws.get_availability_zones(
            state="available", opts=pulumi.InvokeOptions(parent=self)
        ).names
        if len(zones) < args.az_count:
            # RunError: the engine (and the offline preview) print this one line, no trace.
            raise pulumi.RunError(
                f"gdpr-platform:network.azCount: {args.region} offers {len(zones)} AZs but "
                f"azCount is {args.az_count}; set network.azCount to {len(zones)} or fewer"
            )
        self.azs = sorted(zones)[: args.az_count]

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={**_INTERNAL, "Name": f"{name}-vpc"},
            opts=self._child,
        )
        # Adopt the default security group and strip its rules so nothing can use it.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags=_INTERNAL,
            opts=self._child,
        )
        self._create_subnets(plan.public, plan.private, plan.isolated)
        self._create_routes()
        self._create_flow_logs()
        self._create_endpoints()

        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "cidr": args.vpc_cidr,
                "azs": self.azs,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "isolatedSubnetIds": self.isolated_subnet_ids,
                "privateRouteTableIds": self.private_route_table_ids,
                "isolatedRouteTableIds": self.isolated_route_table_ids,
                "flowLogGroupName": self.flow_log_group.name,
            }
        )

    def _subnet(self, tier: str, az: str, cidr: str, extra_tags: dict[str, str]) -> aws.ec2.Subnet:
        return aws.ec2.Subnet(
            f"{self._name}-{tier}-{az}",
            vpc_id=self.vpc.id,
            cidr_block=cidr,
            availability_zone=az,
            map_public_ip_on_launch=False,
            tags={**_INTERNAL, "Name": f"{self._name}-{tier}-{az}", "tier": tier, **extra_tags},
            opts=self._child,
        )

    def _create_subnets(
        self, public: tuple[str, ...], private: tuple[str, ...], isolated: tuple[str, ...]
    ) -> None:
        # The role tags let the AWS load balancer controller find subnets for EKS services.
        self.public_subnets = [
            self._subnet("public", az, cidr, {"kubernetes.io/role/elb": "1"})
            for az, cidr in zip(self.azs, public, strict=True)
        ]
        self.private_subnets = [
            self._subnet("private", az, cidr, {"kubernetes.io/role/internal-elb": "1"})
            for az, cidr in zip(self.azs, private, strict=True)
        ]
        self.isolated_subnets = [
            self._subnet("isolated", az, cidr, {})
            for az, cidr in zip(self.azs, isolated, strict=True)
        ]
        self.public_subnet_ids = [s.id for s in self.public_subnets]
        self.private_subnet_ids = [s.id for s in self.private_subnets]
        self.isolated_subnet_ids = [s.id for s in self.isolated_subnets]

    def _route_table(self, label: str) -> aws.ec2.RouteTable:
        return aws.ec2.RouteTable(
            f"{self._name}-rt-{label}",
            vpc_id=self.vpc.id,
            tags={**_INTERNAL, "Name": f"{self._name}-rt-{label}"},
            opts=self._child,
        )

    def _associate(self, label: str, subnet: aws.ec2.Subnet, table: aws.ec2.RouteTable) -> None:
        aws.ec2.RouteTableAssociation(
            f"{self._name}-rta-{label}",
            subnet_id=subnet.id,
            route_table_id=table.id,
            opts=self._child,
        )

    def _create_routes(self) -> None:
        igw = aws.ec2.InternetGateway(
            f"{self._name}-igw",
            vpc_id=self.vpc.id,
            tags={**_INTERNAL, "Name": f"{self._name}-igw"},
            opts=self._child,
        )
        public_rt = self._route_table("public")
        aws.ec2.Route(
            f"{self._name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=self._child,
        )
        for az, subnet in zip(self.azs, self.public_subnets, strict=True):
            self._associate(f"public-{az}", subnet, public_rt)

        nat_azs = self.azs if self._args.nat_mode is NatMode.PER_AZ else self.azs[:1]
        self.nat_gateways: dict[str, aws.ec2.NatGateway] = {}
        for az, subnet in zip(self.azs, self.public_subnets, strict=True):
            if az not in nat_azs:
                continue
            eip = aws.ec2.Eip(
                f"{self._name}-nat-{az}",
                domain="vpc",
                tags={**_INTERNAL, "Name": f"{self._name}-nat-{az}"},
                opts=self._child,
            )
            self.nat_gateways[az] = aws.ec2.NatGateway(
                f"{self._name}-nat-{az}",
                allocation_id=eip.id,
                subnet_id=subnet.id,
                tags={**_INTERNAL, "Name": f"{self._name}-nat-{az}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )

        self.private_route_tables: list[aws.ec2.RouteTable] = []
        for az, subnet in zip(self.azs, self.private_subnets, strict=True):
            table = self._route_table(f"private-{az}")
            nat = self.nat_gateways.get(az) or self.nat_gateways[nat_azs[0]]
            aws.ec2.Route(
                f"{self._name}-private-default-{az}",
                route_table_id=table.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
                opts=self._child,
            )
            self._associate(f"private-{az}", subnet, table)
            self.private_route_tables.append(table)

        # Databases get no route out of the VPC; the data tier adds in-jurisdiction links.
        isolated_rt = self._route_table("isolated")
        for az, subnet in zip(self.azs, self.isolated_subnets, strict=True):
            self._associate(f"isolated-{az}", subnet, isolated_rt)
        self.isolated_route_tables = [isolated_rt]
        self.private_route_table_ids = [t.id for t in self.private_route_tables]
        self.isolated_route_table_ids = [t.id for t in self.isolated_route_tables]

    def _create_flow_logs(self) -> None:
        self.flow_log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-flow-logs",
            retention_in_days=self._args.flow_log_retention_days,
            kms_key_id=self._args.logs_key_arn,
            tags=_INTERNAL,
            opts=self._child,
        )
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self))
        assume = identity.account_id.apply(
            lambda account: service_trust_policy("vpc-flow-logs.amazonaws.com", account)
        )
        role = aws.iam.Role(
            f"{self._name}-flow-logs",
            assume_role_policy=assume,
            tags=_INTERNAL,
            opts=self._child,
        )
        aws.iam.RolePolicy(
            f"{self._name}-flow-logs",
            role=role.id,
            policy=self.flow_log_group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "logs:CreateLogStream",
                                    "logs:PutLogEvents",
                                    "logs:DescribeLogStreams",
                                ],
                                "Resource": [arn, f"{arn}:*"],
                            }
                        ],
                    }
                )
            ),
            opts=self._child,
        )
        aws.ec2.FlowLog(
            f"{self._name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=self.flow_log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=_INTERNAL,
            opts=self._child,
        )

    def _create_endpoints(self) -> None:
        region = self._args.region
        self.endpoint_security_group = aws.ec2.SecurityGroup(
            f"{self._name}-endpoints",
            vpc_id=self.vpc.id,
            description="HTTPS from inside the VPC to AWS interface endpoints",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=[self._args.vpc_cidr],
                    description="AWS APIs from the VPC",
                )
            ],
            egress=[],
            tags=_INTERNAL,
            opts=self._child,
        )
        self.s3_endpoint = aws.ec2.VpcEndpoint(
            f"{self._name}-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[*self.private_route_table_ids, *self.isolated_route_table_ids],
            tags=_INTERNAL,
            opts=self._child,
        )
        self.interface_endpoints: dict[str, aws.ec2.VpcEndpoint] = {}
        for service in INTERFACE_ENDPOINT_SERVICES:
            self.interface_endpoints[service] = aws.ec2.VpcEndpoint(
                f"{self._name}-{service.replace('.', '-')}",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                subnet_ids=self.private_subnet_ids,
                security_group_ids=[self.endpoint_security_group.id],
                private_dns_enabled=True,
                tags=_INTERNAL,
                opts=self._child,
            )
