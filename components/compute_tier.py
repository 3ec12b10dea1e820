"""The compute, edge and observability tier of a stack, wired from the regions' foundations.

Per region, in EKS mode (the default): log groups first (so EKS and the app never create
their own), the EKS cluster, the internal ALB origin, the load balancer controller, the API
workload and monitoring. In Lambda mode (``compute.mode: lambda``): the API and outbox
functions with their HTTP API origin (components/api_function.py), no cluster and no
Kubernetes object; the same role name and policy, keys, edge and headers policy.
Then, once per jurisdiction: the CloudFront distribution and the cross-region dashboard,
both with the primary region's provider.

What the data and data-flow tiers own (Aurora clusters, the shard-map parameter, the audit
bucket, the central queue) arrives through :class:`ComputeInputs`; every field may stay
empty until those tiers are merged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import pulumi
import pulumi_random as random

from components.api_function import ORIGIN_HEADER, ApiFunction, ApiFunctionArgs, api_code
from components.cluster import (
    EksCluster,
    EksClusterArgs,
    LoadBalancerController,
    LoadBalancerControllerArgs,
)
from components.config import StackConfig
from components.edge import (
    EdgeDistribution,
    EdgeDistributionArgs,
    HttpApiOrigin,
    RegionalOrigin,
    RegionalOriginArgs,
)
from components.observability import (
    JurisdictionDashboard,
    JurisdictionDashboardArgs,
    RegionalLogs,
    RegionalLogsArgs,
    RegionalMonitoring,
    RegionalMonitoringArgs,
    RegionalSignals,
)
from components.workload import ApiPermissions, ApiRelease, ApiWorkload, ApiWorkloadArgs

if TYPE_CHECKING:
    from components.program import Region


def api_role_name(stack: str, region: str) -> str:
    """The API's IAM role name; the hub stack's ``central.producerRoleArns`` lists these."""
    return f"gdpr-platform-{stack}-api-{region}"


@dataclass
class ComputeInputs:
    """What other tiers hand to this one, by region (missing regions mean "nothing yet")."""

    #: Extra permissions for the API's role per region (the region's own KMS keys for
    #: audit files and secrets are always included).
    permissions: Mapping[str, ApiPermissions] = field(default_factory=dict)
    #: The shard map with endpoints (data tier); the config's layout until then.
    shard_map_json: pulumi.Input[str] | None = None
    #: The data tiers' signals per region; the load balancer is added here.
    signals: Mapping[str, RegionalSignals] = field(default_factory=dict)
    #: More GDPR_API_* settings per region for the API and the outbox worker, e.g.
    #: GDPR_API_AUDIT_BUCKET, GDPR_API_CENTRAL_QUEUE_URL, GDPR_API_CENTRAL_QUEUE_REGION.
    settings: Mapping[str, Mapping[str, pulumi.Input[str]]] = field(default_factory=dict)
    #: The release each region runs (image by digest); none yet: no API pods are declared.
    releases: Mapping[str, ApiRelease] = field(default_factory=dict)
    #: SSM name of the shard map (Lambda mode reads it there: an environment holds 4 KB).
    shard_map_parameter: str | None = None
    #: The region's Lambda layer with the API's packages (Lambda mode).
    api_layer_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    #: What a migration needs in place first (Lambda mode): the shard databases and the
    #: published shard map it reads.
    migrate_after: Sequence[pulumi.Resource] = ()


@dataclass
class RegionalCompute:
    """One region's compute: the EKS parts or the Lambda parts, never both."""

    signals: RegionalSignals
    monitoring: RegionalMonitoring
    logs: RegionalLogs | None = None
    cluster: EksCluster | None = None
    origin: RegionalOrigin | None = None
    lb_controller: LoadBalancerController | None = None
    workload: ApiWorkload | None = None
    function: ApiFunction | None = None

    @property
    def api_role(self) -> pulumi.Output[str]:
        """The API's role ARN (IRSA in EKS mode, the functions' role in Lambda mode)."""
        if self.workload is not None:
            return self.workload.role.arn
        if self.function is not None:
            return self.function.role.arn
        raise ValueError("a region's compute has neither a workload nor a function")


