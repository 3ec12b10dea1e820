"""One matrix, every transport: the API answers the same through uvicorn (EKS mode) and
through the Lambda handler fed HTTP API and function URL payload v2 events (Lambda mode),
against the same real PostgreSQL shards."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import psycopg
import pytest

from app.auth.dev import DevSigner
from app.auth.tokens import Role
from app.lambda_api import ORIGIN_HEADER
from app.local import LocalJurisdiction
from tests.app.api_support import unique_person
from tests.app.transports import LambdaTransport, Transport, UvicornTransport, v2_event

pytestmark = pytest.mark.services

TRANSPORTS = ("uvicorn", "lambda-http-api", "lambda-function-url")
#: Headers the app itself sets on every response (app/middleware.py).
APP_HEADERS = ("content-type", "x-content-type-options", "x-frame-options", "cache-control")


def _make(name: str, local: LocalJurisdiction) -> Transport:
    if name == "uvicorn":
        return UvicornTransport(local)
    return LambdaTransport(local, shape=name.removeprefix("lambda-"))


@pytest.fixture(scope="module")
def transports(platform: dict[str, LocalJurisdiction]) -> Iterator[dict[str, Transport]]:
    built = {name: _make(name, platform["eu"]) for name in TRANSPORTS}
    yield built
    for t in built.values():
        t.close()


@pytest.fixture(params=TRANSPORTS)
def via(request: pytest.FixtureRequest, transports: dict[str, Transport]) -> Transport:
    return transports[request.param]


def _auth(
    signer: DevSigner, subject: int | str, role: Role, jurisdiction: str = "eu"
) -> dict[str, str]:
    return {"authorization": f"Bearer {signer.token(subject, jurisdiction, role)}"}


def test_health_is_served(via: Transport) -> None:
    reply = via.request("GET", "/v1/health")
    assert reply.status == 200
    assert reply.headers["cache-control"] == "no-store"


def test_sign_up_read_change_and_list(
    via: Transport, signer: DevSigner, platform: dict[str, LocalJurisdiction]
) -> None:
    person = unique_person()
    created = via.request(
        "POST", "/v1/users", headers=_auth(signer, "op", Role.OPERATOR), body=person
    )
    assert created.status == 201, created.body
    user = created.json()
    assert user["email"] == person["email"]
    as_user = _auth(signer, user["id"], Role.USER)
    read = via.request("GET", f"/v1/users/{user['id']}", headers=as_user)
    assert (read.status, read.json()["full_name"]) == (200, person["full_name"])
    changed = via.request(
        "PATCH", f"/v1/users/{user['id']}", headers=as_user, body={"phone": "+49 30 1234"}
    )
    assert (changed.status, changed.json()["phone"]) == (200, "+49 30 1234")
    for amount in (100, 200, 300):
        tx = via.request(
            "POST",
            f"/v1/users/{user['id']}/transactions",
            headers=as_user,
            body={"amount_minor": amount, "currency": "EUR", "direction": "debit"},
        )
        assert tx.status == 201, tx.body
    page = via.request(
        "GET", f"/v1/users/{user['id']}/transactions", headers=as_user, params={"limit": 2}
    )
    assert page.status == 200
    assert [t["amount_minor"] for t in page.json()["items"]] == [300, 200]
    # The rows are really in the shard the map names.
    local = platform["eu"]
    dsn = local.dsns[local.shard_map.lookup(user["id"]).index]
    with psycopg.connect(dsn) as conn:
        count = conn.execute(
            "SELECT count(*) FROM transactions WHERE user_id = %s", (user["id"],)
        ).fetchone()
    assert count == (3,)


def test_idempotent_retry_returns_the_same_transaction(via: Transport, signer: DevSigner) -> None:
    op = _auth(signer, "op", Role.OPERATOR)
    user = via.request("POST", "/v1/users", headers=op, body=unique_person()).json()
    headers = {**op, "idempotency-key": f"retry-{via.name}-{user['id']}"}
    body = {"amount_minor": 777, "currency": "EUR", "direction": "credit"}
    first = via.request("POST", f"/v1/users/{user['id']}/transactions", headers=headers, body=body)
    again = via.request("POST", f"/v1/users/{user['id']}/transactions", headers=headers, body=body)
    assert first.status in (200, 201)
    assert again.status in (200, 201)
    assert first.json()["id"] == again.json()["id"]


def test_refusals_are_the_same(via: Transport, signer: DevSigner) -> None:
    missing = via.request("GET", "/v1/users/5")
    assert (missing.status, missing.json()["error"]["code"]) == (401, "missing_token")
    op = _auth(signer, "op", Role.OPERATOR)
    foreign = via.request("GET", "/v1/users/1000005", headers=op)
    assert (foreign.status, foreign.json()["error"]["code"]) == (403, "user_outside_jurisdiction")
    wrong = via.request("GET", "/v1/users/5", headers=_auth(signer, "op", Role.OPERATOR, "us"))
    assert (wrong.status, wrong.json()["error"]["code"]) == (403, "wrong_jurisdiction")
    bad = via.request("POST", "/v1/users", headers=op, body={"email": 5})
    assert (bad.status, bad.json()["error"]["code"]) == (422, "invalid_request")


def test_export_and_erasure(via: Transport, signer: DevSigner) -> None:
    op = _auth(signer, "op", Role.OPERATOR)
    person = unique_person()
    user = via.request("POST", "/v1/users", headers=op, body=person).json()
    exported = via.request("GET", f"/v1/users/{user['id']}/export", headers=op)
    assert exported.status == 200
    assert person["email"] in exported.body.decode()
    erased = via.request("POST", f"/v1/users/{user['id']}/erasure", headers=op)
    assert erased.status == 200, erased.body
    after = via.request("GET", f"/v1/users/{user['id']}/export", headers=op)
    assert person["email"] not in after.body.decode()


def test_every_transport_gives_the_same_reply(
    transports: dict[str, Transport], signer: DevSigner
) -> None:
    op = _auth(signer, "op", Role.OPERATOR)
    user = transports["uvicorn"].request("POST", "/v1/users", headers=op, body=unique_person())
    path = f"/v1/users/{user.json()['id']}"
    cases = [("GET", path, op), ("GET", "/v1/users/1000005", op), ("GET", path, {})]
    for method, p, headers in cases:
        replies = {name: t.request(method, p, headers=headers) for name, t in transports.items()}
        first = replies["uvicorn"]
        for name, reply in replies.items():
            assert (reply.status, reply.json()) == (first.status, first.json()), name
            for header in APP_HEADERS:
                assert reply.headers.get(header) == first.headers.get(header), (name, header)


def test_lambda_refuses_requests_that_bypass_the_edge(transports: dict[str, Transport]) -> None:
    lam = transports["lambda-http-api"]
    assert isinstance(lam, LambdaTransport)
    for given in ({}, {ORIGIN_HEADER: "guess"}):
        reply = lam.invoke(
            v2_event("GET", "/v1/health", headers=given, body=None, params=None, shape="http-api")
        )
        assert (reply.status, reply.json()["error"]["code"]) == (403, "not_through_edge")


def test_lambda_reads_a_base64_body(transports: dict[str, Transport], signer: DevSigner) -> None:
    lam = transports["lambda-http-api"]
    assert isinstance(lam, LambdaTransport)
    person = unique_person()
    reply = lam.request(
        "POST",
        "/v1/users",
        headers=_auth(signer, "op", Role.OPERATOR),
        body=person,
        base64_body=True,
    )
    assert (reply.status, reply.json()["email"]) == (201, person["email"])


def test_lambda_pools_stay_open_and_bounded_between_invocations(
    transports: dict[str, Transport], signer: DevSigner
) -> None:
    lam = transports["lambda-http-api"]
    assert isinstance(lam, LambdaTransport)
    op = _auth(signer, "op", Role.OPERATOR)
    user = lam.request("POST", "/v1/users", headers=op, body=unique_person()).json()
    ctx = lam.api.app.state.ctx
    for _ in range(5):
        assert lam.request("GET", f"/v1/users/{user['id']}", headers=op).status == 200
    for pool in ctx.router.pools().values():
        stats = pool.get_stats()
        assert not pool.closed
        assert stats["pool_size"] <= pool.max_size


def test_lambda_logs_no_concrete_path(
    transports: dict[str, Transport], signer: DevSigner, caplog: pytest.LogCaptureFixture
) -> None:
    lam = transports["lambda-http-api"]
    op = _auth(signer, "op", Role.OPERATOR)
    user = lam.request("POST", "/v1/users", headers=op, body=unique_person()).json()
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        assert lam.request("GET", f"/v1/users/{user['id']}", headers=op).status == 200
    assert caplog.records, "the request is logged"
    assert not [r for r in caplog.records if str(user["id"]) in r.getMessage()]
