"""Erasure (Art. 17) and export (Art. 15/20), checked in the shard database itself."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
import pytest
from psycopg import sql

from app.audit.worker import OutboxWorker
from tests.app.api_support import Api

pytestmark = pytest.mark.services


def scan_shard(dsn: str, needles: list[str]) -> list[tuple[str, str, str]]:
    """Every (table, column, needle) where a needle appears in any column of any table,
    the column read as text (bytea as hex, dates as ISO), so nothing hides by type."""
    hits: list[tuple[str, str, str]] = []
    with psycopg.connect(dsn) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        ).fetchall()
        assert {t for t, _ in columns} >= {"users", "transactions", "outbox", "erasures"}
        for table, column in columns:
            for needle in needles:
                query = sql.SQL("SELECT count(*) FROM {} WHERE strpos({}::text, %s) > 0").format(
                    sql.Identifier(table), sql.Identifier(column)
                )
                row = conn.execute(query, (needle,)).fetchone()
                if row and row[0]:
                    hits.append((table, column, needle))
    return hits


def _personal_values(api: Api, user_id: int) -> list[str]:
    with psycopg.connect(api.dsn_for(user_id)) as conn:
        row = conn.execute(
            "SELECT email, full_name, phone, date_of_birth::text, address, "
            "encode(pseudonym_key, 'hex') FROM users WHERE id = %s",
            (user_id,),
        ).fetchone()
        refs = conn.execute(
            "SELECT reference FROM transactions WHERE user_id = %s AND reference IS NOT NULL",
            (user_id,),
        ).fetchall()
    assert row is not None
    return [v for v in row if v] + [r[0] for r in refs]


def _make_customer(api: Api) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    user = api.create_user()
    txs = [
        api.add_transaction(user["id"], amount_minor=1000 + i, reference=f"Rent flat {i} Quux")
        for i in range(3)
    ]
    return user, txs


def test_erasure_leaves_no_personal_value_in_the_shard(eu: Api) -> None:
    user, txs = _make_customer(eu)
    values = _personal_values(eu, user["id"])
    assert len(values) == 6 + 3  # five fields, the pseudonym key, three references
    dsn = eu.dsn_for(user["id"])
    assert scan_shard(dsn, values), "the scan must find the values before the erasure"

    response = eu.client.post(f"/v1/users/{user['id']}/erasure", headers=eu.as_user(user["id"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["already_erased"], body["scrubbed_transactions"]) == (False, 3)
    assert scan_shard(dsn, values) == []

    with psycopg.connect(dsn) as conn:
        kept = conn.execute(
            "SELECT id, amount_minor, currency, direction, created_at FROM transactions "
            "WHERE user_id = %s ORDER BY amount_minor",
            (user["id"],),
        ).fetchall()
        record = conn.execute(
            "SELECT id, created_at, erased_at IS NOT NULL FROM users WHERE id = %s",
            (user["id"],),
        ).fetchone()
        logged = conn.execute(
            "SELECT requested_by_role FROM erasures WHERE user_id = %s", (user["id"],)
        ).fetchone()
    assert [(str(r[0]), r[1], r[2], r[3]) for r in kept] == [
        (t["id"], t["amount_minor"], t["currency"], t["direction"]) for t in txs
    ]
    assert record is not None
    assert record[0] == user["id"]
    assert record[2] is True
    assert logged == ("user",)


def test_erasure_is_idempotent(eu: Api) -> None:
    user, _ = _make_customer(eu)
    path, headers = f"/v1/users/{user['id']}/erasure", eu.operator()
    first = eu.client.post(path, headers=headers).json()
    second = eu.client.post(path, headers=headers).json()
    assert first["already_erased"] is False
    assert second == {**first, "already_erased": True, "scrubbed_transactions": 0}
    with psycopg.connect(eu.dsn_for(user["id"])) as conn:
        assert conn.execute(
            "SELECT count(*) FROM erasures WHERE user_id = %s", (user["id"],)
        ).fetchone() == (1,)


def test_erasure_of_unknown_user_is_404(eu: Api) -> None:
    missing = eu.local.shard_map.shards[0].start + 28_000
    response = eu.client.post(f"/v1/users/{missing}/erasure", headers=eu.operator())
    assert response.status_code == 404


def test_export_returns_everything(eu: Api) -> None:
    user, txs = _make_customer(eu)
    OutboxWorker.from_settings(eu.local.settings, eu.local.shard_map).drain(
        eu.local.shard_map.lookup(user["id"])
    )
    response = eu.client.get(f"/v1/users/{user['id']}/export", headers=eu.as_user(user["id"]))
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    export = response.json()
    assert export["jurisdiction"] == "eu"
    assert export["user"] == user
    assert export["transactions"] == txs
    assert [f["transaction_id"] for f in export["audit_files"]] == [t["id"] for t in txs]
    assert all(f["pdf_key"] and f["delivered_at"] for f in export["audit_files"])
    assert export["erasure"] is None


def test_export_after_erasure_shows_the_kept_record(eu: Api) -> None:
    user, txs = _make_customer(eu)
    eu.client.post(f"/v1/users/{user['id']}/erasure", headers=eu.operator())
    export = eu.client.get(f"/v1/users/{user['id']}/export", headers=eu.operator()).json()
    assert export["user"]["id"] == user["id"]
    assert all(export["user"][k] is None for k in ("email", "full_name", "phone", "address"))
    assert [t["amount_minor"] for t in export["transactions"]] == [t["amount_minor"] for t in txs]
    assert all(t["reference"] is None for t in export["transactions"])
    assert export["erasure"]["requested_by_role"] == "operator"


def test_no_personal_data_in_logs(eu: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    user, _ = _make_customer(eu)
    values = _personal_values(eu, user["id"])
    uid, headers = user["id"], eu.as_user(user["id"])
    eu.client.get(f"/v1/users/{uid}", headers=headers)
    eu.client.patch(f"/v1/users/{uid}", json={"phone": "+1 555 0100 999"}, headers=headers)
    eu.client.post(
        "/v1/users", json={"email": user["email"], "full_name": "x"}, headers=eu.operator()
    )
    eu.client.post(
        "/v1/users", json={"email": "no-at-sign-zzq", "full_name": "x"}, headers=eu.operator()
    )
    eu.client.get(f"/v1/users/{uid}/export", headers=headers)
    eu.client.post(f"/v1/users/{uid}/erasure", headers=headers)
    # httpx is the test's own client logging its URLs; everything else is the service.
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "erasure shard=" in text, "the erasure must be logged"
    assert "/v1/users/{user_id}" in text, "requests are logged by route template"
    for value in [*values, "+1 555 0100 999", "no-at-sign-zzq"]:
        assert value not in text
    assert str(uid) not in text  # not even the ID: the erasures table records who
