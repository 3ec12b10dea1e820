"""Helpers shared by the API tests: an HTTP client bound to one jurisdiction."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient

from app.auth.dev import DevSigner
from app.auth.tokens import Role
from app.context import AppContext
from app.local import LocalJurisdiction

_counter = itertools.count()


def unique_person() -> dict[str, Any]:
    """Personal values distinctive enough to be found by a full-table scan."""
    n = next(_counter)
    return {
        "email": f"person{n}.zq{n}x@example.org",
        "full_name": f"Zelda Quux{n} Testperson",
        "phone": f"+49 30 555{n:04d}",
        "date_of_birth": f"19{50 + n % 40}-0{1 + n % 9}-1{n % 9}",
        "address": f"Unter den Linden {n}7, 10117 Berlin-Q{n}",
    }


class Api:
    def __init__(self, client: TestClient, signer: DevSigner, local: LocalJurisdiction) -> None:
        self.client = client
        self.signer = signer
        self.local = local
        self.jurisdiction = local.name

    @property
    def ctx(self) -> AppContext:
        ctx: AppContext = self.client.app.state.ctx  # type: ignore[attr-defined]
        return ctx

    def operator(self) -> dict[str, str]:
        token = self.signer.token("op-1", self.jurisdiction, Role.OPERATOR)
        return {"Authorization": f"Bearer {token}"}

    def as_user(self, user_id: int) -> dict[str, str]:
        token = self.signer.token(user_id, self.jurisdiction, Role.USER)
        return {"Authorization": f"Bearer {token}"}

    def create_user(self, **overrides: Any) -> dict[str, Any]:
        body = {**unique_person(), **overrides}
        response = self.client.post("/v1/users", json=body, headers=self.operator())
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def add_transaction(self, user_id: int, **overrides: Any) -> dict[str, Any]:
        body = {"amount_minor": 1999, "currency": "EUR", "direction": "debit", **overrides}
        response = self.client.post(
            f"/v1/users/{user_id}/transactions", json=body, headers=self.as_user(user_id)
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def dsn_for(self, user_id: int) -> str:
        return self.local.dsns[self.local.shard_map.lookup(user_id).index]
