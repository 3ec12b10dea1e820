"""Where `pulumi up` runs from: a GitHub Actions runner inside the primary region's VPC.

The EKS endpoints are private, so the Kubernetes half of an update (the migration Job, the
API, the load balancer controller) can only be applied from inside the jurisdiction's
network. AWS CodeBuild hosts ephemeral GitHub Actions runners: a workflow job that says
``runs-on: codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`` starts a
fresh build container in the private subnets, which reaches every region's EKS endpoint
(the secondaries' over the in-jurisdiction peering) and nothing is left running between
jobs. The runner's own role can only write its logs and attach to the VPC: the job still
assumes the deploy role through GitHub's OIDC token, as on a hosted runner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import iam_documents as docs
from components.config import DeployerConfig

#: CodeBuild's Ubuntu 22.04 image (git, make, Docker): actions/setup-python ships its
#: Pythons built for Ubuntu, so the jobs read the same on this runner as on GitHub's.
RUNNER_IMAGE = "aws/codebuild/standard:7.0"
HTTPS = 443


def project_name(stack: str) -> str:
    """The CodeBuild project; workflows name it in ``runs-on: codebuild-<project>-...``."""
    return f"gdpr-platform-{stack}-deployer"


@dataclass(frozen=True)
class ClusterEndpoint:
    """A region's EKS control plane, reached on its cluster security group."""

    provider: aws.Provider
    security_group_id: pulumi.Input[str]


@dataclass
class DeploymentRunnerArgs:
    stack: str
    region: str
    settings: DeployerConfig
    vpc_id: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    #: The runner's addresses as the other regions see them over the peering.
    private_subnet_cidrs: Sequence[str]
    logs_key_arn: pulumi.Input[str]
    #: The primary VPC, where every shard's writer is: tools/db_roles.py connects there once.
    database_cidr: str
    database_port: int
    #: Every region's cluster: the runner may open HTTPS to each endpoint.
    clusters: Mapping[str, ClusterEndpoint]


