"""Give every shard the API's database role, once, before the first migration.

The API and its migration Job log in as ``app.dbUser`` with an IAM token (rds_iam), and
nothing in the stack can create that PostgreSQL role: only the master user can, and its
secret is for break-glass use, never for the pods. Run this from inside the VPC (the
deployment runner: workflow ``db-roles.yml``), as the deploy role, after the first
``pulumi up``; it is idempotent, so running it again changes nothing.

    pulumi stack output shardMap --stack <org>/gdpr-platform/eu > shard-map.json
    .venv/bin/python -m tools.db_roles --shard-map shard-map.json --region eu-central-1
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3
import psycopg
from psycopg import sql

from app.shardmap import ShardMap

#: Aurora's built-in role that makes a login accept IAM tokens instead of a password.
IAM_ROLE = "rds_iam"


def ensure_app_role(conn: psycopg.Connection[Any], role: str, database: str) -> None:
    """Create ``role`` (IAM login), let it connect and own the schema it migrates."""
    with conn.transaction():
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        conn.execute(
            sql.SQL("GRANT {} TO {}").format(sql.Identifier(IAM_ROLE), sql.Identifier(role))
        )
        conn.execute(
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
                sql.Identifier(database), sql.Identifier(role)
            )
        )
        # PostgreSQL 15+ no longer lets every role create in public: the migrations do.
        conn.execute(
            sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(sql.Identifier(role))
        )


def ensure_on_every_shard(
    shard_map: ShardMap,
    region: str,
    role: str,
    *,
    secrets: Any,
    sslmode: str = "require",
) -> list[str]:
    """Connect to each shard's writer as its master user; return the shards done."""
    done = []
    for shard in shard_map.shards:
        endpoint = shard.regions.get(region)
        if endpoint is None or not endpoint.secret_arn:
            raise SystemExit(
                f"error: {shard.name} has no writer secret in {region}; pass the primary region"
            )
        master = json.loads(secrets.get_secret_value(SecretId=endpoint.secret_arn)["SecretString"])
        with psycopg.connect(
            host=endpoint.writer,
            port=endpoint.port,
            dbname=endpoint.database,
            user=master["username"],
            password=master["password"],
            sslmode=sslmode,
            connect_timeout=10,
            application_name="gdpr-db-roles",
        ) as conn:
            ensure_app_role(conn, role, endpoint.database)
        done.append(shard.name)
    return done


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shard-map", type=Path, required=True, help="pulumi stack output")
    parser.add_argument("--region", required=True, help="the stack's primary region")
    parser.add_argument("--role", default="app", help="app.dbUser of the stack")
    parser.add_argument("--sslmode", default="require")
    parser.add_argument("--endpoint-url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    shard_map = ShardMap.from_json(args.shard_map.read_text())
    secrets = boto3.client(
        "secretsmanager", region_name=args.region, endpoint_url=args.endpoint_url
    )
    for name in ensure_on_every_shard(
        shard_map, args.region, args.role, secrets=secrets, sslmode=args.sslmode
    ):
        print(f"{name}: role {args.role!r} ready (rds_iam, connect, schema public)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
