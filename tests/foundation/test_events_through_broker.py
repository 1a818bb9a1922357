"""The event backbone through a real broker: outbox commits with the change, the relay delivers,
a consumer in another service applies each event once, poison goes to the DLQ, and a broker
restart loses nothing that was written meanwhile."""
from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.broker import TansuBroker
from common.db import Database
from common.events import Event, emit
from common.events import consumer as consumer_module
from common.events.consumer import EventConsumer
from common.events.outbox import emit_many
from common.events.relay import BACKLOG, OutboxRelay
from common.events.signing import load_signer
from common.events.topics import ensure_topics
from common.tables import inbox_events, outbox_events
from registry import events as registry_events
from tests.harness import DatabaseFactory, eventually, rating_relay, send_event, session_keys

pytestmark = pytest.mark.broker
# The relays here publish the registry's events: they sign as the registry does.
REGISTRY_SIGNER = load_signer(session_keys().events_dir, "registry")

meta = MetaData()
households = Table("test_households", meta, Column("id", String(40), primary_key=True),
                   Column("village", String(12), nullable=False))
applied = Table("test_applied", meta, Column("n", Integer, primary_key=True, autoincrement=True),
                Column("subject_id", String(40), nullable=False))


def registered(subject_id: str) -> Event:
    """The registry's own subject-registered (its builder)."""
    return registry_events.registered(
        subject_id=subject_id, kind="household", version=1, masked_name="张*",
        region_codes={"county": "341181", "town": "341181100", "village": "341181100201"},
        profile={"members_count": 4}, consent={"given": True, "date": None, "scopes": []},
        registered_at=datetime(2026, 11, 25, 8, tzinfo=UTC))


def grade(subject_id: str, new_grade: str, vetoed: bool = False) -> Event:
    """Rating's own rating-changed (its builder): a round's grade, or a veto."""
    from rating.ratings.events import rating_changed

    return rating_changed(subject_id=subject_id, kind="household", county="341181", town="341181100",
                          village="341181100201", old_grade=None, new_grade=new_grade, score=Decimal("80"),
                          version=1, effective_at=datetime(2026, 11, 25, 8, tzinfo=UTC), reason="round",
                          vetoed=vetoed)


async def register(db: Database, subject_id: str, fail_after_emit: bool = False) -> None:
    async with db.transaction() as session:
        await session.execute(insert(households).values(id=subject_id, village="341181100201"))
        await emit(session, registered(subject_id))
        if fail_after_emit:
            raise RuntimeError("the change fails after the event was written")


async def applied_count(db: Database, subject_id: str | None = None) -> int:
    async with db.transaction(write=False) as session:
        q = select(func.count()).select_from(applied)
        if subject_id:
            q = q.where(applied.c.subject_id == subject_id)
        return int((await session.execute(q)).scalar_one())


async def applied_order(db: Database) -> list[str]:
    """The subjects in the order the handler applied their events."""
    async with db.transaction(write=False) as session:
        return list((await session.execute(select(applied.c.subject_id).order_by(applied.c.n))).scalars())


async def fresh_db(databases: DatabaseFactory, service: str, backend: str) -> Database:
    db = Database(await databases.create(service, backend))
    async with db.engine.begin() as conn:
        await conn.run_sync(meta.create_all)
    return db


@pytest.fixture
async def pair(databases: DatabaseFactory, backend: str, broker: TansuBroker) -> AsyncIterator[dict[str, Any]]:
    producer_db = await fresh_db(databases, "registry", backend)
    consumer_db = await fresh_db(databases, "rating", backend)

    async def handle(session: AsyncSession, event: Event) -> None:
        if event.subject.startswith("poison"):
            raise ValueError("this subject can never be applied")
        await session.execute(insert(applied).values(subject_id=event.subject))

    relay = OutboxRelay(producer_db, broker.bootstrap, "test-producer", signer=REGISTRY_SIGNER, poll_interval=0.05, max_backoff=0.5)
    group = f"test-consumer-{uuid.uuid4().hex[:6]}"
    consumer = EventConsumer(consumer_db, broker.bootstrap, group, {"subject-registered": handle},
                             verifier=session_keys().verifier("rating"), max_attempts=2, retry_delay=0.01)
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]
    yield {"producer_db": producer_db, "consumer_db": consumer_db, "relay": relay, "consumer": consumer}
    await relay.stop()
    await consumer.stop()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await producer_db.dispose()
    await consumer_db.dispose()


