"""ASGI middleware: security headers, the request log and the last-resort error boundary.

Plain ASGI rather than ``BaseHTTPMiddleware``: cheaper per request, and it sees the
matched route template so that logs name ``/v1/users/{user_id}``, never a concrete ID.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

import psycopg
from psycopg_pool import PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("app.request")

#: The same set the edge (CloudFront response-headers policy) sends. An API serves no
#: HTML, so the CSP allows nothing at all; personal data must never sit in a cache.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains; preload"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cache-control", b"no-store"),
)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = str(value.decode("latin-1"))
            if _REQUEST_ID.match(text):
                return text
    return uuid.uuid4().hex


def _error_response(status: int, code: str, message: str) -> tuple[Message, Message]:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


class ApiMiddleware:
    """Adds the headers, logs one line per request, and turns crashes into JSON 500/503."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id  # request.state.request_id
        status = 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", ()))
                headers.extend(SECURITY_HEADERS)
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # Exception text can hold row values (psycopg puts the conflicting key in it),
            # so only the class and SQLSTATE are logged, and nothing is re-raised for the
            # server to print with a traceback.
            sqlstate = getattr(exc, "sqlstate", None)
            log.error(
                "unhandled %s sqlstate=%s request_id=%s",
                type(exc).__name__,
                sqlstate,
                request_id,
            )
            if not response_started:
                if isinstance(exc, PoolTimeout | psycopg.OperationalError):
                    start, body = _error_response(
                        503, "database_unavailable", "the shard database is unavailable"
                    )
                else:
                    start, body = _error_response(500, "internal", "internal error")
                await send_with_headers(start)
                await send(body)
        finally:
            route: Any = scope.get("route")
            log.info(
                "%s %s %d %.1fms request_id=%s",
                scope["method"],
                getattr(route, "path", "<unmatched>"),
                status,
                (time.perf_counter() - started) * 1000,
                request_id,
            )
