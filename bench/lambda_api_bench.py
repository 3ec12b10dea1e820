"""Lambda-mode benchmark: ``python -m bench.lambda_api_bench``.

Against a local PostgreSQL (two shards) and moto, prints

- cold start: a fresh interpreter importing ``app.lambda_api`` (what Lambda's init phase
  runs: FastAPI, pydantic, psycopg, Mangum, the app), then its first event (settings, shard
  map, ``create_app``, the pools' lifespan, a health request) and the first request that
  takes a database connection; the median of ``--cold-runs`` processes. This machine's
  CPU and Python, not Graviton's: the runtime's own start and the layer's unpacking come on
  top in AWS;
- per request: the same ``GET /v1/users/{id}`` (token, guard, router, pool) and
  ``GET /v1/health`` (no database) through uvicorn over loopback (keep-alive) and through the
  Lambda handler fed payload v2 events in-process, p50 / p99 and the difference.

Figures only; nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import SecretStr

from app.auth.dev import DevSigner
from app.auth.tokens import Role
from app.lambda_api import ORIGIN_HEADER, ORIGIN_SECRET_ENV
from app.local import provision
from app.settings import Settings
from devservices import MotoServer, PostgresServer
from tests.app.api_support import unique_person
from tests.app.transports import (
    ORIGIN_SECRET,
    LambdaTransport,
    Transport,
    UvicornTransport,
    v2_event,
)

ROOT = Path(__file__).resolve().parents[1]

_COLD = r"""
import json, sys, time
t0 = time.perf_counter()
import app.lambda_api as entry
t1 = time.perf_counter()
events = json.loads(sys.stdin.read())
entry.handler(events[0], None)
t2 = time.perf_counter()
reply = entry.handler(events[1], None)
t3 = time.perf_counter()
assert reply["statusCode"] == 200, reply
print(json.dumps({"import": t1 - t0, "first_event": t2 - t1, "first_db_request": t3 - t2}))
"""


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as the function's environment (``GDPR_API_*``)."""
    env: dict[str, str] = {}
    for name, value in settings:
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, dict | tuple | list):
            value = json.dumps(
                {k: v.model_dump() if hasattr(v, "model_dump") else v for k, v in value.items()}
                if isinstance(value, dict)
                else list(value)
            )
        env[f"GDPR_API_{name.upper()}"] = str(value)
    return env


def cold_starts(settings: Settings, events: list[dict[str, object]], runs: int) -> dict[str, float]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GDPR_")},
        **settings_env(settings),
        ORIGIN_SECRET_ENV: ORIGIN_SECRET,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    samples = []
    for _ in range(runs):
        out = subprocess.run(  # our own interpreter and script
            [sys.executable, "-c", _COLD],
            input=json.dumps(events),
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def _status(transport: Transport, path: str, headers: dict[str, str]) -> int:
    return transport.request("GET", path, headers=headers).status


def latencies(call: Callable[[], int], n: int) -> list[float]:
    for _ in range(20):  # warm pools, caches, connections
        call()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        status = call()
        out.append((time.perf_counter() - t) * 1000)
        assert status == 200, status
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--cold-runs", type=int, default=5)
    args = parser.parse_args(argv)
    signer = DevSigner.generate()
    with PostgresServer() as pg, MotoServer() as aws:
        eu = provision(pg, aws.endpoint, signer, jurisdictions=("eu",))["eu"]
        settings = eu.settings.model_copy(update={"db_pool_min": 0, "db_pool_max": 2})
        eu = dataclasses.replace(eu, settings=settings)
        operator = {"authorization": f"Bearer {signer.token('op', 'eu', Role.OPERATOR)}"}
        uv = UvicornTransport(eu)
        lam = LambdaTransport(eu)
        try:
            created = uv.request("POST", "/v1/users", headers=operator, body=unique_person())
            user_id = created.json()["id"]
            auth = {"authorization": f"Bearer {signer.token(user_id, 'eu', Role.USER)}"}
            path = f"/v1/users/{user_id}"
            events: list[dict[str, object]] = [
                v2_event(
                    "GET",
                    p,
                    headers={ORIGIN_HEADER: ORIGIN_SECRET, **h},
                    body=None,
                    params=None,
                    shape="http-api",
                )
                for p, h in (("/v1/health", {}), (path, auth))
            ]
            cold = cold_starts(settings, events, args.cold_runs)
            print(f"cold start (median of {args.cold_runs} fresh interpreters):")
            print(f"  import app.lambda_api      {cold['import'] * 1000:8.1f} ms")
            print(f"  first event (app + pools)  {cold['first_event'] * 1000:8.1f} ms")
            print(f"  first database request     {cold['first_db_request'] * 1000:8.1f} ms")
            print(f"per request ({args.requests} sequential, warm):")
            for label, p, h in (
                ("GET /v1/users/{id}", path, auth),
                ("GET /v1/health", "/v1/health", {}),
            ):
                figures = {
                    t.name: latencies(functools.partial(_status, t, p, h), args.requests)
                    for t in (uv, lam)
                }
                base, via = figures["uvicorn"], figures["lambda-http-api"]
                for name, values in figures.items():
                    print(
                        f"  {label:20} {name:16} p50 {pct(values, 0.5):6.2f} ms  "
                        f"p99 {pct(values, 0.99):6.2f} ms"
                    )
                print(
                    f"  {label:20} {'lambda - uvicorn':16} p50 "
                    f"{pct(via, 0.5) - pct(base, 0.5):+6.2f} ms"
                )
        finally:
            uv.close()
            lam.close()


if __name__ == "__main__":
    main()
