"""Writing an event: a row in the service's ``outbox_events`` table, in the same transaction as
the change it announces. The relay publishes it later; nothing is published from a request.

Events are made by their producer's builder (``<service>/events.py``), never spelled at the emit
site; both functions check each event against its JSON Schema before writing it."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from common.events.envelope import Event
from common.events.schemas import validate_event
from common.tables import outbox_events

_COLUMNS = ("event_id", "topic", "key", "payload", "created_at", "attempts")
# Per dialect name: the INSERT as driver SQL, and each positional parameter's column and bind processor.
_COMPILED: dict[str, tuple[str, list[tuple[int, Callable[[Any], Any] | None]]]] = {}


def _compiled(dialect: Dialect) -> tuple[str, list[tuple[int, Callable[[Any], Any] | None]]] | None:
    """A batch (a round's finalisation writes thousands) runs as one executemany of plain tuples:
    SQLAlchemy's per-row parameter machinery costs more than the row. Each value still goes
    through its column's bind processor. None for a driver with named parameters."""
    found = _COMPILED.get(dialect.name)
    if found is None:
        compiled = insert(outbox_events).compile(dialect=dialect, column_keys=list(_COLUMNS))
        order = list(compiled.positiontup or ())
        if sorted(order) != sorted(_COLUMNS):
            return None
        found = _COMPILED[dialect.name] = (str(compiled), [
            (_COLUMNS.index(name), outbox_events.c[name].type._cached_bind_processor(dialect)) for name in order])
    return found


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
        rows.append((event.id, event.type, event.subject, orjson.dumps(raw, default=str), event.time, 0))
    conn = await session.connection()
    bulk = _compiled(conn.dialect)
    if bulk is None:
        await session.execute(insert(outbox_events), [dict(zip(_COLUMNS, r, strict=True)) for r in rows])
    else:
        sql, params = bulk
        await conn.exec_driver_sql(sql, [tuple(r[i] if p is None else p(r[i]) for i, p in params)  # type: ignore[arg-type]
                                         for r in rows])
    session.info["outbox_dirty"] = True
