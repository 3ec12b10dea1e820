"""The whole stack: what ``__main__.py`` runs, and what the offline preview runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components import api_function
from components.access_logs import LogTarget, RegionLogBucket, RegionLogBucketArgs
from components.audit import AuditPipeline, AuditPipelineArgs
from components.central import (
    CentralHub,
    CentralHubArgs,
    CentralHubReference,
    CentralHubReferenceArgs,
    producer_key_statement,
)
from components.cidr import carve_subnets
from components.compute_tier import ComputeInputs, ComputeTier, build_compute_tier
from components.config import StackConfig
from components.connectivity import JurisdictionLinks, JurisdictionLinksArgs, LinkEnd
from components.database import (
    DatabaseRegion,
    DatabaseRegionArgs,
    ReaderScaling,
    SecretRotation,
    ShardDatabase,
    ShardDatabaseArgs,
    ShardRegion,
    endpoints_by_shard,
)
from components.deployer import ClusterEndpoint, DeploymentRunner, DeploymentRunnerArgs
from components.keys import RegionalKeys, RegionalKeysArgs
from components.network import RegionalNetwork, RegionalNetworkArgs
from components.observability import RegionalSignals
from components.operations import OperationsPane, OperationsPaneArgs
from components.outputs import Built, stack_outputs
from components.providers import regional_providers
from components.registry import ImageRegistry, ImageRegistryArgs, RegistryRegion
from components.shardmap_parameter import (
    ParameterRegion,
    ShardMapParameter,
    ShardMapParameterArgs,
)
from components.tagging import register_required_tags
from components.workers import (
    LAMBDA_ARCHITECTURE,
    LAMBDA_RUNTIME,
    WorkerSite,
    lambda_code,
    lambda_dependencies,
)
from components.workload import ApiPermissions, ApiRelease
from policies.gdpr_pack.jurisdictions import allowed_regions

PROJECT = "gdpr-platform"


@dataclass(frozen=True)
class Region:
    """Everything built in one region of the jurisdiction."""

    name: str
    is_primary: bool
    provider: aws.Provider
    keys: RegionalKeys
    network: RegionalNetwork
    #: Where the region's load balancers and buckets write access logs.
    access_logs: RegionLogBucket


def build(cfg: StackConfig) -> dict[str, Any]:
    """Declare every resource of the stack; return the stack outputs."""
    register_required_tags(cfg.required_tags())
    providers = regional_providers(cfg.stack, cfg.regions.all)
    regions = {name: _build_region(cfg, name, providers[name]) for name in cfg.regions.all}
    code = lambda_code()
    dependencies = lambda_dependencies()
    layers = {name: _lambda_layer(cfg, r, dependencies) for name, r in regions.items()}
    primary = cfg.regions.primary
    data = _build_data_tier(cfg, regions)
    central = _build_central(cfg, regions[primary], code, layers[primary].arn)
    audits = {name: _build_audit(cfg, r, code, layers[name].arn) for name, r in regions.items()}
    pseudonym_key = _pseudonym_key(cfg, regions)
    inputs = _compute_inputs(cfg, regions, data, central, audits, pseudonym_key)
    registry: ImageRegistry | None = None
    if cfg.compute.is_lambda:
        api_dependencies = api_function.api_dependencies()
        inputs.shard_map_parameter = data.parameter_path
        inputs.migrate_after = [data.parameter, *data.shards]
        inputs.api_layer_arns = {
            name: _api_layer(cfg, r, api_dependencies).arn for name, r in regions.items()
        }
    else:
        # Images exist for the clusters; Lambda mode ships zips and layers.
        registry = _build_registry(cfg, regions)
        inputs.releases = _releases(cfg, registry)
    compute = build_compute_tier(cfg, regions, inputs)
    runner = _build_deployer(cfg, regions, compute) if cfg.deployer.enabled else None
    operations = _build_operations(
        cfg, providers, compute, regions[primary].access_logs.log_target("operations")
    )
    return stack_outputs(
        Built(cfg, regions, data, central, audits, compute, registry, runner, operations)
    )


def _build_operations(
    cfg: StackConfig,
    providers: Mapping[str, aws.Provider],
    compute: ComputeTier,
    access_logs: LogTarget,
) -> OperationsPane | None:
    """The operations pane (on by default in production), its home the primary region."""
    if not cfg.operations.on:
        return None
    return OperationsPane(
        "operations",
        OperationsPaneArgs(
            stack=cfg.stack,
            primary=cfg.regions.primary,
            providers={name: providers[name] for name in cfg.regions.all},
            settings=cfg.operations,
            protection=cfg.floor,
            alarm_topic_arns={n: c.monitoring.topic.arn for n, c in compute.regions.items()},
            object_lock=cfg.audit.object_lock.enabled,
            access_logs=access_logs,
        ),
        opts=pulumi.ResourceOptions(provider=providers[cfg.regions.primary]),
    )


def _build_region(cfg: StackConfig, region: str, provider: aws.Provider) -> Region:
    in_region = pulumi.ResourceOptions(provider=provider)
    keys = RegionalKeys(
        f"keys-{region}",
        RegionalKeysArgs(
            region=region,
            alias_prefix=f"{PROJECT}/{cfg.stack}",
            protection=cfg.floor,
            extra_statements=_hub_key_statements(cfg, region),
        ),
        opts=in_region,
    )
    network = RegionalNetwork(
        f"network-{region}",
        RegionalNetworkArgs(
            region=region,
            vpc_cidr=cfg.network.vpc_cidrs[region],
            az_count=cfg.network.az_count,
            nat_mode=cfg.network.nat_mode,
            flow_log_retention_days=cfg.network.flow_log_retention_days,
            logs_key_arn=keys.arns.logs,
        ),
        opts=in_region,
    )
    access_logs = RegionLogBucket(
        f"access-logs-{region}",
        RegionLogBucketArgs(
            region=region,
            retention_days=cfg.observability.access_log_retention_days,
            protect=cfg.floor.protect,
        ),
        opts=in_region,
    )
    return Region(
        name=region,
        is_primary=region == cfg.regions.primary,
        provider=provider,
        keys=keys,
        network=network,
        access_logs=access_logs,
    )


def _hub_key_statements(cfg: StackConfig, region: str) -> dict[str, list[dict[str, Any]]]:
    """The hub's queues key admits the producers (components/central.py)."""
    if not cfg.central.host or region != cfg.regions.primary:
        return {}
    return {"queues": [producer_key_statement(region, cfg.central.producer_role_arns)]}