async def test_row_and_event_commit_together_or_not_at_all(databases: DatabaseFactory, backend: str) -> None:
    db = await fresh_db(databases, "registry", backend)
    await register(db, "hh-1")
    with pytest.raises(RuntimeError):
        await register(db, "hh-2", fail_after_emit=True)
    async with db.transaction(write=False) as session:
        ids = set((await session.execute(select(households.c.id))).scalars())
        keys = set((await session.execute(select(outbox_events.c.key))).scalars())
    assert ids == {"hh-1"}
    assert keys == {"hh-1"}
    await db.dispose()


async def test_event_crosses_broker_and_is_applied_once_even_when_delivered_twice(
        pair: dict[str, Any], broker: TansuBroker) -> None:
    subject = f"hh-{uuid.uuid4().hex[:8]}"
    await register(pair["producer_db"], subject)
    await eventually(lambda: applied_count(pair["consumer_db"], subject), timeout=20)

    async with pair["producer_db"].transaction(write=False) as session:
        row = (await session.execute(select(outbox_events).where(outbox_events.c.key == subject))).one()
    assert row.sent_at is not None, "marked sent once the broker acknowledged it"

    # The broker delivers the very same event again (at-least-once): it must not apply twice.
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap)
    send_event(producer, "subject-registered", key=subject.encode(), value=row.payload).get(10)
    marker = f"hh-{uuid.uuid4().hex[:8]}"
    await register(pair["producer_db"], marker)
    await eventually(lambda: applied_count(pair["consumer_db"], marker), timeout=20)
    assert await applied_count(pair["consumer_db"], subject) == 1
    async with pair["consumer_db"].transaction(write=False) as session:
        handled = (await session.execute(select(func.count()).select_from(inbox_events)
                                         .where(inbox_events.c.event_id == orjson.loads(row.payload)["id"]))).scalar_one()
    assert handled == 1
    producer.close()


async def test_poison_messages_go_to_the_dlq_and_the_rest_flows(pair: dict[str, Any], broker: TansuBroker) -> None:
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap)
    send_event(producer, "subject-registered", key=b"garbage", value=b"{not json").get(10)
    poison = f"poison-{uuid.uuid4().hex[:8]}"
    await register(pair["producer_db"], poison)
    after = f"hh-{uuid.uuid4().hex[:8]}"
    await register(pair["producer_db"], after)
    await eventually(lambda: applied_count(pair["consumer_db"], after), timeout=20)
    assert await applied_count(pair["consumer_db"], poison) == 0

    dlq = KafkaConsumer("subject-registered.dlq", bootstrap_servers=broker.bootstrap,
                        group_id=f"dlq-reader-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest",
                        session_timeout_ms=6000, heartbeat_interval_ms=1000, fetch_max_wait_ms=50)
    found: dict[bytes, dict[str, bytes]] = {}
    deadline = asyncio.get_running_loop().time() + 20
    while (b"garbage" not in found or poison.encode() not in found) and asyncio.get_running_loop().time() < deadline:
        for records in (await asyncio.to_thread(dlq.poll, 500)).values():
            for m in records:
                found[m.key] = dict(m.headers)
    dlq.close()
    producer.close()
    assert b"garbage" in found and poison.encode() in found
    assert found[b"garbage"]["error_type"] == b"PoisonMessage"
    assert b"never be applied" in found[poison.encode()]["error"]
    assert found[poison.encode()]["attempts"] == b"2"


