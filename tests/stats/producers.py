"""Events for the stats tests made by their producers' own code: the registry's and rating's
builders, and lending's real loan path (a lending service records the loans; its outbox is read)."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from common.auth import Role
from common.events import Event
from common.events.topics import lanes
from common.tables import outbox_events
from lending.credit_lines.service import on_rating_changed
from lending.subjects.service import on_subject
from rating.ratings.events import rating_changed
from tests.harness import Keys, RunningService
from tests.lending.conftest import subject_event


def graded(subject_id: str, grade: str, version: int, village: str, when: datetime, kind: str = "household") -> Event:
    return rating_changed(subject_id=subject_id, kind=kind, county=village[:6], town=village[:9], village=village,
                          old_grade=None, new_grade=grade, score=Decimal("85"), version=version, effective_at=when,
                          reason="final after publication")


async def grant(lending: RunningService, subject_id: str, village: str) -> None:
    """A line at lending (from the registry's and rating's own events: the file with its consent to
    lending use, then the grade), so that the subject can borrow."""
    async with lending.db.transaction() as session:
        await on_subject(session, [subject_event(subject_id, village=village)])
        await on_rating_changed(session, [graded(subject_id, "AAA", 1, village, datetime(2026, 11, 1, tzinfo=UTC))])


async def borrow(lending: RunningService, headers: dict[str, str], subject_id: str, amount: str) -> None:
    r = await lending.client.post("/v1/loans", json={"subject_id": subject_id, "amount": amount, "annual_rate": "4.00",
                                                     "term_months": 12}, headers=headers)
    assert r.status_code == 201, r.text


def bank_headers(keys: Keys, key: str) -> dict[str, str]:
    return {**keys.headers(Role.bank, bank_id="rcb"), "Idempotency-Key": key}


async def add_bank(lending: RunningService, keys: Keys) -> None:
    r = await lending.client.post("/v1/banks", json={"id": "rcb", "name": "天长农商银行"}, headers=keys.headers(Role.admin))
    assert r.status_code == 201, r.text


async def published(svc: RunningService, topic: str) -> list[Event]:
    """What ``svc`` wrote to its outbox on ``topic``, as the events the relay will publish."""
    async with svc.db.transaction(write=False) as session:
        rows = (await session.execute(select(outbox_events.c.payload).where(outbox_events.c.topic.in_(lanes(topic)))
                                      .order_by(outbox_events.c.id))).scalars().all()
    return [Event.from_json(p if isinstance(p, bytes) else p.encode()) for p in rows]
