"""The disclosure log, written off the hot path (``common.disclosures``): a verify appends to an
in-memory queue and a background task inserts the queue in one batch every ~100 ms. A crash can
lose at most the last interval's entries; the POS answer does not wait for a write."""
from __future__ import annotations

from common.db import Database, utcnow
from common.disclosures import DisclosureBuffer
from merchant.disclosures.models import disclosures


class DisclosureLog(DisclosureBuffer):
    def __init__(self, db: Database, interval: float = 0.1, max_pending: int = 200_000) -> None:
        super().__init__(db, disclosures, interval=interval, max_pending=max_pending, name="merchant-disclosures")

    def record(self, *, merchant_id: str, subject_id: str | None, outcome: str, grade: str | None,
               purpose: str, request_key: str | None = None) -> None:
        """Queue one disclosure (no I/O)."""
        self.append({"merchant_id": merchant_id, "subject_id": subject_id, "outcome": outcome,
                     "grade": grade, "purpose": purpose, "request_key": request_key, "at": utcnow()})
