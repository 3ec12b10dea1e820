"""The data tier: one Aurora PostgreSQL global database per user-ID shard.

``DatabaseRegion`` holds what every shard of one region shares (DB subnet group, security
group, cluster parameter group, Enhanced Monitoring role); sharing them keeps a 64-shard
layout inside the per-region RDS quotas (50 subnet groups, 50 cluster parameter groups).
``ShardDatabase`` is one shard: its master credential, the global cluster, the writer
cluster in the primary region and a reader cluster in every secondary region.

The pure functions at the top (names, parameters, protection) run before any resource
exists and are tested without the engine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from app.shardmap import RegionEndpoints
from components.config import DataClassification, ProtectionFloor
from components.iam_documents import service_trust_policy
from components.keys import KeyArns
from components.tagging import classification

ENGINE = "aurora-postgresql"
MASTER_USERNAME = "platform_admin"
#: RDS refuses '/', '"', '@' and space in a master password; everything here is safe in a
#: libpq connection string too.
PASSWORD_SPECIAL_CHARACTERS = "!#$%&*()-_=+[]{}<>:?"
PASSWORD_LENGTH = 40
#: The RSA 2048 CA; clients verify the server with the RDS CA bundle.
CA_CERTIFICATE = "rds-ca-rsa2048-g1"
ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"

_INTERNAL = classification(DataClassification.INTERNAL.value)
_IDENTIFIER = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$")


# -- pure helpers -----------------------------------------------------------------------


def rds_identifier(*parts: str) -> str:
    """An RDS identifier from ``parts``: lowercase, 1-63 chars, letter first, no ``--``."""
    text = "-".join(p.strip("-") for p in parts if p).lower()
    if not _IDENTIFIER.match(text):
        raise ValueError(
            f"{text!r} is not a valid RDS identifier (letter first, then up to 62 letters, "
            "digits or single hyphens); shorten the stack or project name"
        )
    return text


def parameter_group_family(engine_version: str) -> str:
    """``"16.6"`` -> ``"aurora-postgresql16"``."""
    major = engine_version.split(".", 1)[0]
    if not major.isdigit():
        raise ValueError(f"engine version {engine_version!r} has no numeric major version")
    return f"{ENGINE}{major}"


def cluster_parameters(slow_statement_ms: int) -> list[tuple[str, str, str]]:
    """``(name, value, apply_method)`` of the cluster parameter group.

    TLS is forced; connections, disconnections, lock waits, DDL and slow statements are
    logged. Bind parameters are never written to the log: they are users' personal data,
    and the log leaves the database for CloudWatch.
    """
    return [
        ("rds.force_ssl", "1", "immediate"),
        ("ssl_min_protocol_version", "TLSv1.2", "immediate"),
        ("password_encryption", "scram-sha-256", "immediate"),
        ("log_connections", "1", "immediate"),
        ("log_disconnections", "1", "immediate"),
        ("log_lock_waits", "1", "immediate"),
        ("log_statement", "ddl", "immediate"),
        ("log_min_duration_statement", str(slow_statement_ms), "immediate"),
        ("log_parameter_max_length", "0", "immediate"),
        ("log_parameter_max_length_on_error", "0", "immediate"),
        ("log_temp_files", "10240", "immediate"),
        ("shared_preload_libraries", "pg_stat_statements", "pending-reboot"),
    ]


def arn_in_region(arn: str, region: str) -> str:
    """The same ARN in another region: a Secrets Manager replica keeps name and suffix."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ValueError(f"{arn!r} is not an ARN")
    parts[3] = region
    return ":".join(parts)


# -- shared per region --------------------------------------------------------------------


@dataclass
class DatabaseRegionArgs:
    region: str
    vpc_id: pulumi.Input[str]
    isolated_subnet_ids: Sequence[pulumi.Input[str]]
    #: Where clients run: the private (workload) subnets that may reach port ``port``.
    client_cidrs: Sequence[str]
    engine_version: str
    port: int
    slow_statement_ms: int
    monitoring_interval_seconds: int
    #: Extra clients by security group (e.g. the EKS node group's), same port only.
    source_security_group_ids: Sequence[pulumi.Input[str]] = field(default_factory=list)


