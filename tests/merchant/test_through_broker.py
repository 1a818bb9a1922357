"""Through a real broker: grades arrive by rating-changed and apply at the next scan; a replayed or
stale event does not bring offers back; redemption-recorded reaches the broker."""
from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer
from sqlalchemy import select

from common.broker import TansuBroker
from common.events import Event
from common.tables import inbox_events
from tests.harness import DatabaseFactory, Keys, RunningService, eventually, send_event, start_service
from tests.merchant.support import County, rating_event, subject_event

pytestmark = pytest.mark.broker


def send(producer: KafkaProducer, event: Event, payload: bytes | None = None) -> None:
    send_event(producer, event.type, key=event.subject.encode(), value=payload or event.to_json()).get(10)


async def grade_of(svc: RunningService, county: County, subject_id: str) -> Any:
    r = await svc.client.get(f"/v1/households/{subject_id}", headers=county.admin)
    return r.json().get("grade") if r.status_code == 200 else None


async def test_grades_from_events_apply_at_the_next_scan(databases: DatabaseFactory, keys: Keys,
                                                         fresh_broker: TansuBroker) -> None:
    url = await databases.create("merchant", "sqlite")
    producer = KafkaProducer(bootstrap_servers=fresh_broker.bootstrap)
    async with start_service("merchant", url, keys, bootstrap=fresh_broker.bootstrap) as svc:
        county = County(svc.client, keys)
        await svc.wait_consumer_assigned()
        hh = f"hh-{uuid.uuid4().hex[:8]}"
        first_rating = rating_event(hh, "AA", 1)
        for event in (subject_event(hh), first_rating):
            await asyncio.to_thread(send, producer, event)
        await eventually(lambda: _is(grade_of(svc, county, hh), "AA"), timeout=20)

        shop = await county.merchant()
        aa_offer = await county.offer(shop, {"kind": "percent", "percent": "10"}, ["AAA", "AA"])
        a_offer = await county.offer(shop, {"kind": "spend_save", "threshold": "100", "save": "5"}, ["AAA", "AA", "A"])
        code = await county.code(hh)
        answer = await county.verify(shop, code)
        assert answer["grade"] == "AA" and {o["offer_id"] for o in answer["offers"]} == {aa_offer, a_offer}

        await asyncio.to_thread(send, producer, rating_event(hh, "A", 2, old="AA"))
        await eventually(lambda: _is(grade_of(svc, county, hh), "A"), timeout=20)
        answer = await county.verify(shop, code)
        assert [o["offer_id"] for o in answer["offers"]] == [a_offer]

        # The first event delivered again, and a stale one with a new id: neither brings AA back.
        # Same key, so same partition: once the stale one is handled, so is the replay before it.
        stale = rating_event(hh, "AAA", 1)
        await asyncio.to_thread(send, producer, first_rating)
        await asyncio.to_thread(send, producer, stale)
        await eventually(lambda: handled(svc, stale.id), timeout=20)
        answer = await county.verify(shop, code)
        assert answer["grade"] == "A" and [o["offer_id"] for o in answer["offers"]] == [a_offer]

        await asyncio.to_thread(send, producer, rating_event(hh, "B", 3, old="A"))
        await eventually(lambda: _is(grade_of(svc, county, hh), "B"), timeout=20)
        answer = await county.verify(shop, code)
        assert answer["valid"] is False and answer["status"] == "not_credit_household" and answer["offers"] == []

        # Back up to AA: a redemption, announced on the broker.
        await asyncio.to_thread(send, producer, rating_event(hh, "AA", 4, old="B"))
        await eventually(lambda: _is(grade_of(svc, county, hh), "AA"), timeout=20)
        r = await county.redeem(shop, code, aa_offer, "88.80")
        assert r.status_code == 201 and r.json()["discount"] == "8.88"
        recorded = await asyncio.to_thread(read_one, fresh_broker.bootstrap, "redemption-recorded")
        assert recorded["data"]["redemption_id"] == r.json()["redemption_id"]
        assert recorded["data"]["discount"] == "8.88" and recorded["source"] == "merchant"
    producer.close()


async def handled(svc: RunningService, event_id: str) -> bool:
    async with svc.db.transaction(write=False) as session:
        found = await session.execute(select(inbox_events.c.event_id).where(inbox_events.c.event_id == event_id))
        return found.first() is not None


async def _is(value: Any, expected: Any) -> bool:
    return bool(await value == expected)


def read_one(bootstrap: str, topic: str) -> dict[str, Any]:
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"reader-{uuid.uuid4().hex[:6]}",
                             auto_offset_reset="earliest", session_timeout_ms=6000, heartbeat_interval_ms=1000,
                             fetch_max_wait_ms=50)
    try:
        for _ in range(60):
            for records in consumer.poll(500).values():
                for record in records:
                    return dict(orjson.loads(record.value))
    finally:
        consumer.close()
    raise AssertionError(f"nothing on {topic}")
