"""Typed, validated stack config.

Everything a team sets in ``Pulumi.<stack>.yaml`` is parsed here, before any resource
is declared. Shapes and types are checked by pydantic; cross-field rules (regions in
the jurisdiction, non-overlapping CIDRs, shard layout) by plain functions below. Any
defect becomes one :class:`ConfigError` naming the key and the fix.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)
from pydantic.alias_generators import to_camel

from app.shardmap import IdBlock, ShardMap, ShardMapError
from components.placeholders import ExampleValueError, refuse_example_values
from components.release_config import (
    DeployerConfig,
    ReleaseConfig,
    ReleaseConfigError,
    parse_release_sections,
)
from policies.gdpr_pack.jurisdictions import (
    JURISDICTION_REGIONS,
    KNOWN_REGIONS,
    allowed_regions,
)

NAMESPACE = "gdpr-platform"

REQUIRED_TAG_KEYS: tuple[str, ...] = (
    "owner",
    "cost-center",
    "environment",
    "jurisdiction",
    "data-classification",
)


class ConfigError(Exception):
    """Bad stack config. ``str(err)`` is the one-line message shown to the user."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key if key.startswith(f"{NAMESPACE}:") else f"{NAMESPACE}:{key}"
        self.message = message
        super().__init__(f"{self.key}: {message}")


class Environment(StrEnum):
    PRODUCTION = "production"
    STAGING = "staging"
    DEVELOPMENT = "development"


class DataClassification(StrEnum):
    PERSONAL = "personal"
    PSEUDONYMIZED = "pseudonymized"
    AGGREGATE = "aggregate"
    INTERNAL = "internal"
    PUBLIC = "public"


class NatMode(StrEnum):
    PER_AZ = "per-az"
    SINGLE = "single"


class ConnectivityMode(StrEnum):
    PEERING = "peering"
    TRANSIT_GATEWAY = "transit-gateway"


NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        use_enum_values=False,
    )


class RegionsConfig(_Model):
    primary: NonEmpty
    secondaries: tuple[NonEmpty, ...] = Field(min_length=1)
    #: Also admit regions of adequacy countries (EU: London, Zurich, Tel Aviv). Off by default.
    allow_adequacy: bool = False

    @property
    def all(self) -> tuple[str, ...]:
        return (self.primary, *self.secondaries)


class NetworkConfig(_Model):
    vpc_cidrs: dict[str, NonEmpty]
    az_count: int = Field(default=3, ge=2, le=4)
    nat_mode: NatMode = NatMode.PER_AZ
    flow_log_retention_days: int = Field(default=365, ge=1)
    connectivity: ConnectivityMode = ConnectivityMode.PEERING


class ShardRange(_Model):
    start: int = Field(ge=0)
    end: int = Field(ge=1)


class ShardsConfig(_Model):
    id_block: ShardRange
    #: Either ``size`` and ``count`` (uniform layout) or explicit ``ranges``.
    size: int | None = Field(default=None, ge=1)
    count: int | None = Field(default=None, ge=1, le=256)
    ranges: tuple[ShardRange, ...] | None = None
    signup_shard: int | None = Field(default=None, ge=0)


class ReaderAutoscaling(_Model):
    min_capacity: int = Field(default=1, ge=0, le=15)
    max_capacity: int = Field(default=3, ge=1, le=15)
    target_cpu_percent: float = Field(default=70.0, gt=0, le=100)


#: Retention values CloudWatch Logs accepts (days).
# fmt: off
LOG_RETENTION_DAYS: frozenset[int] = frozenset({
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
})
# fmt: on
#: Enhanced Monitoring intervals RDS accepts (seconds); 0 turns it off.
MONITORING_INTERVALS: frozenset[int] = frozenset({0, 1, 5, 10, 15, 30, 60})


class MasterSecretRotation(_Model):
    """Rotation of a shard's master secret by a rotation function that already exists."""

    #: The Secrets Manager rotation Lambda (single-user PostgreSQL), in the primary region.
    lambda_arn: NonEmpty
    days: int = Field(default=30, ge=1, le=365)


