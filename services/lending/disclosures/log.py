"""Every grade shown to a bank is logged (who, whom, when, for what).

On the read paths (a credit line, a village's lines) the entries are buffered and written in
batches by a background task, so a read does not turn into a write transaction; the buffer is
flushed at shutdown. A look-up by ID number is logged in the request's own transaction instead."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from common.db import Database, utcnow
from lending.disclosures import repository

log = logging.getLogger("lending.disclosures")


def entry(bank_id: str, subject_id: str, grade: str | None, channel: str, purpose: str) -> dict[str, Any]:
    return {"bank_id": bank_id, "subject_id": subject_id, "grade": grade, "channel": channel,
            "purpose": purpose[:120], "disclosed_at": utcnow()}


class DisclosureLog:
    def __init__(self, db: Database, interval: float = 0.25, batch: int = 1000) -> None:
        self.db = db
        self.interval = interval
        self.batch = batch
        self._pending: list[dict[str, Any]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def record(self, bank_id: str, subject_id: str, grade: str | None, channel: str, purpose: str) -> None:
        self._pending.append(entry(bank_id, subject_id, grade, channel, purpose))
        if len(self._pending) >= self.batch:
            self._wake.set()

    async def flush(self) -> int:
        rows, self._pending = self._pending, []
        if not rows:
            return 0
        try:
            async with self.db.transaction() as session:
                await repository.add_many(session, rows)
        except Exception:
            self._pending = rows + self._pending  # keep them for the next round
            raise
        return len(rows)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            try:
                await self.flush()
            except Exception as exc:
                log.warning("disclosure log flush failed, will retry: %s", type(exc).__name__)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="lending-disclosure-log")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await self.flush()
        except Exception as exc:
            log.error("disclosure log: %d entries could not be written at shutdown: %s", len(self._pending),
                      type(exc).__name__)
