"""API benchmark: ``python -m bench.api_bench`` (or ``python bench/api_bench.py``).

Serves the API (one uvicorn process) against a local PostgreSQL with four shards of
1,000,000 IDs each, drives it over loopback with a fixed number of keep-alive
connections and a bounded number of requests, and prints requests/s, p50 and p99 for

- full path: ``GET /v1/users/{id}`` with a user token (auth + residency guard + shard
  router + per-shard pool), IDs spread over the four shards;
- baseline: ``GET /baseline/users/{id}``, the same query and response model in the same
  server and database, with no auth, guard or routing;

then the ratio, and the latency of ``POST /v1/users/{id}/erasure`` on the shard that holds
1,000,000 users (each with a transaction). Figures only; nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from app.auth.dev import DevSigner
from app.auth.tokens import Role, TokenVerifier
from app.local import provision
from app.shardmap import IdBlock
from devservices import MotoServer, PostgresServer
from devservices.postgres import free_port

SHARD_SIZE = 1_000_000


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def line(self) -> str:
        return (
            f"{self.name:<10} {self.rps:9.0f} req/s  p50 {self.pct(0.50):6.2f} ms  "
            f"p99 {self.pct(0.99):6.2f} ms  ({self.requests} requests, {self.errors} errors)"
        )


def load(pg: PostgresServer, dsn: str, start: int, users: int, with_transactions: bool) -> None:
    """Bulk-load ``users`` users (and one transaction each) with generate_series."""
    end = start + users - 1
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO users (id, email, full_name, phone, date_of_birth, address, "
            "pseudonym_key) SELECT g, 'user' || g || '@example.org', 'User Number ' || g, "
            "'+49 30 ' || g, date '1950-01-01' + (g %% 20000)::int, 'Street ' || g || ', Berlin', "
            "decode(md5(g::text), 'hex') FROM generate_series(%s::bigint, %s::bigint) g",
            (start, end),
        )
        if with_transactions:
            conn.execute(
                "INSERT INTO transactions (user_id, amount_minor, currency, direction, "
                "reference) SELECT g, 100 + g %% 10000, 'EUR', "
                "CASE WHEN g %% 2 = 0 THEN 'debit' ELSE 'credit' END, 'invoice ' || g "
                "FROM generate_series(%s::bigint, %s::bigint) g",
                (start, end),
            )
        conn.execute("VACUUM ANALYZE")


def request(method: str, path: str, token: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Length: 0\r\n\r\n".encode()
    )


async def drive(
    port: int,
    name: str,
    requests: list[bytes],
    total: int,
    concurrency: int,
    *,
    in_order: bool = False,
) -> Result:
    latencies: list[float] = []
    errors = 0
    per_conn = total // concurrency

    async def one_connection(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for i in range(per_conn):
                raw = requests[i if in_order else rng.randrange(len(requests))]
                started = time.perf_counter()
                writer.write(raw)
                head = await reader.readuntil(b"\r\n\r\n")
                at = head.lower().index(b"content-length:") + 15
                length = int(head[at : head.index(b"\r\n", at)])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if head[9:12] != b"200":
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_connection(i) for i in range(concurrency)))
    return Result(name, per_conn * concurrency, errors, time.perf_counter() - started, latencies)


async def erasures(port: int, requests: list[bytes]) -> Result:
    return await drive(port, "erasure", requests, len(requests), 1, in_order=True)


def verify_cost_us(signer: DevSigner, n: int = 500) -> float:
    """What a request would pay without the verified-token cache (the bench reuses tokens)."""
    verifier = TokenVerifier(
        issuer=signer.issuer,
        audience=signer.audience,
        algorithms=(signer.algorithm,),
        public_key=signer.public_pem,
        cache_size=0,
    )
    token = signer.token(1, "eu")

    async def run() -> float:
        started = time.perf_counter()
        for _ in range(n):
            await verifier._verify_signature(token)
        return (time.perf_counter() - started) / n * 1e6

    return asyncio.run(run())


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("bench server exited early")
        try:
            url = f"http://127.0.0.1:{port}/v1/ready"
            with urllib.request.urlopen(url, timeout=2) as response:  # loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("bench server did not become ready")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--requests", type=int, default=20_000, help="per measured run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--other-shard-users", type=int, default=100_000)
    parser.add_argument("--erasures", type=int, default=500)
    parser.add_argument("--pool-size", type=int, default=4, help="per shard and role")
    parser.add_argument("--full-shards", type=int, default=4, help="spread full-path IDs")
    args = parser.parse_args(argv)

    signer = DevSigner.generate()
    with PostgresServer() as pg, MotoServer() as aws, tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        [eu] = provision(
            pg,
            aws.endpoint,
            signer,
            jurisdictions=("eu",),
            shards=4,
            shard_size=SHARD_SIZE,
            blocks={"eu": IdBlock(0, 4 * SHARD_SIZE)},
        ).values()
        shards = eu.shard_map.shards
        load(pg, eu.dsns[0], shards[0].start, SHARD_SIZE, with_transactions=True)
        for shard in shards[1:]:
            load(pg, eu.dsns[shard.index], shard.start, args.other_shard_users, False)
        print(
            f"loaded {SHARD_SIZE:,} users + {SHARD_SIZE:,} transactions on shard-00 and "
            f"{args.other_shard_users:,} users on each of 3 more shards "
            f"in {time.perf_counter() - started:.0f}s",
            flush=True,
        )

        port = free_port()
        settings = eu.settings.model_copy(
            update={"db_pool_min": args.pool_size, "db_pool_max": args.pool_size}
        )
        config = {
            "settings": settings.model_dump_json(),
            "baseline_dsn": eu.dsns[0],
            # As many connections as the full path's readers hold over the shards it reads.
            "pool_size": args.pool_size * args.full_shards,
            "port": port,
            "log_file": os.path.join(tmp, "server.log"),
        }
        config_path = Path(tmp) / "config.json"
        config_path.write_text(json.dumps(config))
        root = Path(__file__).resolve().parents[1]
        proc = subprocess.Popen([sys.executable, "-m", "bench.server", str(config_path)], cwd=root)
        try:
            wait_ready(port, proc)
            rng = random.Random(7)
            # Users the clients act as: spread over the four shards, one token each, reused
            # for many requests as a real client reuses its access token.
            full_ids = [
                shards[i % args.full_shards].start + rng.randrange(args.other_shard_users)
                for i in range(2000)
            ]
            full = [
                request("GET", f"/v1/users/{u}", signer.token(u, "eu", Role.USER)) for u in full_ids
            ]
            base = [
                request("GET", f"/baseline/users/{rng.randrange(SHARD_SIZE)}", None)
                for _ in range(2000)
            ]
            results: dict[str, list[Result]] = {"full path": [], "baseline": []}

            async def run_all() -> None:
                for name, reqs in (("baseline", base), ("full path", full)):  # warm-up
                    await drive(port, name, reqs, 2000, args.concurrency)
                for _ in range(args.rounds):
                    for name, reqs in (("baseline", base), ("full path", full)):
                        results[name].append(
                            await drive(port, name, reqs, args.requests, args.concurrency)
                        )

            asyncio.run(run_all())
            print(
                f"\nthroughput: concurrency {args.concurrency}, {args.requests} requests per "
                f"run, {args.rounds} rounds, 1 uvicorn worker, pools of {args.pool_size} "
                "per shard and role"
            )
            for name in ("baseline", "full path"):
                for result in results[name]:
                    print("  " + result.line())
            mean = {n: statistics.mean(r.rps for r in rs) for n, rs in results.items()}
            print(f"  ratio full/baseline throughput: {mean['full path'] / mean['baseline']:.2f}")

            print(f"  RS256 signature check, uncached: {verify_cost_us(signer):.0f} us per token")

            operator = signer.token("bench-operator", "eu", Role.OPERATOR)
            targets = rng.sample(range(SHARD_SIZE), args.erasures)
            erase = [request("POST", f"/v1/users/{u}/erasure", operator) for u in targets]
            result = asyncio.run(erasures(port, erase))
            print(
                f"\nerasure on a shard of {SHARD_SIZE:,} users (sequential, {args.erasures} "
                f"users): p50 {result.pct(0.5):.2f} ms  p99 {result.pct(0.99):.2f} ms  "
                f"({result.errors} errors)"
            )
        finally:
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
