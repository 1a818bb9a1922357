"""A county-wide round reaches lending and merchant as batches (one poll, one transaction, set-based
statements). One batch here mixes good events with a duplicate (the same event twice), a stale
event behind a newer one of the same subject, two versions of one subject in order, and a poison
event the handler cannot apply: the good ones are applied once each, the stale one changes
nothing, the poison goes to the DLQ with the batch's other events still applied."""
from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer
from sqlalchemy import func, select

from common.auth import Role
from common.broker import TansuBroker
from common.events import Event
from common.events.topics import urgent_topic
from common.tables import inbox_events, outbox_events
from merchant.households.models import households
from tests.harness import DatabaseFactory, Keys, RunningService, eventually, send_event, start_service
from tests.lending.conftest import rating_changed

pytestmark = pytest.mark.broker

# Schema-valid (the envelope has no upper bound on a version) but beyond a 64-bit integer: neither
# database can store it, so the handler fails on it, the batch falls back to one by one and this
# event alone is dead-lettered.
TOO_BIG = 2**63


def mixed_batch() -> tuple[list[Event], dict[str, Event]]:
    good = rating_changed("hh-good", "AAA", 1)
    two_a, two_b = rating_changed("hh-two", "A", 1), rating_changed("hh-two", "AA", 2, old_grade="A")
    newer, stale = rating_changed("hh-stale", "AA", 3), rating_changed("hh-stale", "B", 2)
    poison = rating_changed("hh-poison", "A", TOO_BIG)
    last = rating_changed("hh-last", "B", 1)
    sent = [good, good, two_a, two_b, newer, stale, poison, last]
    return sent, {"good": good, "poison": poison}


async def history(svc: RunningService, keys: Keys, subject: str) -> list[str]:
    r = await svc.client.get(f"/v1/credit-lines/{subject}/history", headers=keys.headers(Role.admin))
    return [h["change"] + ":" + h["grade"] for h in r.json()] if r.status_code == 200 else []