async def test_events_written_while_the_broker_is_down_arrive_after_restart(
        databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> None:
    broker = TansuBroker(workdir=tmp_path_factory.mktemp("tansu-restart"))
    broker.start()
    ensure_topics(broker.bootstrap)
    producer_db = await fresh_db(databases, "registry", "sqlite")
    consumer_db = await fresh_db(databases, "rating", "sqlite")

    async def handle(session: AsyncSession, event: Event) -> None:
        await session.execute(insert(applied).values(subject_id=event.subject))

    relay = OutboxRelay(producer_db, broker.bootstrap, "restart-producer", signer=REGISTRY_SIGNER, poll_interval=0.05, max_backoff=0.5)
    consumer = EventConsumer(consumer_db, broker.bootstrap, "restart-consumer", {"subject-registered": handle},
                             verifier=session_keys().verifier("rating"))
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]
    try:
        await register(producer_db, "before")
        await eventually(lambda: applied_count(consumer_db, "before"), timeout=20)

        await asyncio.to_thread(broker.stop)
        written = [f"during-{i}" for i in range(5)]
        for subject in written:  # writes keep succeeding; the outbox keeps their events
            await register(producer_db, subject)
        await asyncio.sleep(1.0)
        async with producer_db.transaction(write=False) as session:
            unsent = (await session.execute(select(func.count()).select_from(outbox_events)
                                            .where(outbox_events.c.sent_at.is_(None)))).scalar_one()
        assert unsent == len(written)

        await asyncio.to_thread(broker.start)
        await asyncio.to_thread(ensure_topics, broker.bootstrap)
        for subject in written:
            await eventually(lambda s=subject: applied_count(consumer_db, s), timeout=40)
        assert await applied_count(consumer_db) == 1 + len(written)
    finally:
        await relay.stop()
        await consumer.stop()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer_db.dispose()
        await consumer_db.dispose()
        broker.stop()


async def test_accept_version_takes_only_newer_versions(databases: DatabaseFactory, backend: str) -> None:
    from common.events import accept_version

    db = Database(await databases.create("registry", backend))
    seen = []
    for version in (2, 2, 1, 3, 3, 5, 4):
        async with db.transaction() as session:
            seen.append(await accept_version(session, "rating", "hh-1", version))
    async with db.transaction() as session:
        other = await accept_version(session, "subject", "hh-1", 1)  # another stream is its own
    assert seen == [True, False, False, True, False, True, False] and other
    await db.dispose()


async def test_accept_versions_takes_the_newer_of_many_subjects_in_one_statement(databases: DatabaseFactory,
                                                                                  backend: str) -> None:
    from common.events import accept_versions

    db = Database(await databases.create("registry", backend))
    async with db.transaction() as session:
        first = await accept_versions(session, "rating", [("a", 2), ("b", 5), ("c", 1)])
    async with db.transaction() as session:
        second = await accept_versions(session, "rating", [("a", 1), ("b", 6), ("c", 1), ("d", 1)])
        with pytest.raises(ValueError):
            await accept_versions(session, "rating", [("a", 7), ("a", 8)])
    assert first == {"a", "b", "c"} and second == {"b", "d"}
    await db.dispose()


