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
    options = "-c default_transaction_read_only=on" if read_only else ""
    base: dict[str, Any] = {
        "host": host,
        "port": port,
        "dbname": dbname,
        "user": settings.db_user,
        "sslmode": settings.db_sslmode,
        "application_name": application_name,
        "options": options,
        "connect_timeout": 5,
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
