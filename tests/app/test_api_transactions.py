"""Transactions: created with their outbox row in one commit, listed newest first."""

from __future__ import annotations

import psycopg
import pytest

from tests.app.api_support import Api

pytestmark = pytest.mark.services


def test_transaction_and_outbox_row_commit_together(eu: Api) -> None:
    user = eu.create_user()
    tx = eu.add_transaction(user["id"], amount_minor=4200, currency="USD", direction="credit")
    assert (tx["user_id"], tx["amount_minor"], tx["currency"], tx["direction"]) == (
        user["id"],
        4200,
        "USD",
        "credit",
    )
    with psycopg.connect(eu.dsn_for(user["id"])) as conn:
        rows = conn.execute(
            "SELECT o.done_at FROM outbox o JOIN transactions t ON t.id = o.transaction_id "
            "WHERE t.id = %s",
            (tx["id"],),
        ).fetchall()
    assert len(rows) == 1


def test_a_refused_transaction_leaves_no_outbox_row(eu: Api) -> None:
    user = eu.create_user()
    eu.client.post(f"/v1/users/{user['id']}/erasure", headers=eu.operator())
    response = eu.client.post(
        f"/v1/users/{user['id']}/transactions",
        json={"amount_minor": 1, "currency": "EUR", "direction": "debit"},
        headers=eu.operator(),
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "user_erased")
    with psycopg.connect(eu.dsn_for(user["id"])) as conn:
        count = conn.execute(
            "SELECT count(*) FROM transactions WHERE user_id = %s", (user["id"],)
        ).fetchone()
    assert count == (0,)


def test_unknown_user_gets_404_on_create_and_list(eu: Api) -> None:
    missing = eu.local.shard_map.shards[0].start + 29_000
    body = {"amount_minor": 1, "currency": "EUR", "direction": "debit"}
    created = eu.client.post(f"/v1/users/{missing}/transactions", json=body, headers=eu.operator())
    listed = eu.client.get(f"/v1/users/{missing}/transactions", headers=eu.operator())
    assert created.status_code == listed.status_code == 404


def test_listing_pages_newest_first(eu: Api) -> None:
    user = eu.create_user()
    made = [eu.add_transaction(user["id"], amount_minor=100 + i) for i in range(5)]
    headers = eu.as_user(user["id"])
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = eu.client.get(
            f"/v1/users/{user['id']}/transactions", params=params, headers=headers
        ).json()
        seen.extend(t["amount_minor"] for t in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [t["amount_minor"] for t in reversed(made)]
    assert pages == 3


def test_bad_cursor_is_422(eu: Api) -> None:
    user = eu.create_user()
    response = eu.client.get(
        f"/v1/users/{user['id']}/transactions",
        params={"cursor": "bm9wZQ=="},
        headers=eu.as_user(user["id"]),
    )
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_cursor")


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"amount_minor": 0, "currency": "EUR", "direction": "debit"}, "body.amount_minor"),
        ({"amount_minor": 5, "currency": "eur", "direction": "debit"}, "body.currency"),
        ({"amount_minor": 5, "currency": "EUR", "direction": "sideways"}, "body.direction"),
        ({"amount_minor": "5x", "currency": "EUR", "direction": "debit"}, "body.amount_minor"),
        ({"amount_minor": 5, "currency": "EUR"}, "body.direction"),
    ],
)
def test_malformed_transaction_is_422(eu: Api, body: dict[str, object], where: str) -> None:
    user = eu.create_user()
    response = eu.client.post(
        f"/v1/users/{user['id']}/transactions", json=body, headers=eu.as_user(user["id"])
    )
    assert response.status_code == 422
    assert where in response.json()["error"]["message"]


def test_a_retried_post_records_one_transaction(eu: Api) -> None:
    user = eu.create_user()
    path = f"/v1/users/{user['id']}/transactions"
    body = {"amount_minor": 777, "currency": "EUR", "direction": "debit", "reference": "x"}
    headers = {**eu.as_user(user["id"]), "Idempotency-Key": "order-42"}
    first = eu.client.post(path, json=body, headers=headers)
    retry = eu.client.post(path, json=body, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()
    changed = eu.client.post(path, json={**body, "amount_minor": 778}, headers=headers)
    assert (changed.status_code, changed.json()["error"]["code"]) == (
        409,
        "idempotency_key_reused",
    )
    other_key = eu.client.post(path, json=body, headers={**headers, "Idempotency-Key": "o-43"})
    assert other_key.status_code == 201
    with psycopg.connect(eu.dsn_for(user["id"])) as conn:
        counts = conn.execute(
            "SELECT count(DISTINCT t.id), count(o.id) FROM transactions t "
            "JOIN outbox o ON o.transaction_id = t.id WHERE t.user_id = %s",
            (user["id"],),
        ).fetchone()
    assert counts == (2, 2)


def test_malformed_idempotency_key_is_422(eu: Api) -> None:
    user = eu.create_user()
    response = eu.client.post(
        f"/v1/users/{user['id']}/transactions",
        json={"amount_minor": 1, "currency": "EUR", "direction": "debit"},
        headers={**eu.as_user(user["id"]), "Idempotency-Key": "has spaces"},
    )
    assert response.status_code == 422
    assert "header.idempotency-key" in response.json()["error"]["message"]
