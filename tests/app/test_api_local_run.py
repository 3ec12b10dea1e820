"""``python -m app.local`` works as the README says: it starts, serves both APIs, and a
printed token and curl line do what they claim."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from devservices.postgres import free_port

pytestmark = pytest.mark.services
ROOT = Path(__file__).resolve().parents[2]


def _call(url: str, token: str | None = None, body: dict[str, object] | None = None) -> object:
    request = urllib.request.Request(  # noqa: S310  # loopback URL built right here
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.load(response)


def test_local_run_serves_eu_and_us() -> None:
    ports = {"eu": free_port(), "us": free_port()}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.local",
            "--port",
            f"eu={ports['eu']}",
            "--port",
            f"us={ports['us']}",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.strip() == "READY":
                break
        output = "".join(lines)
        assert "READY" in output, output[-2000:]
        tokens = dict(re.findall(r"export TOKEN_(EU|US)=(\S+)", output))
        assert set(tokens) == {"EU", "US"}
        assert f"curl -s http://127.0.0.1:{ports['eu']}/v1/ready" in output

        for name, port in ports.items():
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:  # the banner comes just before uvicorn binds
                try:
                    ready = _call(f"{base}/v1/ready")
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            assert ready == {"status": "ok", "shards_serving": 2, "shards_total": 2}
            user = _call(
                f"{base}/v1/users",
                tokens[name.upper()],
                {"email": "ada@example.org", "full_name": "Ada L"},
            )
            assert isinstance(user, dict)
            assert str(user["id"]) in output  # the printed curl lines name this first ID
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
