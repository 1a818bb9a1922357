"""Every grade shown to a bank is logged (who, whom, when, for what).

On the read paths (a credit line, a village's lines) the entries are buffered and written in
batches by a background task (``common.disclosures``), so a read does not turn into a write
transaction; the buffer is flushed at shutdown. A look-up by ID number is logged in the request's
own transaction instead."""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table

from common.db import Database, utcnow
from common.disclosures import DisclosureBuffer
from lending.disclosures.models import Disclosure


def entry(bank_id: str, subject_id: str, grade: str | None, channel: str, purpose: str) -> dict[str, Any]:
    return {"bank_id": bank_id, "subject_id": subject_id, "grade": grade, "channel": channel,
            "purpose": purpose[:120], "disclosed_at": utcnow()}


class DisclosureLog(DisclosureBuffer):
    def __init__(self, db: Database, interval: float = 0.25, batch: int = 1000) -> None:
        super().__init__(db, cast(Table, Disclosure.__table__), interval=interval, batch=batch,
                         name="lending-disclosure-log")

    def record(self, bank_id: str, subject_id: str, grade: str | None, channel: str, purpose: str) -> None:
        self.append(entry(bank_id, subject_id, grade, channel, purpose))
