"""A local stand-in for the auditing institution: a real HTTP server on 127.0.0.1.

It behaves like an idempotent receiving API: the first accepted request per
``Idempotency-Key`` is recorded as the delivery, a repeated key is answered 200 again without
a second delivery. Tests script it per key: fail N times with a status, always answer a
status, hang (optionally after recording the delivery, as a server that accepted the file
but whose answer never arrived).
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass(frozen=True, slots=True)
class Attempt:
    idempotency_key: str
    answer: str  # "200", "500", "hang", ...


@dataclass(slots=True)
class _Script:
    status: int
    times: int | None  # None: every time
    hang_s: float = 0.0
    record_before_hang: bool = False
    retry_after: str | None = None


class InstitutionStub:
    def __init__(self, token: str) -> None:
        self.expected_authorization = f"Bearer {token}"
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.deliveries: dict[str, bytes] = {}
        self.content_types: dict[str, str] = {}
        self.attempts: list[Attempt] = []
        self._scripts: dict[str, list[_Script]] = {}
        self.latency_s = 0.0  # added to every answer, to model a remote institution
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/audit-files"

    # -- scripting ---------------------------------------------------------------------------
    def fail(
        self, key: str, status: int, times: int | None = None, retry_after: str | None = None
    ) -> None:
        self._add(key, _Script(status=status, times=times, retry_after=retry_after))

    def hang(self, key: str, seconds: float, *, times: int = 1, record_first: bool = False) -> None:
        self._add(
            key, _Script(status=200, times=times, hang_s=seconds, record_before_hang=record_first)
        )

    def set_token(self, token: str) -> None:
        self.expected_authorization = f"Bearer {token}"

    def reset(self) -> None:
        with self._lock:
            self.deliveries.clear()
            self.content_types.clear()
            self.attempts.clear()
            self._scripts.clear()
            self.latency_s = 0.0

    def attempts_for(self, key: str) -> list[Attempt]:
        with self._lock:
            return [a for a in self.attempts if a.idempotency_key == key]

    def _add(self, key: str, script: _Script) -> None:
        with self._lock:
            self._scripts.setdefault(key, []).append(script)

    def _next_script(self, key: str) -> _Script | None:
        with self._lock:
            scripts = self._scripts.get(key, [])
            while scripts:
                script = scripts[0]
                if script.times is None:
                    return script
                if script.times > 0:
                    script.times -= 1
                    if script.times == 0:
                        scripts.pop(0)
                    return script
                scripts.pop(0)
            return None

    # -- serving -----------------------------------------------------------------------------
    def _handle(
        self, request: BaseHTTPRequestHandler
    ) -> tuple[int, dict[str, str], dict[str, object]] | None:
        length = int(request.headers.get("Content-Length", "0"))
        body = request.rfile.read(length)
        if request.headers.get("Authorization") != self.expected_authorization:
            return 401, {}, {"error": "unauthorized"}
        key = request.headers.get("Idempotency-Key", "")
        if len(key) != 64:
            return 400, {}, {"error": "Idempotency-Key required"}
        expected_digest = (
            "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"
        )
        if request.headers.get("Content-Digest") != expected_digest:
            return 400, {}, {"error": "Content-Digest mismatch"}
        if self.latency_s:
            self._release.wait(self.latency_s)
        script = self._next_script(key)
        if script is not None and script.hang_s:
            if script.record_before_hang:
                self._record(key, body, request.headers.get("Content-Type", ""))
            with self._lock:
                self.attempts.append(Attempt(key, "hang"))
            self._release.wait(script.hang_s)
            return None  # the client gave up long ago: just close
        if script is not None:
            with self._lock:
                self.attempts.append(Attempt(key, str(script.status)))
            headers = {"Retry-After": script.retry_after} if script.retry_after else {}
            return script.status, headers, {"error": "scripted"}
        duplicate = not self._record(key, body, request.headers.get("Content-Type", ""))
        with self._lock:
            self.attempts.append(Attempt(key, "200"))
        return 200, {}, {"status": "duplicate" if duplicate else "accepted"}

    def _record(self, key: str, body: bytes, content_type: str) -> bool:
        with self._lock:
            if key in self.deliveries:
                return False
            self.deliveries[key] = body
            self.content_types[key] = content_type
            return True

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real endpoint

            def setup(self) -> None:
                super().setup()
                # headers and body go out in two writes: without this, Nagle's algorithm
                # and the client's delayed ACK add ~40 ms to every answer
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                answer = stub._handle(self)
                if answer is None:
                    self.close_connection = True
                    return
                status, headers, payload = answer
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: pytest output stays readable

        return Handler

    def start(self) -> InstitutionStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # wake hanging handlers
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> InstitutionStub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
