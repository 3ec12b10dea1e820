"""Fault benchmark: ``python -m bench.faults_bench``.

Everything on 127.0.0.1: two PostgreSQL servers (the sign-up shard on its own, so it can
be stopped alone), moto, the API in one uvicorn process, the outbox worker as a child
process, and the institution stand-in. Prints, with nothing asserted:

1. under a 32-way mixed load (60 % GET user, 40 % POST transaction, over both shards) with
   one shard stopped for ``--outage-s`` seconds: that shard's 503 p50/p99, the other
   shard's errors, the time from the restart to that shard's first success;
2. 503s in the first requests after the shard restarted while the API was idle;
3. acknowledged writes lost: 201s whose transaction is not in the shard afterwards;
4. duplicate deliveries to the institution while the outbox worker is SIGKILLed at random
   moments ``--kills`` times and restarted: files the institution received beyond one per
   transaction, and S3 objects with more than one version.

Bounded in time: each phase has a fixed duration or a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import psycopg

from app.auth.dev import DevSigner
from app.auth.tokens import Role
from app.lambdas.audit_shipper import AuditShipper
from app.lambdas.institution import InstitutionClient, RetryPolicy
from app.lambdas.sqs_batch import Deadline, records_of
from app.local import DEV_AWS_ENV, provision
from bench.api_bench import load, wait_ready
from devservices import MotoServer, PostgresServer
from devservices.postgres import free_port
from tests.app.faults_support import move_shard, settings_env
from tests.app.lambdas.institution_stub import InstitutionStub
from tests.app.lambdas.sqs_driver import drain

ROOT = Path(__file__).resolve().parents[1]
USERS_PER_SHARD = 2_000
TOKEN = "bench-institution-token"


@dataclass
class Sample:
    shard: int
    status: int
    started: float
    ended: float
    tx_id: str | None = None

    @property
    def ms(self) -> float:
        return (self.ended - self.started) * 1000


@dataclass
class Load:
    samples: list[Sample] = field(default_factory=list)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _request(method: str, path: str, token: str, body: bytes = b"") -> bytes:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def drive(
    port: int,
    users: list[tuple[int, int, str]],
    seconds: float,
    concurrency: int,
    out: Load,
) -> None:
    """``concurrency`` keep-alive connections sending a GET/POST mix for ``seconds``."""
    stop_at = time.monotonic() + seconds

    async def one(seed: int) -> None:
        rng = random.Random(seed)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < stop_at:
                user_id, shard, token = users[rng.randrange(len(users))]
                if rng.random() < 0.6:
                    raw = _request("GET", f"/v1/users/{user_id}", token)
                else:
                    body = json.dumps(
                        {
                            "amount_minor": rng.randrange(1, 10_000),
                            "currency": "EUR",
                            "direction": "debit",
                        }
                    ).encode()
                    raw = _request("POST", f"/v1/users/{user_id}/transactions", token, body)
                started = time.monotonic()
                writer.write(raw)
                head = await reader.readuntil(b"\r\n\r\n")
                at = head.lower().index(b"content-length:") + 15
                length = int(head[at : head.index(b"\r\n", at)])
                payload = await reader.readexactly(length)
                status = int(head[9:12])
                tx_id = json.loads(payload)["id"] if status == 201 else None
                out.samples.append(Sample(shard, status, started, time.monotonic(), tx_id))
        finally:
            writer.close()

    await asyncio.gather(*(one(i) for i in range(concurrency)))


def _run_with_outage(
    port: int,
    users: list[tuple[int, int, str]],
    server: PostgresServer,
    args: argparse.Namespace,
) -> tuple[Load, float, float]:
    """Load for warm-up + outage + recovery; the shard's server stops in the middle."""
    out = Load()
    marks: dict[str, float] = {}

    def fault() -> None:
        time.sleep(args.warmup_s)
        marks["stop"] = time.monotonic()
        server.halt()
        time.sleep(args.outage_s)
        server.resume()  # returns once the server accepts connections
        marks["restart"] = time.monotonic()

    thread = threading.Thread(target=fault)
    thread.start()
    total = args.warmup_s + args.outage_s + args.recovery_s
    asyncio.run(drive(port, users, total, args.concurrency, out))
    thread.join()
    return out, marks["stop"], marks["restart"]


