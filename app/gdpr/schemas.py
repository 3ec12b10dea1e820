"""Response models of the GDPR endpoints."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from app.transactions.schemas import TransactionOut
from app.users.schemas import UserOut


class ErasureOut(BaseModel):
    user_id: int
    erased_at: datetime
    already_erased: bool = Field(description="true when an earlier request did the erasure")
    scrubbed_transactions: int = Field(description="transaction references cleared now")


class AuditFileOut(BaseModel):
    transaction_id: UUID
    pdf_key: str | None
    delivered_at: datetime | None


class ErasureRecordOut(BaseModel):
    erased_at: datetime
    requested_by_role: str


class ExportOut(BaseModel):
    format: str = "gdpr-platform.export.v1"
    exported_at: datetime
    jurisdiction: str
    user: UserOut
    transactions: list[TransactionOut]
    audit_files: list[AuditFileOut]
    erasure: ErasureRecordOut | None
