"""Secrets Manager values, cached per Lambda container with a short TTL.

The cache saves one API call per invocation; the TTL (and ``refresh=True`` on an auth
failure) makes a rotated secret take effect without a redeploy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types_boto3_secretsmanager import SecretsManagerClient


class SecretCache:
    def __init__(
        self,
        client: SecretsManagerClient,
        ttl_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._values: dict[str, tuple[float, str]] = {}

    def get(self, secret_id: str, *, refresh: bool = False) -> str:
        with self._lock:
            cached = self._values.get(secret_id)
            if cached and not refresh and self._clock() - cached[0] < self._ttl_s:
                return cached[1]
        response = self._client.get_secret_value(SecretId=secret_id)
        value = response.get("SecretString")
        if value is None:
            raise ValueError(f"secret {secret_id} has no SecretString (binary secrets unsupported)")
        with self._lock:
            self._values[secret_id] = (self._clock(), value)
        return value
