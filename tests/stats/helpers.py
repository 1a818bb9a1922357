"""Shared steps of the stats tests: apply events through the consumer's path, read figures."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from common.db import Database
from common.events import Event
from common.events.consumer import EventConsumer
from common.tables import inbox_events
from stats.handlers import HANDLERS
from tests.harness import NO_BROKER, session_keys


async def apply(db: Database, events: list[Event]) -> None:
    """Apply ``events`` as the consumer does with one batch: one transaction, inbox dedupe."""
    consumer = EventConsumer(db, NO_BROKER, "stats", HANDLERS, verifier=session_keys().verifier("stats"))
    async with db.transaction() as session:
        await consumer._apply(session, events)


async def inbox_count(db: Database) -> int:
    async with db.transaction(write=False) as session:
        return int((await session.execute(select(func.count()).select_from(inbox_events))).scalar_one())


def renewed(event: Event) -> Event:
    """The same content published again under a new event id (a producer that sent it twice)."""
    return Event(type=event.type, source=event.source, subject=event.subject, data=event.data, time=event.time)


def figures(body: dict[str, Any]) -> dict[str, Any]:
    return body["figures"]  # type: ignore[no-any-return]
