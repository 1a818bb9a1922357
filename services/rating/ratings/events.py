"""The ``rating-changed`` events rating produces, written to the outbox with the change.

A round can finalise a hundred thousand grades at once; validating each against the JSON Schema
costs about 0.3 ms, so a batch validates its first event (they are all built by ``rating_changed``,
so they share one shape) and writes the rest straight to the outbox table in one statement.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from common.events import Event, validate_event
from common.tables import outbox_events

SOURCE = "rating"
TYPE = "rating-changed"


def rating_changed(*, subject_id: str, kind: str, county: str | None, town: str | None, village: str | None,
                   old_grade: str | None, new_grade: str, score: Decimal, version: int, effective_at: datetime,
                   reason: str, vetoed: bool = False, indicator_system_version: int | None = None,
                   credit_village: bool | None = None) -> Event:
    data = {"subject_id": subject_id, "kind": kind,
            "region": {"county": county, "town": town, "village": village},
            "old_grade": old_grade, "new_grade": new_grade, "score": f"{score:.2f}", "version": version,
            "effective_at": effective_at.isoformat(), "reason": reason[:500], "vetoed": vetoed,
            "indicator_system_version": indicator_system_version, "credit_village": credit_village}
    return Event(type=TYPE, source=SOURCE, subject=subject_id, data=data)


async def write(session: AsyncSession, events: Sequence[Event]) -> None:
    if not events:
        return
    validate_event(events[0].to_dict())
    if len(events) <= 20:
        for e in events[1:]:
            validate_event(e.to_dict())
    rows = [{"event_id": e.id, "topic": e.type, "key": e.subject, "payload": e.to_json(), "created_at": e.time,
             "attempts": 0} for e in events]
    await session.execute(insert(outbox_events), rows)
    session.info["outbox_dirty"] = True
