"""The API on one region's cluster: namespace, IRSA role, config, Deployment and its guards.

The pods get AWS access only through their service account's role (IRSA), whose policy
names each resource the API uses in its own jurisdiction and nothing else, and only works
in the jurisdiction's regions. Traffic reaches the pods from the region's internal load
balancer (a TargetGroupBinding registers the pod IPs into the edge tier's target group).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import iam_documents as docs

APP_NAME = "api"
#: The outbox worker (app/audit/worker.py): audit PDFs to S3, events to the central queue.
WORKER_NAME = "outbox-worker"
#: The migration Job of each release (app/db/migrate.py), named per release.
MIGRATE_NAME = "migrate"
SERVICE_ACCOUNT = "api"
#: A read-only root filesystem still needs somewhere for temporary files.
TMP_VOLUME = "tmp"
DNS_PORT = 53
#: The instance metadata service lives here; no API or worker pod may reach it.
LINK_LOCAL = "169.254.0.0/16"


@dataclass
class ApiPermissions:
    """What the API may touch. Lists may be empty until the other tiers are wired in."""

    #: SSM parameter(s) holding the shard map the API reads at start-up (data tier).
    shard_map_parameter_arns: Sequence[pulumi.Input[str]] = field(default_factory=list)
    #: ``{region: [cluster resource id, ...]}`` of the shards' Aurora clusters the API
    #: connects to with IAM auth: the writers (primary) and the local readers (data tier).
    db_cluster_resource_ids: Mapping[str, Sequence[pulumi.Input[str]]] = field(default_factory=dict)
    #: Secrets the API reads: shard secrets, the pseudonymization key (data tier).
    secret_arns: Sequence[pulumi.Input[str]] = field(default_factory=list)
    #: The region's audit bucket (data-flows tier).
    audit_bucket_arn: pulumi.Input[str] | None = None
    #: The central queue (data-flows tier); its own region is allowed for this one action.
    central_queue_arn: pulumi.Input[str] | None = None
    #: KMS keys the API encrypts / decrypts with in its own jurisdiction: audit files, secrets.
    kms_key_arns: Sequence[pulumi.Input[str]] = field(default_factory=list)
    #: The central queue's key (data-flows tier); allowed in the queue's region, like the send.
    central_queue_key_arn: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class ApiRelease:
    """The build a region runs, and how its migrations may run before it rolls out."""

    #: ``<region's repository url>@sha256:...``.
    image: pulumi.Input[str]
    migration_deadline_seconds: int = 900
    migration_backoff_limit: int = 1


def release_name(image: str) -> str:
    """``migrate-<12 hex>`` of the image's digest: one migration Job per release."""
    _, _, digest = image.partition("@sha256:")
    return f"{MIGRATE_NAME}-{(digest or hashlib.sha256(image.encode()).hexdigest())[:12]}"


