"""JSON errors with machine-readable codes, and the handlers that produce them.

Messages never echo request values: a rejected e-mail address must not come back in a
log line or an error body that a proxy might record.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("app.errors")


class ErrorDetail(BaseModel):
    code: str
    message: str
    jurisdiction: str | None = None
    api: str | None = None
    fields: list[dict[str, str]] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """Raise from anywhere in a request; becomes ``{"error": {...}}`` with ``status``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


#: OpenAPI entries for the error statuses routes share.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "missing, forged, expired or wrong-algorithm token"},
    403: {"model": ErrorBody, "description": "refused by the residency guard or the role check"},
    413: {"model": ErrorBody, "description": "request body larger than the configured limit"},
    422: {
        "model": ErrorBody,
        "description": "malformed request: invalid fields, control characters, a body that "
        "is not UTF-8 or JSON nested too deep",
    },
    503: {
        "model": ErrorBody,
        "description": "the user's shard is unavailable or did not answer in time; see Retry-After",
    },
}

_STATUS_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # pydantic's own messages are clear ("Field required", "String should match pattern
    # ..."); its "input" echo is dropped on purpose.
    fields = [{"loc": _where(e["loc"]), "message": e["msg"]} for e in exc.errors()]
    summary = "; ".join(f"{f['loc']}: {f['message']}" for f in fields[:5])
    body = {"error": {"code": "invalid_request", "message": summary, "fields": fields}}
    return JSONResponse(body, status_code=422)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    body = {"error": {"code": code, "message": str(exc.detail)}}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