class DatabaseConfig(_Model):
    engine_version: Annotated[str, StringConstraints(pattern=r"^\d{2,}(\.\d+)?$")]
    instance_class: NonEmpty = "db.r7g.large"
    primary_reader_count: int = Field(default=1, ge=0, le=15)
    secondary_reader_count: int = Field(default=1, ge=1, le=15)
    backup_retention_days: int = Field(default=14, ge=7, le=35)
    database_name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")] = "app"
    reader_autoscaling: ReaderAutoscaling | None = None
    port: int = Field(default=5432, ge=1150, le=65535)
    #: 7 (free tier) or a multiple of 31 up to 731 days, as Performance Insights accepts.
    performance_insights_retention_days: int = 7
    monitoring_interval_seconds: int = 60
    #: Retention of the exported ``postgresql`` log group.
    log_retention_days: int = 90
    #: Statements slower than this are logged (ms); -1 turns it off.
    slow_statement_ms: int = Field(default=1000, ge=-1)
    #: Bump to give every shard a new generated master password (write-only to the cluster).
    master_password_version: int = Field(default=1, ge=1)
    master_secret_rotation: MasterSecretRotation | None = None

    @field_validator("performance_insights_retention_days")
    @classmethod
    def _pi_retention(cls, value: int) -> int:
        if value != 7 and not (value % 31 == 0 and 31 <= value <= 731):
            raise ValueError("use 7 or a multiple of 31 up to 731 (Performance Insights)")
        return value

    @field_validator("monitoring_interval_seconds")
    @classmethod
    def _monitoring_interval(cls, value: int) -> int:
        if value not in MONITORING_INTERVALS:
            raise ValueError(f"use one of {sorted(MONITORING_INTERVALS)} (0 turns it off)")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _log_retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"CloudWatch accepts only {sorted(LOG_RETENTION_DAYS)}")
        return value


class EksConfig(_Model):
    version: NonEmpty
    instance_types: tuple[NonEmpty, ...] = Field(min_length=1)
    min_size: int = Field(default=2, ge=1)
    desired_size: int = Field(default=3, ge=1)
    max_size: int = Field(default=6, ge=1)
    disk_size_gib: int = Field(default=50, ge=20)
    #: CIDRs allowed to reach a public endpoint; empty keeps the endpoint private only.
    public_access_cidrs: tuple[NonEmpty, ...] = ()
    admin_role_arn: NonEmpty | None = None


_K8S_QUANTITY = r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi)?$"


class AppConfig(_Model):
    """The API workload on each region's cluster."""

    #: Outside production, an image from elsewhere while ``release.imageDigest`` is unset:
    #: pinned by digest (``repo@sha256:...``) or an explicit tag other than ``latest``.
    image: NonEmpty | None = None
    namespace: NonEmpty = "api"
    replicas: int = Field(default=3, ge=2)
    min_replicas: int = Field(default=2, ge=2)
    max_replicas: int = Field(default=10, ge=2)
    target_cpu_percent: int = Field(default=70, ge=10, le=95)
    port: int = Field(default=8080, ge=1024, le=65535)
    cpu_request: Annotated[str, StringConstraints(pattern=_K8S_QUANTITY)] = "250m"
    cpu_limit: Annotated[str, StringConstraints(pattern=_K8S_QUANTITY)] = "1"
    memory_request: Annotated[str, StringConstraints(pattern=_K8S_QUANTITY)] = "512Mi"
    memory_limit: Annotated[str, StringConstraints(pattern=_K8S_QUANTITY)] = "1Gi"
    #: The API's own probe paths (app/health.py): liveness and readiness.
    liveness_path: Annotated[str, StringConstraints(pattern=r"^/")] = "/v1/health"
    readiness_path: Annotated[str, StringConstraints(pattern=r"^/")] = "/v1/ready"
    #: PostgreSQL user the API logs in as with an IAM token (rds-db:connect).
    db_user: NonEmpty = "app"
    jwt_issuer: NonEmpty
    jwt_audience: NonEmpty
    #: Where the API fetches the issuer's signing keys (else it needs a configured PEM key).
    jwt_jwks_url: Annotated[str, StringConstraints(pattern=r"^https://")] | None = None
    #: HTTPS destinations outside the VPC the API pods may call (the JWKS host's ranges);
    #: AWS APIs go through VPC endpoints and need none.
    https_egress_cidrs: tuple[NonEmpty, ...] = ()
    #: Outbox workers (app/audit/worker.py) per region.
    worker_replicas: int = Field(default=2, ge=1)
    #: Helm chart version of the AWS Load Balancer Controller (TargetGroupBinding only).
    lb_controller_chart_version: NonEmpty = "1.13.0"


