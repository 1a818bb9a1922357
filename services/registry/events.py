"""The registry's events: builders of their ``data`` (no personal data by construction) and a
batch writer for the bulk import."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.events import Event, validate_event
from common.tables import outbox_events
from registry.bulk import insert_rows
from registry.subjects.files import region_of

SOURCE = "registry"
SUBJECT_REGISTERED = "subject-registered"
SUBJECT_UPDATED = "subject-updated"
CIVILITY_EVALUATED = "civility-evaluated"
NEGATIVE_RECORD_CHANGED = "negative-record-changed"


def _get(row: Any, key: str) -> Any:
    return row[key] if isinstance(row, dict) else getattr(row, key)


def _subject_data(row: Any) -> dict[str, Any]:
    return {"subject_id": _get(row, "id"), "kind": _get(row, "kind"), "region": region_of(row),
            "version": _get(row, "version"), "masked_name": _get(row, "masked_name"),
            "profile": _get(row, "profile"), "consent": _get(row, "consent")}


def registered(row: Any) -> Event:
    data = _subject_data(row) | {"registered_at": _get(row, "created_at").isoformat()}
    return Event(type=SUBJECT_REGISTERED, source=SOURCE, subject=data["subject_id"], data=data)


def updated(row: Any, changed_fields: list[str]) -> Event:
    data = _subject_data(row) | {"changed_fields": changed_fields, "status": _get(row, "status"),
                                 "updated_at": _get(row, "updated_at").isoformat()}
    return Event(type=SUBJECT_UPDATED, source=SOURCE, subject=data["subject_id"], data=data)


def outbox_row(event: Event) -> dict[str, Any]:
    """The outbox row of an event (what ``emit`` writes), built where the event is built."""
    return {"event_id": event.id, "topic": event.type, "key": event.subject, "payload": event.to_json(),
            "created_at": event.time, "attempts": 0}


async def write_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Outbox rows made by ``outbox_row`` from events already checked against their schema."""
    await insert_rows(session, outbox_events, rows)
    if rows:
        session.info["outbox_dirty"] = True


async def write_batch(session: AsyncSession, events: list[Event]) -> None:
    """Outbox rows for a batch of events, each checked against its schema like ``emit`` does."""
    if not events:
        return
    for event in events:
        validate_event(event.to_dict())
    await write_rows(session, [outbox_row(e) for e in events])