@dataclass
class ApiWorkloadArgs:
    region: str
    primary_region: str
    jurisdiction: str
    #: The IRSA role's IAM name, e.g. ``gdpr-platform-eu-api-eu-central-1``.
    role_name: str
    #: Every region of the jurisdiction: the only places the role's calls may go.
    jurisdiction_regions: Sequence[str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    vpc_cidr: str
    #: VPC CIDRs of every region of the jurisdiction: shard writers live in the primary's.
    database_cidrs: Sequence[str]
    #: None: no release yet (first deploy): no API, worker or migration Job is declared.
    release: ApiRelease | None
    namespace: str
    replicas: int
    min_replicas: int
    max_replicas: int
    target_cpu_percent: int
    port: int
    cpu_request: str
    cpu_limit: str
    memory_request: str
    memory_limit: str
    liveness_path: str
    readiness_path: str
    db_user: str
    jwt_issuer: str
    jwt_audience: str
    shard_map_json: pulumi.Input[str]
    target_group_arn: pulumi.Input[str]
    worker_replicas: int = 2
    jwt_jwks_url: str | None = None
    #: Extra HTTPS destinations of the API pods (e.g. the identity provider's JWKS).
    https_egress_cidrs: Sequence[str] = ()
    #: More GDPR_API_* settings from other tiers (audit bucket, central queue URL, ...).
    extra_settings: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    permissions: ApiPermissions = field(default_factory=ApiPermissions)
    #: Resources the TargetGroupBinding needs first (the controller's chart with its CRD).
    binding_depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    #: Outside the primary region: the primary's migration Job, which migrates every shard
    #: (writers are all in the primary), so this region's pods wait for it too.
    rollout_after: Sequence[pulumi.Resource] = field(default_factory=list)


def api_role_policy(
    *,
    regions: Sequence[str],
    partition: str,
    account_id: str,
    db_user: str,
    shard_map_parameter_arns: Sequence[str],
    db_cluster_resource_ids: Mapping[str, Sequence[str]],
    secret_arns: Sequence[str],
    audit_bucket_arn: str | None,
    central_queue_arn: str | None,
    kms_key_arns: Sequence[str],
    central_queue_key_arn: str | None = None,
) -> str:
    """The API's permissions: named resources only, in the jurisdiction's regions only."""
    statements: list[dict[str, Any]] = []
    if shard_map_parameter_arns:
        statements.append(
            docs.statement("ReadShardMap", ["ssm:GetParameter"], shard_map_parameter_arns, regions)
        )
    db_users = [
        f"arn:{partition}:rds-db:{region}:{account_id}:dbuser:{resource_id}/{db_user}"
        for region, ids in sorted(db_cluster_resource_ids.items())
        for resource_id in ids
    ]
    if db_users:
        statements.append(
            docs.statement("ConnectToOwnShards", ["rds-db:connect"], db_users, regions)
        )
    if secret_arns:
        statements.append(
            docs.statement(
                "ReadShardSecrets", ["secretsmanager:GetSecretValue"], secret_arns, regions
            )
        )
    if audit_bucket_arn:
        statements.append(
            docs.statement("WriteAuditFiles", ["s3:PutObject"], [f"{audit_bucket_arn}/*"], regions)
        )
    if central_queue_arn:
        # Only pseudonymized events go to the central queue (the event schema's property,
        # tested in app/); it may live in the hub's region, so that region is allowed here.
        queue_regions = sorted({*regions, docs.region_of_arn(central_queue_arn)})
        statements.append(
            docs.statement(
                "SendCentralEvents", ["sqs:SendMessage"], [central_queue_arn], queue_regions
            )
        )
        if central_queue_key_arn:
            # SQS asks KMS for a data key as the sender: the sender needs it on the queue's key.
            statements.append(
                docs.statement(
                    "EncryptCentralEvents",
                    ["kms:GenerateDataKey", "kms:Decrypt"],
                    [central_queue_key_arn],
                    queue_regions,
                )
            )
    if kms_key_arns:
        statements.append(
            docs.statement(
                "UseOwnKeys",
                ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                kms_key_arns,
                regions,
            )
        )
    return docs.policy(statements)


def api_policy_document(
    perms: ApiPermissions,
    regions: Sequence[str],
    db_user: str,
    opts: pulumi.InvokeOptions,
) -> pulumi.Output[str]:
    """The API role's permissions (:func:`api_role_policy`) once its ARNs are known: the
    IRSA role (EKS) and the functions' role (Lambda) both take this document."""
    db_regions = sorted(perms.db_cluster_resource_ids)

    def render(values: dict[str, Any]) -> str:
        return api_role_policy(
            regions=list(regions),
            partition=values["partition"],
            account_id=values["account"],
            db_user=db_user,
            shard_map_parameter_arns=values["params"],
            db_cluster_resource_ids=dict(zip(db_regions, values["db"], strict=True)),
            secret_arns=values["secrets"],
            audit_bucket_arn=values["bucket"],
            central_queue_arn=values["queue"],
            kms_key_arns=values["keys"],
            central_queue_key_arn=values["queue_key"],
        )

    return pulumi.Output.all(
        partition=aws.get_partition_output(opts=opts).partition,
        account=aws.get_caller_identity_output(opts=opts).account_id,
        params=list(perms.shard_map_parameter_arns),
        db=[list(perms.db_cluster_resource_ids[r]) for r in db_regions],
        secrets=list(perms.secret_arns),
        bucket=perms.audit_bucket_arn,
        queue=perms.central_queue_arn,
        keys=list(perms.kms_key_arns),
        queue_key=perms.central_queue_key_arn,
    ).apply(render)


class ApiWorkload(pulumi.ComponentResource):
    """The API Deployment and everything it needs on one cluster."""

    role: aws.iam.Role
    namespace: k8s.core.v1.Namespace
    deployment: k8s.apps.v1.Deployment
    service: k8s.core.v1.Service

    def __init__(
        self,
        name: str,
        args: ApiWorkloadArgs,
        provider: aws.Provider,
        k8s_provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            "gdpr-platform:workload:ApiWorkload",
            name,
            None,
            pulumi.ResourceOptions.merge(
                opts,
                pulumi.ResourceOptions(providers={"aws": provider, "kubernetes": k8s_provider}),
            ),
        )
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        self._labels = {
            "app.kubernetes.io/name": APP_NAME,
            "app.kubernetes.io/part-of": "gdpr-platform",
        }

        self._create_role()
        self._create_namespace()
        self._create_config()
        self._create_service()
        self._create_network_policy()
        self.migration: k8s.batch.v1.Job | None = None
        if args.release is not None:
            if args.region == args.primary_region:
                self._create_migration(args.release)
            self._create_deployment(args.release)
            self._create_worker(args.release)
            self._create_scaling()

        self.register_outputs(
            {
                "roleArn": self.role.arn,
                "namespace": args.namespace,
                "migrationJob": self.migration.metadata.name if self.migration else None,
            }
        )

    def _meta(
        self, name: str, labels: dict[str, str] | None = None, **extra: Any
    ) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(
            name=name, namespace=self._args.namespace, labels=labels or self._labels, **extra
        )

    def _create_role(self) -> None:
        args = self._args
        perms = args.permissions
        self.role = aws.iam.Role(
            f"{self._name}-irsa",
            # A fixed name: the central hub's queue policy admits producers by role ARN.
            name=args.role_name,
            description=f"The API's pods in {args.region} ({args.jurisdiction})",
            assume_role_policy=pulumi.Output.all(
                args.oidc_provider_arn, args.oidc_provider_url
            ).apply(
                lambda ids: docs.irsa_trust_policy(ids[0], ids[1], args.namespace, SERVICE_ACCOUNT)
            ),
            opts=self._child,
        )
        policy = api_policy_document(
            perms,
            args.jurisdiction_regions,
            args.db_user,
            pulumi.InvokeOptions(parent=self),
        )
        aws.iam.RolePolicy(f"{self._name}-irsa", role=self.role.id, policy=policy, opts=self._child)

    def _create_namespace(self) -> None:
        self.namespace = k8s.core.v1.Namespace(
            f"{self._name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=self._args.namespace,
                labels={
                    **self._labels,
                    # The restricted Pod Security Standard, enforced by the API server.
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                },
            ),
            opts=self._child,
        )
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{self._name}-sa",
            metadata=self._meta(
                SERVICE_ACCOUNT,
                annotations={
                    "eks.amazonaws.com/role-arn": self.role.arn,
                    # Regional STS endpoint: tokens are exchanged inside the region.
                    "eks.amazonaws.com/sts-regional-endpoints": "true",
                },
            ),
            automount_service_account_token=False,
            opts=in_ns,
        )

    def _create_config(self) -> None:
        args = self._args
        self.config_map = k8s.core.v1.ConfigMap(
            f"{self._name}-config",
            metadata=self._meta("api-config"),
            data={
                "GDPR_API_JURISDICTION": args.jurisdiction,
                "GDPR_API_REGION": args.region,
                "GDPR_API_PRIMARY_REGION": args.primary_region,
                "GDPR_API_SHARD_MAP": args.shard_map_json,
                "GDPR_API_DB_AUTH_MODE": "iam",
                "GDPR_API_DB_USER": args.db_user,
                "GDPR_API_JWT_ISSUER": args.jwt_issuer,
                "GDPR_API_JWT_AUDIENCE": args.jwt_audience,
                **({"GDPR_API_JWT_JWKS_URL": args.jwt_jwks_url} if args.jwt_jwks_url else {}),
                **args.extra_settings,
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]),
        )

    def _container(self, image: pulumi.Input[str]) -> k8s.core.v1.ContainerArgs:
        args = self._args

        def probe(path: str, period: int, failures: int) -> k8s.core.v1.ProbeArgs:
            return k8s.core.v1.ProbeArgs(
                http_get=k8s.core.v1.HTTPGetActionArgs(path=path, port="http"),
                period_seconds=period,
                timeout_seconds=3,
                failure_threshold=failures,
            )

        return k8s.core.v1.ContainerArgs(
            name=APP_NAME,
            image=image,
            args=[
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--host",
                "0.0.0.0",  # noqa: S104  # inside the pod; the NetworkPolicy limits callers
                "--port",
                str(args.port),
            ],
            ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=args.port)],
            env_from=[
                k8s.core.v1.EnvFromSourceArgs(
                    config_map_ref=k8s.core.v1.ConfigMapEnvSourceArgs(name="api-config")
                )
            ],
            resources=k8s.core.v1.ResourceRequirementsArgs(
                requests={"cpu": args.cpu_request, "memory": args.memory_request},
                limits={"cpu": args.cpu_limit, "memory": args.memory_limit},
            ),
            liveness_probe=probe(args.liveness_path, period=10, failures=3),
            readiness_probe=probe(args.readiness_path, period=5, failures=2),
            startup_probe=probe(args.liveness_path, period=5, failures=24),
            security_context=_locked_down(),
            volume_mounts=[_tmp_mount()],
        )

    def _worker_container(self, image: pulumi.Input[str]) -> k8s.core.v1.ContainerArgs:
        return _command_container(WORKER_NAME, image, "app.audit.worker")

    def _labels_of(self, name: str) -> dict[str, str]:
        return {**self._labels, "app.kubernetes.io/name": name}

    def _pod_template(
        self, name: str, container: k8s.core.v1.ContainerArgs, restart_policy: str = "Always"
    ) -> k8s.core.v1.PodTemplateSpecArgs:
        return k8s.core.v1.PodTemplateSpecArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(labels=self._labels_of(name)),
            spec=k8s.core.v1.PodSpecArgs(
                service_account_name=SERVICE_ACCOUNT,
                restart_policy=restart_policy,
                # The projected IRSA token is mounted by the EKS webhook; the Kubernetes
                # API token is not needed.
                automount_service_account_token=False,
                security_context=k8s.core.v1.PodSecurityContextArgs(
                    run_as_non_root=True,
                    run_as_user=10001,
                    run_as_group=10001,
                    fs_group=10001,
                    seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                ),
                topology_spread_constraints=[
                    k8s.core.v1.TopologySpreadConstraintArgs(
                        max_skew=1,
                        topology_key="topology.kubernetes.io/zone",
                        when_unsatisfiable="ScheduleAnyway",
                        label_selector=k8s.meta.v1.LabelSelectorArgs(
                            match_labels={"app.kubernetes.io/name": name}
                        ),
                    )
                ],
                containers=[container],
                volumes=[
                    k8s.core.v1.VolumeArgs(
                        name=TMP_VOLUME,
                        empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="64Mi"),
                    )
                ],
            ),
        )

    def _create_migration(self, release: ApiRelease) -> None:
        """``python -m app.db.migrate`` for this release, before the API rolls out.

        Same service account, so the same IRSA role as the API: rds-db:connect to this
        jurisdiction's shard writers only, and the shard map in the same ConfigMap, which
        lists this jurisdiction's shards only. Only the primary region runs it: every
        shard's writer is there, and the other regions' readers follow by replication.

        The name carries the release's digest, so a new release is a new Job (replaced:
        the finished one goes, the new one runs). The Kubernetes provider waits until a Job
        completes and fails the update if it fails, and every region's Deployments depend
        on it, so no pod of a release serves before its schema is in place.
        The Job is kept after it finishes (no ttlSecondsAfterFinished): a Job that removed
        itself would show up as drift on every refresh.
        """
        image = release.image
        name = pulumi.Output.from_input(image).apply(release_name)
        container = _command_container(MIGRATE_NAME, image, "app.db.migrate")
        self.migration = k8s.batch.v1.Job(
            f"{self._name}-migrate",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=name,
                namespace=self._args.namespace,
                labels=self._labels_of(MIGRATE_NAME),
            ),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=release.migration_backoff_limit,
                active_deadline_seconds=release.migration_deadline_seconds,
                template=self._pod_template(MIGRATE_NAME, container, restart_policy="Never"),
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[
                    self.namespace,
                    self.service_account,
                    self.config_map,
                    self.migrate_network_policy,
                ],
                # A new release is a new name: the new Job is created (and awaited) before
                # the old one goes. Changed limits apply from the next release on.
                ignore_changes=["spec.activeDeadlineSeconds", "spec.backoffLimit"],
            ),
        )

    def _rollout_after(self) -> list[pulumi.Resource]:
        return [self.migration] if self.migration else list(self._args.rollout_after)

    def _create_deployment(self, release: ApiRelease) -> None:
        args = self._args
        selector = {"app.kubernetes.io/name": APP_NAME}
        self.deployment = k8s.apps.v1.Deployment(
            f"{self._name}-deployment",
            metadata=self._meta(APP_NAME),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=args.replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                strategy=k8s.apps.v1.DeploymentStrategyArgs(
                    type="RollingUpdate",
                    rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(
                        max_unavailable=0, max_surge=1
                    ),
                ),
                template=self._pod_template(APP_NAME, self._container(release.image)),
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                # The release's schema first: its migration Job must have completed.
                depends_on=[
                    self.namespace,
                    self.service_account,
                    self.config_map,
                    *self._rollout_after(),
                ],
                # The HPA owns the replica count after the first rollout.
                ignore_changes=["spec.replicas"],
            ),
        )

    def _create_worker(self, release: ApiRelease) -> None:
        args = self._args
        # Rows are taken FOR UPDATE SKIP LOCKED, so workers never share one: any count
        # is safe, two keep delivering through a node drain.
        self.worker = k8s.apps.v1.Deployment(
            f"{self._name}-worker",
            metadata=self._meta(WORKER_NAME, labels=self._labels_of(WORKER_NAME)),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=args.worker_replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(
                    match_labels={"app.kubernetes.io/name": WORKER_NAME}
                ),
                template=self._pod_template(WORKER_NAME, self._worker_container(release.image)),
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[
                    self.namespace,
                    self.service_account,
                    self.config_map,
                    *self._rollout_after(),
                ],
            ),
        )

    def _create_service(self) -> None:
        args = self._args
        # ClusterIP: the internal ALB (edge tier, a CloudFront VPC origin) reaches the pods
        # directly through the TargetGroupBinding; no load balancer is made from here.
        self.service = k8s.core.v1.Service(
            f"{self._name}-svc",
            metadata=self._meta(APP_NAME),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector={"app.kubernetes.io/name": APP_NAME},
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name="http", port=args.port, target_port="http", protocol="TCP"
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]),
        )
        self.target_group_binding = k8s.apiextensions.CustomResource(
            f"{self._name}-tgb",
            api_version="elbv2.k8s.aws/v1beta1",
            kind="TargetGroupBinding",
            metadata=self._meta(APP_NAME),
            spec={
                "serviceRef": {"name": APP_NAME, "port": args.port},
                "targetGroupARN": args.target_group_arn,
                "targetType": "ip",
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[self.service, *args.binding_depends_on],
            ),
        )

    def _create_scaling(self) -> None:
        args = self._args
        self.hpa = k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{self._name}-hpa",
            metadata=self._meta(APP_NAME),
            spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
                scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
                    api_version="apps/v1", kind="Deployment", name=APP_NAME
                ),
                min_replicas=args.min_replicas,
                max_replicas=args.max_replicas,
                metrics=[
                    k8s.autoscaling.v2.MetricSpecArgs(
                        type="Resource",
                        resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
                            name="cpu",
                            target=k8s.autoscaling.v2.MetricTargetArgs(
                                type="Utilization",
                                average_utilization=args.target_cpu_percent,
                            ),
                        ),
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.deployment]),
        )
        self.pdb = k8s.policy.v1.PodDisruptionBudget(
            f"{self._name}-pdb",
            metadata=self._meta(APP_NAME),
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                # Node drains never take more than one pod at a time.
                max_unavailable=1,
                selector=k8s.meta.v1.LabelSelectorArgs(
                    match_labels={"app.kubernetes.io/name": APP_NAME}
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]),
        )

    def _create_network_policy(self) -> None:
        args = self._args

        def cidr_peers(cidrs: Sequence[str]) -> list[k8s.networking.v1.NetworkPolicyPeerArgs]:
            return [
                k8s.networking.v1.NetworkPolicyPeerArgs(
                    ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr)
                )
                for cidr in sorted(set(cidrs))
            ]

        def tcp(port: int) -> k8s.networking.v1.NetworkPolicyPortArgs:
            return k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=port)

        dns_peer = k8s.networking.v1.NetworkPolicyPeerArgs(
            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                match_labels={"kubernetes.io/metadata.name": "kube-system"}
            ),
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"k8s-app": "kube-dns"}),
        )
        # S3 through the gateway endpoint still goes to S3's own addresses, not the VPC's.
        s3_ranges = aws.ec2.get_managed_prefix_list_output(
            name=f"com.amazonaws.{args.region}.s3", opts=pulumi.InvokeOptions(parent=self)
        ).entries.apply(lambda entries: [e.cidr for e in entries])
        https_peers = s3_ranges.apply(
            lambda s3: cidr_peers([args.vpc_cidr, *s3, *args.https_egress_cidrs])
        )
        database = k8s.networking.v1.NetworkPolicyEgressRuleArgs(
            to=cidr_peers([args.vpc_cidr, *args.database_cidrs]), ports=[tcp(5432)]
        )
        dns = k8s.networking.v1.NetworkPolicyEgressRuleArgs(
            to=[dns_peer],
            ports=[
                k8s.networking.v1.NetworkPolicyPortArgs(protocol="UDP", port=DNS_PORT),
                tcp(DNS_PORT),
            ],
        )
        self.network_policy = k8s.networking.v1.NetworkPolicy(
            f"{self._name}-netpol",
            metadata=self._meta(APP_NAME),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(
                    match_labels={"app.kubernetes.io/name": APP_NAME}
                ),
                policy_types=["Ingress", "Egress"],
                ingress=[
                    # The internal ALB's addresses (and kubelet probes) are in the VPC.
                    k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                        from_=cidr_peers([args.vpc_cidr]), ports=[tcp(args.port)]
                    )
                ],
                egress=[
                    # Aurora: local readers, and writers in the primary region's VPC over
                    # the in-jurisdiction link.
                    database,
                    # AWS APIs through the VPC's interface endpoints, S3, named extras.
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=https_peers, ports=[tcp(443)]),
                    dns,
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]),
        )
        # The migration Job takes no traffic: the writers, STS through the VPC's endpoint
        # (its IRSA token), DNS.
        self.migrate_network_policy = k8s.networking.v1.NetworkPolicy(
            f"{self._name}-migrate-netpol",
            metadata=self._meta(MIGRATE_NAME, labels=self._labels_of(MIGRATE_NAME)),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(
                    match_labels={"app.kubernetes.io/name": MIGRATE_NAME}
                ),
                policy_types=["Ingress", "Egress"],
                ingress=[],
                egress=[
                    database,
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=cidr_peers([args.vpc_cidr]), ports=[tcp(443)]
                    ),
                    dns,
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]),
        )
        # The worker takes no traffic. It calls S3 and the central queue, which may be in
        # another region (the hub's): AWS's public endpoints, so HTTPS anywhere but the
        # metadata service; its IAM role names the only things it can reach there.
        self.worker_network_policy = k8s.networking.v1.NetworkPolicy(
            f"{self._name}-worker-netpol",
            metadata=self._meta(WORKER_NAME, labels=self._labels_of(WORKER_NAME)),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(
                    match_labels={"app.kubernetes.io/name": WORKER_NAME}
                ),
                policy_types=["Ingress", "Egress"],
                ingress=[],
                egress=[
                    database,
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[
                            k8s.networking.v1.NetworkPolicyPeerArgs(
                                ip_block=k8s.networking.v1.IPBlockArgs(
                                    cidr="0.0.0.0/0", except_=[LINK_LOCAL]
                                )
                            )
                        ],
                        ports=[tcp(443)],
                    ),
                    dns,
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace]),
        )


