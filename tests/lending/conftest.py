"""Lending test fixtures: a lending service on a fresh database (SQLite and PostgreSQL), partner
banks, and rating-changed events made by rating's own builder."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

from common.auth import Role
from common.events import Event, validate_event
from lending.credit_lines.models import CreditLine
from lending.credit_lines.service import on_rating_changed
from rating.ratings import events
from tests.harness import DatabaseFactory, Keys, RunningService, start_service

VILLAGE = {"county": "341181", "town": "341181100", "village": "341181100201"}


def rating_changed(subject_id: str, new_grade: str, version: int, *, old_grade: str | None = None,
                   kind: str = "household", vetoed: bool = False, village: str = VILLAGE["village"],
                   score: str = "85") -> Event:
    event = events.rating_changed(
        subject_id=subject_id, kind=kind, county=VILLAGE["county"], town=VILLAGE["town"], village=village,
        old_grade=old_grade, new_grade=new_grade, score=Decimal(score), version=version,
        effective_at=datetime(2026, 11, 25, 8, tzinfo=UTC), reason="final after publication", vetoed=vetoed)
    validate_event(event.to_dict())
    return event


async def set_industry(svc: RunningService, subject_id: str, industry: str) -> None:
    """The line's industry (芡实, 拉丝…), written straight to lending's table: rating-changed does not
    carry it (the registry's subject events are its source, issue 12 point 4)."""
    async with svc.db.transaction() as session:
        await session.execute(update(CreditLine).where(CreditLine.subject_id == subject_id).values(industry=industry))


async def apply(svc: RunningService, event: Event) -> None:
    """Apply an event the way the consumer does (one transaction), without a broker."""
    async with svc.db.transaction() as session:
        await on_rating_changed(session, event)


def bank(keys: Keys, bank_id: str, key: str | None = None) -> dict[str, str]:
    headers = keys.headers(Role.bank, bank_id=bank_id)
    if key:
        headers["Idempotency-Key"] = key
    return headers


@pytest.fixture
async def lending(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    url = await databases.create("lending", backend)
    async with start_service("lending", url, keys) as svc:
        admin = keys.headers(Role.admin)
        for bank_id, name in (("rcb", "天长农商银行"), ("abc", "农业银行天长支行"), ("psbc", "邮储银行天长支行")):
            r = await svc.client.post("/v1/banks", json={"id": bank_id, "name": name}, headers=admin)
            assert r.status_code == 201, r.text
        yield svc


async def outbox(svc: RunningService, topic: str) -> list[dict[str, Any]]:
    """The events of ``topic`` the service wrote (in order), as envelopes checked against the schema."""
    import orjson
    from sqlalchemy import select

    from common.tables import outbox_events

    async with svc.db.transaction(write=False) as session:
        rows = (await session.execute(select(outbox_events.c.payload).where(outbox_events.c.topic == topic)
                                      .order_by(outbox_events.c.id))).scalars().all()
    events = [orjson.loads(p) for p in rows]
    for e in events:
        validate_event(e)
    return events