class DeploymentRunner(pulumi.ComponentResource):
    """CodeBuild project + webhook (GitHub Actions runner), its role, logs and network."""

    def __init__(
        self,
        name: str,
        args: DeploymentRunnerArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gdpr-platform:deployer:DeploymentRunner", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        self.project_name = project_name(args.stack)

        self._create_logs()
        self._create_network()
        self._create_role()
        self._create_project()
        self.register_outputs({"projectName": self.project_name})

    def _create_logs(self) -> None:
        settings = self._args.settings
        self.log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-logs",
            name=f"/aws/codebuild/{self.project_name}",
            kms_key_id=self._args.logs_key_arn,
            retention_in_days=settings.log_retention_days,
            tags={"data-classification": "internal"},
            opts=self._child,
        )

    def _create_network(self) -> None:
        args = self._args
        self.security_group = aws.ec2.SecurityGroup(
            f"{self._name}-sg",
            vpc_id=args.vpc_id,
            description="Deployment runner: HTTPS out (GitHub, Pulumi, AWS, EKS), writers",
            tags={"data-classification": "internal"},
            opts=self._child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-https-out",
            security_group_id=self.security_group.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description="GitHub, the Pulumi backend, package indexes and AWS APIs, via NAT",
            tags={"data-classification": "internal"},
            opts=self._child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-to-writers",
            security_group_id=self.security_group.id,
            cidr_ipv4=args.database_cidr,
            ip_protocol="tcp",
            from_port=args.database_port,
            to_port=args.database_port,
            description="The shard writers, for the API's database role (tools/db_roles.py)",
            tags={"data-classification": "internal"},
            opts=self._child,
        )
        for region, cluster in sorted(args.clusters.items()):
            in_region = pulumi.ResourceOptions(parent=self, provider=cluster.provider)
            if region == args.region:
                aws.vpc.SecurityGroupIngressRule(
                    f"{self._name}-to-eks-{region}",
                    security_group_id=cluster.security_group_id,
                    referenced_security_group_id=self.security_group.id,
                    ip_protocol="tcp",
                    from_port=HTTPS,
                    to_port=HTTPS,
                    description="Kubernetes API from the deployment runner",
                    tags={"data-classification": "internal"},
                    opts=in_region,
                )
                continue
            # Security groups cannot be referenced across an inter-region peering: the
            # runner's private subnets, by CIDR.
            for i, cidr in enumerate(args.private_subnet_cidrs):
                aws.vpc.SecurityGroupIngressRule(
                    f"{self._name}-to-eks-{region}-{i}",
                    security_group_id=cluster.security_group_id,
                    cidr_ipv4=cidr,
                    ip_protocol="tcp",
                    from_port=HTTPS,
                    to_port=HTTPS,
                    description=f"Kubernetes API from the deployment runner in {args.region}",
                    tags={"data-classification": "internal"},
                    opts=in_region,
                )

    def _create_role(self) -> None:
        args = self._args
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self))
        self.role = aws.iam.Role(
            f"{self._name}-role",
            name=f"{self.project_name}-{args.region}",
            description="CodeBuild deployment runner: its logs and VPC attachment only",
            assume_role_policy=account.account_id.apply(
                lambda acct: docs.service_trust_policy("codebuild.amazonaws.com", acct)
            ),
            opts=self._child,
        )
        subnet_arns = pulumi.Output.all(account.account_id, *args.private_subnet_ids).apply(
            lambda v: [f"arn:aws:ec2:{args.region}:{v[0]}:subnet/{s}" for s in v[1:]]
        )
        aws.iam.RolePolicy(
            f"{self._name}-policy",
            role=self.role.id,
            policy=pulumi.Output.all(
                self.log_group.arn, subnet_arns, args.settings.connection_arn or ""
            ).apply(lambda v: runner_policy(args.region, v[0], v[1], v[2])),
            opts=self._child,
        )

    def _create_project(self) -> None:
        args = self._args
        settings = args.settings
        self.project = aws.codebuild.Project(
            f"{self._name}-project",
            name=self.project_name,
            description="Ephemeral GitHub Actions runner for pulumi preview / up / refresh",
            service_role=self.role.arn,
            source=aws.codebuild.ProjectSourceArgs(
                type="GITHUB",
                location=f"https://github.com/{settings.github_repository}.git",
                auth=aws.codebuild.ProjectSourceAuthArgs(
                    type="CODECONNECTIONS", resource=settings.connection_arn or ""
                ),
            ),
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                type="LINUX_CONTAINER",
                compute_type=settings.compute_type,
                image=RUNNER_IMAGE,
                image_pull_credentials_type="CODEBUILD",
            ),
            vpc_config=aws.codebuild.ProjectVpcConfigArgs(
                vpc_id=args.vpc_id,
                subnets=list(args.private_subnet_ids),
                security_group_ids=[self.security_group.id],
            ),
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(
                    status="ENABLED", group_name=self.log_group.name
                ),
            ),
            build_timeout=180,
            tags={"data-classification": "internal"},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group]),
        )
        # Workflow jobs queued in the repository start a build; nothing else does.
        self.webhook = aws.codebuild.Webhook(
            f"{self._name}-webhook",
            project_name=self.project.name,
            build_type="BUILD",
            filter_groups=[
                aws.codebuild.WebhookFilterGroupArgs(
                    filters=[
                        aws.codebuild.WebhookFilterGroupFilterArgs(
                            type="EVENT", pattern="WORKFLOW_JOB_QUEUED"
                        )
                    ]
                )
            ],
            opts=self._child,
        )


def runner_policy(
    region: str, log_group_arn: str, subnet_arns: Sequence[str], connection_arn: str
) -> str:
    """The runner's own permissions: write its logs, attach to its subnets, use the connection."""
    statements = [
        docs.statement(
            "WriteBuildLogs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [f"{log_group_arn}:*"],
            [region],
        ),
        # CodeBuild's documented VPC permissions; the describe calls take no resource.
        docs.statement(
            "AttachToVpc",
            [
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ],
            ["*"],
            [region],
        ),
        {
            "Sid": "NetworkInterfacesInOwnSubnets",
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkInterfacePermission"],
            "Resource": f"arn:aws:ec2:{region}:*:network-interface/*",
            "Condition": {
                "StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"},
                "ArnEquals": {"ec2:Subnet": sorted(subnet_arns)},
            },
        },
    ]
    if connection_arn:
        statements.append(
            docs.statement(
                "UseGitHubConnection",
                ["codeconnections:GetConnectionToken", "codeconnections:UseConnection"],
                [connection_arn],
                [region],
            )
        )
    return docs.policy(statements)
