"""Connection parameters for a shard endpoint: IAM auth tokens in AWS, passwords locally."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.settings import DbAuthMode, Settings


def connection_kwargs(
    settings: Settings,
    *,
    host: str,
    port: int,
    dbname: str,
    read_only: bool,
    application_name: str,
) -> Callable[[], dict[str, Any]]:
    """A callable the pool calls on every new connection.

    A callable, not a dict, because an IAM auth token lives 15 minutes while a pool
    connection may be opened hours after start.
    """
    # Server-side bounds on every statement and lock wait, so that a blocked table or a
    # runaway query ends in an error the API maps to 503 rather than in a hung request.
    options = (
        f"-c statement_timeout={settings.db_statement_timeout_ms} "
        f"-c lock_timeout={settings.db_lock_timeout_ms}"
    )
    if read_only:
        options += " -c default_transaction_read_only=on"
    base: dict[str, Any] = {
        "host": host,
        "port": port,
        "dbname": dbname,
        "user": settings.db_user,
        "sslmode": settings.db_sslmode,
        "application_name": application_name,
        "options": options,
        "connect_timeout": settings.db_connect_timeout_s,
        # A peer that vanished without a FIN (a host lost in a failover) is noticed by the
        # kernel instead of after the OS default of two hours.
        "keepalives": 1,
        "keepalives_idle": settings.db_keepalives_idle_s,
        "keepalives_interval": settings.db_keepalives_interval_s,
        "keepalives_count": settings.db_keepalives_count,
        "tcp_user_timeout": settings.db_keepalives_idle_s * 1000,
    }
    if settings.db_sslrootcert:
        base["sslrootcert"] = settings.db_sslrootcert

    if settings.db_auth_mode is DbAuthMode.PASSWORD:
        if settings.db_password is not None:
            base["password"] = settings.db_password.get_secret_value()
        return lambda: dict(base)

    from app.aws import client  # boto3 only where IAM auth is used

    rds = client("rds", settings)

    def with_token() -> dict[str, Any]:
        token: str = rds.generate_db_auth_token(
            DBHostname=host, Port=port, DBUsername=settings.db_user, Region=settings.region
        )
        return {**base, "password": token}

    return with_token
