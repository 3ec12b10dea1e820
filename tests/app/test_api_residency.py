"""The residency guard refuses before any database connection is taken.

Each refusal is checked two ways: the response (status and machine-readable code), and
psycopg_pool's own count of connections handed out by every pool of every shard, which
must not move.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from app.auth.dev import DevSigner
from app.auth.tokens import Role
from tests.app.api_support import Api

pytestmark = pytest.mark.services


def _claims(api: Api, **overrides: object) -> dict[str, object]:
    now = int(time.time())
    return {
        "sub": "op-1",
        "jurisdiction": api.jurisdiction,
        "role": "operator",
        "iss": api.signer.issuer,
        "aud": api.signer.audience,
        "iat": now,
        "exp": now + 600,
        **overrides,
    }


def forged(api: Api) -> str:
    other = DevSigner.generate()  # right claims, signed by a key the API does not trust
    return other.token("op-1", api.jurisdiction, Role.OPERATOR)


def expired(api: Api) -> str:
    return api.signer.token(
        "op-1", api.jurisdiction, Role.OPERATOR, ttl_s=60, now=time.time() - 3600
    )


def hs256_with_public_key(api: Api) -> str:
    # The classic algorithm-confusion attack: HMAC "signed" with the public key.
    return jwt.encode(_claims(api), api.signer.public_pem.encode().hex(), algorithm="HS256")


def alg_none(api: Api) -> str:
    return jwt.encode(_claims(api), "", algorithm="none")


def es384(api: Api) -> str:
    # Asymmetric, but not in this deployment's allow-list.
    key = ec.generate_private_key(ec.SECP384R1())
    return jwt.encode(_claims(api), key, algorithm="ES384")


def wrong_audience(api: Api) -> str:
    return jwt.encode(
        _claims(api, aud="someone-else"), api.signer.private_pem, algorithm=api.signer.algorithm
    )


def missing_jurisdiction(api: Api) -> str:
    claims = _claims(api)
    del claims["jurisdiction"]
    return jwt.encode(claims, api.signer.private_pem, algorithm=api.signer.algorithm)


def tampered(api: Api) -> str:
    token = api.signer.token("op-1", api.jurisdiction, Role.OPERATOR)
    header, payload, signature = token.split(".")
    other = api.signer.token("op-2", api.jurisdiction, Role.OPERATOR).split(".")[1]
    return ".".join((header, other if other != payload else payload, signature))


BAD_TOKENS: dict[str, Callable[[Api], str]] = {
    "forged": forged,
    "expired": expired,
    "hs256-public-key": hs256_with_public_key,
    "alg-none": alg_none,
    "algorithm-not-allowed": es384,
    "wrong-audience": wrong_audience,
    "missing-claim": missing_jurisdiction,
    "tampered": tampered,
    "garbage": lambda _: "not.a.jwt",
}


def _no_checkouts(api: Api, method: str, path: str, headers: dict[str, str]) -> dict[str, object]:
    before = api.ctx.router.checkouts()
    response = api.client.request(method, path, headers=headers, json={"amount_minor": 1})
    assert api.ctx.router.checkouts() == before, "a refused request took a connection"
    body: dict[str, object] = {"status": response.status_code, **response.json()["error"]}
    return body


@pytest.mark.parametrize("make", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/users/{id}"), ("POST", "/v1/users/{id}/erasure"), ("POST", "/v1/users")],
)
def test_bad_token_is_refused_without_touching_a_shard(
    eu: Api, make: Callable[[Api], str], method: str, path: str
) -> None:
    user_id = eu.local.shard_map.shards[0].start + 5
    error = _no_checkouts(
        eu, method, path.format(id=user_id), {"Authorization": f"Bearer {make(eu)}"}
    )
    assert error["status"] == 401
    assert error["code"] == "invalid_token"


def test_missing_token(eu: Api) -> None:
    error = _no_checkouts(eu, "GET", "/v1/users/5", {})
    assert (error["status"], error["code"]) == (401, "missing_token")


def test_expired_token_names_the_reason(eu: Api) -> None:
    error = _no_checkouts(eu, "GET", "/v1/users/5", {"Authorization": f"Bearer {expired(eu)}"})
    assert error["message"] == "token expired"


def test_token_of_another_jurisdiction_gets_the_right_api(eu: Api, us: Api) -> None:
    us_user = us.create_user()
    # A valid us token, presented to the eu API, for a us user.
    error = _no_checkouts(eu, "GET", f"/v1/users/{us_user['id']}", us.as_user(us_user["id"]))
    assert error == {
        "status": 403,
        "code": "wrong_jurisdiction",
        "message": error["message"],
        "jurisdiction": "us",
        "api": "https://api.us.example",
    }


@pytest.mark.parametrize("user_id", [1_000_000, 1_000_001, 1_999_999, 2_000_000, 10**12])
def test_operator_cannot_reach_a_foreign_user_id(eu: Api, user_id: int) -> None:
    error = _no_checkouts(eu, "GET", f"/v1/users/{user_id}", eu.operator())
    assert (error["status"], error["code"]) == (403, "user_outside_jurisdiction")
    in_us_block = 1_000_000 <= user_id < 2_000_000
    assert error["api"] == ("https://api.us.example" if in_us_block else None)


def test_eu_id_on_the_us_api_is_refused(us: Api) -> None:
    error = _no_checkouts(us, "POST", "/v1/users/7/transactions", us.operator())
    assert (error["status"], error["code"], error["jurisdiction"]) == (
        403,
        "user_outside_jurisdiction",
        "eu",
    )


def test_user_token_with_a_foreign_subject_is_refused(eu: Api) -> None:
    # Signed by the trusted issuer, claims eu, but names a us user: refuse, whatever path.
    headers = {"Authorization": f"Bearer {eu.signer.token(1_000_123, 'eu', Role.USER)}"}
    error = _no_checkouts(eu, "GET", "/v1/users/1000123", headers)
    assert (error["status"], error["code"]) == (403, "subject_outside_jurisdiction")


def test_user_cannot_act_on_someone_elses_record(eu: Api) -> None:
    owner, other = eu.create_user(), eu.create_user()
    for method, suffix in (("GET", ""), ("GET", "/export"), ("POST", "/erasure")):
        error = _no_checkouts(
            eu, method, f"/v1/users/{owner['id']}{suffix}", eu.as_user(other["id"])
        )
        assert (error["status"], error["code"]) == (403, "not_your_record")


def test_only_operators_sign_users_up(eu: Api) -> None:
    before = eu.ctx.router.checkouts()
    response = eu.client.post(
        "/v1/users", json={"email": "a@b.org", "full_name": "A"}, headers=eu.as_user(5)
    )
    assert (response.status_code, response.json()["error"]["code"]) == (403, "operator_only")
    assert eu.ctx.router.checkouts() == before


def test_allowed_request_does_take_a_connection(eu: Api) -> None:
    # The counter the refusals rely on does move for a request the guard lets through.
    user = eu.create_user()
    before = eu.ctx.router.checkouts()
    assert (
        eu.client.get(f"/v1/users/{user['id']}", headers=eu.as_user(user["id"])).status_code == 200
    )
    after = eu.ctx.router.checkouts()
    assert sum(after.values()) == sum(before.values()) + 1
