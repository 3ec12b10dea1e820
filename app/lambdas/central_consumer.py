"""Central consumer: the central SQS queue → this Lambda → the central PostgreSQL database.

Entry point: ``app.lambdas.central_consumer.handler`` (SQS event source mapping with
``ReportBatchItemFailures``).

Each message body is one central event (``app.lambdas.central_event.CentralEvent``). A body
that is not a valid event is named in ``batchItemFailures`` (→ redrive → DLQ) while the rest
of the batch is written; valid events are written once, idempotent on ``event_id``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
import psycopg
from botocore.config import Config
from psycopg.conninfo import make_conninfo
from pydantic import ValidationError

from app.lambdas import env_config
from app.lambdas.central_event import CentralEvent, parse_event
from app.lambdas.central_store import CentralStore, WriteResult
from app.lambdas.secrets import SecretCache
from app.lambdas.sqs_batch import (
    BatchResponse,
    LambdaContext,
    SqsRecord,
    batch_response,
    records_of,
)
from app.lambdas.structured_log import log

logger = logging.getLogger("central_consumer")
logger.setLevel(logging.INFO)


def consume_batch(
    records: Sequence[SqsRecord],
    store: CentralStore,
    jurisdictions: Collection[str] | None = None,
) -> BatchResponse:
    """Validate every message, write the valid events, name the messages that must come back.

    ``jurisdictions``: the ones the hub serves (an event of another one is refused).
    """
    failed: list[str] = []
    valid: list[tuple[SqsRecord, CentralEvent]] = []
    for record in records:
        try:
            valid.append((record, parse_event(record.body, jurisdictions)))
        except ValidationError as exc:
            # Locations and error types only: the input values may be the very personal data
            # that must not be here, and they must not reach the logs either.
            log(
                logger,
                logging.ERROR,
                "malformed central event",
                message_id=record.message_id,
                receive_count=record.receive_count,
                errors=[
                    {"loc": list(e["loc"]), "type": e["type"]}
                    for e in exc.errors(include_input=False, include_url=False)
                ],
            )
            failed.append(record.message_id)
    if valid:
        events = [event for _, event in valid]
        try:
            result = _write_reconnecting(store, events)
        except psycopg.Error as exc:
            log(logger, logging.ERROR, "central database unavailable", error=type(exc).__name__)
            store.close()
            failed.extend(record.message_id for record, _ in valid)
        else:
            failed.extend(r.message_id for r, e in valid if e.event_id in result.failed)
            log(
                logger,
                logging.INFO,
                "batch consumed",
                messages=len(records),
                inserted=len(result.inserted),
                duplicates=len(result.duplicates),
                failed=len(failed),
            )
    return batch_response(failed)


def _write_reconnecting(store: CentralStore, events: list[CentralEvent]) -> WriteResult:
    """Write; if the connection kept from an earlier invocation died meanwhile (idle timeout,
    failover), retry once on a new one. Safe: the write is idempotent on event_id."""
    try:
        return store.write(events)
    except psycopg.OperationalError as exc:
        log(
            logger,
            logging.WARNING,
            "reconnecting to the central database",
            error=type(exc).__name__,
        )
        store.close()
        return store.write(events)


@dataclass(frozen=True, slots=True)
class ConsumerConfig:
    dsn: str | None
    secret_id: str | None
    host: str | None
    port: int
    dbname: str
    sslmode: str
    sslrootcert: str | None
    apply_schema: bool
    #: CENTRAL_JURISDICTIONS (comma-separated; the program writes the pack's table rows);
    #: unset (a local run) takes any well-formed name.
    jurisdictions: frozenset[str] | None = None
    connect_timeout_s: int = 5

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ConsumerConfig:
        dsn = env.get("CENTRAL_DB_DSN", "").strip() or None
        secret_id = env.get("CENTRAL_DB_SECRET_ARN", "").strip() or None
        if dsn is None and secret_id is None:
            raise env_config.ConfigError(
                "CENTRAL_DB_SECRET_ARN is not set: set it to the central database secret's ARN "
                "(or CENTRAL_DB_DSN for a local database)"
            )
        sslrootcert = env.get("CENTRAL_DB_SSLROOTCERT", "").strip() or None
        return cls(
            dsn=dsn,
            secret_id=secret_id,
            host=env.get("CENTRAL_DB_HOST", "").strip() or None,
            port=env_config.integer(env, "CENTRAL_DB_PORT", 5432, minimum=1, maximum=65535),
            dbname=env.get("CENTRAL_DB_NAME", "").strip() or "central",
            sslmode=env.get("CENTRAL_DB_SSLMODE", "").strip()
            or ("verify-full" if sslrootcert else "require"),
            sslrootcert=sslrootcert,
            apply_schema=env_config.flag(env, "CENTRAL_DB_APPLY_SCHEMA", False),
            jurisdictions=frozenset(
                name.strip() for name in env["CENTRAL_JURISDICTIONS"].split(",") if name.strip()
            )
            if env.get("CENTRAL_JURISDICTIONS", "").strip()
            else None,
        )


def conninfo_from_secret(config: ConsumerConfig, secret_string: str) -> str:
    """libpq conninfo from an RDS-style secret ({username, password[, host, port, dbname]})."""
    secret: Any = json.loads(secret_string)
    if not isinstance(secret, dict) or "username" not in secret or "password" not in secret:
        raise env_config.ConfigError("central database secret needs 'username' and 'password'")
    host = config.host or secret.get("host")
    if not host:
        raise env_config.ConfigError("CENTRAL_DB_HOST is not set and the secret has no 'host'")
    options: dict[str, Any] = {
        "host": host,
        "port": config.port if config.host else secret.get("port", config.port),
        "dbname": config.dbname if config.host else secret.get("dbname", config.dbname),
        "user": secret["username"],
        "password": secret["password"],
        "sslmode": config.sslmode,
        "connect_timeout": config.connect_timeout_s,
        "application_name": "central_consumer",
    }
    if config.sslrootcert:
        options["sslrootcert"] = config.sslrootcert
    return make_conninfo(**options)


def build_store(config: ConsumerConfig, session: boto3.Session | None = None) -> CentralStore:
    if config.dsn is not None:
        dsn = make_conninfo(
            config.dsn,
            connect_timeout=config.connect_timeout_s,
            application_name="central_consumer",
        )
        return CentralStore(lambda: psycopg.connect(dsn), apply_schema=config.apply_schema)
    assert config.secret_id is not None  # from_env requires one of the two
    secret_id = config.secret_id
    session = session or boto3.Session()
    secrets = SecretCache(
        session.client("secretsmanager", config=Config(retries={"mode": "standard"}))
    )

    def connect() -> psycopg.Connection[tuple[object, ...]]:
        try:
            return psycopg.connect(conninfo_from_secret(config, secrets.get(secret_id)))
        except psycopg.OperationalError:
            # the password may have been rotated since we cached it: read it again, once
            refreshed = secrets.get(secret_id, refresh=True)
            return psycopg.connect(conninfo_from_secret(config, refreshed))

    return CentralStore(connect, apply_schema=config.apply_schema)


_store: CentralStore | None = None  # warm containers keep their connection
_served: frozenset[str] | None = None


def handler(event: Mapping[str, Any], context: LambdaContext | None) -> BatchResponse:
    global _store, _served
    if _store is None:
        config = ConsumerConfig.from_env(os.environ)
        _store, _served = build_store(config), config.jurisdictions
    return consume_batch(records_of(event), _store, _served)