class EdgeConfig(_Model):
    """CloudFront in front of the regional APIs."""

    #: Viewer-facing domain names of the API (required).
    aliases: tuple[NonEmpty, ...] = ()
    #: ACM certificate for the aliases; CloudFront only reads certificates from us-east-1.
    viewer_certificate_arn: NonEmpty | None = None
    #: Regional ACM certificate of a region's internal load balancer (HTTPS to origin).
    #: A region left out uses its newest issued certificate for the first alias.
    origin_certificate_arns: dict[str, NonEmpty] = Field(default_factory=dict)
    price_class: NonEmpty = "PriceClass_100"
    #: Read-only paths (GET/HEAD/OPTIONS) served through the primary -> secondary origin
    #: group. CloudFront rejects POST/PUT/PATCH/DELETE on a behaviour that targets an
    #: origin group, so every other path goes to one region's origin.
    failover_path_patterns: tuple[Annotated[str, StringConstraints(pattern=r"^/")], ...] = (
        "/v1/health",
    )
    #: Region whose origin takes the API's writes; the primary unless failed over by hand.
    write_region: NonEmpty | None = None
    content_security_policy: NonEmpty = "default-src 'none'; frame-ancestors 'none'"
    hsts_max_age_seconds: int = Field(default=63_072_000, ge=31_536_000)


class ObservabilityConfig(_Model):
    log_retention_days: int = 365
    #: Alarm when more than this share of API requests end in 5xx over 5 minutes.
    api_error_rate_percent: float = Field(default=1.0, gt=0, le=100)
    #: AuroraGlobalDBReplicationLag alarm threshold, milliseconds.
    replication_lag_ms: int = Field(default=2_000, ge=100)
    #: E-mail addresses subscribed to the alarm topic (confirmed by their owners).
    alarm_emails: tuple[NonEmpty, ...] = ()

    @field_validator("log_retention_days")
    @classmethod
    def _allowed_retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"CloudWatch Logs accepts only {sorted(LOG_RETENTION_DAYS)} days, got {value}"
            )
        return value


class TagsConfig(_Model):
    model_config = ConfigDict(
        frozen=True, extra="allow", alias_generator=None, populate_by_name=True
    )

    owner: NonEmpty
    cost_center: NonEmpty = Field(alias="cost-center")
    data_classification: DataClassification = Field(
        default=DataClassification.PERSONAL, alias="data-classification"
    )

    @field_validator("owner", "cost_center")
    @classmethod
    def _no_placeholder(cls, value: str) -> str:
        if value.upper() in {"TODO", "CHANGEME", "TBD"}:
            raise ValueError(f"{value!r} is a placeholder; set the real value")
        return value


class ProtectionConfig(_Model):
    deletion_protection: bool = True
    #: Pulumi ``protect`` on data-bearing resources, so `pulumi destroy` cannot drop them.
    protect_resources: bool = True
    skip_final_snapshot: bool = False


class LambdaWorkerConfig(_Model):
    """A queue-driven Lambda: how it polls, how hard it may run, how often it retries."""

    batch_size: int = Field(default=10, ge=1, le=10_000)
    #: Seconds to gather a batch; SQS allows up to 300. Needed (>= 1) when batchSize > 10.
    batching_window_seconds: int = Field(default=0, ge=0, le=300)
    #: Also the event source mapping's maximum concurrency, so SQS never polls more
    #: messages than the function may run (throttled messages would burn receive counts).
    reserved_concurrency: int = Field(default=5, ge=2, le=1000)
    memory_mb: int = Field(default=256, ge=128, le=10_240)
    timeout_seconds: int = Field(default=60, ge=1, le=900)
    #: Receives before a message moves to the dead-letter queue.
    max_receive_count: int = Field(default=5, ge=1, le=1000)
    log_retention_days: int = Field(default=365, ge=1)


class CentralDatabaseConfig(_Model):
    """Aurora PostgreSQL Serverless v2 for the central (pseudonymized) database."""

    engine_version: NonEmpty = "16.6"
    min_acu: float = Field(default=0.5, ge=0, le=256)
    max_acu: float = Field(default=8, ge=1, le=256)
    database_name: NonEmpty = "central"
    backup_retention_days: int = Field(default=14, ge=7, le=35)
    #: db.serverless instances: a writer, plus readers in other AZs to fail over to.
    instance_count: int = Field(default=2, ge=1, le=15)


class CentralConfig(_Model):
    """Which stack hosts the central hub; the others produce to it through a StackReference."""

    host: bool
    #: Fully qualified ``<org>/<project>/<stack>`` of the hosting stack.
    host_stack: NonEmpty | None = None
    #: IAM roles allowed to send to the hub's queue (hosting stack only).
    producer_role_arns: tuple[NonEmpty, ...] = ()
    consumer: LambdaWorkerConfig = LambdaWorkerConfig()
    database: CentralDatabaseConfig = CentralDatabaseConfig()


