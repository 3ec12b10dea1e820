"""What the central consumer accepts: a pseudonymized event, and nothing else.

Only pseudonymized or aggregate data crosses a border (DESIGN.md, central hub). This model is
the consumer's side of that contract: strict types, no extra fields (``extra="forbid"``), and
the user only as a keyed pseudonym (HMAC-SHA256 with the producing jurisdiction's key, hex).
No direct identifier (user id, name, e-mail, IBAN, address, phone) is a field, and
``ALLOWED_FIELDS`` is the explicit allow-list that a test holds the model to.

This module is the single place the contract lives. The producer, the API's outbox worker
(``app/events.py``), builds its event from the same ``ALLOWED_FIELDS`` and field types, and
``tests/app/test_event_contract.py`` feeds events from the worker's real code path, serialized
as the worker sends them, through ``parse_event`` and the store: an event the producer emits
and this model refuses would land in the central DLQ. The module stays import-light (pydantic
only) because the Lambda package holds only ``app/__init__.py`` and ``app/lambdas/**``; the
API image holds all of ``app/``, so the producer can import from here, not the other way round.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Final, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

ALLOWED_FIELDS: Final[frozenset[str]] = frozenset(
    {
        "event_id",
        "event_type",
        "jurisdiction",
        "occurred_at",
        "user_pseudonym",
        "amount_minor",
        "currency",
        "direction",
        "schema_version",
    }
)

SUPPORTED_SCHEMA_VERSIONS: Final[frozenset[int]] = frozenset({1})

EventType = Literal["transaction.created", "user.created", "user.erased"]
# A row name of the pack's jurisdiction table. This package ships without the pack, so which
# rows the hub serves is its config (CENTRAL_JURISDICTIONS, written by the program from the
# table), handed to parse_event; the shape is checked here and in the central schema.
JURISDICTION_PATTERN: Final[str] = r"^[a-z][a-z0-9-]{1,15}$"
Jurisdiction = Annotated[str, Field(pattern=JURISDICTION_PATTERN)]
# The sign of a transaction: amounts are positive minor units, the direction says which way.
Direction = Literal["debit", "credit"]

# HMAC-SHA256 as lowercase hex: exactly what hmac.new(key, msg, sha256).hexdigest() returns.
Pseudonym = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
# ISO 4217 alphabetic code shape; the value set is the producer's business.
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
# The central database stores amounts as bigint minor units.
AmountMinor = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]


class CentralEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    event_id: UUID
    event_type: EventType
    jurisdiction: Jurisdiction
    occurred_at: AwareDatetime
    # Always sent; null on a transaction whose user's per-user pseudonym key was erased
    # before delivery (the bare fact, linkable to nobody). A user event always has one.
    user_pseudonym: Pseudonym | None
    amount_minor: AmountMinor | None = None
    currency: Currency | None = None
    direction: Direction | None = None
    schema_version: int

    @field_validator("jurisdiction")
    @classmethod
    def _served(cls, value: str, info: ValidationInfo) -> str:
        served: Collection[str] | None = (info.context or {}).get("jurisdictions")
        if served is not None and value not in served:
            raise ValueError(f"jurisdiction {value!r} is not one the hub serves {sorted(served)}")
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> CentralEvent:
        if self.schema_version not in SUPPORTED_SCHEMA_VERSIONS:
            raise ValueError(
                f"schema_version {self.schema_version} is not one this consumer reads "
                f"({sorted(SUPPORTED_SCHEMA_VERSIONS)})"
            )
        money = (self.amount_minor, self.currency, self.direction)
        if self.event_type == "transaction.created":
            if any(value is None for value in money):
                raise ValueError("transaction.created needs amount_minor, currency and direction")
        else:
            if any(value is not None for value in money):
                raise ValueError(
                    f"{self.event_type} carries no amount_minor, currency or direction"
                )
            if self.user_pseudonym is None:
                raise ValueError(f"{self.event_type} needs a user_pseudonym")
        return self


def parse_event(body: str | bytes, jurisdictions: Collection[str] | None = None) -> CentralEvent:
    """Validate one SQS body (JSON). Raises pydantic.ValidationError when it is not an event.

    ``jurisdictions``: the ones the hub serves; ``None`` takes any well-formed name.
    """
    return CentralEvent.model_validate_json(body, context={"jurisdictions": jurisdictions})