@dataclass
class ComputeTier:
    regions: dict[str, RegionalCompute]
    edge: EdgeDistribution
    dashboard: JurisdictionDashboard


def cluster_name(stack: str, region: str) -> str:
    """Physical EKS cluster name; the control-plane log group is named after it."""
    return f"gdpr-{stack}-{region}"


def build_compute_tier(
    cfg: StackConfig,
    regions: Mapping[str, Region],
    inputs: ComputeInputs | None = None,
) -> ComputeTier:
    inputs = inputs or ComputeInputs()
    primary = regions[cfg.regions.primary]
    on_primary = pulumi.ResourceOptions(provider=primary.provider)
    origins: dict[str, RegionalOrigin | HttpApiOrigin]
    built: dict[str, RegionalCompute] = {}
    if cfg.compute.is_lambda:
        secret = random.RandomPassword(
            "edge-origin-secret", length=48, special=False, opts=on_primary
        )
        for name in cfg.regions.all:  # the primary first: its migration gates every region
            done = built.get(cfg.regions.primary)
            migration = done.function.migration if done and done.function else None
            built[name] = _build_lambda_region(
                cfg, regions[name], inputs, secret.result, [migration] if migration else []
            )
        origins = {
            name: HttpApiOrigin(
                domain_name=_function(c).origin_domain,
                verify_header=ORIGIN_HEADER,
                verify_value=secret.result,
            )
            for name, c in built.items()
        }
    else:
        for name in cfg.regions.all:  # the primary first: its migration Job gates every region
            done = built.get(cfg.regions.primary)
            job = done.workload.migration if done and done.workload else None
            built[name] = _build_region(cfg, regions[name], inputs, [job] if job else [])
        origins = {name: _alb(c) for name, c in built.items()}
    edge = EdgeDistribution(
        "edge",
        EdgeDistributionArgs(
            jurisdiction=cfg.jurisdiction,
            primary_region=cfg.regions.primary,
            regions=list(cfg.regions.all),
            origins=origins,
            aliases=list(cfg.edge.aliases),
            viewer_certificate_arn=_required(cfg.edge.viewer_certificate_arn),
            price_class=cfg.edge.price_class,
            failover_path_patterns=list(cfg.edge.failover_path_patterns),
            write_region=cfg.edge.write_region or cfg.regions.primary,
            content_security_policy=cfg.edge.content_security_policy,
            hsts_max_age_seconds=cfg.edge.hsts_max_age_seconds,
        ),
        opts=on_primary,
    )
    dashboard = JurisdictionDashboard(
        "dashboard-all-regions",
        JurisdictionDashboardArgs(
            stack=cfg.stack,
            regions=[built[name].signals for name in cfg.regions.all],
        ),
        opts=on_primary,
    )
    return ComputeTier(regions=built, edge=edge, dashboard=dashboard)


def _function(c: RegionalCompute) -> ApiFunction:
    if c.function is None:
        raise ValueError("Lambda mode built no function")
    return c.function


def _alb(c: RegionalCompute) -> RegionalOrigin:
    if c.origin is None:
        raise ValueError("EKS mode built no load balancer")
    return c.origin


def _required(value: str | None) -> str:
    if value is None:  # config validation guarantees it; this keeps the types honest
        raise ValueError("edge.viewerCertificateArn is required")
    return value