class ObjectLockConfig(_Model):
    enabled: bool = False
    #: Default retention in COMPLIANCE mode: nobody, root included, can shorten it.
    retention_days: int = Field(default=3653, ge=1, le=36_500)


class TransitionStorageClass(StrEnum):
    STANDARD_IA = "STANDARD_IA"
    INTELLIGENT_TIERING = "INTELLIGENT_TIERING"
    GLACIER_IR = "GLACIER_IR"
    GLACIER = "GLACIER"
    DEEP_ARCHIVE = "DEEP_ARCHIVE"


class AuditLifecycleConfig(_Model):
    transition_days: int = Field(default=90, ge=30)
    transition_storage_class: TransitionStorageClass = TransitionStorageClass.GLACIER_IR
    #: Current versions expire (get a delete marker) after this many days.
    expiration_days: int = Field(default=3653, ge=1)
    noncurrent_expiration_days: int = Field(default=30, ge=1)
    abort_multipart_days: int = Field(default=7, ge=1)


class AuditConfig(_Model):
    """The audit pipeline of every region: bucket, queue, shipper to the institution."""

    #: The auditing institution's HTTPS endpoint; its credential lives in Secrets Manager.
    institution_url: NonEmpty
    object_lock: ObjectLockConfig = ObjectLockConfig()
    lifecycle: AuditLifecycleConfig = AuditLifecycleConfig()
    shipper: LambdaWorkerConfig = LambdaWorkerConfig()


_M = TypeVar("_M", bound=_Model)

_TOP_LEVEL: dict[str, type[_Model] | None] = {
    "jurisdiction": None,
    "environment": None,
    "regions": RegionsConfig,
    "network": NetworkConfig,
    "shards": ShardsConfig,
    "database": DatabaseConfig,
    "eks": EksConfig,
    "tags": TagsConfig,
    "protection": ProtectionConfig,
    "central": CentralConfig,
    "audit": AuditConfig,
    "app": AppConfig,
    "edge": EdgeConfig,
    "observability": ObservabilityConfig,
    "release": None,  # components/release_config.py
    "deployer": None,
}
_REQUIRED = (
    "jurisdiction",
    "environment",
    "regions",
    "network",
    "shards",
    "database",
    "eks",
    "central",
    "audit",
)


class StackConfig(_Model):
    """The whole stack config, validated. Build it with :func:`parse_config`."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    stack: str
    jurisdiction: str
    environment: Environment
    regions: RegionsConfig
    network: NetworkConfig
    shards: ShardsConfig
    database: DatabaseConfig
    eks: EksConfig
    tags: TagsConfig
    protection: ProtectionConfig
    shard_map: ShardMap
    central: CentralConfig
    audit: AuditConfig
    app: AppConfig
    edge: EdgeConfig
    observability: ObservabilityConfig
    release: ReleaseConfig = ReleaseConfig()
    deployer: DeployerConfig = DeployerConfig()

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    def required_tags(self) -> dict[str, str]:
        """The five required tags with this stack's defaults."""
        return {
            "owner": self.tags.owner,
            "cost-center": self.tags.cost_center,
            "environment": self.environment.value,
            "jurisdiction": self.jurisdiction,
            "data-classification": self.tags.data_classification.value,
        }


