"""Hostile bytes get a declared 4xx naming what is wrong, never a 500 or an undeclared 400
(issue 10, defects 6-10)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from app.auth.dev import DevSigner
from app.auth.tokens import Role
from app.main import create_app
from tests.app.api_support import Api, unique_person

CONTROL_CHARACTERS = ["\x00", "\x01", "\x08", "\x1b", "\x7f"]


def _field_locs(response_body: dict[str, object]) -> set[str]:
    error = response_body["error"]
    assert isinstance(error, dict)
    return {f["loc"] for f in error["fields"]}


# -- 6: control characters ---------------------------------------------------------------


@pytest.mark.parametrize("char", CONTROL_CHARACTERS)
@pytest.mark.parametrize("field", ["email", "full_name", "address"])
def test_control_characters_in_sign_up_are_a_422_naming_the_field(
    eu: Api, field: str, char: str
) -> None:
    body = unique_person()
    body[field] = f"ab{char}cd" if field != "email" else f"a{char}b@example.org"
    response = eu.client.post("/v1/users", json=body, headers=eu.operator())
    assert response.status_code == 422, response.text
    assert f"body.{field}" in _field_locs(response.json())


@pytest.mark.parametrize("field", ["email", "full_name", "address"])
def test_nul_in_an_update_is_a_422_and_changes_nothing(eu: Api, field: str) -> None:
    user = eu.create_user()
    value = "x\x00y@example.org" if field == "email" else "Mallory\x00"
    response = eu.client.patch(
        f"/v1/users/{user['id']}", json={field: value}, headers=eu.as_user(user["id"])
    )
    assert response.status_code == 422, response.text
    assert f"body.{field}" in _field_locs(response.json())
    after = eu.client.get(f"/v1/users/{user['id']}", headers=eu.as_user(user["id"])).json()
    assert after[field] == user[field]


def test_nul_in_a_transaction_reference_is_a_422(eu: Api) -> None:
    user = eu.create_user()
    response = eu.client.post(
        f"/v1/users/{user['id']}/transactions",
        json={"amount_minor": 100, "currency": "EUR", "direction": "debit", "reference": "a\x00"},
        headers=eu.as_user(user["id"]),
    )
    assert response.status_code == 422, response.text
    assert "body.reference" in _field_locs(response.json())


# -- 7: a token the configured key cannot verify ----------------------------------------


@pytest.fixture(scope="module")
def lenient_algorithms_api(eu: Api) -> Iterator[TestClient]:
    """The API configured with an RSA key but allowing ES256 too, as a deployment might."""
    settings = eu.local.settings.model_copy(update={"jwt_algorithms": ("RS256", "ES256")})
    with TestClient(create_app(settings, eu.local.shard_map)) as client:
        yield client


def _foreign_token(signer: DevSigner, algorithm: str, key: object) -> str:
    claims = jwt.decode(
        signer.token("op-1", "eu", Role.OPERATOR), options={"verify_signature": False}
    )
    return jwt.encode(claims, key, algorithm=algorithm)  # type: ignore[arg-type]


def test_a_token_whose_algorithm_does_not_fit_the_key_is_a_401(
    eu: Api, lenient_algorithms_api: TestClient
) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    pem = ec_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    for token in (
        _foreign_token(eu.signer, "ES256", pem),  # header ES256, RSA verification key
        _foreign_token(eu.signer, "ES256", pem)[:-8] + "AAAAAAAA",  # and a mangled signature
    ):
        user = lenient_algorithms_api.get(
            "/v1/users/5", headers={"Authorization": f"Bearer {token}"}
        )
        assert user.status_code == 401, user.text
        assert user.json()["error"]["code"] == "invalid_token"


# -- 8: bodies that are not UTF-8 or nest too deep ---------------------------------------


def test_a_body_that_is_not_utf8_is_a_declared_422(eu: Api) -> None:
    raw = b'{"email": "a\xff\xfe@example.org", "full_name": "X"}'
    response = eu.client.post(
        "/v1/users",
        content=raw,
        headers={**eu.operator(), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    assert "body" in _field_locs(response.json())


def test_json_nested_very_deep_is_a_declared_422(eu: Api) -> None:
    for depth in (100, 100_000):
        raw = b'{"email": "a@example.org", "full_name": ' + b"[" * depth + b"]" * depth + b"}"
        response = eu.client.post(
            "/v1/users",
            content=raw,
            headers={**eu.operator(), "Content-Type": "application/json"},
        )
        assert response.status_code == 422, (depth, response.text)
        assert "body" in _field_locs(response.json())


def test_every_route_with_a_body_declares_its_422_and_413(eu: Api) -> None:
    doc = eu.client.get("/v1/openapi.json").json()
    with_body = [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if "requestBody" in op
    ]
    assert with_body
    for path, method, op in with_body:
        for status in ("413", "422"):
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            assert schema["$ref"].endswith("/ErrorBody"), (path, method, status)


# -- 9: money and dates are not coerced --------------------------------------------------


@pytest.mark.parametrize("amount", [True, "100", 100.0, 1.5, "1e3"])
def test_amount_must_be_a_json_integer(eu: Api, amount: object) -> None:
    user = eu.create_user()
    response = eu.client.post(
        f"/v1/users/{user['id']}/transactions",
        json={"amount_minor": amount, "currency": "EUR", "direction": "debit"},
        headers=eu.as_user(user["id"]),
    )
    assert response.status_code == 422, (amount, response.text)
    assert "body.amount_minor" in _field_locs(response.json())


@pytest.mark.parametrize("dob", [0, 0.0, 1_000_000_000, "1000000000", True, "19900101"])
def test_date_of_birth_comes_only_from_an_iso_date_string(eu: Api, dob: object) -> None:
    response = eu.client.post(
        "/v1/users", json={**unique_person(), "date_of_birth": dob}, headers=eu.operator()
    )
    assert response.status_code == 422, (dob, response.text)
    assert "body.date_of_birth" in _field_locs(response.json())


def test_an_iso_date_of_birth_is_still_accepted(eu: Api) -> None:
    user = eu.create_user(date_of_birth="1984-02-29")
    assert user["date_of_birth"] == "1984-02-29"


# -- 10: request size ----------------------------------------------------------------------


def test_a_16_mib_body_is_refused_with_413(eu: Api) -> None:
    big = json.dumps({**unique_person(), "address": "x" * (16 << 20)}).encode()
    response = eu.client.post(
        "/v1/users", content=big, headers={**eu.operator(), "Content-Type": "application/json"}
    )
    assert response.status_code == 413, response.text[:200]
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_chunked_body_is_cut_off_at_the_limit(eu: Api) -> None:
    """Without Content-Length the limit is enforced while the body streams in."""
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"email": "a@example.org", "full_name": "'
        while sent < 16 << 20:
            sent += 64 << 10
            yield b"x" * (64 << 10)
        yield b'"}'

    response = eu.client.post(
        "/v1/users", content=chunks(), headers={**eu.operator(), "Content-Type": "application/json"}
    )
    assert response.status_code == 413, response.text[:200]