def _deliveries_under_kills(
    settings: Any,
    api_port: int,
    users: list[tuple[int, int, str]],
    dsns: tuple[str, ...],
    aws: MotoServer,
    args: argparse.Namespace,
) -> tuple[int, int, int, int]:
    """(transactions, files delivered, duplicate deliveries, objects with > 1 version)."""
    region = settings.region
    s3 = boto3.client("s3", region_name=region, endpoint_url=aws.endpoint)
    sqs = boto3.client("sqs", region_name=region, endpoint_url=aws.endpoint)
    bucket = f"bench-audit-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    queue_url = sqs.create_queue(QueueName=f"bench-audit-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    for dsn in dsns:  # the outage phase's rows are not this phase's question
        with psycopg.connect(dsn) as conn:
            conn.execute("UPDATE outbox SET done_at = now() WHERE done_at IS NULL")

    import urllib.request

    created = 0
    for i in range(args.transactions):
        user_id, _, token = users[i % len(users)]
        req = urllib.request.Request(
            f"http://127.0.0.1:{api_port}/v1/users/{user_id}/transactions",
            data=json.dumps(
                {"amount_minor": 100 + i, "currency": "EUR", "direction": "debit"}
            ).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as response:  # noqa: S310 (loopback)
            created += response.status == 201

    worker_settings = settings.model_copy(
        update={
            "audit_bucket": bucket,
            "outbox_lease_s": 1.0,
            "outbox_backoff_base_s": 0.1,
            "outbox_poll_interval_s": 0.1,
        }
    )
    env = {**os.environ, **DEV_AWS_ENV, **settings_env(worker_settings)}

    def pending() -> int:
        total = 0
        for dsn in dsns:
            with psycopg.connect(dsn) as conn:
                row = conn.execute("SELECT count(*) FROM outbox WHERE done_at IS NULL").fetchone()
                total += row[0] if row else 0
        return total

    rng = random.Random(11)
    kills = 0
    deadline = time.monotonic() + args.kill_phase_deadline_s
    while time.monotonic() < deadline:
        child = subprocess.Popen(
            [sys.executable, "-m", "app.audit.worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if kills < args.kills:
            time.sleep(rng.uniform(1.5, 3.0))  # start-up takes about a second
            child.send_signal(signal.SIGKILL)
            child.wait()
            kills += 1
            continue
        while pending() and time.monotonic() < deadline:
            time.sleep(0.2)
        child.terminate()
        child.wait(timeout=10)
        break
    print(f"  worker SIGKILLed {kills} times; rows still pending: {pending()}", flush=True)

    with InstitutionStub(TOKEN) as institution:
        client = InstitutionClient(
            institution.url,
            lambda refresh: f"Bearer {TOKEN}",
            RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.05),
        )
        shipper = AuditShipper(s3, client)
        drain(
            sqs,
            queue_url,
            lambda event, ctx: shipper.ship_batch(
                records_of(event), Deadline.from_context(ctx, 0.5)
            ),
            max_polls=2000,
        )
        delivered = len(institution.deliveries)
    multi = 0
    paginator = s3.get_paginator("list_object_versions")
    per_key: dict[str, int] = {}
    for page in paginator.paginate(Bucket=bucket):
        for version in page.get("Versions", []):
            per_key[version["Key"]] = per_key.get(version["Key"], 0) + 1
    multi = sum(1 for n in per_key.values() if n > 1)
    return created, delivered, delivered - len(per_key), multi


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup-s", type=float, default=3.0)
    parser.add_argument("--outage-s", type=float, default=5.0)
    parser.add_argument("--recovery-s", type=float, default=4.0)
    parser.add_argument("--transactions", type=int, default=150, help="for the kill phase")
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--kill-phase-deadline-s", type=float, default=120.0)
    args = parser.parse_args(argv)
    for key, value in DEV_AWS_ENV.items():
        os.environ.setdefault(key, value)

    signer = DevSigner.generate()
    with (
        PostgresServer() as others,
        PostgresServer() as shard_server,
        MotoServer() as aws,
        tempfile.TemporaryDirectory() as tmp,
    ):
        local = provision(others, aws.endpoint, signer, jurisdictions=("eu",))["eu"]
        faulty = local.shard_map.signup_shard.index
        local = move_shard(local, faulty, shard_server)
        users: list[tuple[int, int, str]] = []
        for shard in local.shard_map.shards:
            load(others, local.dsns[shard.index], shard.start, USERS_PER_SHARD, False)
            for user_id in range(shard.start, shard.start + 200):
                users.append((user_id, shard.index, signer.token(user_id, "eu", Role.USER)))

        port = free_port()
        config = {
            "settings": local.settings.model_dump_json(),
            "baseline_dsn": local.dsns[0],
            "pool_size": 1,
            "port": port,
            "log_file": os.path.join(tmp, "server.log"),
        }
        config_path = Path(tmp) / "config.json"
        config_path.write_text(json.dumps(config))
        proc = subprocess.Popen([sys.executable, "-m", "bench.server", str(config_path)], cwd=ROOT)
        try:
            wait_ready(port, proc)
            print(
                f"API: 1 uvicorn process, pools of {local.settings.db_pool_max} per shard and "
                f"role, probe every {local.settings.db_probe_interval_s}s; "
                f"shard-{faulty:02d} on its own PostgreSQL\n",
                flush=True,
            )
            out, stopped, restarted = _run_with_outage(port, users, shard_server, args)
            outage = [s for s in out.samples if s.shard == faulty and s.status == 503]
            others_bad = [s for s in out.samples if s.shard != faulty and s.status >= 400]
            ok_after = [
                s.ended
                for s in out.samples
                if s.shard == faulty and s.status < 400 and s.ended > restarted
            ]
            faulty_during = [
                s for s in out.samples if s.shard == faulty and stopped <= s.started < restarted
            ]
            print(
                f"1. {args.concurrency}-way mixed load, shard-{faulty:02d} stopped "
                f"{args.outage_s:.0f}s: {len(out.samples)} requests"
            )
            print(
                f"   shard-{faulty:02d} 503s: {len(outage)} (of {len(faulty_during)} requests "
                f"sent while it was down)  p50 {_pct([s.ms for s in outage], 0.5):.1f} ms  "
                f"p99 {_pct([s.ms for s in outage], 0.99):.1f} ms  "
                f"max {max((s.ms for s in outage), default=float('nan')):.1f} ms"
            )
            print(
                f"   other shard: {len(others_bad)} errors of "
                f"{sum(1 for s in out.samples if s.shard != faulty)} requests"
            )
            first = min(ok_after, default=float("nan")) - restarted
            print(
                f"   first success on shard-{faulty:02d} after its restart: {first * 1000:.0f} ms"
            )

            time.sleep(1.0)
            shard_server.restart()  # while the API is idle: every pooled connection dies
            time.sleep(1.0)
            idle = Load()
            asyncio.run(drive(port, users, 2.0, args.concurrency, idle))
            bad = [s for s in idle.samples if s.status >= 500]
            print(
                f"2. after an idle restart: {len(bad)} 5xx of {len(idle.samples)} requests "
                "in the next 2 s"
            )

            acked = [s.tx_id for s in out.samples + idle.samples if s.tx_id]
            found = 0
            for dsn in local.dsns:
                with psycopg.connect(dsn) as conn:
                    row = conn.execute(
                        "SELECT count(*) FROM transactions WHERE id = ANY(%s::uuid[])", (acked,)
                    ).fetchone()
                    found += row[0] if row else 0
            print(f"3. acknowledged writes lost: {len(acked) - found} of {len(acked)}")

            created, delivered, duplicates, multi = _deliveries_under_kills(
                local.settings, port, users, local.dsns, aws, args
            )
            print(
                f"4. worker killed {args.kills} times over {created} transactions: "
                f"{delivered} files reached the institution, {duplicates} duplicates, "
                f"{multi} objects with more than one version"
            )
        finally:
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