def _build_registry(cfg: StackConfig, regions: Mapping[str, Region]) -> ImageRegistry:
    return ImageRegistry(
        "registry",
        ImageRegistryArgs(
            repository_name=cfg.release.image_repository,
            primary_region=cfg.regions.primary,
            regions={
                name: RegistryRegion(provider=r.provider, key_arn=r.keys.arns.images)
                for name, r in regions.items()
            },
            allowed_regions=allowed_regions(cfg.jurisdiction, adequacy=cfg.regions.allow_adequacy),
        ),
        opts=pulumi.ResourceOptions(provider=regions[cfg.regions.primary].provider),
    )


def _build_deployer(
    cfg: StackConfig, regions: Mapping[str, Region], compute: ComputeTier
) -> DeploymentRunner:
    """The in-VPC GitHub Actions runner in the primary region (components/deployer.py)."""
    primary = regions[cfg.regions.primary]
    return DeploymentRunner(
        "deployer",
        DeploymentRunnerArgs(
            stack=cfg.stack,
            region=primary.name,
            settings=cfg.deployer,
            vpc_id=primary.network.vpc.id,
            private_subnet_ids=primary.network.private_subnet_ids,
            private_subnet_cidrs=list(
                carve_subnets(cfg.network.vpc_cidrs[primary.name], cfg.network.az_count).private
            ),
            logs_key_arn=primary.keys.arns.logs,
            database_cidr=cfg.network.vpc_cidrs[primary.name],
            database_port=cfg.database.port,
            # Lambda mode has no cluster endpoint to reach: the runner then applies the
            # stack, creates database roles and runs migrations from inside the VPC.
            clusters={
                name: ClusterEndpoint(
                    provider=r.provider, security_group_id=cluster.cluster_security_group_id
                )
                for name, r in regions.items()
                if (cluster := compute.regions[name].cluster) is not None
            },
        ),
        opts=pulumi.ResourceOptions(provider=primary.provider),
    )


