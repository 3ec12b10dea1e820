"""``database``: the shards' Aurora PostgreSQL global databases."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from components.config.errors import ConfigError
from components.config.fields import LogRetentionDays, Model, NonEmpty
from components.config.regions import RegionsConfig

#: Enhanced Monitoring intervals RDS accepts (seconds); 0 turns it off.
MONITORING_INTERVALS: frozenset[int] = frozenset({0, 1, 5, 10, 15, 30, 60})


class ReaderAutoscaling(Model):
    min_capacity: int = Field(default=1, ge=0, le=15)
    max_capacity: int = Field(default=3, ge=1, le=15)
    target_cpu_percent: float = Field(default=70.0, gt=0, le=100)


class MasterSecretRotation(Model):
    """Rotation of a shard's master secret by a rotation function that already exists."""

    #: The Secrets Manager rotation Lambda (single-user PostgreSQL), in the primary region.
    lambda_arn: NonEmpty
    days: int = Field(default=30, ge=1, le=365)


class DatabaseConfig(Model):
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
    log_retention_days: LogRetentionDays = 90
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


def check_database(database: DatabaseConfig, regions: RegionsConfig) -> None:
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