async def test_the_relay_sends_urgent_events_before_a_backlog(databases: DatabaseFactory, backend: str,
                                                              fresh_broker: TansuBroker) -> None:
    """A veto written behind a county round's unsent events leaves in the relay's next batch, alone
    (nothing of the backlog's to wait for), by its type's urgent lane; the backlog follows in id order."""
    db = await fresh_db(databases, "rating", backend)
    backlog = [grade(f"hh-round-{i}", "AA") for i in range(10)]
    veto = grade("hh-veto", "D", vetoed=True)
    async with db.transaction() as session:
        await emit_many(session, backlog)
        await emit_many(session, [veto], urgent=True)
    relay = rating_relay(db, fresh_broker.bootstrap, batch_size=4)
    try:
        assert await relay.publish_pending() == 1
        async with db.transaction(write=False) as session:
            sent = (await session.execute(select(outbox_events.c.key, outbox_events.c.topic)
                                          .where(outbox_events.c.sent_at.is_not(None))
                                          .order_by(outbox_events.c.id))).all()
        assert [tuple(r) for r in sent] == [("hh-veto", "rating-changed.urgent")]
        assert await relay.publish_pending() == 4
        while await relay.publish_pending():
            pass
    finally:
        await relay.stop()
        await db.dispose()

    lanes: dict[str, list[str]] = {}
    reader = KafkaConsumer("rating-changed", "rating-changed.urgent", bootstrap_servers=fresh_broker.bootstrap,
                           group_id=f"lane-reader-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest",
                           session_timeout_ms=6000, heartbeat_interval_ms=1000, fetch_max_wait_ms=50)
    deadline = asyncio.get_running_loop().time() + 20
    while sum(map(len, lanes.values())) < 11 and asyncio.get_running_loop().time() < deadline:
        for tp, records in (await asyncio.to_thread(reader.poll, 500)).items():
            lanes.setdefault(tp.topic, []).extend(m.key.decode() for m in records)
    reader.close()
    assert lanes["rating-changed.urgent"] == ["hh-veto"]
    assert sorted(lanes["rating-changed"]) == sorted(e.subject for e in backlog)


async def test_a_veto_leaves_while_the_relay_is_still_sending_a_backlog(databases: DatabaseFactory, backend: str,
                                                                      fresh_broker: TansuBroker) -> None:
    """The relay's lanes run apart: a veto committed while a county round's batch is on its way to
    a busy broker reaches the broker without waiting for that send, nor for its marking."""
    db = await fresh_db(databases, "rating", backend)
    backlog = [grade(f"hh-round-{i}", "AA") for i in range(5)]
    async with db.transaction() as session:
        await emit_many(session, backlog)
    relay = rating_relay(db, fresh_broker.bootstrap, poll_interval=0.05)
    sending, release = threading.Event(), threading.Event()
    send = relay._publish

    def busy_broker(lane: str, rows: Any) -> list[int]:
        if lane == BACKLOG:
            sending.set()
            release.wait(60)  # the backlog's send hangs until the test lets it go
        return send(lane, rows)

    relay._publish = busy_broker  # type: ignore[method-assign]
    running = asyncio.create_task(relay.run())
    reader = KafkaConsumer("rating-changed.urgent", bootstrap_servers=fresh_broker.bootstrap,
                           group_id=f"veto-reader-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest",
                           session_timeout_ms=6000, heartbeat_interval_ms=1000, fetch_max_wait_ms=50)
    try:
        assert await asyncio.to_thread(sending.wait, 20), "the relay never started on the backlog"
        async with db.transaction() as session:
            await emit_many(session, [grade("hh-veto", "D", vetoed=True)], urgent=True)
        seen: list[str] = []
        deadline = asyncio.get_running_loop().time() + 20
        while not seen and asyncio.get_running_loop().time() < deadline:
            for records in (await asyncio.to_thread(reader.poll, 500)).values():
                seen += [m.key.decode() for m in records]
        assert seen == ["hh-veto"]
        async with db.transaction(write=False) as session:
            unsent = (await session.execute(select(outbox_events.c.key).where(outbox_events.c.sent_at.is_(None))
                                            .order_by(outbox_events.c.id))).scalars().all()
        assert unsent == [e.subject for e in backlog]  # still on its way, behind the veto
    finally:
        release.set()
        reader.close()
        await relay.stop()
        await running
    async with db.transaction(write=False) as session:
        left = (await session.execute(select(func.count()).select_from(outbox_events)
                                      .where(outbox_events.c.sent_at.is_(None)))).scalar_one()
    await db.dispose()
    assert left == 0  # once the broker answers, the backlog is sent and marked too


