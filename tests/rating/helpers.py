"""Builders of the events rating consumes (valid against the committed schemas), and a way to
apply one through the service's own handlers without a broker."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from common.db import Database, utcnow
from common.events import Event, validate_event
from common.tables import outbox_events
from rating.settings import RatingSettings
from rating.subjects.handlers import make_handlers

COUNTY, TOWN, VILLAGE = "341181", "341181100", "341181100201"
GOOD = {"members_count": 4, "labour_count": 2, "party_members": 1, "max_education": "senior",
        "annual_income": "120000.00", "land_mu": "30", "agri_assets_value": "400000.00",
        "other_assets_value": "200000.00", "production_years": 12, "private_borrowing": "0",
        "overdue_count": 0, "pboc_report_clean": True}
POOR = {"members_count": 2, "labour_count": 0, "party_members": 0, "max_education": "none",
        "annual_income": "8000.00", "land_mu": "1", "agri_assets_value": "5000.00", "production_years": 1,
        "overdue_count": 4, "pboc_report_clean": False, "private_borrowing": "300000.00"}


def region(village: str = VILLAGE) -> dict[str, Any]:
    return {"county": village[:6], "town": village[:9], "village": village}


def envelope(type_: str, subject: str, data: dict[str, Any]) -> Event:
    event = Event(type=type_, source="test", subject=subject, data=data)
    validate_event(event.to_dict())
    return event


def subject_event(subject_id: str, profile: dict[str, Any], version: int = 1, kind: str = "household",
                  village: str = VILLAGE) -> Event:
    data: dict[str, Any] = {"subject_id": subject_id, "kind": kind, "region": region(village), "version": version,
                            "masked_name": "张*", "profile": profile, "consent": {"given": True}}
    if version == 1:
        return envelope("subject-registered", subject_id, {**data, "registered_at": utcnow().isoformat()})
    return envelope("subject-updated", subject_id, {**data, "changed_fields": list(profile),
                                                    "updated_at": utcnow().isoformat()})


def civility_event(subject_id: str, points: float, version: int = 1, veto_items: list[str] | None = None) -> Event:
    return envelope("civility-evaluated", subject_id, {
        "subject_id": subject_id, "evaluation_id": f"ev-{uuid.uuid4().hex[:8]}", "catalogue_version": 1,
        "points": points, "veto": bool(veto_items), "veto_items": veto_items or [], "version": version,
        "published_at": utcnow().isoformat()})


def negative_event(subject_id: str, record_id: str, status: str, version: int) -> Event:
    return envelope("negative-record-changed", subject_id, {
        "record_id": record_id, "subject_id": subject_id, "agency": "court",
        "record_kind": "dishonest_judgment_debtor", "status": status, "veto": True, "version": version,
        "changed_at": utcnow().isoformat()})


async def apply(db: Database, settings: RatingSettings, *events: Event) -> None:
    """Apply events with the service's own handlers, one transaction each (as the consumer does)."""
    handlers = make_handlers(settings)
    for event in events:
        async with db.transaction() as session:
            await handlers[event.type](session, event)


async def outbox(db: Database, topic: str = "rating-changed") -> list[dict[str, Any]]:
    import orjson

    async with db.transaction(write=False) as session:
        rows = (await session.execute(select(outbox_events.c.payload).where(outbox_events.c.topic == topic)
                                      .order_by(outbox_events.c.id))).scalars().all()
    return [orjson.loads(r) for r in rows]
