"""The API on Lambda: the same application (:func:`app.main.create_app`, same guard, router
and settings) behind API Gateway's HTTP API, through Mangum.

- Events are HTTP API payload v2 (a function URL sends the same shape).
- The app's lifespan (opening the shard pools) runs once per execution environment, at
  cold start, on the loop Mangum runs every request on. Mangum's own lifespan handling
  would open and close the pools around each request: no connection would be reused.
- Every pool is bounded (``GDPR_API_DB_POOL_MAX``, 2 in Lambda mode) and starts empty
  (``GDPR_API_DB_POOL_MIN`` 0), so an environment holds only what its requests used.
- The HTTP API has a public endpoint. CloudFront adds a secret header to every origin
  request (``x-origin-verify``); a request without it is refused here, before the app, so
  the API is reached only through the edge and its headers policy.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from typing import Any

from fastapi import FastAPI
from mangum import Mangum
from mangum.protocols import LifespanCycle

from app.main import create_app

#: The header CloudFront sets on origin requests (components/edge.py).
ORIGIN_HEADER = "x-origin-verify"
#: Where the function finds the header's value (environment, encrypted with the CMK).
ORIGIN_SECRET_ENV = "GDPR_EDGE_ORIGIN_SECRET"


# Mangum logs each request's concrete path (user IDs) at INFO; the app's own request log
# names the route template instead (app/middleware.py).
logging.getLogger("mangum").setLevel(logging.WARNING)


def _refused() -> dict[str, Any]:
    body = {"error": {"code": "not_through_edge", "message": "use the API's public address"}}
    return {
        "statusCode": 403,
        "headers": {"content-type": "application/json", "cache-control": "no-store"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


class LambdaApi:
    """One execution environment's API: the app started once, then one event at a time."""

    def __init__(self, app: FastAPI, origin_secret: str | None) -> None:
        self.app = app
        self._origin_secret = origin_secret.encode() if origin_secret else None
        self._adapter = Mangum(app, lifespan="off")
        self._lifespan = LifespanCycle(app, "on")
        self._lifespan.__enter__()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        if self._origin_secret is not None:
            headers = event.get("headers") or {}
            given = str(headers.get(ORIGIN_HEADER, "")).encode()
            if not hmac.compare_digest(given, self._origin_secret):
                return _refused()
        return dict(self._adapter(event, context))

    def close(self) -> None:
        """Close the pools (tests and the benchmark; Lambda just freezes the environment)."""
        self._lifespan.__exit__(None, None, None)


_api: LambdaApi | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The function's entry point (``app.lambda_api.handler``)."""
    global _api
    if _api is None:
        _api = LambdaApi(create_app(), os.environ.get(ORIGIN_SECRET_ENV))
    return _api(event, context)