def parse_config(stack: str, raw: Mapping[str, Any]) -> StackConfig:
    """Validate ``raw`` (keys without the ``gdpr-platform:`` namespace) into a StackConfig.

    Values may be already-decoded objects or JSON strings (as ``pulumi.Config`` stores
    structured values). Raises :class:`ConfigError` on the first defect.
    """
    unknown = sorted(set(raw) - set(_TOP_LEVEL))
    if unknown:
        raise ConfigError(
            unknown[0], f"unknown key; expected one of: {', '.join(sorted(_TOP_LEVEL))}"
        )
    for key in _REQUIRED:
        if raw.get(key) in (None, ""):
            raise ConfigError(key, f"required key is missing; set it in Pulumi.{stack}.yaml")
    raw = {**raw, "tags": raw.get("tags")}
    if raw["tags"] in (None, ""):
        raise ConfigError("tags", "required key is missing; set owner and cost-center")

    jurisdiction = str(raw["jurisdiction"])
    if jurisdiction not in JURISDICTION_REGIONS:
        raise ConfigError(
            "jurisdiction",
            f"{jurisdiction!r} is not a known jurisdiction; use one of "
            f"{', '.join(sorted(JURISDICTION_REGIONS))}",
        )
    try:
        environment = Environment(str(raw["environment"]))
    except ValueError:
        raise ConfigError(
            "environment",
            f"{raw['environment']!r} is not allowed; use one of "
            f"{', '.join(e.value for e in Environment)}",
        ) from None

    regions = _section(raw, "regions", RegionsConfig)
    network = _section(raw, "network", NetworkConfig)
    shards = _section(raw, "shards", ShardsConfig)
    database = _section(raw, "database", DatabaseConfig)
    eks = _section(raw, "eks", EksConfig)
    tags = _section(raw, "tags", TagsConfig)
    protection = _section(raw, "protection", ProtectionConfig)
    central = _section(raw, "central", CentralConfig)
    audit = _section(raw, "audit", AuditConfig)
    app = _section(raw, "app", AppConfig)
    edge = _section(raw, "edge", EdgeConfig)
    observability = _section(raw, "observability", ObservabilityConfig)

    _check_regions(jurisdiction, regions)
    _check_cidrs(regions, network)
    _check_eks(eks)
    _check_database(database, regions)
    _check_app(app)
    _check_edge(regions, edge)
    shard_map = _build_shard_map(jurisdiction, shards)
    _check_central(stack, central)
    _check_audit(audit)
    _check_observability(environment, observability)
    try:
        release, deployer = parse_release_sections(raw, primary_region=regions.primary)
    except ReleaseConfigError as exc:
        raise ConfigError(exc.key, exc.message) from None

    return StackConfig(
        stack=stack,
        jurisdiction=jurisdiction,
        environment=environment,
        regions=regions,
        network=network,
        shards=shards,
        database=database,
        eks=eks,
        tags=tags,
        protection=protection,
        shard_map=shard_map,
        central=central,
        audit=audit,
        app=app,
        edge=edge,
        observability=observability,
        release=release,
        deployer=deployer,
    )


def _section(raw: Mapping[str, Any], key: str, model: type[_M]) -> _M:
    value = _decode(key, raw.get(key) or {})
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise _config_error(key, exc) from None


def _decode(key: str, value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(key, f"expected an object, got unparsable text: {exc}") from None
    return value


def _config_error(section: str, exc: ValidationError) -> ConfigError:
    first = exc.errors()[0]
    path = ".".join(str(p) for p in first["loc"])
    key = f"{section}.{path}" if path else section
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key; check its spelling"
    elif first["type"] == "missing":
        message = "required key is missing"
    elif "input" in first and first["type"] not in {"model_type", "dict_type"}:
        message = f"{message} (got {first['input']!r})"
    return ConfigError(key, message)


def _check_regions(jurisdiction: str, regions: RegionsConfig) -> None:
    allowed = allowed_regions(jurisdiction, adequacy=regions.allow_adequacy)
    keys = ["regions.primary"] + [
        f"regions.secondaries[{i}]" for i in range(len(regions.secondaries))
    ]
    for key, region in zip(keys, regions.all, strict=True):
        if region not in KNOWN_REGIONS:
            raise ConfigError(key, f"{region!r} is not an AWS region; check its spelling")
        if region not in allowed:
            raise ConfigError(
                key,
                f"{region!r} is outside jurisdiction {jurisdiction!r}; personal data must "
                f"stay in {', '.join(sorted(allowed))}",
            )
    seen: set[str] = set()
    for key, region in zip(keys, regions.all, strict=True):
        if region in seen:
            what = "the primary" if region == regions.primary else "another secondary"
            raise ConfigError(key, f"{region!r} repeats {what}; each region appears once")
        seen.add(region)


def _check_cidrs(regions: RegionsConfig, network: NetworkConfig) -> None:
    missing = [r for r in regions.all if r not in network.vpc_cidrs]
    if missing:
        raise ConfigError(
            f"network.vpcCidrs.{missing[0]}", "required: one VPC CIDR for every region of the stack"
        )
    extra = sorted(set(network.vpc_cidrs) - set(regions.all))
    if extra:
        raise ConfigError(
            f"network.vpcCidrs.{extra[0]}",
            "this region is not one of the stack's regions; remove it or add the region",
        )
    parsed: dict[str, ipaddress.IPv4Network] = {}
    for region in regions.all:
        key = f"network.vpcCidrs.{region}"
        text = network.vpc_cidrs[region]
        try:
            net = ipaddress.ip_network(text, strict=True)
        except ValueError as exc:
            raise ConfigError(key, f"{text!r} is not a valid CIDR: {exc}") from None
        if not isinstance(net, ipaddress.IPv4Network):
            raise ConfigError(key, f"{text!r} must be an IPv4 CIDR")
        if not net.is_private:
            raise ConfigError(key, f"{text!r} is not a private (RFC 1918) range")
        if not 16 <= net.prefixlen <= 20:
            raise ConfigError(key, f"{text!r}: use a prefix between /16 and /20 (AWS VPC limits)")
        for other_region, other in parsed.items():
            if net.overlaps(other):
                raise ConfigError(
                    key,
                    f"{text!r} overlaps {other} of {other_region}; the regions are linked, "
                    "so their CIDRs must be disjoint",
                )
        parsed[region] = net


def _check_eks(eks: EksConfig) -> None:
    if not eks.min_size <= eks.desired_size <= eks.max_size:
        raise ConfigError(
            "eks.desiredSize",
            f"need minSize <= desiredSize <= maxSize, got {eks.min_size} <= "
            f"{eks.desired_size} <= {eks.max_size}",
        )
    for i, cidr in enumerate(eks.public_access_cidrs):
        try:
            net = ipaddress.ip_network(cidr, strict=True)
        except ValueError as exc:
            raise ConfigError(f"eks.publicAccessCidrs[{i}]", f"{cidr!r}: {exc}") from None
        if net.prefixlen == 0:
            raise ConfigError(
                f"eks.publicAccessCidrs[{i}]",
                "0.0.0.0/0 opens the API server to the internet; name the office/VPN CIDRs",
            )
    _check_eks_admin(eks)


_IAM_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$")
_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):[0-9]{12}:certificate/[\w-]+$")


