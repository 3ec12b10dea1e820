"""ASGI middleware: security headers, the request log and the last-resort error boundary.

Plain ASGI rather than ``BaseHTTPMiddleware``: cheaper per request, and it sees the
matched route template so that logs name ``/v1/users/{user_id}``, never a concrete ID.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from typing import Any

import psycopg
from psycopg_pool import PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db.shard_health import EndpointHealth, held_endpoints

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


def _error_response(
    status: int,
    code: str,
    message: str,
    headers: tuple[tuple[bytes, bytes], ...] = (),
    **extra: Any,
) -> tuple[Message, Message]:
    body = json.dumps({"error": {"code": code, "message": message, **extra}}).encode()
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *headers,
        ],
    }
    return start, {"type": "http.response.body", "body": body}


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """True when JSON nests deeper than ``limit`` (strings ignored; syntax is not checked)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # every ordinary body: no scan at all
    depth = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub(b"", body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


class _BodyRefused(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


class ApiMiddleware:
    """Adds the headers, logs one line per request, bounds request bodies and request time,
    and turns crashes into JSON 500/503."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int = 1 << 20,
        max_json_depth: int = 32,
        request_timeout_s: float = 8.0,
        retry_after_s: int = 2,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth
        self.request_timeout_s = request_timeout_s
        self._retry_after = ((b"retry-after", str(retry_after_s).encode()),)
        self._abandoned: set[asyncio.Task[None]] = set()

    async def _read_body(self, scope: Scope, receive: Receive) -> Receive:
        """The whole body, refused past the limit while it streams in; a replaying receive."""
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body_bytes:
                raise _BodyRefused(
                    413, "payload_too_large", f"body exceeds {self.max_body_bytes} bytes"
                )
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return receive  # the client left; the app sees the disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _BodyRefused(
                    413, "payload_too_large", f"body exceeds {self.max_body_bytes} bytes"
                )
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise _BodyRefused(
                422,
                "invalid_request",
                "body: not valid UTF-8",
                fields=[{"loc": "body", "message": "not valid UTF-8"}],
            ) from None
        if json_depth_exceeds(body, self.max_json_depth):
            why = f"JSON nested deeper than {self.max_json_depth} levels"
            raise _BodyRefused(
                422, "invalid_request", f"body: {why}", fields=[{"loc": "body", "message": why}]
            )
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    async def _bounded(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Run the app; False when it did not answer within the request deadline.

        The app runs as its own task so the deadline can answer without waiting for it: a
        cancelled query on a frozen server would keep the cancelling task for many seconds.
        The shard endpoints the request held are taken out of service; the task finishes
        (and gives its connection back) in the background.
        """
        held: list[EndpointHealth] = []
        token = held_endpoints.set(held)
        try:
            task = asyncio.ensure_future(self.app(scope, receive, send))
        finally:
            held_endpoints.reset(token)
        try:
            done, _ = await asyncio.wait({task}, timeout=self.request_timeout_s)
        except BaseException:
            task.cancel()
            raise
        if done:
            task.result()  # re-raises the app's exception
            return True
        for endpoint in held:
            endpoint.trip("request deadline passed")
        task.cancel()
        self._abandoned.add(task)
        task.add_done_callback(self._forget)
        return False

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._abandoned.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log it as never retrieved

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id  # request.state.request_id
        status = 500
        response_started = False
        abandoned = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if abandoned:
                return  # the deadline already answered this request
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", ()))
                headers.extend(SECURITY_HEADERS)
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        async def answer(start: Message, body: Message) -> None:
            await send_with_headers(start)
            await send(body)

        try:
            if scope["method"] in _WITH_BODY:
                try:
                    receive = await self._read_body(scope, receive)
                except _BodyRefused as refused:
                    await answer(
                        *_error_response(
                            refused.status, refused.code, refused.message, **refused.extra
                        )
                    )
                    return
            if not await self._bounded(scope, receive, send_with_headers):
                if not response_started:
                    await answer(
                        *_error_response(
                            503,
                            "database_timeout",
                            "the shard database did not answer in time; retry later",
                            self._retry_after,
                        )
                    )
                abandoned = True
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
                    # Also statement_timeout (57014) and lock_timeout (55P03): both are
                    # OperationalErrors, and both mean "this shard cannot answer now".
                    await answer(
                        *_error_response(
                            503,
                            "database_unavailable",
                            "the shard database is unavailable; retry later",
                            self._retry_after,
                        )
                    )
                else:
                    await answer(*_error_response(500, "internal", "internal error"))
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


_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
