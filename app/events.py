"""The pseudonymized central event: the only thing about a user that crosses a border.

Small on purpose: the central consumer Lambda imports this module. Every field must be in
``ALLOWED_FIELDS``; the model forbids extras, and tests fail if a field outside the list
appears. No name, e-mail, phone, address, free text or raw user ID may ever be added here.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Every field a central event may carry. Adding one is a GDPR decision, not a refactor.
ALLOWED_FIELDS: frozenset[str] = frozenset(
    {
        "schema_version",
        "event_id",
        "event_type",
        "jurisdiction",
        "user_pseudonym",
        "amount_minor",
        "currency",
        "direction",
        "occurred_at",
    }
)


class CentralEvent(BaseModel):
    """A transaction as the central database may know it: pseudonymous and coarse."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    event_id: UUID = Field(description="stable per outbox row; consumers deduplicate on it")
    event_type: Literal["transaction.created"] = "transaction.created"
    jurisdiction: str = Field(pattern=r"^[a-z]{2,8}$")
    user_pseudonym: str | None = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="HMAC-SHA256 pseudonym; null once the user's pseudonym key was erased",
    )
    amount_minor: int
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    direction: Literal["debit", "credit"]
    occurred_at: datetime = Field(description="truncated to the hour to blunt linkage")

    @field_validator("occurred_at")
    @classmethod
    def _to_the_hour(cls, value: datetime) -> datetime:
        return value.replace(minute=0, second=0, microsecond=0)


def pseudonymize(user_id: int, key: bytes, *, user_key: bytes = b"") -> str:
    """HMAC-SHA256 of the user ID under the jurisdiction's ``key``, hex-encoded.

    ``user_key`` is the per-user pseudonym key stored with the user and scrubbed on erasure:
    once it is gone, nobody (not even holders of the jurisdiction key and the kept user ID)
    can link central records back to the record.
    """
    if not key:
        raise ValueError("the pseudonym key must not be empty")
    message = b"user:" + str(user_id).encode() + b":" + user_key
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def check_allowed(payload: dict[str, Any]) -> None:
    """Raise if ``payload`` (a serialized event) carries any field outside the allow-list."""
    extra = set(payload) - ALLOWED_FIELDS
    if extra:
        raise ValueError(f"fields not allowed in a central event: {sorted(extra)}")
