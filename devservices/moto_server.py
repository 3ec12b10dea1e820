"""moto's server mode on 127.0.0.1: a real HTTP endpoint that boto3 talks to."""

from __future__ import annotations

import logging
from types import TracebackType

from moto.server import ThreadedMotoServer

from devservices.postgres import free_port


class MotoServer:
    """``with MotoServer() as aws:`` then pass ``endpoint_url=aws.endpoint`` to boto3."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    def start(self) -> MotoServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