def _releases(cfg: StackConfig, registry: ImageRegistry) -> dict[str, ApiRelease]:
    """Each region runs the release's digest from its own region's repository.

    Without ``release.imageDigest`` (a stack's first deploy, before any image exists) a
    development stack may name ``app.image``; otherwise no API pods are declared yet.
    """
    migration = cfg.release.migration
    digest = cfg.release.image_digest
    images: dict[str, pulumi.Input[str]] = {}
    if digest is not None:
        images = {
            r: url.apply(lambda u: f"{u}@{digest}") for r, url in registry.repository_urls.items()
        }
    elif cfg.app.image is not None:
        images = {r: cfg.app.image.replace("{region}", r) for r in cfg.regions.all}
    return {
        region: ApiRelease(
            image=image,
            migration_deadline_seconds=migration.active_deadline_seconds,
            migration_backoff_limit=migration.backoff_limit,
        )
        for region, image in images.items()
    }


def _build_central(
    cfg: StackConfig, primary: Region, code: pulumi.AssetArchive, layer_arn: pulumi.Input[str]
) -> CentralHub | CentralHubReference:
    """The hub in the hosting stack's primary region; elsewhere, a reference to it."""
    in_region = pulumi.ResourceOptions(provider=primary.provider)
    if not cfg.central.host:
        host_stack = cfg.central.host_stack
        if host_stack is None:  # parse_config refuses this; keeps the type checker honest
            raise ValueError("gdpr-platform:central.hostStack is required when host is false")
        return CentralHubReference(
            "central", CentralHubReferenceArgs(host_stack=host_stack), opts=in_region
        )
    return CentralHub(
        "central",
        CentralHubArgs(
            settings=cfg.central,
            vpc_cidr=cfg.network.vpc_cidrs[primary.name],
            isolated_subnet_ids=primary.network.isolated_subnet_ids,
            site=_worker_site(cfg, primary, code, layer_arn),
        ),
        opts=in_region,
    )


def _worker_site(
    cfg: StackConfig, region: Region, code: pulumi.AssetArchive, layer_arn: pulumi.Input[str]
) -> WorkerSite:
    return WorkerSite(
        stack=cfg.stack,
        region=region.name,
        protection=cfg.floor,
        vpc_id=region.network.vpc.id,
        subnet_ids=region.network.private_subnet_ids,
        keys=region.keys.arns,
        code=code,
        layer_arn=layer_arn,
    )


def _lambda_layer(
    cfg: StackConfig, region: Region, dependencies: pulumi.FileArchive
) -> aws.lambda_.LayerVersion:
    return _layer(
        region,
        "lambda-deps",
        f"{PROJECT}-{cfg.stack}-deps",
        "Third-party packages of the platform's Lambda handlers",
        dependencies,
    )


def _api_layer(
    cfg: StackConfig, region: Region, dependencies: pulumi.FileArchive
) -> aws.lambda_.LayerVersion:
    """Lambda mode: the API's third-party packages (FastAPI, psycopg, Mangum, ...)."""
    return _layer(
        region,
        "lambda-api-deps",
        f"{PROJECT}-{cfg.stack}-api-deps",
        "Third-party packages of the API and the outbox worker on Lambda",
        dependencies,
    )


def _layer(
    region: Region, name: str, layer_name: str, description: str, code: pulumi.FileArchive
) -> aws.lambda_.LayerVersion:
    """A layer built for the functions' runtime and architecture (make lambda-layer)."""
    return aws.lambda_.LayerVersion(
        f"{name}-{region.name}",
        layer_name=layer_name,
        description=description,
        code=code,
        compatible_runtimes=[LAMBDA_RUNTIME],
        compatible_architectures=[LAMBDA_ARCHITECTURE],
        opts=pulumi.ResourceOptions(provider=region.provider),
    )


def _build_audit(
    cfg: StackConfig, region: Region, code: pulumi.AssetArchive, layer_arn: pulumi.Input[str]
) -> AuditPipeline:
    return AuditPipeline(
        f"audit-{region.name}",
        AuditPipelineArgs(
            jurisdiction=cfg.jurisdiction,
            settings=cfg.audit,
            site=_worker_site(cfg, region, code, layer_arn),
            access_logs=region.access_logs.log_target(f"audit-{region.name}"),
        ),
        opts=pulumi.ResourceOptions(provider=region.provider),
    )


@dataclass(frozen=True)
class DataTier:
    shards: list[ShardDatabase]
    parameter: ShardMapParameter
    #: SSM name of the shard map in every region.
    parameter_path: str
    #: The shard map with endpoints, as JSON.
    shard_map: pulumi.Output[str]
    #: Per region: what the shards share there (security group, subnet group, ...).
    regions: Mapping[str, DatabaseRegion]


