"""The audit PDF of one transaction, rendered with fpdf2.

It carries the user ID and the financial facts, never a name, address or the free-text
reference, so an erasure does not have to rewrite audit files already shipped. Rendering
is deterministic (fixed creation date) so a retried upload writes the same bytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fpdf import FPDF


def render_transaction_pdf(row: dict[str, Any], *, jurisdiction: str, shard: str) -> bytes:
    created: datetime = row["created_at"]
    pdf = FPDF(format="A4")
    pdf.set_creation_date(created)
    pdf.set_title(f"Transaction audit {row['transaction_id']}")
    pdf.set_author("gdpr-platform")
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.cell(0, 12, "Transaction audit record", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    amount = row["amount_minor"]
    lines = (
        ("Transaction", str(row["transaction_id"])),
        ("User ID", str(row["user_id"])),
        ("Direction", row["direction"]),
        ("Amount", f"{amount // 100}.{amount % 100:02d} {row['currency']}"),
        ("Amount (minor units)", str(amount)),
        ("Recorded at (UTC)", created.isoformat()),
        ("Jurisdiction", jurisdiction),
        ("Shard", shard),
        ("Outbox event", str(row["event_id"])),
    )
    for label, value in lines:
        pdf.cell(55, 8, label)
        pdf.cell(0, 8, value, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
