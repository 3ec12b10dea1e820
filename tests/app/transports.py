"""The API served two ways, behind one interface: uvicorn on 127.0.0.1 (what the pods run)
and the Lambda handler fed HTTP API / function URL payload v2 events (Lambda mode)."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn

from app.lambda_api import ORIGIN_HEADER, LambdaApi
from app.local import LocalJurisdiction
from app.main import create_app

ORIGIN_SECRET = "test-origin-secret-" + uuid.uuid4().hex  # made per run


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class UvicornTransport:
    name = "uvicorn"

    def __init__(self, local: LocalJurisdiction) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        config = uvicorn.Config(
            create_app(local.settings, local.shard_map),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        self._client = httpx.Client(base_url=f"http://127.0.0.1:{port}")

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Reply:
        content = None if body is None else json.dumps(body).encode()
        sent = {**(headers or {}), **({"content-type": "application/json"} if content else {})}
        r = self._client.request(method, path, headers=sent, content=content, params=params)
        return Reply(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content)

    def close(self) -> None:
        self._client.close()
        self._server.should_exit = True
        self._thread.join(timeout=10)


def v2_event(
    method: str,
    path: str,
    *,
    headers: dict[str, str],
    body: bytes | None,
    params: dict[str, Any] | None,
    shape: str,
    base64_body: bool = False,
) -> dict[str, Any]:
    """A payload v2 event as API Gateway's HTTP API (or a function URL) sends it."""
    domain = (
        "abc123.execute-api.eu-central-1.amazonaws.com"
        if shape == "http-api"
        else "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-central-1.on.aws"
    )
    query = urlencode(params or {})
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "host": domain,
            "x-forwarded-proto": "https",
            "x-forwarded-for": "192.0.2.10",
            **{k.lower(): v for k, v in headers.items()},
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": domain.split(".")[0],
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.10",
                "userAgent": "test",
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": "$default",
            "time": "01/Dec/2026:09:00:00 +0000",
            "timeEpoch": 1_796_115_600_000,
        },
        "isBase64Encoded": base64_body,
    }
    if params:
        event["queryStringParameters"] = {k: str(v) for k, v in params.items()}
    if shape == "http-api":
        event["requestContext"]["stage"] = "$default"
    if body is not None:
        event["body"] = base64.b64encode(body).decode() if base64_body else body.decode()
    return event


class LambdaTransport:
    def __init__(self, local: LocalJurisdiction, shape: str = "http-api") -> None:
        self.name = f"lambda-{shape}"
        self.shape = shape
        self.api = LambdaApi(create_app(local.settings, local.shard_map), ORIGIN_SECRET)

    def invoke(self, event: dict[str, Any]) -> Reply:
        result = self.api(event, None)
        raw = result.get("body") or ""
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
        headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
        if result.get("cookies"):
            headers["set-cookie"] = ", ".join(result["cookies"])
        return Reply(int(result["statusCode"]), headers, body)

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        params: dict[str, Any] | None = None,
        base64_body: bool = False,
    ) -> Reply:
        content = None if body is None else json.dumps(body).encode()
        sent = {
            ORIGIN_HEADER: ORIGIN_SECRET,
            **(headers or {}),
            **({"content-type": "application/json"} if content else {}),
        }
        return self.invoke(
            v2_event(
                method,
                path,
                headers=sent,
                body=content,
                params=params,
                shape=self.shape,
                base64_body=base64_body,
            )
        )

    def close(self) -> None:
        self.api.close()


Transport = UvicornTransport | LambdaTransport
