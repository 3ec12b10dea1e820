"""``central``: which stack hosts the hub, and the hub's consumer and database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import Field
from pydantic.alias_generators import to_camel

from components.config.errors import ConfigError
from components.config.fields import Model, NonEmpty, RoleArn
from components.config.workers import LambdaWorkerConfig, check_worker

if TYPE_CHECKING:
    from components.config.stack import StackConfig


class CentralDatabaseConfig(Model):
    """Aurora PostgreSQL Serverless v2 for the central (pseudonymized) database."""

    engine_version: NonEmpty = "16.6"
    min_acu: float = Field(default=0.5, ge=0, le=256)
    max_acu: float = Field(default=8, ge=1, le=256)
    database_name: NonEmpty = "central"
    backup_retention_days: int = Field(default=14, ge=7, le=35)
    #: db.serverless instances: a writer, plus readers in other AZs to fail over to.
    instance_count: int = Field(default=2, ge=1, le=15)


class CentralConfig(Model):
    """Which stack hosts the central hub; the others produce to it through a StackReference."""

    host: bool
    #: Fully qualified ``<org>/<project>/<stack>`` of the hosting stack.
    host_stack: NonEmpty | None = None
    #: IAM roles allowed to send to the hub's queue (hosting stack only).
    producer_role_arns: tuple[RoleArn, ...] = ()
    consumer: LambdaWorkerConfig = LambdaWorkerConfig()
    database: CentralDatabaseConfig = CentralDatabaseConfig()


def check_central(stack: str, central: CentralConfig) -> None:
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
        _check_hub(central)
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


def _check_hub(central: CentralConfig) -> None:
    if not central.producer_role_arns:
        raise ConfigError(
            "central.producerRoleArns",
            "the hosting stack must name the IAM roles allowed to send to the hub",
        )
    seen: set[str] = set()
    for i, arn in enumerate(central.producer_role_arns):
        if arn in seen:
            raise ConfigError(
                f"central.producerRoleArns[{i}]",
                f"{arn!r} is listed twice; list each producer once",
            )
        seen.add(arn)
    check_worker("central.consumer", central.consumer)
    db = central.database
    if db.min_acu > db.max_acu:
        raise ConfigError(
            "central.database.minAcu",
            f"minAcu ({db.min_acu}) must not exceed maxAcu ({db.max_acu})",
        )
    for label, acu in (("minAcu", db.min_acu), ("maxAcu", db.max_acu)):
        if (acu * 2) % 1:
            raise ConfigError(f"central.database.{label}", f"{acu} is not a multiple of 0.5 ACU")


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