async def count(svc: RunningService, table: Any, *where: Any) -> int:
    async with svc.db.transaction(write=False) as session:
        return int((await session.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


async def _equals(value: Any, expected: int) -> bool:
    return bool(await value == expected)


async def dead_letters(broker: TansuBroker, want: int) -> list[tuple[bytes, bytes, bytes]]:
    """(key, consumer group, original topic) of what reached ``rating-changed.dlq``."""
    dlq = KafkaConsumer("rating-changed.dlq", bootstrap_servers=broker.bootstrap,
                        group_id=f"dlq-reader-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest",
                        session_timeout_ms=6000, heartbeat_interval_ms=1000, fetch_max_wait_ms=50)
    dead: list[tuple[bytes, bytes, bytes]] = []
    deadline = asyncio.get_running_loop().time() + 20
    while len(dead) < want and asyncio.get_running_loop().time() < deadline:
        for records in (await asyncio.to_thread(dlq.poll, 500)).values():
            dead += [(m.key, dict(m.headers)["consumer_group"], dict(m.headers)["original_topic"]) for m in records]
    dlq.close()
    return sorted(dead)


async def test_a_batch_with_a_duplicate_a_stale_and_a_poison_event(databases: DatabaseFactory, keys: Keys,
                                                                  fresh_broker: TansuBroker, backend: str) -> None:
    sent, named = mixed_batch()
    producer = KafkaProducer(bootstrap_servers=fresh_broker.bootstrap, acks="all")
    for event in sent:  # all on the broker before the consumers start: their first poll takes them at once
        send_event(producer, "rating-changed", key=event.subject.encode(), value=event.to_json())
    producer.flush(10)
    producer.close()

    lending_url, merchant_url = await databases.create("lending", backend), await databases.create("merchant", backend)
    async with (start_service("lending", lending_url, keys, bootstrap=fresh_broker.bootstrap) as lending,
                start_service("merchant", merchant_url, keys, bootstrap=fresh_broker.bootstrap) as merchant):
        # Done: every distinct event but the poison is in each inbox (applied, or seen as stale).
        expected = len({e.id for e in sent}) - 1
        for svc in (lending, merchant):
            await eventually(lambda svc=svc: _equals(count(svc, inbox_events), expected), timeout=60)

        assert await history(lending, keys, "hh-good") == ["granted:AAA"]  # the duplicate applied once
        assert await history(lending, keys, "hh-two") == ["granted:A", "raised:AA"]  # both, in order
        assert await history(lending, keys, "hh-stale") == ["granted:AA"]  # the stale B changed nothing
        assert await history(lending, keys, "hh-poison") == []
        assert await count(lending, outbox_events, outbox_events.c.topic == "credit-line-changed") == 5
        assert await count(lending, inbox_events, inbox_events.c.event_id == named["good"].id) == 1

        async with merchant.db.transaction(write=False) as session:
            grades = dict((await session.execute(select(households.c.subject_id, households.c.grade))).all())
        assert grades == {"hh-good": "AAA", "hh-two": "AA", "hh-stale": "AA", "hh-last": "B"}

    # Each service dead-lettered the poison event, and only it.
    assert await dead_letters(fresh_broker, 2) == [(b"hh-poison", b"lending", b"rating-changed"),
                                                   (b"hh-poison", b"merchant", b"rating-changed")]


async def test_a_veto_by_the_urgent_lane_wins_over_the_rounds_older_grade(databases: DatabaseFactory, keys: Keys,
                                                                          fresh_broker: TansuBroker,
                                                                          backend: str) -> None:
    """A veto raised during a round comes by ``rating-changed.urgent`` and may be applied before
    the round's older grade for the same household, still queued on ``rating-changed``: that grade
    is then stale and changes nothing. A poison event on the urgent lane goes to the type's DLQ."""
    round_events = [rating_changed(f"hh-round-{i:03d}", "AA", 1) for i in range(200)]
    older = rating_changed("hh-vetoed", "AAA", 1)
    veto = rating_changed("hh-vetoed", "D", 2, old_grade="AAA", vetoed=True, reason="negative: court record")
    poison = rating_changed("hh-poison-urgent", "A", TOO_BIG)
    producer = KafkaProducer(bootstrap_servers=fresh_broker.bootstrap, acks="all")
    for event in [*round_events, older]:
        send_event(producer, "rating-changed", key=event.subject.encode(), value=event.to_json())
    for event in (veto, poison):
        send_event(producer, urgent_topic("rating-changed"), key=event.subject.encode(), value=event.to_json())
    producer.flush(10)
    producer.close()

    lending_url, merchant_url = await databases.create("lending", backend), await databases.create("merchant", backend)
    async with (start_service("lending", lending_url, keys, bootstrap=fresh_broker.bootstrap) as lending,
                start_service("merchant", merchant_url, keys, bootstrap=fresh_broker.bootstrap) as merchant):
        expected = len(round_events) + 2  # the round, the older grade (applied or seen as stale), the veto
        for svc in (lending, merchant):
            await eventually(lambda svc=svc: _equals(count(svc, inbox_events), expected), timeout=60)

        line = (await lending.client.get("/v1/credit-lines/hh-vetoed", headers=keys.headers(Role.admin))).json()
        assert line["grade"] == "D" and line["status"] != "active", line
        assert (await history(lending, keys, "hh-vetoed"))[-1:] != ["granted:AAA"]
        async with merchant.db.transaction(write=False) as session:
            row = (await session.execute(select(households.c.grade, households.c.vetoed)
                                         .where(households.c.subject_id == "hh-vetoed"))).one()
        assert tuple(row) == ("D", True)

        # Dead-lettered while the services run: the poison may be the last thing each of them handles.
        # The urgent lane is read by each service's own urgent consumer (group <service>.urgent).
        assert await dead_letters(fresh_broker, 2) == [
            (b"hh-poison-urgent", b"lending.urgent", b"rating-changed.urgent"),
            (b"hh-poison-urgent", b"merchant.urgent", b"rating-changed.urgent")]
