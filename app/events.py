"""The pseudonymized central event: the only thing about a user that crosses a border.

This is the producer's side of one contract with the central consumer Lambda, whose side
(``app/lambdas/central_event.py``) owns ``ALLOWED_FIELDS`` and the field types used here. The
Lambda package holds only ``app/lambdas/**``, so the dependency runs this way: the API image
holds all of ``app/`` and imports the consumer's module, never the reverse.
``tests/app/test_event_contract.py`` sends what this module builds through the consumer.

Every field must be in ``ALLOWED_FIELDS``; the model forbids extras, and tests fail if a field
outside the list appears. No name, e-mail, phone, address, free text or raw user ID may ever
be added here; adding any field is a GDPR decision and a change to both sides.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from app.lambdas.central_event import (
    ALLOWED_FIELDS,
    Currency,
    Direction,
    Jurisdiction,
    Pseudonym,
)

__all__ = ["ALLOWED_FIELDS", "CentralEvent", "check_allowed", "pseudonymize"]

#: The largest bigint: transactions.amount_minor and the central column are both bigint.
_MAX_BIGINT = 2**63 - 1


class CentralEvent(BaseModel):
    """A transaction as the central database may know it: pseudonymous and coarse."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    event_id: UUID = Field(description="stable per outbox row; consumers deduplicate on it")
    event_type: Literal["transaction.created"] = "transaction.created"
    jurisdiction: Jurisdiction
    user_pseudonym: Pseudonym | None = Field(
        description="HMAC-SHA256 pseudonym; null once the user's pseudonym key was erased",
    )
    amount_minor: int = Field(gt=0, le=_MAX_BIGINT, description="positive; see direction")
    currency: Currency
    direction: Direction
    occurred_at: AwareDatetime = Field(description="UTC, truncated to the hour against linkage")

    @field_validator("occurred_at")
    @classmethod
    def _to_the_utc_hour(cls, value: datetime) -> datetime:
        # In UTC first: truncating 10:47+05:30 in its own offset would give 04:30Z, neither
        # an hour boundary nor the same coarsening as every other event.
        return value.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


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
