"""Writing an event: a row in the service's ``outbox_events`` table, in the same transaction as
the change it announces. The relay publishes it later; nothing is published from a request.

Events are made by their producer's builder (``<service>/events.py``), never spelled at the emit
site; every outbox row is made by ``outbox_row``, which checks the event against its JSON Schema."""
from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from common.bulk import insert_rows
from common.events.envelope import Event
from common.events.schemas import validate_event
from common.events.topics import URGENT_ONLY_TYPES, urgent_topic
from common.tables import outbox_events

OUTBOX_COLUMNS = ("event_id", "topic", "key", "payload", "created_at", "attempts")


def outbox_row(event: Event, *, urgent: bool = False) -> dict[str, Any]:
    """The outbox row of ``event`` (keys ``OUTBOX_COLUMNS``), once the event passed its schema.
    A bulk writer may build rows away from the session (in a worker process) and write them later
    with ``mark_written``. ``urgent`` sends it by its type's urgent lane (``topics.URGENT_TYPES``),
    and the relay sends it before anything else waiting; a type of ``URGENT_ONLY_TYPES`` always goes so."""
    raw = event.to_dict()
    validate_event(raw)
    topic = urgent_topic(event.type) if urgent or event.type in URGENT_ONLY_TYPES else event.type
    return {"event_id": event.id, "topic": topic, "key": event.subject,
            "payload": orjson.dumps(raw, default=str), "created_at": event.time, "attempts": 0}


def mark_written(session: AsyncSession) -> None:
    """Outbox rows were written in this session: its commit wakes the relay."""
    session.info["outbox_dirty"] = True


async def emit(session: AsyncSession, event: Event) -> Event:
    await emit_many(session, [event])
    return event


async def emit_many(session: AsyncSession, events: list[Event], *, urgent: bool = False) -> None:
    """Outbox rows for ``events``: one executemany through the driver (a round's finalisation
    writes thousands; SQLAlchemy's per-row parameter machinery would cost more than the rows)."""
    await emit_rows(session, [outbox_row(e, urgent=urgent) for e in events])


async def emit_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Outbox rows already made by ``outbox_row`` (in a worker process, say), written as they are."""
    if not rows:
        return
    await insert_rows(session, outbox_events, rows)
    mark_written(session)
