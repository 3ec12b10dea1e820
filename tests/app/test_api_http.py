"""HTTP surface: security headers on every response, JSON errors, health, readiness and
an OpenAPI document that matches the routes."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from app.middleware import SECURITY_HEADERS
from tests.app.api_support import Api

pytestmark = pytest.mark.services

EXPECTED_HEADERS = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}


@pytest.mark.parametrize(
    ("method", "path", "auth", "status"),
    [
        ("GET", "/v1/health", False, 200),
        ("GET", "/v1/ready", False, 200),
        ("GET", "/v1/openapi.json", False, 200),
        ("GET", "/v1/users/5", False, 401),
        ("GET", "/v1/users/1500000", True, 403),
        ("GET", "/v1/users/59999", True, 404),
        ("GET", "/v1/nowhere", False, 404),
        ("DELETE", "/v1/health", False, 405),
        ("POST", "/v1/users", True, 422),
    ],
)
def test_security_headers_on_every_response(
    eu: Api, method: str, path: str, auth: bool, status: int
) -> None:
    headers = eu.operator() if auth else {}
    response = eu.client.request(method, path, headers=headers, json={"bad": 1})
    assert response.status_code == status
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert response.headers["x-request-id"]
    if status >= 400:
        assert set(response.json()["error"]) >= {"code", "message"}


def test_request_id_is_echoed_when_sane(eu: Api) -> None:
    ok = eu.client.get("/v1/health", headers={"X-Request-ID": "abc-123"})
    bad = eu.client.get("/v1/health", headers={"X-Request-ID": "<script>"})
    assert ok.headers["x-request-id"] == "abc-123"
    assert bad.headers["x-request-id"] != "<script>"


def test_health_and_readiness(eu: Api, us: Api) -> None:
    assert eu.client.get("/v1/health").json() == {"status": "ok", "jurisdiction": "eu"}
    ready = us.client.get("/v1/ready").json()
    assert ready == {"status": "ok", "shards_serving": 2, "shards_total": 2}
    shards = us.client.get("/v1/health/shards").json()
    assert shards["status"] == "ok"
    assert {
        (name, role, endpoint["state"])
        for name, roles in shards["shards"].items()
        for role, endpoint in roles.items()
    } == {(s, r, "up") for s in ("shard-00", "shard-01") for r in ("writer", "reader")}


def test_openapi_document_is_valid_and_matches_the_routes(eu: Api) -> None:
    doc = eu.client.get("/v1/openapi.json").json()
    validate(doc)
    paths = {(method.upper(), path) for path, item in doc["paths"].items() for method in item}
    assert paths == {
        ("GET", "/v1/health"),
        ("GET", "/v1/ready"),
        ("GET", "/v1/health/shards"),
        ("POST", "/v1/users"),
        ("GET", "/v1/users/{user_id}"),
        ("PATCH", "/v1/users/{user_id}"),
        ("POST", "/v1/users/{user_id}/transactions"),
        ("GET", "/v1/users/{user_id}/transactions"),
        ("GET", "/v1/users/{user_id}/export"),
        ("POST", "/v1/users/{user_id}/erasure"),
    }
    # Documented 422s are our error body, not FastAPI's default shape.
    create = doc["paths"]["/v1/users"]["post"]["responses"]
    assert create["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert {"201", "401", "403", "409"} <= set(create)
    assert "HTTPBearer" in doc["components"]["securitySchemes"]


def test_a_crash_is_a_json_500_that_logs_no_values(
    eu: Api, caplog: pytest.LogCaptureFixture
) -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app

    app = create_app(eu.local.settings, eu.local.shard_map)

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("duplicate key value (email)=(leak@example.org)")

    with TestClient(app) as client:  # its own pools, closed on exit
        response = client.get("/v1/boom")
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal", "message": "internal error"}}
    assert response.headers["x-frame-options"] == "DENY"
    assert "RuntimeError" in caplog.text
    assert "leak@example.org" not in caplog.text