def _build_region(
    cfg: StackConfig, region: Region, inputs: ComputeInputs, rollout_after: list[pulumi.Resource]
) -> RegionalCompute:
    name = region.name
    in_region = pulumi.ResourceOptions(provider=region.provider)
    eks_name = cluster_name(cfg.stack, name)
    logs = RegionalLogs(
        f"logs-{name}",
        RegionalLogsArgs(
            region=name,
            cluster_name=eks_name,
            logs_key_arn=region.keys.arns.logs,
            retention_days=cfg.observability.log_retention_days,
        ),
        opts=in_region,
    )
    cluster = EksCluster(
        f"cluster-{name}",
        EksClusterArgs(
            region=name,
            cluster_name=eks_name,
            version=cfg.eks.version,
            vpc_id=region.network.vpc.id,
            private_subnet_ids=region.network.private_subnet_ids,
            eks_key_arn=region.keys.arns.eks,
            instance_types=list(cfg.eks.instance_types),
            min_size=cfg.eks.min_size,
            desired_size=cfg.eks.desired_size,
            max_size=cfg.eks.max_size,
            disk_size_gib=cfg.eks.disk_size_gib,
            public_access_cidrs=list(cfg.eks.public_access_cidrs),
            admin_role_arn=cfg.eks.admin_role_arn,
            deletion_protection=cfg.floor.deletion_protection,
            control_plane_log_group=logs.control_plane,
            container_log_groups=list(logs.container_insights.values()),
        ),
        provider=region.provider,
    )
    origin = RegionalOrigin(
        f"origin-{name}",
        RegionalOriginArgs(
            region=name,
            vpc_id=region.network.vpc.id,
            vpc_cidr=cfg.network.vpc_cidrs[name],
            private_subnet_ids=region.network.private_subnet_ids,
            pod_security_group_id=cluster.cluster_security_group_id,
            app_port=cfg.app.port,
            health_check_path=cfg.app.readiness_path,
            domain_name=cfg.edge.aliases[0],
            certificate_arn=cfg.edge.origin_certificate_arns.get(name),
            deletion_protection=cfg.floor.deletion_protection,
            access_logs=region.access_logs.load_balancer_logs(f"origin-{name}"),
            access_logs_ready=[region.access_logs.policy],
        ),
        opts=in_region,
    )
    lb_controller = LoadBalancerController(
        f"lb-controller-{name}",
        LoadBalancerControllerArgs(
            region=name,
            cluster_name=eks_name,
            vpc_id=region.network.vpc.id,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_provider_url=cluster.oidc_provider_url,
            target_group_arns=[origin.target_group.arn],
            chart_version=cfg.app.lb_controller_chart_version,
        ),
        provider=region.provider,
        k8s_provider=cluster.k8s_provider,
    )
    permissions = _api_permissions(region, inputs)
    app = cfg.app
    workload = ApiWorkload(
        f"api-{name}",
        ApiWorkloadArgs(
            region=name,
            primary_region=cfg.regions.primary,
            jurisdiction=cfg.jurisdiction,
            role_name=api_role_name(cfg.stack, name),
            jurisdiction_regions=list(cfg.regions.all),
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_provider_url=cluster.oidc_provider_url,
            vpc_cidr=cfg.network.vpc_cidrs[name],
            database_cidrs=[cfg.network.vpc_cidrs[r] for r in cfg.regions.all],
            release=inputs.releases.get(name),
            rollout_after=rollout_after,
            namespace=app.namespace,
            replicas=app.replicas,
            min_replicas=app.min_replicas,
            max_replicas=app.max_replicas,
            target_cpu_percent=app.target_cpu_percent,
            port=app.port,
            cpu_request=app.cpu_request,
            cpu_limit=app.cpu_limit,
            memory_request=app.memory_request,
            memory_limit=app.memory_limit,
            liveness_path=app.liveness_path,
            readiness_path=app.readiness_path,
            db_user=app.db_user,
            jwt_issuer=app.jwt_issuer,
            jwt_audience=app.jwt_audience,
            shard_map_json=inputs.shard_map_json or cfg.shard_map.to_json(),
            target_group_arn=origin.target_group.arn,
            worker_replicas=app.worker_replicas,
            jwt_jwks_url=app.jwt_jwks_url,
            https_egress_cidrs=list(app.https_egress_cidrs),
            extra_settings=inputs.settings.get(name, {}),
            permissions=permissions,
            binding_depends_on=[lb_controller.release],
        ),
        provider=region.provider,
        k8s_provider=cluster.k8s_provider,
    )
    signals = inputs.signals.get(name, RegionalSignals(region=name)).with_load_balancer(
        origin.load_balancer.arn_suffix, origin.target_group.arn_suffix
    )
    monitoring = _monitoring(cfg, region, signals)
    return RegionalCompute(
        logs=logs,
        cluster=cluster,
        origin=origin,
        lb_controller=lb_controller,
        workload=workload,
        monitoring=monitoring,
        signals=signals,
    )


