"""Users: sign-up on the open shard, read, update, conflicts, malformed bodies."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.app.api_support import Api, unique_person

pytestmark = pytest.mark.services


def test_sign_up_takes_an_id_from_the_open_shard(eu: Api) -> None:
    user = eu.create_user()
    signup = eu.local.shard_map.signup_shard
    assert user["id"] in signup
    with psycopg.connect(eu.local.dsns[signup.index]) as conn:
        row = conn.execute("SELECT email FROM users WHERE id = %s", (user["id"],)).fetchone()
    assert row == (user["email"],)


def test_us_ids_come_from_the_us_block(us: Api) -> None:
    user = us.create_user()
    assert 1_000_000 <= user["id"] < 2_000_000
    assert user["id"] in us.local.shard_map.signup_shard


def test_read_own_record(eu: Api) -> None:
    person = unique_person()
    user = eu.create_user(**person)
    response = eu.client.get(f"/v1/users/{user['id']}", headers=eu.as_user(user["id"]))
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in person} == person
    assert body["erased_at"] is None


def test_update_changes_only_given_fields(eu: Api) -> None:
    user = eu.create_user()
    response = eu.client.patch(
        f"/v1/users/{user['id']}",
        json={"address": "Neue Strasse 1"},
        headers=eu.as_user(user["id"]),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["address"] == "Neue Strasse 1"
    assert body["email"] == user["email"]
    assert body["updated_at"] > user["updated_at"]


def test_duplicate_email_is_a_conflict(eu: Api) -> None:
    user = eu.create_user()
    response = eu.client.post(
        "/v1/users",
        json={**unique_person(), "email": user["email"].upper()},
        headers=eu.operator(),
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "email_taken")


def test_unknown_user_in_a_shard_is_404(eu: Api) -> None:
    missing = eu.local.shard_map.shards[0].end - 3
    response = eu.client.get(f"/v1/users/{missing}", headers=eu.operator())
    assert (response.status_code, response.json()["error"]["code"]) == (404, "user_not_found")


def test_erased_user_cannot_be_updated(eu: Api) -> None:
    user = eu.create_user()
    headers = eu.as_user(user["id"])
    assert eu.client.post(f"/v1/users/{user['id']}/erasure", headers=headers).status_code == 200
    response = eu.client.patch(
        f"/v1/users/{user['id']}", json={"full_name": "Back Again"}, headers=headers
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "user_erased")


MALFORMED: dict[str, tuple[Any, str]] = {
    "missing-field": ({"email": "x@example.org"}, "body.full_name: Field required"),
    "bad-email": (
        {"email": "not-an-address", "full_name": "A"},
        "body.email: Value error, must be an e-mail address",
    ),
    "extra-field": (
        {"email": "x@example.org", "full_name": "A", "is_admin": True},
        "body.is_admin: Extra inputs are not permitted",
    ),
    "wrong-type": ({"email": "x@example.org", "full_name": 5}, "body.full_name:"),
    "bad-date": (
        {"email": "x@example.org", "full_name": "A", "date_of_birth": "31.12.1990"},
        "body.date_of_birth:",
    ),
    "not-an-object": ([1, 2], "body:"),
}


@pytest.mark.parametrize(("body", "expected"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_sign_up_is_422_with_a_clear_message(eu: Api, body: Any, expected: str) -> None:
    response = eu.client.post("/v1/users", json=body, headers=eu.operator())
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert expected in error["message"]
    assert all({"loc", "message"} == set(f) for f in error["fields"])


def test_invalid_json_is_422(eu: Api) -> None:
    response = eu.client.post(
        "/v1/users",
        content=b'{"email": "x@example.org", ',
        headers={**eu.operator(), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "JSON decode error" in response.json()["error"]["message"]


def test_422_does_not_echo_the_rejected_value(eu: Api) -> None:
    response = eu.client.post(
        "/v1/users",
        json={"email": "secret-value-no-at-sign", "full_name": "A"},
        headers=eu.operator(),
    )
    assert response.status_code == 422
    assert "secret-value-no-at-sign" not in response.text


def test_empty_patch_is_422(eu: Api) -> None:
    user = eu.create_user()
    response = eu.client.patch(f"/v1/users/{user['id']}", json={}, headers=eu.as_user(user["id"]))
    assert response.status_code == 422
    assert "at least one field" in response.json()["error"]["message"]


def test_non_numeric_user_id_is_422(eu: Api) -> None:
    response = eu.client.get("/v1/users/abc", headers=eu.operator())
    assert response.status_code == 422
    assert "path.user_id" in response.json()["error"]["message"]
