"""boto3 clients built from settings: moto's server in the local run, AWS otherwise."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from app.settings import Settings

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=3,
    read_timeout=10,
)


def client(service: str, settings: Settings, region: str | None = None) -> Any:
    """A client for ``service`` in ``region`` (default: this deployment's region)."""
    # Typed as Any: the service name is a runtime value, so no stub overload applies.
    factory: Any = boto3.client
    return factory(
        service,
        region_name=region or settings.region,
        endpoint_url=settings.aws_endpoint_url,
        config=_CONFIG,
    )
