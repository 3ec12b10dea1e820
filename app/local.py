"""Run the whole platform on this machine: ``python -m app.local``.

Starts a real PostgreSQL (one database per shard; two shards per stack: eu, us, ...) and
moto's server (S3, SQS, KMS, Secrets Manager) on 127.0.0.1, migrates every shard, then
serves each stack's API on its own port with an outbox worker each, and prints a dev token
per jurisdiction with curl lines to try. Ctrl-C stops everything.

``provision`` is also what the tests and the benchmark use, so all three run the same set-up.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from typing import Any, Protocol

import boto3
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from app.auth.dev import DevSigner
from app.auth.tokens import Role
from app.db.migrate import migrate_shard
from app.settings import DbAuthMode, Peer, Settings
from app.shardmap import IdBlock, RegionEndpoints, ShardMap
from tools.stacks import stack_file_config, stack_names


class Postgres(Protocol):
    """What ``provision`` needs of a server: devservices.PostgresServer or ExternalPostgres."""

    host: str
    port: int
    superuser: str

    def create_database(self, name: str) -> str: ...


class ExternalPostgres:
    """A server that already runs (``--database-url``); its role must be able to create
    databases. Existing shard databases are reused: migrations are idempotent."""

    def __init__(self, url: str) -> None:
        params = conninfo_to_dict(url)
        self._url = url
        self.host = str(params.get("host") or "127.0.0.1")
        self.port = int(params.get("port") or 5432)
        self.superuser = str(params.get("user") or "postgres")
        self.password: str | None = params.get("password")  # type: ignore[assignment]

    def create_database(self, name: str) -> str:
        with psycopg.connect(self._url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return make_conninfo(self._url, dbname=name)


def _stand_in(stack: str) -> tuple[IdBlock, str]:
    config = stack_file_config(stack)
    block = config["shards"]["idBlock"]
    return IdBlock(int(block["start"]), int(block["end"])), str(config["regions"]["primary"])


#: The local stand-ins for the stacks: ID block and primary region, from each stack file.
JURISDICTIONS: dict[str, tuple[IdBlock, str]] = {name: _stand_in(name) for name in stack_names()}
SHARD_SIZE = 30_000
#: The primary region of the stack that hosts the central queue.
CENTRAL_REGION = next(
    JURISDICTIONS[name][1] for name in JURISDICTIONS if stack_file_config(name)["central"]["host"]
)
DEV_AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass(frozen=True)
class LocalJurisdiction:
    name: str
    settings: Settings
    shard_map: ShardMap
    dsns: tuple[str, ...]


def provision(
    pg: Postgres,
    aws_endpoint: str,
    signer: DevSigner,
    *,
    jurisdictions: Sequence[str] = tuple(JURISDICTIONS),
    shards: int = 2,
    shard_size: int = SHARD_SIZE,
    urls: dict[str, str] | None = None,
    blocks: dict[str, IdBlock] | None = None,
) -> dict[str, LocalJurisdiction]:
    """Create and migrate the shard databases and the AWS resources; return settings.

    ``blocks`` overrides a jurisdiction's ID block (the benchmark needs 1M-user shards).
    """
    for key, value in DEV_AWS_ENV.items():
        os.environ.setdefault(key, value)
    urls = urls or {j: f"http://127.0.0.1/{j}" for j in jurisdictions}
    sqs = boto3.client("sqs", region_name=CENTRAL_REGION, endpoint_url=aws_endpoint)
    queue_url = sqs.create_queue(
        QueueName="central-events.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"},
    )["QueueUrl"]
    out: dict[str, LocalJurisdiction] = {}
    for name in jurisdictions:
        block, region = JURISDICTIONS[name]
        block = (blocks or {}).get(name, block)
        layout = ShardMap.uniform(name, block, shard_size, shards)
        dsns: list[str] = []
        endpoints: list[dict[str, RegionEndpoints]] = []
        for shard in layout.shards:
            db = f"{name}_shard_{shard.index:02d}"
            dsn = pg.create_database(db)
            dsns.append(dsn)
            migrate_shard(lambda dsn=dsn: psycopg.connect(dsn), shard, name)
            endpoints.append({region: RegionEndpoints(pg.host, pg.host, pg.port, db)})
        shard_map = layout.with_endpoints(endpoints)

        s3 = boto3.client("s3", region_name=region, endpoint_url=aws_endpoint)
        bucket = f"gdpr-audit-{name}"
        where: dict[str, Any] = {}
        if region != "us-east-1":  # the one region S3 refuses a LocationConstraint for
            where["CreateBucketConfiguration"] = {"LocationConstraint": region}
        with suppress(s3.exceptions.BucketAlreadyOwnedByYou):  # re-run, kept --aws-endpoint
            s3.create_bucket(Bucket=bucket, **where)
        kms = boto3.client("kms", region_name=region, endpoint_url=aws_endpoint)
        key_id = kms.create_key(Description=f"audit files {name}")["KeyMetadata"]["KeyId"]
        secrets = boto3.client("secretsmanager", region_name=region, endpoint_url=aws_endpoint)
        secret_name = f"gdpr/{name}/pseudonym-key"
        try:
            secret_arn = secrets.create_secret(
                Name=secret_name, SecretString=base64.b64encode(os.urandom(32)).decode()
            )["ARN"]
        except secrets.exceptions.ResourceExistsException:
            secret_arn = secrets.describe_secret(SecretId=secret_name)["ARN"]
        peers = {
            other: Peer(
                url=(urls or {}).get(other, f"http://127.0.0.1/{other}"),
                id_block_start=JURISDICTIONS[other][0].start,
                id_block_end=JURISDICTIONS[other][0].end,
            )
            for other in JURISDICTIONS
            if other != name
        }
        settings = Settings(
            jurisdiction=name,
            region=region,
            primary_region=region,
            shard_map=shard_map.to_json(),
            db_auth_mode=DbAuthMode.PASSWORD,
            db_user=pg.superuser,
            db_password=getattr(pg, "password", None),
            db_sslmode="disable",  # loopback only; AWS mode keeps verify-full
            jwt_public_key=signer.public_pem,
            jwt_algorithms=(signer.algorithm,),
            jwt_issuer=signer.issuer,
            jwt_audience=signer.audience,
            audit_bucket=bucket,
            audit_kms_key_id=key_id,
            central_queue_url=queue_url,
            central_queue_region=CENTRAL_REGION,
            pseudonym_key_secret_id=secret_arn,
            aws_endpoint_url=aws_endpoint,
            peers=peers,
            outbox_poll_interval_s=0.5,
        )
        out[name] = LocalJurisdiction(name, settings, shard_map, tuple(dsns))
    return out


async def _serve(platform: dict[str, LocalJurisdiction], ports: dict[str, int]) -> None:
    import uvicorn

    from app.main import create_app

    servers = [
        uvicorn.Server(
            uvicorn.Config(
                create_app(j.settings, j.shard_map),
                host="127.0.0.1",
                port=ports[name],
                access_log=False,  # app.request logs route templates, never concrete IDs
                log_level="warning",
            )
        )
        for name, j in platform.items()
    ]
    await asyncio.gather(*(s.serve() for s in servers))


def _print_banner(
    platform: dict[str, LocalJurisdiction], ports: dict[str, int], signer: DevSigner
) -> None:
    print("\ngdpr-platform local run: PostgreSQL and moto on 127.0.0.1\n", flush=True)
    for name, j in platform.items():
        base = f"http://127.0.0.1:{ports[name]}"
        token = signer.token(f"dev-operator-{name}", name, Role.OPERATOR, ttl_s=12 * 3600)
        first = j.shard_map.signup_shard.start  # the first sign-up gets this ID
        print(f"[{name}] API {base}  shards: {', '.join(s.name for s in j.shard_map.shards)}")
        print(f"[{name}] operator token (12 h):\nexport TOKEN_{name.upper()}={token}")
        auth = f'-H "Authorization: Bearer $TOKEN_{name.upper()}"'
        print(f"curl -s {base}/v1/ready")
        print(
            f"curl -s {auth} -H 'Content-Type: application/json' "
            f'-d \'{{"email":"ada@example.org","full_name":"Ada L"}}\' {base}/v1/users'
        )
        print(
            f"curl -s {auth} -H 'Content-Type: application/json' "
            f'-d \'{{"amount_minor":1250,"currency":"EUR","direction":"debit"}}\' '
            f"{base}/v1/users/{first}/transactions"
        )
        print(f"curl -s {auth} {base}/v1/users/{first}/export")
        print(f"curl -s -X POST {auth} {base}/v1/users/{first}/erasure\n")
    print("READY", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--port",
        action="append",
        default=[],
        metavar="STACK=PORT",
        help="where a stack's API listens (default: 8001, 8002, ... in table order)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("GDPR_LOCAL_DATABASE_URL"),
        help="use this PostgreSQL instead of starting one (a role that may CREATE DATABASE)",
    )
    parser.add_argument(
        "--aws-endpoint",
        default=os.environ.get("GDPR_LOCAL_AWS_ENDPOINT"),
        help="use this S3/SQS/KMS/Secrets Manager endpoint instead of starting moto",
    )
    args = parser.parse_args(argv)
    # SIGTERM must unwind like Ctrl-C so PostgreSQL and moto are stopped, not orphaned.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")

    from app.audit.worker import OutboxWorker
    from devservices import MotoServer, PostgresServer

    ports = {name: 8001 + i for i, name in enumerate(JURISDICTIONS)}
    for item in args.port:
        name, _, port = item.partition("=")
        if name not in ports or not port.isdigit():
            parser.error(f"--port {item!r}: use STACK=PORT with STACK one of {list(ports)}")
        ports[name] = int(port)
    signer = DevSigner.generate()
    with ExitStack() as services:
        pg: Postgres = (
            ExternalPostgres(args.database_url)
            if args.database_url
            else services.enter_context(PostgresServer())
        )
        aws_endpoint: str = args.aws_endpoint or services.enter_context(MotoServer()).endpoint
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        platform = provision(pg, aws_endpoint, signer, urls=urls)
        stop = threading.Event()
        workers = [
            threading.Thread(
                target=OutboxWorker.from_settings(j.settings, j.shard_map).run,
                args=(stop,),
                name=f"outbox-{name}",
                daemon=True,
            )
            for name, j in platform.items()
        ]
        for worker in workers:
            worker.start()
        _print_banner(platform, ports, signer)
        try:
            asyncio.run(_serve(platform, ports))
        finally:
            stop.set()
            for worker in workers:
                worker.join(timeout=5)


if __name__ == "__main__":
    main()
