"""One region's EKS cluster (pulumi-eks), its managed nodes, and the load balancer controller.

The control plane is private by default, encrypts Kubernetes secrets with the region's EKS
CMK and sends every control-plane log type to a log group we create first (with the logs
CMK). Nodes run only in private subnets, on encrypted gp3 volumes, with IMDSv2 required.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from components import iam_documents as docs

#: Every control-plane log type EKS offers (CKV_AWS_37 / EKS.8 want all of them).
CONTROL_PLANE_LOG_TYPES: tuple[str, ...] = (
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
)

CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

#: What a managed node needs: join the cluster, run the VPC CNI, pull images from ECR.
NODE_MANAGED_POLICIES: tuple[str, ...] = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryPullOnly",
)

#: IMDSv2 only. Two hops, because the CloudWatch agent and Fluent Bit (pods) read instance
#: metadata; the API's pods cannot reach the metadata service at all (their NetworkPolicy
#: allows no egress to 169.254.169.254) and get AWS access only through IRSA.
IMDS_HOP_LIMIT = 2


@dataclass
class EksClusterArgs:
    region: str
    cluster_name: str
    version: str
    vpc_id: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    eks_key_arn: pulumi.Input[str]
    instance_types: Sequence[str]
    min_size: int
    desired_size: int
    max_size: int
    disk_size_gib: int
    public_access_cidrs: Sequence[str] = ()
    admin_role_arn: str | None = None
    deletion_protection: bool = True
    #: Created before the cluster so that EKS writes into it instead of creating its own
    #: (unencrypted, never-expiring) group.
    control_plane_log_group: aws.cloudwatch.LogGroup | None = None
    #: Groups the CloudWatch observability add-on writes container and node logs to,
    #: made beforehand (KMS, retention); the add-on may only write to these.
    container_log_groups: Sequence[aws.cloudwatch.LogGroup] = ()
    node_labels: dict[str, str] = field(default_factory=dict)


def kubeconfig_with_region(kubeconfig: Any, region: str) -> str:
    """pulumi-eks's kubeconfig, with ``--region`` added to the token command.

    pulumi-eks 4 leaves it out (pulumi/pulumi-eks#1038), so ``aws eks get-token`` would
    use the ambient region and fail for every cluster outside it.
    """
    config = json.loads(kubeconfig) if isinstance(kubeconfig, str) else copy.deepcopy(kubeconfig)
    for user in config.get("users", []):
        exec_config = user.get("user", {}).get("exec")
        if exec_config is None:
            continue
        args = list(exec_config.get("args", []))
        if "--region" not in args:
            exec_config["args"] = ["--region", region, *args]
    return json.dumps(config, sort_keys=True)


class EksCluster(pulumi.ComponentResource):
    """An EKS cluster with a managed node group, and a Kubernetes provider for it."""

    cluster: eks.Cluster
    node_group: eks.ManagedNodeGroup
    node_role: aws.iam.Role
    launch_template: aws.ec2.LaunchTemplate
    k8s_provider: k8s.Provider
    #: The EKS-created cluster security group; managed nodes (no SG in the launch template)
    #: carry it, so rules for traffic to pods go here.
    cluster_security_group_id: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_provider_url: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: EksClusterArgs,
        provider: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            "gdpr-platform:cluster:EksCluster",
            name,
            None,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(providers={"aws": provider})),
        )
        self._name = name
        self._args = args
        self._aws_provider = provider
        self.cluster_name = args.cluster_name
        self._create_cluster()
        self._create_node_role()
        self._create_launch_template()
        self._create_node_group()
        self._create_addons()
        self.k8s_provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.cluster.kubeconfig.apply(
                lambda config: kubeconfig_with_region(config, args.region)
            ),
            # Server-side apply lets the LB controller and HPA own their fields.
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {
                "clusterName": args.cluster_name,
                "oidcProviderArn": self.oidc_provider_arn,
                "clusterSecurityGroupId": self.cluster_security_group_id,
            }
        )

    def _remote_opts(self, **extra: Any) -> pulumi.ResourceOptions:
        # Multi-language components take the provider as a map; they pass it to children.
        return pulumi.ResourceOptions(parent=self, providers={"aws": self._aws_provider}, **extra)

    def _create_cluster(self) -> None:
        args = self._args
        public = list(args.public_access_cidrs)
        access_entries: dict[str, eks.AccessEntryArgs] | None = None
        if args.admin_role_arn is not None:
            access_entries = {
                "platform-admin": eks.AccessEntryArgs(
                    principal_arn=args.admin_role_arn,
                    access_policies={
                        "cluster-admin": eks.AccessPolicyAssociationArgs(
                            policy_arn=CLUSTER_ADMIN_POLICY,
                            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(
                                type="cluster"
                            ),
                        )
                    },
                )
            }
        depends_on: list[pulumi.Resource] = []
        if args.control_plane_log_group is not None:
            depends_on.append(args.control_plane_log_group)
        self.cluster = eks.Cluster(
            f"{self._name}-eks",
            name=args.cluster_name,
            version=args.version,
            vpc_id=args.vpc_id,
            private_subnet_ids=list(args.private_subnet_ids),
            node_associate_public_ip_address=False,
            endpoint_private_access=True,
            # pulumi-eks defaults to a public endpoint: only named CIDRs may open it.
            endpoint_public_access=bool(public),
            public_access_cidrs=public or None,
            encryption_config_key_arn=args.eks_key_arn,
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            authentication_mode=eks.AuthenticationMode.API,
            access_entries=access_entries,
            create_oidc_provider=True,
            skip_default_node_group=True,
            # Managed nodes use the EKS-created cluster SG; no extra node SG to drift.
            skip_default_security_groups=True,
            deletion_protection=args.deletion_protection,
            # The VPC CNI enforces NetworkPolicy objects only when asked to.
            vpc_cni_options=eks.VpcCniOptionsArgs(enable_network_policy=True),
            # Required with an explicit AWS provider; the default credential chain is the
            # deployer's, and kubeconfig_with_region pins the region.
            provider_credential_opts=eks.KubeconfigOptionsArgs(),
            opts=self._remote_opts(depends_on=depends_on),
        )
        self.cluster_security_group_id = self.cluster.cluster_security_group_id
        self.oidc_provider_arn = self.cluster.oidc_provider_arn
        self.oidc_provider_url = self.cluster.oidc_provider_url

    def _create_node_role(self) -> None:
        self.node_role = aws.iam.Role(
            f"{self._name}-node",
            description=f"EKS managed nodes of {self._args.cluster_name}",
            assume_role_policy=docs.service_trust_policy("ec2.amazonaws.com"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        partition = aws.get_partition_output(opts=pulumi.InvokeOptions(parent=self)).partition
        for policy_name in NODE_MANAGED_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{self._name}-node-{policy_name}",
                role=self.node_role.name,
                policy_arn=pulumi.Output.concat(
                    "arn:", partition, ":iam::aws:policy/", policy_name
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _create_launch_template(self) -> None:
        args = self._args
        self.launch_template = aws.ec2.LaunchTemplate(
            f"{self._name}-node-template",
            description=f"EKS managed nodes of {args.cluster_name}: encrypted gp3, IMDSv2",
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    # The root device of the EKS-optimized AL2023 AMIs.
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=args.disk_size_gib,
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=args.eks_key_arn,
                        delete_on_termination="true",
                    ),
                )
            ],
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=IMDS_HOP_LIMIT,
                instance_metadata_tags="disabled",
            ),
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            update_default_version=True,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_node_group(self) -> None:
        args = self._args
        self.node_group = eks.ManagedNodeGroup(
            f"{self._name}-nodes",
            cluster=self.cluster,
            node_role=self.node_role,
            subnet_ids=list(args.private_subnet_ids),
            instance_types=list(args.instance_types),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=args.min_size,
                desired_size=args.desired_size,
                max_size=args.max_size,
            ),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=self.launch_template.id,
                version=self.launch_template.latest_version.apply(str),
            ),
            labels=dict(args.node_labels) or None,
            # An autoscaler changes the desired size; an update must not reset it.
            ignore_scaling_changes=True,
            opts=self._remote_opts(),
        )

    def _create_addons(self) -> None:
        args = self._args
        after_nodes = pulumi.ResourceOptions(
            parent=self, depends_on=[self.cluster, self.node_group]
        )
        # The HorizontalPodAutoscaler reads CPU from the metrics API.
        aws.eks.Addon(
            f"{self._name}-metrics-server",
            cluster_name=args.cluster_name,
            addon_name="metrics-server",
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=after_nodes,
        )
        # Ships container and node logs into the pre-made encrypted groups, with a role
        # that may write to those groups only.
        role = aws.iam.Role(
            f"{self._name}-cloudwatch-agent",
            description=f"CloudWatch observability add-on of {args.cluster_name}",
            assume_role_policy=pulumi.Output.all(
                self.oidc_provider_arn, self.oidc_provider_url
            ).apply(
                lambda ids: docs.irsa_trust_policy(
                    ids[0], ids[1], CLOUDWATCH_AGENT_NAMESPACE, CLOUDWATCH_AGENT_SERVICE_ACCOUNT
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{self._name}-cloudwatch-agent",
            role=role.id,
            policy=pulumi.Output.all(*[g.arn for g in args.container_log_groups]).apply(
                lambda arns: cloudwatch_agent_policy(arns, args.region)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.eks.Addon(
            f"{self._name}-cloudwatch-observability",
            cluster_name=args.cluster_name,
            addon_name="amazon-cloudwatch-observability",
            service_account_role_arn=role.arn,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[self.cluster, self.node_group, *args.container_log_groups],
            ),
        )


CLOUDWATCH_AGENT_NAMESPACE = "amazon-cloudwatch"
CLOUDWATCH_AGENT_SERVICE_ACCOUNT = "cloudwatch-agent"


def cloudwatch_agent_policy(log_group_arns: Sequence[str], region: str) -> str:
    """Write to our log groups; describe the nodes it reports on; Container Insights metrics."""
    streams = sorted({*log_group_arns, *(f"{arn}:*" for arn in log_group_arns)})
    return docs.policy(
        [
            docs.statement(
                "WriteOwnLogGroups",
                ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                streams,
                [region],
            ),
            docs.statement(
                "DescribeNodes",
                ["ec2:DescribeInstances", "ec2:DescribeTags", "ec2:DescribeVolumes"],
                ["*"],
                [region],
            ),
            {
                **docs.statement(
                    "ContainerInsightsMetrics", ["cloudwatch:PutMetricData"], ["*"], [region]
                ),
                # PutMetricData has no resource ARN; the namespace is its only scope.
                "Condition": {
                    "StringEquals": {
                        "aws:RequestedRegion": [region],
                        "cloudwatch:namespace": "ContainerInsights",
                    }
                },
            },
        ]
    )


@dataclass
class LoadBalancerControllerArgs:
    region: str
    cluster_name: str
    vpc_id: pulumi.Input[str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    #: The target groups it may register pods into (made by the edge tier).
    target_group_arns: Sequence[pulumi.Input[str]]
    chart_version: str
    namespace: str = "kube-system"
    service_account: str = "aws-load-balancer-controller"


#: Read-only calls the controller makes to resolve targets; AWS offers no resource-level
#: permission for them, so they take "*" (still limited to the jurisdiction's regions).
LB_CONTROLLER_DESCRIBE_ACTIONS: tuple[str, ...] = (
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
)


def lb_controller_policy(target_group_arns: Sequence[str], regions: Sequence[str]) -> str:
    """TargetGroupBinding only: register pod IPs into our target groups, nothing else.

    The controller can create load balancers from Ingress / Service objects when allowed;
    here it is not, because the load balancers must be Pulumi's (CloudFront VPC origins
    need their ARNs) and must not appear on their own.
    """
    return docs.policy(
        [
            docs.statement(
                "DescribeForTargetResolution", LB_CONTROLLER_DESCRIBE_ACTIONS, ["*"], regions
            ),
            docs.statement(
                "RegisterPodsIntoOurTargetGroups",
                [
                    "elasticloadbalancing:DeregisterTargets",
                    "elasticloadbalancing:RegisterTargets",
                ],
                target_group_arns,
                regions,
            ),
        ]
    )


class LoadBalancerController(pulumi.ComponentResource):
    """The AWS Load Balancer Controller, only for TargetGroupBinding, with its IRSA role."""

    role: aws.iam.Role
    release: k8s.helm.v3.Release

    def __init__(
        self,
        name: str,
        args: LoadBalancerControllerArgs,
        provider: aws.Provider,
        k8s_provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            "gdpr-platform:cluster:LoadBalancerController",
            name,
            None,
            pulumi.ResourceOptions.merge(
                opts,
                pulumi.ResourceOptions(providers={"aws": provider, "kubernetes": k8s_provider}),
            ),
        )
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            f"{name}-irsa",
            description=f"AWS Load Balancer Controller of {args.cluster_name}",
            assume_role_policy=pulumi.Output.all(
                args.oidc_provider_arn, args.oidc_provider_url
            ).apply(
                lambda ids: docs.irsa_trust_policy(
                    ids[0], ids[1], args.namespace, args.service_account
                )
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-irsa",
            role=self.role.id,
            policy=pulumi.Output.all(*args.target_group_arns).apply(
                # The controller only ever calls its own region's APIs.
                lambda arns: lb_controller_policy(arns, [args.region])
            ),
            opts=child,
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-chart",
            chart="aws-load-balancer-controller",
            version=args.chart_version,
            namespace=args.namespace,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://aws.github.io/eks-charts"),
            values={
                "clusterName": args.cluster_name,
                # Given explicitly, so the controller never asks the metadata service.
                "region": args.region,
                "vpcId": args.vpc_id,
                "replicaCount": 2,
                "serviceAccount": {
                    "create": True,
                    "name": args.service_account,
                    "annotations": {"eks.amazonaws.com/role-arn": self.role.arn},
                },
                # Services and Ingresses make no load balancers here (see lb_controller_policy).
                "enableServiceMutatorWebhook": False,
                "createIngressClassResource": False,
            },
            opts=child,
        )
        self.register_outputs({"roleArn": self.role.arn})