async def test_a_consumer_reads_a_topic_created_after_it_subscribed(
        databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A consumer that joined before its topics existed (a broker being set up, or one that lost
    them) reads them once they are created, not at its next full metadata refresh minutes later."""
    broker = TansuBroker(workdir=tmp_path_factory.mktemp("tansu-late-topics"))
    broker.start()
    producer_db = await fresh_db(databases, "registry", "sqlite")
    consumer_db = await fresh_db(databases, "rating", "sqlite")

    async def handle(session: AsyncSession, event: Event) -> None:
        await session.execute(insert(applied).values(subject_id=event.subject))

    consumer = EventConsumer(consumer_db, broker.bootstrap, "late-topics", {"subject-registered": handle},
                             verifier=session_keys().verifier("rating"))
    relay = OutboxRelay(producer_db, broker.bootstrap, "late-producer", signer=REGISTRY_SIGNER, poll_interval=0.05, max_backoff=0.5)
    tasks = [asyncio.create_task(consumer.run())]
    try:
        await asyncio.sleep(4)  # joined the group with no topic to read
        await asyncio.to_thread(ensure_topics, broker.bootstrap)
        tasks.append(asyncio.create_task(relay.run()))
        await register(producer_db, "late")
        await eventually(lambda: applied_count(consumer_db, "late"), timeout=30)
    finally:
        await relay.stop()
        await consumer.stop()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer_db.dispose()
        await consumer_db.dispose()
        broker.stop()


async def test_a_consumer_applies_the_urgent_lane_before_the_backlog_of_the_same_poll(
        databases: DatabaseFactory, fresh_broker: TansuBroker) -> None:
    """A veto that a consumer fetches together with a county round's backlog commits first, in its
    own transaction, instead of after the backlog's events that came in the same poll."""
    producer_db = await fresh_db(databases, "rating", "sqlite")
    consumer_db = await fresh_db(databases, "lending", "sqlite")
    backlog = [grade(f"hh-round-{i}", "AA") for i in range(300)]
    async with producer_db.transaction() as session:
        await emit_many(session, backlog)
    async with producer_db.transaction() as session:
        await emit_many(session, [grade("hh-veto", "D", vetoed=True)], urgent=True)
    relay = rating_relay(producer_db, fresh_broker.bootstrap)
    try:
        while await relay.publish_pending():
            pass
    finally:
        await relay.stop()

    async def handle(session: AsyncSession, event: Event) -> None:
        await session.execute(insert(applied).values(subject_id=event.subject))

    consumer = EventConsumer(consumer_db, fresh_broker.bootstrap, f"lanes-{uuid.uuid4().hex[:6]}",
                             {"rating-changed": handle}, verifier=session_keys().verifier("lending"))
    task = asyncio.create_task(consumer.run())
    try:
        async def all_applied() -> bool:
            return await applied_count(consumer_db) == 301

        await eventually(all_applied, timeout=30)
    finally:
        await consumer.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    order = await applied_order(consumer_db)
    await producer_db.dispose()
    await consumer_db.dispose()
    assert order.index("hh-veto") < 100, f"the veto was applied after {order.index('hh-veto')} backlog events"


async def test_the_urgent_lanes_own_consumer_does_not_wait_for_a_backlog_already_fetched(
        databases: DatabaseFactory, fresh_broker: TansuBroker) -> None:
    """As a service runs them (``common.app``): one consumer for the ordinary lanes, one for the
    urgent lanes. A veto published while the ordinary consumer works through a round's backlog,
    with thousands of its records already fetched, is applied long before that backlog is: one
    consumer for both lanes would hand it over only after the records fetched before it."""
    producer_db = await fresh_db(databases, "rating", "sqlite")
    consumer_db = await fresh_db(databases, "lending", "sqlite")
    async with producer_db.transaction() as session:
        await emit_many(session, [grade(f"hh-round-{i}", "AA") for i in range(3000)])
    relay = rating_relay(producer_db, fresh_broker.bootstrap)

    async def handle(session: AsyncSession, event: Event) -> None:
        await asyncio.sleep(0.002)  # a busy county round: the backlog takes seconds
        await session.execute(insert(applied).values(subject_id=event.subject))

    group = f"split-{uuid.uuid4().hex[:6]}"
    verifier = session_keys().verifier("lending")
    main = EventConsumer(consumer_db, fresh_broker.bootstrap, group, {"rating-changed": handle},
                         verifier=verifier, lane="main")
    urgent = EventConsumer(consumer_db, fresh_broker.bootstrap, f"{group}.urgent", {"rating-changed": handle},
                           verifier=verifier, lane="urgent")
    assert main.topics == ["rating-changed"] and urgent.topics == ["rating-changed.urgent"]
    tasks = [asyncio.create_task(c.run()) for c in (main, urgent)]
    try:
        while await relay.publish_pending():
            pass
        await asyncio.wait_for(asyncio.gather(main.assigned.wait(), urgent.assigned.wait()), 30)

        async def started() -> bool:
            return await applied_count(consumer_db) > 0

        await eventually(started, timeout=30)
        async with producer_db.transaction() as session:
            await emit_many(session, [grade("hh-veto", "D", vetoed=True)], urgent=True)
        while await relay.publish_pending():
            pass

        async def all_applied() -> bool:
            return await applied_count(consumer_db) == 3001

        await eventually(all_applied, timeout=60)
    finally:
        await relay.stop()
        for c in (main, urgent):
            await c.stop()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    order = await applied_order(consumer_db)
    await producer_db.dispose()
    await consumer_db.dispose()
    assert order.index("hh-veto") < 2000, f"the veto was applied after {order.index('hh-veto')} backlog events"


async def test_a_join_kafka_python_lost_after_a_revocation_is_completed(
        databases: DatabaseFactory, fresh_broker: TansuBroker, monkeypatch: pytest.MonkeyPatch) -> None:
    """kafka-python 3.0.12 can leave a group's leader revoked and unassigned while it believes
    itself joined (a rejoin that only a metadata change asked for, finished after a poll's
    timeout: seen on Apache Kafka after topics were recreated). Put a consumer in that state: it
    asks the group to rebalance again and applies the next event, in the same client.
    The two backstops (the idle nudge, the stalled-rebalance reconnect) are moved out of reach,
    so only the lost join's own repair can apply it, however slow the machine or the broker's
    rebalance (Tansu waits 3 s for members; under a loaded CI run, more)."""
    monkeypatch.setattr(consumer_module, "EMPTY_REJOIN_S", 600.0)
    monkeypatch.setattr(consumer_module, "JOIN_STALL_S", 600.0)
    producer_db = await fresh_db(databases, "rating", "sqlite")
    consumer_db = await fresh_db(databases, "lending", "sqlite")
    relay = rating_relay(producer_db, fresh_broker.bootstrap)

    async def handle(session: AsyncSession, event: Event) -> None:
        await session.execute(insert(applied).values(subject_id=event.subject))

    consumer = EventConsumer(consumer_db, fresh_broker.bootstrap, f"lost-{uuid.uuid4().hex[:6]}",
                             {"rating-changed": handle}, verifier=session_keys().verifier("lending"), lane="main")

    async def publish(subject_id: str) -> None:
        async with producer_db.transaction() as session:
            await emit_many(session, [grade(subject_id, "AA")])
        while await relay.publish_pending():
            pass

    def lose_the_join() -> Any:
        # What the lost rejoin leaves: listeners told of the revocation, nothing assigned in the
        # client, while its coordinator wants no rejoin.
        client = consumer._consumer
        assert client is not None and not client._coordinator.need_rejoin()
        consumer._positions.on_partitions_revoked(set(client.assignment()))
        client._subscription.assign_from_subscribed([])
        return client

    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(consumer.assigned.wait(), 30)
        await publish("hh-before")

        async def applied_before() -> bool:
            return await applied_count(consumer_db, "hh-before") == 1

        await eventually(applied_before, timeout=30)
        client = await consumer._call(lose_the_join)
        await publish("hh-after")

        async def applied_after() -> bool:
            return await applied_count(consumer_db, "hh-after") == 1

        await eventually(applied_after, timeout=30)
        assert consumer._consumer is client, "the consumer reconnected instead of completing its join"
    finally:
        await relay.stop()
        await consumer.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await producer_db.dispose()
        await consumer_db.dispose()
