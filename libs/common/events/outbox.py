"""Writing an event: a row in the service's ``outbox_events`` table, in the same transaction as
the change it announces. The relay publishes it later; nothing is published from a request.

Events are made by their producer's builder (``<service>/events.py``), never spelled at the emit
site; both functions check each event against its JSON Schema before writing it."""
from __future__ import annotations

import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from common.events.envelope import Event
from common.events.schemas import validate_event
from common.tables import outbox_events


async def emit(session: AsyncSession, event: Event) -> Event:
    await emit_many(session, [event])
    return event


async def emit_many(session: AsyncSession, events: list[Event]) -> None:
    if not events:
        return
    rows = []
    for event in events:
        raw = event.to_dict()
        validate_event(raw)
        rows.append({"event_id": event.id, "topic": event.type, "key": event.subject,
                     "payload": orjson.dumps(raw, default=str), "created_at": event.time, "attempts": 0})
    await session.execute(insert(outbox_events), rows)
    session.info["outbox_dirty"] = True