def _build_data_tier(cfg: StackConfig, regions: Mapping[str, Region]) -> DataTier:
    """Links between the regions, one global database per shard, the published shard map."""
    primary = regions[cfg.regions.primary]
    in_primary = pulumi.ResourceOptions(provider=primary.provider)
    private_cidrs = {
        name: list(carve_subnets(cfg.network.vpc_cidrs[name], cfg.network.az_count).private)
        for name in regions
    }
    JurisdictionLinks(
        "links",
        JurisdictionLinksArgs(
            mode=cfg.network.connectivity,
            primary=primary.name,
            ends={
                name: LinkEnd(
                    region=name,
                    provider=r.provider,
                    vpc_id=r.network.vpc.id,
                    vpc_cidr=cfg.network.vpc_cidrs[name],
                    private_subnet_ids=r.network.private_subnet_ids,
                    route_table_ids=[
                        *r.network.private_route_table_ids,
                        *r.network.isolated_route_table_ids,
                    ],
                )
                for name, r in regions.items()
            },
            allowed_regions=allowed_regions(cfg.jurisdiction, adequacy=cfg.regions.allow_adequacy),
        ),
        opts=in_primary,
    )

    db = cfg.database
    bases = {
        name: DatabaseRegion(
            f"database-{name}",
            DatabaseRegionArgs(
                region=name,
                vpc_id=r.network.vpc.id,
                isolated_subnet_ids=r.network.isolated_subnet_ids,
                # Every region writes to the primary's writer over the link; a secondary's
                # readers serve only their own region.
                client_cidrs=(
                    [c for cidrs in private_cidrs.values() for c in cidrs]
                    if r.is_primary
                    else private_cidrs[name]
                ),
                engine_version=db.engine_version,
                port=db.port,
                slow_statement_ms=db.slow_statement_ms,
                monitoring_interval_seconds=db.monitoring_interval_seconds,
            ),
            opts=pulumi.ResourceOptions(provider=r.provider),
        )
        for name, r in regions.items()
    }
    placements = {
        name: ShardRegion(
            region=name,
            provider=r.provider,
            base=bases[name],
            keys=r.keys.arns,
        )
        for name, r in regions.items()
    }
    scaling = db.reader_autoscaling
    rotation = db.master_secret_rotation
    prefix = f"{PROJECT}-{cfg.stack}"
    shards = [
        ShardDatabase(
            shard.name,
            ShardDatabaseArgs(
                shard=shard.name,
                identifier_prefix=prefix,
                primary=placements[primary.name],
                secondaries=[placements[name] for name in cfg.regions.secondaries],
                engine_version=db.engine_version,
                instance_class=db.instance_class,
                primary_reader_count=db.primary_reader_count,
                secondary_reader_count=db.secondary_reader_count,
                backup_retention_days=db.backup_retention_days,
                database_name=db.database_name,
                port=db.port,
                performance_insights_retention_days=db.performance_insights_retention_days,
                monitoring_interval_seconds=db.monitoring_interval_seconds,
                log_retention_days=db.log_retention_days,
                password_version=db.master_password_version,
                protection=cfg.floor,
                reader_scaling=(
                    ReaderScaling(
                        scaling.min_capacity, scaling.max_capacity, scaling.target_cpu_percent
                    )
                    if scaling
                    else None
                ),
                rotation=SecretRotation(rotation.lambda_arn, rotation.days) if rotation else None,
            ),
            opts=in_primary,
        )
        for shard in cfg.shard_map.shards
    ]
    shard_map = endpoints_by_shard(shards).apply(
        lambda endpoints: cfg.shard_map.with_endpoints(endpoints).to_json()
    )
    parameter_path = f"/{PROJECT}/{cfg.stack}/shard-map"
    parameter = ShardMapParameter(
        "shard-map",
        ShardMapParameterArgs(
            path=parameter_path,
            document=shard_map,
            shard_count=len(shards),
            regions=[ParameterRegion(name, r.provider) for name, r in regions.items()],
            name_length=len(prefix),
        ),
        opts=in_primary,
    )
    return DataTier(
        shards=shards,
        parameter=parameter,
        parameter_path=parameter_path,
        shard_map=shard_map,
        regions=bases,
    )