def _check_eks_admin(eks: EksConfig) -> None:
    if eks.admin_role_arn is not None and not _IAM_ROLE_ARN.match(eks.admin_role_arn):
        raise ConfigError(
            "eks.adminRoleArn",
            f"{eks.admin_role_arn!r} is not an IAM role ARN "
            "(arn:aws:iam::<account>:role/<name>); remove the key for no admin entry",
        )


def _check_app(app: AppConfig) -> None:
    image = app.image
    if image is not None and "@sha256:" not in image:
        name, _, tag = image.rpartition(":")
        if not name or "/" in tag or tag in {"", "latest"}:
            raise ConfigError(
                "app.image",
                f"{image!r} is not pinned; use repo@sha256:<digest> or an explicit tag, "
                "never latest",
            )
    for i, cidr in enumerate(app.https_egress_cidrs):
        key = f"app.httpsEgressCidrs[{i}]"
        try:
            net = ipaddress.ip_network(cidr, strict=True)
        except ValueError as exc:
            raise ConfigError(key, f"{cidr!r}: {exc}") from None
        if net.prefixlen < 8:
            raise ConfigError(key, f"{cidr!r} is too wide; name the service's own ranges")
    if not app.min_replicas <= app.replicas <= app.max_replicas:
        raise ConfigError(
            "app.replicas",
            f"need minReplicas <= replicas <= maxReplicas, got {app.min_replicas} <= "
            f"{app.replicas} <= {app.max_replicas}",
        )


def _check_observability(environment: Environment, observability: ObservabilityConfig) -> None:
    # Alarms that reach nobody are no alarms: a production stack must page someone.
    if environment is Environment.PRODUCTION and not observability.alarm_emails:
        raise ConfigError(
            "observability.alarmEmails",
            "production needs at least one alarm subscriber; list the on-call address(es)",
        )


def _check_edge(regions: RegionsConfig, edge: EdgeConfig) -> None:
    extra = sorted(set(edge.origin_certificate_arns) - set(regions.all))
    if extra:
        raise ConfigError(
            f"edge.originCertificateArns.{extra[0]}", "this region is not one of the stack's"
        )
    for region, arn in sorted(edge.origin_certificate_arns.items()):
        match = _ACM_ARN.match(arn)
        if match is None or match["region"] != region:
            raise ConfigError(
                f"edge.originCertificateArns.{region}",
                f"{arn!r} is not an ACM certificate ARN in {region}",
            )
    # The viewer's Host goes to the origin, so the origin certificates are checked against
    # these names: without them there is no TLS 1.2+ viewer policy and no valid origin TLS.
    if not edge.aliases:
        raise ConfigError(
            "edge.aliases", "required: the API's domain name(s), also on the origin certificates"
        )
    if edge.viewer_certificate_arn is None:
        raise ConfigError(
            "edge.viewerCertificateArn", "required with aliases: an ACM certificate in us-east-1"
        )
    match = _ACM_ARN.match(edge.viewer_certificate_arn)
    if match is None or match["region"] != "us-east-1":
        raise ConfigError(
            "edge.viewerCertificateArn",
            f"{edge.viewer_certificate_arn!r}: CloudFront only uses ACM certificates "
            "from us-east-1",
        )
    if edge.write_region is not None and edge.write_region not in regions.all:
        raise ConfigError(
            "edge.writeRegion",
            f"{edge.write_region!r} is not one of the stack's regions {list(regions.all)}",
        )


