"""Request and response models for transactions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.validation import CleanText, JsonInt


class TransactionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_minor: JsonInt = Field(gt=0, le=10**15, description="amount in minor units (cents)")
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = Field(
        description="ISO 4217 code, upper case"
    )
    direction: Literal["debit", "credit"]
    reference: Annotated[str, CleanText, StringConstraints(max_length=140)] | None = Field(
        default=None, description="free text; treated as personal data and erased with the user"
    )


class TransactionOut(BaseModel):
    id: UUID
    user_id: int
    amount_minor: int
    currency: str
    direction: Literal["debit", "credit"]
    reference: str | None
    created_at: datetime


class TransactionPage(BaseModel):
    items: list[TransactionOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next, older page")
