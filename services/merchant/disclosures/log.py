"""The disclosure log, written off the hot path: a verify appends to an in-memory queue and a
background task inserts the queue in one batch every ~100 ms. A crash can lose at most the last
interval's entries; the POS answer does not wait for a write (see the issue's measurements)."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import insert

from common.db import Database, utcnow
from merchant.disclosures.models import disclosures

log = logging.getLogger("merchant.disclosures")


class DisclosureLog:
    def __init__(self, db: Database, interval: float = 0.1, max_pending: int = 200_000) -> None:
        self.db = db
        self.interval = interval
        self.max_pending = max_pending
        self._pending: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def record(self, *, merchant_id: str, subject_id: str | None, outcome: str, grade: str | None,
               purpose: str, request_key: str | None = None) -> None:
        """Queue one disclosure (no I/O)."""
        if len(self._pending) >= self.max_pending:
            log.error("disclosure queue full: the database is not keeping up")
            return
        self._pending.append({"merchant_id": merchant_id, "subject_id": subject_id, "outcome": outcome,
                              "grade": grade, "purpose": purpose, "request_key": request_key, "at": utcnow()})

    async def flush(self) -> int:
        async with self._lock:
            rows, self._pending = self._pending, []
            if not rows:
                return 0
            try:
                async with self.db.transaction() as session:
                    await session.execute(insert(disclosures), rows)
            except Exception:
                self._pending[:0] = rows  # keep them for the next try
                raise
            return len(rows)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("disclosure flush failed: %s", type(exc).__name__)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="merchant-disclosures")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            await self.flush()
        except Exception as exc:
            log.error("disclosures lost at shutdown: %s", type(exc).__name__)