def _command_container(
    name: str, image: pulumi.Input[str], module: str
) -> k8s.core.v1.ContainerArgs:
    """A container running ``python -m <module>`` with the API's settings, small and locked."""
    return k8s.core.v1.ContainerArgs(
        name=name,
        image=image,
        args=["python", "-m", module],
        env_from=[
            k8s.core.v1.EnvFromSourceArgs(
                config_map_ref=k8s.core.v1.ConfigMapEnvSourceArgs(name="api-config")
            )
        ],
        resources=k8s.core.v1.ResourceRequirementsArgs(
            requests={"cpu": "100m", "memory": "256Mi"},
            limits={"cpu": "500m", "memory": "512Mi"},
        ),
        security_context=_locked_down(),
        volume_mounts=[_tmp_mount()],
    )


def _locked_down() -> k8s.core.v1.SecurityContextArgs:
    """Non-root, read-only root filesystem, no privilege escalation, no capabilities."""
    return k8s.core.v1.SecurityContextArgs(
        run_as_non_root=True,
        read_only_root_filesystem=True,
        allow_privilege_escalation=False,
        privileged=False,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def _tmp_mount() -> k8s.core.v1.VolumeMountArgs:
    return k8s.core.v1.VolumeMountArgs(name=TMP_VOLUME, mount_path="/tmp")  # noqa: S108
