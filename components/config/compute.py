"""``compute``: what serves the API in each region, EKS (default) or Lambda.

Lambda mode is the low-traffic start: the same application behind API Gateway's HTTP API,
the outbox worker on a schedule, no cluster. What protects Aurora from a storm of new
connections there is arithmetic checked here: every execution environment holds at most
``dbPoolMax`` connections per shard and role, and reserved concurrency caps the
environments, so a shard's writer never sees more than :func:`writer_connections`.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from components.config.errors import ConfigError
from components.config.fields import LogRetentionDays, Model
from components.config.regions import RegionsConfig


class ComputeMode(StrEnum):
    EKS = "eks"
    LAMBDA = "lambda"


class LambdaApiConfig(Model):
    """The API function of each region."""

    memory_mb: int = Field(default=1024, ge=512, le=10_240)
    #: API Gateway's HTTP API waits at most 30 s for an integration.
    timeout_seconds: int = Field(default=29, ge=3, le=29)
    #: Execution environments at most per region: the cap on database connections.
    reserved_concurrency: int = Field(default=20, ge=1, le=1000)
    #: Connections per shard and role in one execution environment (one request at a time,
    #: so two covers a request that reads its own write); none are held before the first.
    db_pool_max: int = Field(default=2, ge=1, le=5)
    #: HTTP API stage throttling (requests per second, burst).
    throttle_rate_limit: int = Field(default=200, ge=1)
    throttle_burst_limit: int = Field(default=100, ge=1)
    log_retention_days: LogRetentionDays = 365


class OutboxScheduleConfig(Model):
    """The outbox worker as a scheduled function in each region."""

    rate_minutes: int = Field(default=1, ge=1, le=60)
    #: Rows one invocation delivers at most, over all shards; the next run takes the rest.
    max_rows_per_run: int = Field(default=500, ge=1, le=10_000)
    timeout_seconds: int = Field(default=120, ge=10, le=900)
    memory_mb: int = Field(default=512, ge=256, le=10_240)
    #: Overlapping runs are safe (rows are claimed FOR UPDATE SKIP LOCKED); two at most.
    reserved_concurrency: int = Field(default=2, ge=1, le=10)
    log_retention_days: LogRetentionDays = 365


class ComputeConfig(Model):
    mode: ComputeMode = ComputeMode.EKS
    #: Lambda mode only.
    api: LambdaApiConfig = Field(default_factory=LambdaApiConfig)
    outbox: OutboxScheduleConfig = Field(default_factory=OutboxScheduleConfig)
    #: Connections a shard's writer may get from the Lambda functions of every region
    #: together. Aurora PostgreSQL's default max_connections is
    #: LEAST(DBInstanceClassMemory / 9531392, 5000), about 1,800 on db.r7g.large, and IAM
    #: authentication is meant for a modest rate of new connections: the default keeps
    #: well under both, with room for migrations, operators and the rotation function.
    max_writer_connections: int = Field(default=400, ge=10)

    @property
    def is_lambda(self) -> bool:
        return self.mode is ComputeMode.LAMBDA


def writer_connections(compute: ComputeConfig, region_count: int) -> int:
    """The most connections one shard's writer can get in Lambda mode.

    Every region's API and outbox functions write through the primary's writer.
    """
    api = compute.api.reserved_concurrency * compute.api.db_pool_max
    outbox = compute.outbox.reserved_concurrency  # one connection per shard and run
    return region_count * (api + outbox)


def check_compute(compute: ComputeConfig, regions: RegionsConfig) -> None:
    if not compute.is_lambda:
        return
    worst = writer_connections(compute, len(regions.all))
    if worst > compute.max_writer_connections:
        raise ConfigError(
            "compute.api.reservedConcurrency",
            f"{len(regions.all)} regions x (reservedConcurrency "
            f"{compute.api.reserved_concurrency} x dbPoolMax {compute.api.db_pool_max} + "
            f"outbox {compute.outbox.reserved_concurrency}) = {worst} connections per shard "
            f"writer, above maxWriterConnections {compute.max_writer_connections}; lower "
            "reservedConcurrency or dbPoolMax",
        )
    if compute.outbox.timeout_seconds > compute.outbox.rate_minutes * 60 * 2:
        raise ConfigError(
            "compute.outbox.timeoutSeconds",
            f"{compute.outbox.timeout_seconds}s is more than two schedule periods "
            f"({compute.outbox.rate_minutes} min); runs would pile up to reservedConcurrency",
        )