_ROLE_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


def _check_worker(key: str, worker: LambdaWorkerConfig) -> None:
    if worker.batch_size > 10 and worker.batching_window_seconds < 1:
        raise ConfigError(
            f"{key}.batchingWindowSeconds",
            f"SQS needs a batching window of at least 1 s when batchSize ({worker.batch_size}) "
            "is above 10",
        )


def _check_central(stack: str, central: CentralConfig) -> None:
    host_stack_name: str | None = None
    if central.host_stack is not None:
        parts = central.host_stack.split("/")
        if len(parts) != 3 or not all(parts):
            raise ConfigError(
                "central.hostStack",
                f"{central.host_stack!r} is not a fully qualified stack name; use "
                "<org>/<project>/<stack>, e.g. organization/gdpr-platform/eu",
            )
        host_stack_name = parts[2]
    if central.host:
        # A hosting stack that names another hub means two stacks think they host it.
        if host_stack_name is not None and host_stack_name != stack:
            raise ConfigError(
                "central.host",
                f"this stack hosts the hub but hostStack names {central.host_stack!r}; only one "
                "stack may host it: set host: false here, or point hostStack at this stack",
            )
        if not central.producer_role_arns:
            raise ConfigError(
                "central.producerRoleArns",
                "the hosting stack must name the IAM roles allowed to send to the hub",
            )
        seen: set[str] = set()
        for i, arn in enumerate(central.producer_role_arns):
            key = f"central.producerRoleArns[{i}]"
            if not _ROLE_ARN.match(arn):
                raise ConfigError(
                    key, f"{arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
                )
            if arn in seen:
                raise ConfigError(key, f"{arn!r} is listed twice; list each producer once")
            seen.add(arn)
        _check_worker("central.consumer", central.consumer)
        db = central.database
        if db.min_acu > db.max_acu:
            raise ConfigError(
                "central.database.minAcu",
                f"minAcu ({db.min_acu}) must not exceed maxAcu ({db.max_acu})",
            )
        for label, acu in (("minAcu", db.min_acu), ("maxAcu", db.max_acu)):
            if (acu * 2) % 1:
                raise ConfigError(
                    f"central.database.{label}", f"{acu} is not a multiple of 0.5 ACU"
                )
        return
    if central.host_stack is None:
        raise ConfigError(
            "central.hostStack",
            "required when host is false: name the hub's stack, e.g. organization/gdpr-platform/eu",
        )
    if host_stack_name == stack:
        raise ConfigError(
            "central.hostStack",
            f"{central.host_stack!r} is this stack, which does not host the hub (host: false); "
            "name the hosting stack",
        )
    for only_on_host in ("producer_role_arns", "consumer", "database"):
        if only_on_host in central.model_fields_set:
            raise ConfigError(
                f"central.{to_camel(only_on_host)}",
                "only the hosting stack uses this; set it in the hub stack's config and "
                "remove it here",
            )


def check_single_hub(configs: Mapping[str, StackConfig]) -> None:
    """Across stacks: exactly one hosts the hub and every other one names it."""
    hosts = sorted(name for name, cfg in configs.items() if cfg.central.host)
    if len(hosts) != 1:
        what = "no stack hosts" if not hosts else f"stacks {', '.join(hosts)} all host"
        raise ConfigError(
            "central.host",
            f"{what} the hub; exactly one stack may set host: true",
        )
    for name, cfg in sorted(configs.items()):
        if cfg.central.host:
            continue
        named = (cfg.central.host_stack or "").rsplit("/", 1)[-1]
        if named != hosts[0]:
            raise ConfigError(
                "central.hostStack",
                f"stack {name} names {cfg.central.host_stack!r}, but {hosts[0]} hosts the hub",
            )


