"""A queue-driven Lambda's settings (the hub's consumer, the audit shipper)."""

from __future__ import annotations

from pydantic import Field

from components.config.errors import ConfigError
from components.config.fields import LogRetentionDays, Model


class LambdaWorkerConfig(Model):
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
    log_retention_days: LogRetentionDays = 365


def check_worker(key: str, worker: LambdaWorkerConfig) -> None:
    if worker.batch_size > 10 and worker.batching_window_seconds < 1:
        raise ConfigError(
            f"{key}.batchingWindowSeconds",
            f"SQS needs a batching window of at least 1 s when batchSize ({worker.batch_size}) "
            "is above 10",
        )