def _pseudonym_key(cfg: StackConfig, regions: Mapping[str, Region]) -> aws.secretsmanager.Secret:
    """The jurisdiction's HMAC key for user pseudonyms in central events.

    Whoever holds it can link a pseudonym back to a user ID, so it stays in the
    jurisdiction (replicas only in its other regions, each on that region's CMK).
    """
    primary = regions[cfg.regions.primary]
    in_primary = pulumi.ResourceOptions(provider=primary.provider)
    protect = pulumi.ResourceOptions(protect=cfg.floor.protect)
    key = random.RandomPassword(
        "pseudonym-key",
        length=64,
        special=False,
        opts=pulumi.ResourceOptions.merge(in_primary, protect),
    )
    secret = aws.secretsmanager.Secret(
        "pseudonym-key",
        name=f"{PROJECT}/{cfg.stack}/pseudonym-key",
        description="HMAC key for the user pseudonyms in central events",
        kms_key_id=primary.keys.arns.secrets,
        replicas=[
            aws.secretsmanager.SecretReplicaArgs(region=name, kms_key_id=r.keys.arns.secrets)
            for name, r in regions.items()
            if not r.is_primary
        ],
        recovery_window_in_days=30,
        opts=pulumi.ResourceOptions.merge(in_primary, protect),
    )
    aws.secretsmanager.SecretVersion(
        "pseudonym-key",
        secret_id=secret.id,
        secret_string=key.result,
        opts=in_primary,
    )
    return secret


def _in_region(arn: pulumi.Output[str], home: str, region: str) -> pulumi.Output[str]:
    """A replica's ARN: the same name in ``region`` (secrets replicate under one name)."""
    return arn.apply(lambda a: a.replace(f":{home}:", f":{region}:", 1))


def _compute_inputs(
    cfg: StackConfig,
    regions: Mapping[str, Region],
    data: DataTier,
    central: CentralHub | CentralHubReference,
    audits: Mapping[str, AuditPipeline],
    pseudonym_key: aws.secretsmanager.Secret,
) -> ComputeInputs:
    """What the API in each region may touch, and the other tiers' signals to watch."""
    primary = cfg.regions.primary
    hub_queue = central.consumer if isinstance(central, CentralHub) else None
    permissions: dict[str, ApiPermissions] = {}
    signals: dict[str, RegionalSignals] = {}
    settings: dict[str, dict[str, pulumi.Input[str]]] = {}
    for region in cfg.regions.all:
        audit = audits[region]
        # Writes go to the primary's writer; reads stay on the local cluster.
        resource_ids: dict[str, list[pulumi.Input[str]]] = {
            primary: [s.clusters[primary].cluster_resource_id for s in data.shards]
        }
        if region != primary:
            resource_ids[region] = [s.clusters[region].cluster_resource_id for s in data.shards]
        permissions[region] = ApiPermissions(
            shard_map_parameter_arns=[p.arn for p in data.parameter.parameters[region]],
            db_cluster_resource_ids=resource_ids,
            # IAM auth to the shards: the API never reads their master secrets.
            secret_arns=[_in_region(pseudonym_key.arn, primary, region)],
            audit_bucket_arn=audit.bucket.arn,
            central_queue_arn=central.queue_arn,
            # Sending to the hub's SSE-KMS queue encrypts with the hub's queues key, which
            # may be in another stack's region (read through the StackReference).
            central_queue_key_arn=central.queue_key_arn,
        )
        workers = [audit.shipper] + ([hub_queue] if hub_queue and region == primary else [])
        local = [s.clusters[region].id for s in data.shards]
        signals[region] = RegionalSignals(
            region=region,
            db_cluster_ids=local if region == primary else [],
            replica_cluster_ids=local if region != primary else [],
            queue_names=[w.queue.name for w in workers],
            dlq_names=[w.dead_letter_queue.name for w in workers],
            function_names=[w.function.name for w in workers],
        )
        settings[region] = {
            "GDPR_API_AUDIT_BUCKET": audit.bucket.bucket,
            "GDPR_API_AUDIT_KMS_KEY_ID": regions[region].keys.arns.audit,
            "GDPR_API_CENTRAL_QUEUE_URL": central.queue_url,
            "GDPR_API_CENTRAL_QUEUE_REGION": central.queue_arn.apply(lambda a: a.split(":")[3]),
            "GDPR_API_PSEUDONYM_KEY_SECRET_ID": _in_region(pseudonym_key.arn, primary, region),
        }
    return ComputeInputs(
        permissions=permissions,
        shard_map_json=data.shard_map,
        signals=signals,
        settings=settings,
    )