def _api_permissions(region: Region, inputs: ComputeInputs) -> ApiPermissions:
    """What the API may touch in ``region``: the other tiers' grants and its own keys."""
    extra = inputs.permissions.get(region.name, ApiPermissions())
    return ApiPermissions(
        shard_map_parameter_arns=extra.shard_map_parameter_arns,
        db_cluster_resource_ids=extra.db_cluster_resource_ids,
        secret_arns=extra.secret_arns,
        audit_bucket_arn=extra.audit_bucket_arn,
        central_queue_arn=extra.central_queue_arn,
        central_queue_key_arn=extra.central_queue_key_arn,
        kms_key_arns=[region.keys.arns.audit, region.keys.arns.secrets, *extra.kms_key_arns],
    )


def _build_lambda_region(
    cfg: StackConfig,
    region: Region,
    inputs: ComputeInputs,
    origin_secret: pulumi.Output[str],
    rollout_after: list[pulumi.Resource],
) -> RegionalCompute:
    name = region.name
    app = cfg.app
    layer = inputs.api_layer_arns.get(name)
    if layer is None or inputs.shard_map_parameter is None:
        raise ValueError(f"Lambda mode needs the API layer and the shard-map parameter in {name}")
    environment: dict[str, pulumi.Input[str]] = {
        "GDPR_API_JURISDICTION": cfg.jurisdiction,
        "GDPR_API_REGION": name,
        "GDPR_API_PRIMARY_REGION": cfg.regions.primary,
        "GDPR_API_SHARD_MAP": f"ssm:{inputs.shard_map_parameter}",
        "GDPR_API_DB_AUTH_MODE": "iam",
        "GDPR_API_DB_USER": app.db_user,
        "GDPR_API_JWT_ISSUER": app.jwt_issuer,
        "GDPR_API_JWT_AUDIENCE": app.jwt_audience,
        **({"GDPR_API_JWT_JWKS_URL": app.jwt_jwks_url} if app.jwt_jwks_url else {}),
        **inputs.settings.get(name, {}),
    }
    function = ApiFunction(
        f"api-{name}",
        ApiFunctionArgs(
            stack=cfg.stack,
            region=name,
            jurisdiction=cfg.jurisdiction,
            role_name=api_role_name(cfg.stack, name),
            jurisdiction_regions=list(cfg.regions.all),
            vpc_id=region.network.vpc.id,
            vpc_cidr=cfg.network.vpc_cidrs[name],
            database_cidrs=[cfg.network.vpc_cidrs[r] for r in cfg.regions.all],
            private_subnet_ids=region.network.private_subnet_ids,
            endpoint_security_group_id=region.network.endpoint_security_group.id,
            keys=region.keys.arns,
            code=api_code(),
            layer_arn=layer,
            db_user=app.db_user,
            environment=environment,
            origin_secret=origin_secret,
            api=cfg.compute.api,
            outbox=cfg.compute.outbox,
            permissions=_api_permissions(region, inputs),
            https_egress_cidrs=list(app.https_egress_cidrs),
            runs_migrations=region.is_primary,
            rollout_after=rollout_after,
            migrate_after=list(inputs.migrate_after),
        ),
        opts=pulumi.ResourceOptions(provider=region.provider),
    )
    base = inputs.signals.get(name, RegionalSignals(region=name))
    signals = replace(
        base,
        function_names=[
            *base.function_names,
            function.function.name,
            function.outbox_function.name,
        ],
    ).with_http_api(function.http_api.id)
    return RegionalCompute(
        signals=signals, monitoring=_monitoring(cfg, region, signals), function=function
    )


def _monitoring(cfg: StackConfig, region: Region, signals: RegionalSignals) -> RegionalMonitoring:
    return RegionalMonitoring(
        f"monitoring-{region.name}",
        RegionalMonitoringArgs(
            signals=signals,
            stack=cfg.stack,
            queues_key_arn=region.keys.arns.queues,
            error_rate_percent=cfg.observability.api_error_rate_percent,
            replication_lag_ms=cfg.observability.replication_lag_ms,
            alarm_emails=list(cfg.observability.alarm_emails),
        ),
        opts=pulumi.ResourceOptions(provider=region.provider),
    )
