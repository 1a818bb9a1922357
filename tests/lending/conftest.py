"""Lending test fixtures: a lending service on a fresh database (SQLite and PostgreSQL), partner
banks, and the events lending consumes, built with their producers' own builders (rating's
``rating_changed``, the registry's ``registered``/``updated``)."""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from common.auth import Role
from common.db import utcnow
from common.events import Event, apply_events, validate_event
from common.events.topics import lanes
from lending.handlers import HANDLERS
from lending.subjects import repository as subject_facts
from rating.ratings import events as rating_events
from registry import events as registry_events
from tests.harness import DatabaseFactory, Keys, RunningService, start_service

VILLAGE = {"county": "341181", "town": "341181100", "village": "341181100201"}


def rating_changed(subject_id: str, new_grade: str, version: int, *, old_grade: str | None = None,
                   kind: str = "household", vetoed: bool = False, village: str = VILLAGE["village"],
                   score: str = "85", effective_at: datetime | None = None,
                   reason: str = "publication: final after publication") -> Event:
    """A ``rating-changed`` as rating makes it (its own builder), effective now unless told."""
    event = rating_events.rating_changed(
        subject_id=subject_id, kind=kind, county=village[:6], town=village[:9], village=village, old_grade=old_grade,
        new_grade=new_grade, score=Decimal(score), version=version, effective_at=effective_at or utcnow(),
        reason=reason, vetoed=vetoed, indicator_system_version=1)
    validate_event(event.to_dict())
    return event


ALL_SCOPES = ("rating", "lending", "merchant", "benefits", "statistics")


def subject_event(subject_id: str, version: int = 1, *, kind: str = "household", village: str = VILLAGE["village"],
                  industry: str | None = None, scopes: Iterable[str] = ALL_SCOPES, status: str = "active",
                  changed: list[str] | None = None, profile: dict[str, Any] | None = None) -> Event:
    """The registry's ``subject-registered`` (version 1) or ``subject-updated``, by its own builders;
    ``profile`` is the file's scoring inputs (the builder sends every other one as null)."""
    now = utcnow()
    row = {"id": subject_id, "kind": kind, "county_code": village[:6], "town_code": village[:9],
           "village_code": village, "group_code": None, "version": version, "masked_name": "张*",
           "profile": {**(profile or {}), **({"industry": industry} if industry else {})},
           "consent": {"given": True, "date": "2022-03-01", "scopes": sorted(set(scopes))},
           "status": status, "created_at": now, "updated_at": now}
    fields = registry_events.subject_fields(row)
    event = registry_events.registered(**fields, registered_at=now) if version == 1 else \
        registry_events.updated(**fields, changed_fields=changed or ["profile"], updated_at=now)
    validate_event(event.to_dict())
    return event


async def apply(svc: RunningService, event: Event, *, registered: bool = True) -> None:
    """Apply an event the way the consumer does (one transaction, lending's own handler), without a broker.

    As in the county, a subject's file comes before its first grade: a ``rating-changed`` for a
    subject lending has not heard of is preceded by the registry's ``subject-registered`` (consent
    to every use, the grade's kind and village). Lending shows a bank nothing of a subject whose
    consent it has not heard; ``registered=False`` leaves the subject unheard of."""
    if registered and event.type == "rating-changed":
        async with svc.db.transaction(write=False) as session:
            known = await subject_facts.get(session, event.data["subject_id"]) is not None
        if not known:
            await apply(svc, subject_event(event.data["subject_id"], kind=event.data["kind"],
                                           village=event.data["region"].get("village") or VILLAGE["village"]))
    async with svc.db.transaction() as session:
        await apply_events(HANDLERS[event.type], session, [event])


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
        rows = (await session.execute(select(outbox_events.c.payload).where(outbox_events.c.topic.in_(lanes(topic)))
                                      .order_by(outbox_events.c.id))).scalars().all()
    events = [orjson.loads(p) for p in rows]
    for e in events:
        validate_event(e)
    return events
