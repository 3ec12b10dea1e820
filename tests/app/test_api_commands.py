"""The one-command entry points read their settings from the environment and work:
``python -m app.db.migrate`` and ``python -m app.audit.worker --once``."""

from __future__ import annotations

import json

import psycopg
import pytest

from app.audit import worker
from app.db import migrate
from app.settings import Settings
from tests.app.api_support import Api

pytestmark = pytest.mark.services


def _export(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for field, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        text = value if isinstance(value, str) else json.dumps(value)
        monkeypatch.setenv(f"GDPR_API_{field.upper()}", text)


def test_migrate_command_is_idempotent(eu: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    _export(eu.local.settings, monkeypatch)
    migrate.main([])
    for dsn in eu.local.dsns:
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0003",)]


def test_worker_once_drains_every_shard(eu: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    user = eu.create_user()
    tx = eu.add_transaction(user["id"])
    _export(eu.local.settings, monkeypatch)
    worker.main(["--once"])
    with psycopg.connect(eu.dsn_for(user["id"])) as conn:
        row = conn.execute(
            "SELECT done_at IS NOT NULL, pdf_key FROM outbox WHERE transaction_id = %s",
            (tx["id"],),
        ).fetchone()
    assert row is not None
    assert row[0] is True
    assert row[1].endswith(f"{tx['id']}.pdf")