class DatabaseRegion(pulumi.ComponentResource):
    """What every shard's cluster in one region uses."""

    subnet_group: aws.rds.SubnetGroup
    security_group: aws.ec2.SecurityGroup
    parameter_group: aws.rds.ClusterParameterGroup
    monitoring_role_arn: pulumi.Output[str] | None

    def __init__(
        self,
        name: str,
        args: DatabaseRegionArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gdpr-platform:database:DatabaseRegion", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        if not args.client_cidrs and not args.source_security_group_ids:
            raise ValueError(f"{name}: no client CIDR or security group may reach the database")
        if any(cidr.endswith("/0") for cidr in args.client_cidrs):
            raise ValueError(f"{name}: a /0 client CIDR would open the database to everyone")

        self.subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            description=f"Aurora shards in {args.region}: isolated subnets, no internet route",
            subnet_ids=list(args.isolated_subnet_ids),
            tags=_INTERNAL,
            opts=self._child,
        )
        self._create_security_group()
        self.parameter_group = aws.rds.ClusterParameterGroup(
            f"{name}-params",
            family=parameter_group_family(args.engine_version),
            description="TLS only; connection, DDL and slow-statement logging without values",
            parameters=[
                aws.rds.ClusterParameterGroupParameterArgs(name=n, value=v, apply_method=m)
                for n, v, m in cluster_parameters(args.slow_statement_ms)
            ],
            tags=_INTERNAL,
            opts=self._child,
        )
        self.monitoring_role_arn = (
            self._create_monitoring_role() if args.monitoring_interval_seconds > 0 else None
        )
        self.register_outputs(
            {
                "subnetGroupName": self.subnet_group.name,
                "securityGroupId": self.security_group.id,
                "parameterGroupName": self.parameter_group.name,
                "monitoringRoleArn": self.monitoring_role_arn,
            }
        )

    def _create_security_group(self) -> None:
        port = self._args.port
        ingress = [
            aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_blocks=list(self._args.client_cidrs),
                description="PostgreSQL from the jurisdiction's workload subnets",
            )
        ]
        ingress += [
            aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp",
                from_port=port,
                to_port=port,
                security_groups=[group_id],
                description="PostgreSQL from a workload security group",
            )
            for group_id in self._args.source_security_group_ids
        ]
        self.security_group = aws.ec2.SecurityGroup(
            f"{self._name}-sg",
            vpc_id=self._args.vpc_id,
            description=f"Aurora shards: PostgreSQL ({port}) from workloads only",
            ingress=ingress,
            # Replies to admitted connections are stateful; the database starts none.
            egress=[],
            tags=_INTERNAL,
            opts=self._child,
        )

    def _create_monitoring_role(self) -> pulumi.Output[str]:
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self))
        assume = identity.account_id.apply(
            lambda account: service_trust_policy("monitoring.rds.amazonaws.com", account)
        )
        role = aws.iam.Role(
            f"{self._name}-monitoring",
            description=f"RDS Enhanced Monitoring for the Aurora shards in {self._args.region}",
            assume_role_policy=assume,
            tags=_INTERNAL,
            opts=self._child,
        )
        aws.iam.RolePolicyAttachment(
            f"{self._name}-monitoring",
            role=role.name,
            policy_arn=ENHANCED_MONITORING_POLICY,
            opts=self._child,
        )
        return role.arn


@dataclass(frozen=True)
class ShardRegion:
    """One region as a shard sees it: provider, shared resources and the region's CMKs."""

    region: str
    provider: aws.Provider
    base: DatabaseRegion
    #: The region's CMKs: database (storage, Performance Insights), secrets, logs.
    keys: KeyArns


# -- one shard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReaderScaling:
    min_capacity: int
    max_capacity: int
    target_cpu_percent: float


@dataclass(frozen=True)
class SecretRotation:
    lambda_arn: str
    days: int


@dataclass
class ShardDatabaseArgs:
    shard: str
    #: Prefix of every RDS identifier and the secret's path, e.g. ``gdpr-platform-eu``.
    identifier_prefix: str
    primary: ShardRegion
    secondaries: Sequence[ShardRegion]
    engine_version: str
    instance_class: str
    primary_reader_count: int
    secondary_reader_count: int
    backup_retention_days: int
    database_name: str
    port: int
    performance_insights_retention_days: int
    monitoring_interval_seconds: int
    log_retention_days: int
    password_version: int
    protection: ProtectionFloor
    reader_scaling: ReaderScaling | None = None
    rotation: SecretRotation | None = None


