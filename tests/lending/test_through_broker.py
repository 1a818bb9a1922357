"""Through the real broker: rating-changed events move the line (AAA → 500k with a 20 % markup cap;
B freezes it and a new loan is refused; an upgrade restores it); replaying every event changes
nothing; the credit-line-changed events are published."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest
from kafka import KafkaProducer
from sqlalchemy import func, select

from common.auth import Role
from common.broker import TansuBroker
from common.events import Event
from common.tables import outbox_events
from tests.harness import DatabaseFactory, Keys, RunningService, eventually, send_event, start_service
from tests.lending.conftest import bank, rating_changed, subject_event

pytestmark = pytest.mark.broker


async def publish(producer: KafkaProducer, event: Event) -> None:
    await asyncio.to_thread(lambda: send_event(producer, event.type, key=event.subject.encode(),
                                                  value=event.to_json()).get(10))


async def line(svc: RunningService, keys: Keys, subject: str) -> dict[str, Any] | None:
    r = await svc.client.get(f"/v1/credit-lines/{subject}", headers=bank(keys, "rcb"))
    return r.json() if r.status_code == 200 else None  # type: ignore[no-any-return]


async def test_rating_changes_through_the_broker(databases: DatabaseFactory, keys: Keys,
                                                 fresh_broker: TansuBroker) -> None:
    url = await databases.create("lending", "sqlite")
    producer = KafkaProducer(bootstrap_servers=fresh_broker.bootstrap)
    async with start_service("lending", url, keys, bootstrap=fresh_broker.bootstrap) as svc:
        assert (await svc.client.post("/v1/banks", json={"id": "rcb", "name": "农商行"},
                                      headers=keys.headers(Role.admin))).status_code == 201
        await svc.wait_consumer_assigned()
        events = [rating_changed("hh-b1", "AAA", 1),
                  rating_changed("hh-b1", "B", 2, old_grade="AAA"),
                  rating_changed("hh-b1", "AA", 3, old_grade="B")]

        await publish(producer, subject_event("hh-b1"))  # its file, with consent to lending use: a bank may see it
        await publish(producer, events[0])

        async def granted() -> dict[str, Any] | None:
            got = await line(svc, keys, "hh-b1")
            return got if got and got["status"] == "active" else None

        aaa = await eventually(granted, timeout=20)
        assert (aaa["grade"], aaa["line_amount"], aaa["max_markup"], aaa["max_rate"]) == ("AAA", "500000.00", "0.2", "4.14")
        loan = {"subject_id": "hh-b1", "amount": "100000.00", "annual_rate": "4.14", "term_months": 12}
        r = await svc.client.post("/v1/loans", json=loan, headers=bank(keys, "rcb", "l1"))
        assert r.status_code == 201, r.text

        await publish(producer, events[1])

        async def frozen() -> bool:
            got = await line(svc, keys, "hh-b1")
            return bool(got and got["status"] == "frozen")

        await eventually(frozen, timeout=20)
        r = await svc.client.post("/v1/loans", json={**loan, "amount": "1000.00"}, headers=bank(keys, "rcb", "l2"))
        assert (r.status_code, r.json()["type"]) == (409, "line-frozen")

        await publish(producer, events[2])

        async def restored() -> dict[str, Any] | None:
            got = await line(svc, keys, "hh-b1")
            return got if got and got["status"] == "active" and got["grade"] == "AA" else None

        aa = await eventually(restored, timeout=20)
        assert (aa["line_amount"], aa["drawn"], aa["available"], aa["max_rate"]) == ("300000.00", "100000.00",
                                                                                    "200000.00", "4.485")
        assert (await svc.client.post("/v1/loans", json={**loan, "amount": "1000.00", "annual_rate": "4.48"},
                                      headers=bank(keys, "rcb", "l3"))).status_code == 201

        # Replay: the same events again (at-least-once), and an old version under a new id (stale).
        for event in events:
            await publish(producer, event)
        await publish(producer, rating_changed("hh-b1", "AAA", 1))
        await publish(producer, subject_event("hh-marker"))
        await publish(producer, rating_changed("hh-marker", "A", 1))
        await eventually(lambda: line(svc, keys, "hh-marker"), timeout=20)
        after = await line(svc, keys, "hh-b1")
        assert after is not None
        assert (after["grade"], after["status"], after["line_amount"], after["version"]) == ("AA", "active", "300000.00", 5)  # three grade changes, two draws
        history = (await svc.client.get("/v1/credit-lines/hh-b1/history", headers=keys.headers(Role.admin))).json()
        assert [h["change"] for h in history] == ["granted", "frozen", "unfrozen"]

        async def published() -> bool:
            async with svc.db.transaction(write=False) as session:
                unsent = (await session.execute(select(func.count()).select_from(outbox_events).where(
                    outbox_events.c.sent_at.is_(None)))).scalar_one()
                changed = (await session.execute(select(func.count()).select_from(outbox_events).where(
                    outbox_events.c.topic == "credit-line-changed"))).scalar_one()
            return unsent == 0 and changed == 6  # three grade changes for hh-b1, its two draws, hh-marker

        await eventually(published, timeout=20)
    producer.close()