def _check_audit(audit: AuditConfig) -> None:
    url = urlsplit(audit.institution_url)
    if url.scheme != "https":
        raise ConfigError(
            "audit.institutionUrl",
            f"{audit.institution_url!r} must use https://; audit files carry personal data",
        )
    if not url.hostname:
        raise ConfigError("audit.institutionUrl", f"{audit.institution_url!r} names no host")
    if url.username or url.password:
        raise ConfigError(
            "audit.institutionUrl",
            "remove the credential from the URL; it belongs in the institution secret in "
            "Secrets Manager",
        )
    life = audit.lifecycle
    if life.expiration_days <= life.transition_days:
        raise ConfigError(
            "audit.lifecycle.expirationDays",
            f"{life.expiration_days} must be greater than transitionDays ({life.transition_days})",
        )
    lock = audit.object_lock
    if lock.enabled and life.expiration_days < lock.retention_days:
        raise ConfigError(
            "audit.lifecycle.expirationDays",
            f"{life.expiration_days} is shorter than the object lock retention "
            f"({lock.retention_days} days); files cannot expire while locked",
        )
    _check_worker("audit.shipper", audit.shipper)


def _check_database(database: DatabaseConfig, regions: RegionsConfig) -> None:
    scaling = database.reader_autoscaling
    if scaling is not None:
        if scaling.min_capacity > scaling.max_capacity:
            raise ConfigError(
                "database.readerAutoscaling.minCapacity",
                f"{scaling.min_capacity} is above maxCapacity {scaling.max_capacity}",
            )
        if scaling.max_capacity < database.primary_reader_count:
            raise ConfigError(
                "database.readerAutoscaling.maxCapacity",
                f"{scaling.max_capacity} is below primaryReaderCount "
                f"{database.primary_reader_count}; autoscaling could never reach it",
            )
    rotation = database.master_secret_rotation
    if rotation is not None:
        key = "database.masterSecretRotation.lambdaArn"
        parts = rotation.lambda_arn.split(":")
        if len(parts) < 7 or parts[0] != "arn" or parts[2] != "lambda" or parts[5] != "function":
            raise ConfigError(
                key,
                f"{rotation.lambda_arn!r} is not a Lambda function ARN "
                "(arn:aws:lambda:<region>:<account>:function:<name>)",
            )
        if parts[3] != regions.primary:
            raise ConfigError(
                key,
                f"the function is in {parts[3]!r}; the secret is rotated in the primary region "
                f"{regions.primary!r}, so use a function there",
            )


def _build_shard_map(jurisdiction: str, shards: ShardsConfig) -> ShardMap:
    block = IdBlock(shards.id_block.start, shards.id_block.end)
    uniform = shards.size is not None or shards.count is not None
    if uniform and shards.ranges is not None:
        raise ConfigError("shards.ranges", "set either size+count or ranges, not both")
    try:
        if shards.ranges is not None:
            return ShardMap.build(
                jurisdiction,
                block,
                [(r.start, r.end) for r in shards.ranges],
                signup_shard=shards.signup_shard,
            )
        if shards.size is None or shards.count is None:
            raise ConfigError("shards.size", "set both size and count, or explicit ranges")
        return ShardMap.uniform(
            jurisdiction, block, shards.size, shards.count, signup_shard=shards.signup_shard
        )
    except ShardMapError as exc:
        raise ConfigError(exc.key, exc.message) from None


def load_from_pulumi(stack: str) -> StackConfig:
    """Read the stack config as the engine hands it to the program."""
    from pulumi.runtime import config as runtime_config

    # The SDK keeps the full config map here (set by the language host, or by set_mocks
    # callers); reading it whole lets a misspelt key fail instead of being ignored.
    every = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    raw = {k[len(prefix) :]: v for k, v in every.items() if k.startswith(prefix)}
    config = parse_config(stack, raw)
    import pulumi

    check_no_example_values(
        config, raw, offline=_under_mocks(), organization=pulumi.get_organization()
    )
    return config


def check_no_example_values(
    config: StackConfig, raw: Mapping[str, Any], *, offline: bool, organization: str
) -> None:
    """A production stack deployed for real carries no example value (components/placeholders).

    The committed stack files are production templates: the offline preview and the tests
    (Pulumi mocks, which can create nothing) run them as they are.
    """
    if not config.is_production or offline:
        return
    try:
        refuse_example_values(raw, organization=organization)
    except ExampleValueError as exc:
        raise ConfigError(exc.example.key, exc.example.detail()) from None


def _under_mocks() -> bool:
    from pulumi.runtime.mocks import MockMonitor
    from pulumi.runtime.settings import get_monitor

    return isinstance(get_monitor(), MockMonitor)
