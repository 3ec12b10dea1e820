"""A TCP proxy on 127.0.0.1 that injects the faults a network and a remote service cause.

Put it between a client and a real server (moto, PostgreSQL) and, while traffic flows:
- ``refuse()`` / ``accept()``: close and reopen the listening socket on the same port, so
  new connections are refused, as with a service that is down or not reachable yet;
- ``drop_next_response()``: forward the next request, then close both sides when the
  server's final answer arrives, as with an answer lost on the way back (the server did
  the work);
- ``delay_s``: hold every chunk this long in both directions, as with a slow link.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from types import TracebackType

from devservices.postgres import free_port

_CHUNK = 65536


class FaultProxy:
    """``with FaultProxy(upstream_port) as proxy:`` then connect to ``proxy.port``."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.host = "127.0.0.1"
        self.port = free_port()
        self.delay_s = 0.0
        self.dropped_responses = 0
        self._drop_next = threading.Event()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- control -------------------------------------------------------------------------

    def accept(self) -> None:
        """Listen (again) on the same port."""
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            listener.listen(128)
            self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()

    def refuse(self, *, cut_open: bool = True) -> None:
        """Stop listening (new connections are refused); ``cut_open`` also resets the open ones."""
        with self._lock:
            listener, self._listener = self._listener, None
            conns = list(self._conns) if cut_open else []
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for conn in conns:
            _abort(conn)

    def drop_next_response(self) -> None:
        self._drop_next.set()

    # -- plumbing ------------------------------------------------------------------------

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # refused() or stopped
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _abort(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._conns.update((client, server))
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_server: bool) -> None:
        try:
            while True:
                data = src.recv(_CHUNK)
                if not data:
                    break
                # An interim "100 Continue" (boto3 sends Expect on PUTs) is not the answer:
                # dropping it would stop the request before the server did the work.
                interim = data.startswith(b"HTTP/1.1 100 ")
                if from_server and self._drop_next.is_set() and not interim:
                    self._drop_next.clear()
                    with self._lock:
                        self.dropped_responses += 1
                    break
                if self.delay_s:
                    time.sleep(self.delay_s)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                _abort(sock)
                with self._lock:
                    self._conns.discard(sock)

    def start(self) -> FaultProxy:
        self.accept()
        return self

    def stop(self) -> None:
        self.refuse()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _abort(sock: socket.socket) -> None:
    """Cut the connection now: shutdown wakes a thread blocked reading it (close alone
    would wait for that read), and linger 0 turns the close into a reset."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
