"""``observability``: log retention, alarm thresholds and who gets paged."""

from __future__ import annotations

from pydantic import Field

from components.config.errors import ConfigError
from components.config.fields import Environment, LogRetentionDays, Model, NonEmpty


class ObservabilityConfig(Model):
    log_retention_days: LogRetentionDays = 365
    #: Alarm when more than this share of API requests end in 5xx over 5 minutes.
    api_error_rate_percent: float = Field(default=1.0, gt=0, le=100)
    #: AuroraGlobalDBReplicationLag alarm threshold, milliseconds.
    replication_lag_ms: int = Field(default=2_000, ge=100)
    #: E-mail addresses subscribed to the alarm topic (confirmed by their owners).
    alarm_emails: tuple[NonEmpty, ...] = ()
    #: Days the region's access-log bucket keeps ALB and S3 access logs (client IPs).
    access_log_retention_days: int = Field(default=365, ge=1)


def check_observability(environment: Environment, observability: ObservabilityConfig) -> None:
    # Alarms that reach nobody are no alarms: a production stack must page someone.
    if environment is Environment.PRODUCTION and not observability.alarm_emails:
        raise ConfigError(
            "observability.alarmEmails",
            "production needs at least one alarm subscriber; list the on-call address(es)",
        )