class ShardDatabase(pulumi.ComponentResource):
    """One shard: an Aurora global database spanning the jurisdiction's regions."""

    global_cluster: aws.rds.GlobalCluster
    clusters: dict[str, aws.rds.Cluster]
    instances: dict[str, list[aws.rds.ClusterInstance]]
    secret: aws.secretsmanager.Secret

    def __init__(
        self,
        name: str,
        args: ShardDatabaseArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gdpr-platform:database:ShardDatabase", name, None, opts)
        self._name = name
        self._args = args
        self.shard = args.shard
        regions = [args.primary.region, *(s.region for s in args.secondaries)]
        if len(set(regions)) != len(regions):
            raise ValueError(f"{name}: a region appears twice in {regions}")
        self._identifier = rds_identifier(args.identifier_prefix, args.shard)
        self.clusters = {}
        self.instances = {}

        self._create_master_password()
        self._create_global_cluster()
        self._create_primary()
        for secondary in args.secondaries:
            self._create_secondary(secondary)
        self._create_master_secret()
        if args.reader_scaling is not None:
            self._create_reader_scaling(args.reader_scaling)

        self.register_outputs(
            {
                "globalClusterId": self.global_cluster.id,
                "writerEndpoint": self.global_cluster.endpoint,
                "readerEndpoints": {r: c.reader_endpoint for r, c in self.clusters.items()},
                "secretArn": self.secret.arn,
            }
        )

    # -- options ----------------------------------------------------------------------

    def _in(self, where: ShardRegion, **extra: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=where.provider, **extra)  # type: ignore[arg-type]

    def _data(self, where: ShardRegion, **extra: object) -> pulumi.ResourceOptions:
        """Options of a resource that holds the shard's data."""
        return self._in(where, protect=self._args.protection.protect, **extra)

    # -- credential -------------------------------------------------------------------

    def _create_master_password(self) -> None:
        self.password = random.RandomPassword(
            f"{self._name}-master",
            length=PASSWORD_LENGTH,
            special=True,
            override_special=PASSWORD_SPECIAL_CHARACTERS,
            min_lower=2,
            min_upper=2,
            min_numeric=2,
            min_special=2,
            # A new version number is how an operator asks for a new password.
            keepers={"version": str(self._args.password_version)},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_master_secret(self) -> None:
        args = self._args
        primary = args.primary
        self.secret = aws.secretsmanager.Secret(
            f"{self._name}-master",
            name=f"{args.identifier_prefix}/{args.shard}/master",
            description=f"Master credential of Aurora global database {self._identifier} "
            "(break-glass; applications use IAM database authentication)",
            kms_key_id=primary.keys.secrets,
            # Replicas only in the jurisdiction's other regions, each under its own CMK.
            replicas=[
                aws.secretsmanager.SecretReplicaArgs(region=s.region, kms_key_id=s.keys.secrets)
                for s in args.secondaries
            ],
            recovery_window_in_days=30 if args.protection.protect else 7,
            opts=self._data(primary),
        )
        writer = self.clusters[primary.region]
        document = pulumi.Output.json_dumps(
            {
                # The shape Secrets Manager's PostgreSQL rotation functions expect.
                "engine": "postgres",
                "host": self.global_cluster.endpoint,
                "port": args.port,
                "username": MASTER_USERNAME,
                "password": self.password.result,
                "dbname": args.database_name,
                "dbClusterIdentifier": writer.cluster_identifier,
            }
        )
        # Once a rotation function owns the secret, its versions are not Pulumi's to undo;
        # a new password is then asked of the function ("rotate now"), not by bumping
        # masterPasswordVersion, which would change the cluster but not this ignored value.
        rotated = ["secretString", "versionStages"] if args.rotation else []
        version = aws.secretsmanager.SecretVersion(
            f"{self._name}-master",
            secret_id=self.secret.id,
            # Secret already: the password in it is.
            secret_string=document,
            opts=self._in(primary, ignore_changes=rotated),
        )
        if args.rotation is not None:
            aws.secretsmanager.SecretRotation(
                f"{self._name}-master",
                secret_id=self.secret.id,
                rotation_lambda_arn=args.rotation.lambda_arn,
                rotation_rules=aws.secretsmanager.SecretRotationRotationRulesArgs(
                    automatically_after_days=args.rotation.days
                ),
                opts=self._in(primary, depends_on=[version]),
            )

    # -- clusters ---------------------------------------------------------------------

    def _create_global_cluster(self) -> None:
        args = self._args
        self.global_cluster = aws.rds.GlobalCluster(
            f"{self._name}-global",
            global_cluster_identifier=self._identifier,
            engine=ENGINE,
            engine_version=args.engine_version,
            storage_encrypted=True,
            deletion_protection=args.protection.deletion_protection,
            tags={"shard": args.shard},
            opts=self._data(args.primary),
        )

    def _member_cluster(
        self,
        where: ShardRegion,
        identifier: str,
        opts: pulumi.ResourceOptions,
        *,
        primary: bool,
    ) -> aws.rds.Cluster:
        """A member cluster; the primary owns the database and its credential."""
        args = self._args
        protection = args.protection
        base = where.base
        return aws.rds.Cluster(
            f"{self._name}-{where.region}",
            cluster_identifier=identifier,
            engine=ENGINE,
            engine_version=self.global_cluster.engine_version,
            global_cluster_identifier=self.global_cluster.id,
            # A secondary takes data and credentials from the primary: no master user.
            source_region=None if primary else args.primary.region,
            database_name=args.database_name if primary else None,
            master_username=MASTER_USERNAME if primary else None,
            # Write-only: a rotated password is never "drift" to undo; the version is.
            master_password_wo=self.password.result if primary else None,
            master_password_wo_version=args.password_version if primary else None,
            port=args.port,
            storage_encrypted=True,
            kms_key_id=where.keys.database,
            iam_database_authentication_enabled=True,
            backup_retention_period=args.backup_retention_days,
            preferred_backup_window="02:00-03:00",
            copy_tags_to_snapshot=True,
            deletion_protection=protection.deletion_protection,
            skip_final_snapshot=protection.skip_final_snapshot,
            final_snapshot_identifier=(
                None if protection.skip_final_snapshot else f"{identifier}-final"
            ),
            # Automated backups outlive a deleted cluster unless the data is disposable.
            delete_automated_backups=not protection.protect,
            enabled_cloudwatch_logs_exports=["postgresql"],
            db_subnet_group_name=base.subnet_group.name,
            vpc_security_group_ids=[base.security_group.id],
            db_cluster_parameter_group_name=base.parameter_group.name,
            tags={"shard": args.shard},
            opts=opts,
        )

    def _log_group(self, where: ShardRegion, identifier: str) -> aws.cloudwatch.LogGroup:
        # Created before the cluster, so RDS does not create it unencrypted and unexpiring.
        return aws.cloudwatch.LogGroup(
            f"{self._name}-{where.region}-postgresql",
            name=f"/aws/rds/cluster/{identifier}/postgresql",
            retention_in_days=self._args.log_retention_days,
            kms_key_id=where.keys.logs,
            tags={"shard": self._args.shard},
            opts=self._in(where),
        )

    def _create_primary(self) -> None:
        args = self._args
        where = args.primary
        identifier = rds_identifier(self._identifier, where.region)
        log_group = self._log_group(where, identifier)
        cluster = self._member_cluster(
            where,
            identifier,
            self._data(
                where,
                depends_on=[log_group],
                # Engine upgrades go through the global cluster, which moves every member.
                ignore_changes=["engineVersion"],
            ),
            primary=True,
        )
        writer = self._instance(where, cluster, identifier, "writer", promotion_tier=0)
        readers = [
            self._instance(
                where, cluster, identifier, f"reader-{i}", promotion_tier=1, after=writer
            )
            for i in range(1, args.primary_reader_count + 1)
        ]
        self.clusters[where.region] = cluster
        self.instances[where.region] = [writer, *readers]
        self.writer_instance = writer

    def _create_secondary(self, where: ShardRegion) -> None:
        args = self._args
        identifier = rds_identifier(self._identifier, where.region)
        log_group = self._log_group(where, identifier)
        cluster = self._member_cluster(
            where,
            identifier,
            self._data(
                where,
                depends_on=[self.writer_instance, log_group],
                # Without these a later `up` would detach the member or rebuild it.
                ignore_changes=[
                    "replicationSourceIdentifier",
                    "globalClusterIdentifier",
                    "engineVersion",
                ],
            ),
            primary=False,
        )
        self.clusters[where.region] = cluster
        self.instances[where.region] = [
            self._instance(where, cluster, identifier, f"reader-{i}", promotion_tier=1)
            for i in range(1, args.secondary_reader_count + 1)
        ]

    def _instance(
        self,
        where: ShardRegion,
        cluster: aws.rds.Cluster,
        cluster_identifier: str,
        role: str,
        *,
        promotion_tier: int,
        after: pulumi.Resource | None = None,
    ) -> aws.rds.ClusterInstance:
        args = self._args
        monitoring = args.monitoring_interval_seconds
        return aws.rds.ClusterInstance(
            f"{self._name}-{where.region}-{role}",
            identifier=rds_identifier(cluster_identifier, role),
            cluster_identifier=cluster.id,
            engine=aws.rds.EngineType.AURORA_POSTGRESQL,
            instance_class=args.instance_class,
            db_subnet_group_name=where.base.subnet_group.name,
            publicly_accessible=False,
            ca_cert_identifier=CA_CERTIFICATE,
            promotion_tier=promotion_tier,
            # Members of a global database move versions together, through the global cluster.
            auto_minor_version_upgrade=False,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=where.keys.database,
            performance_insights_retention_period=args.performance_insights_retention_days,
            monitoring_interval=monitoring,
            monitoring_role_arn=where.base.monitoring_role_arn if monitoring else None,
            copy_tags_to_snapshot=True,
            tags={"shard": args.shard, "role": role},
            # The first instance of a cluster becomes its writer: create the writer first.
            opts=self._in(where, depends_on=[after] if after else []),
        )

    def _create_reader_scaling(self, scaling: ReaderScaling) -> None:
        # Aurora Auto Scaling needs a writer in the cluster, so only the primary scales.
        where = self._args.primary
        cluster = self.clusters[where.region]
        target = aws.appautoscaling.Target(
            f"{self._name}-readers",
            service_namespace="rds",
            scalable_dimension="rds:cluster:ReadReplicaCount",
            resource_id=cluster.id.apply(lambda cluster_id: f"cluster:{cluster_id}"),
            min_capacity=scaling.min_capacity,
            max_capacity=scaling.max_capacity,
            tags=_INTERNAL,
            opts=self._in(where, depends_on=self.instances[where.region]),
        )
        aws.appautoscaling.Policy(
            f"{self._name}-readers-cpu",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration=(
                aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                    target_value=scaling.target_cpu_percent,
                    predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                        predefined_metric_type="RDSReaderAverageCPUUtilization"
                    ),
                    scale_in_cooldown=300,
                    scale_out_cooldown=300,
                )
            ),
            opts=self._in(where),
        )

    # -- what the shard map publishes ---------------------------------------------------

    def endpoints(self) -> dict[str, pulumi.Output[RegionEndpoints]]:
        """Per region: where the API writes and reads this shard, and its secret's ARN.

        Every region writes through the global writer endpoint, which follows the primary
        cluster's writer (also after a switchover) across the in-jurisdiction link.
        """
        args = self._args
        out: dict[str, pulumi.Output[RegionEndpoints]] = {}
        for region, cluster in self.clusters.items():

            def entry(values: list[str], region: str = region) -> RegionEndpoints:
                return RegionEndpoints(
                    writer=values[0],
                    reader=values[1],
                    port=args.port,
                    database=args.database_name,
                    secret_arn=arn_in_region(values[2], region),
                )

            out[region] = pulumi.Output.all(
                self.global_cluster.endpoint, cluster.reader_endpoint, self.secret.arn
            ).apply(entry)
        return out


def endpoints_by_shard(
    shards: Sequence[ShardDatabase],
) -> pulumi.Output[list[Mapping[str, RegionEndpoints]]]:
    """``[{region: RegionEndpoints}]`` in shard order, for ``ShardMap.with_endpoints``."""
    per_shard = [pulumi.Output.all(**shard.endpoints()) for shard in shards]
    return pulumi.Output.all(*per_shard).apply(lambda maps: [dict(m) for m in maps])
