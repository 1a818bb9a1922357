"""The disclosure log's writer, off the hot path (披露记录): a read that shows a grade to a bank
or a merchant appends the entry to an in-memory queue, and a background task inserts the queue in
one multi-row statement every ``interval`` seconds (sooner once ``batch`` entries wait), so a read
never turns into a write transaction. The queue is flushed at shutdown; a crash can lose at most the
last interval's entries. A look-up by ID number, or a refusal inside a write, is logged in the
request's own transaction instead (each service's repository)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import Table, insert

from common.db import Database

log = logging.getLogger("common.disclosures")


class DisclosureBuffer:
    """Batches rows for one disclosure table. Each service's log says what an entry holds."""

    def __init__(self, db: Database, table: Table, *, interval: float = 0.1, batch: int = 1000,
                 max_pending: int = 200_000, name: str = "disclosure-log") -> None:
        self.db = db
        self.table = table
        self.interval = interval
        self.batch = batch
        self.max_pending = max_pending
        self.name = name
        self._pending: list[dict[str, Any]] = []
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def append(self, row: dict[str, Any]) -> None:
        """Queue one entry (no I/O)."""
        if len(self._pending) >= self.max_pending:
            log.error("%s: queue full, the database is not keeping up", self.name)
            return
        self._pending.append(row)
        if len(self._pending) >= self.batch:
            self._wake.set()

    async def flush(self) -> int:
        """Write what waits, in one transaction (Core executemany: no ORM bookkeeping per row)."""
        async with self._lock:
            rows, self._pending = self._pending, []
            if not rows:
                return 0
            try:
                async with self.db.transaction() as session:
                    await session.execute(insert(self.table), rows)
            except Exception:
                self._pending[:0] = rows  # kept for the next try
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
                log.warning("%s: flush failed, will retry: %s", self.name, type(exc).__name__)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        try:
            await self.flush()
        except Exception as exc:
            log.error("%s: %d entries could not be written at shutdown: %s", self.name, len(self._pending),
                      type(exc).__name__)
