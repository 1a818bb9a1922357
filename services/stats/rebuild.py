"""Rebuild from zero (重建): replay every topic from the beginning into an empty read model (the
region names too: ``region-changed`` is replayed with the rest).

A consumer group of its own, never seen by the broker, reads each topic from the earliest offset;
the read model and the inbox of the target database are emptied first. The broker's end offsets
cannot be trusted (Tansu reports wrong ones), so the replay is done when no event has arrived for
``idle_seconds`` (and, if given, at least ``expect`` events were applied).
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database
from common.events import Event, Handler
from common.events.consumer import EventConsumer
from common.events.signing import EventVerifier
from common.tables import inbox_events, subject_versions
from stats.handlers import HANDLERS
from stats.readmodel.metrics import COLUMNS
from stats.readmodel.repository import bump_generation
from stats.readmodel.tables import READ_MODEL_TABLES, cells, facts, monthly, regions, subjects

log = logging.getLogger("stats.rebuild")


@dataclass
class RebuildReport:
    events: int
    subjects: int
    cells: int
    seconds: float


async def clear(db: Database) -> None:
    """Empty the read model and the inbox (so every event is applied again)."""
    async with db.transaction() as session:
        for table in (*READ_MODEL_TABLES, inbox_events, subject_versions):
            await session.execute(delete(table))
        await session.run_sync(bump_generation)


def _counting(handler: Handler, seen: list[int]) -> Handler:
    async def handle(session: AsyncSession, event: Event) -> None:
        await handler(session, event)
        seen[0] += 1

    return handle


async def rebuild(db: Database, bootstrap: str, verifier: EventVerifier, *, idle_seconds: float = 3.0, expect: int | None = None,
                  join_timeout: float = 60.0, max_seconds: float = 3600.0, group: str | None = None) -> RebuildReport:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await clear(db)
    seen = [0]
    handlers = {topic: _counting(h, seen) for topic, h in HANDLERS.items()}
    consumer = EventConsumer(db, bootstrap, group or f"stats-rebuild-{uuid.uuid4().hex[:12]}", handlers,
                             verifier=verifier)
    task = asyncio.create_task(consumer.run(), name="stats-rebuild")
    try:
        await asyncio.wait_for(consumer.assigned.wait(), join_timeout)
        last, quiet_since = -1, loop.time()
        while loop.time() - started < max_seconds:
            await asyncio.sleep(0.2)
            if seen[0] != last:
                last, quiet_since = seen[0], loop.time()
            elif loop.time() - quiet_since >= idle_seconds and (expect is None or seen[0] >= expect):
                break
        else:
            raise TimeoutError(f"rebuild still receiving events after {max_seconds}s")
    finally:
        await consumer.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    digest = await read_model(db)
    report = RebuildReport(events=seen[0], subjects=len(digest["subjects"]), cells=len(digest["cells"]),
                           seconds=round(loop.time() - started, 1))
    log.info("rebuild done", extra={"events": report.events, "subjects": report.subjects})
    return report


async def read_model(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """The read model as sorted rows, all-zero counter rows left out: two read models with equal
    figures give equal dumps (used to check a rebuild against the live model)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with db.transaction(write=False) as session:
        for name, table, keys in (("subjects", subjects, None), ("cells", cells, ("region", "kind")),
                                  ("monthly", monthly, ("region", "kind", "month")), ("facts", facts, None),
                                  ("regions", regions, None)):
            rows = (await session.execute(select(table))).mappings().all()
            if keys is not None:
                rows = [r for r in rows if any(r[c] for c in COLUMNS)]
            out[name] = sorted(tuple(r.values()) for r in rows)
    return out
