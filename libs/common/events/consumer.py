"""The consumer loop: at least once, applied once.

Each batch from the broker is applied in one DB transaction that also records the handled event
ids (the inbox) and the position reached per topic-partition (``positions``: seeking there on
assignment, a restored database re-reads what it had not seen); the broker's offsets are
committed only after that transaction, as a hint. A redelivered event finds its
id in the inbox and is skipped. If the batch fails, its events are retried one at a time, and an
event that still fails after ``max_attempts`` goes to ``<topic>.dlq`` with the error in headers.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
from kafka import KafkaConsumer
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database, utcnow
from common.events import positions
from common.events.envelope import Event
from common.events.relay import make_producer
from common.events.schemas import EventSchemaError, validate_event
from common.events.topics import dlq_topic
from common.observability import EVENTS_CONSUMED, EVENTS_DEAD_LETTERED
from common.tables import inbox_events

log = logging.getLogger("common.events.consumer")

Handler = Callable[[AsyncSession, Event], Awaitable[None]]


class PoisonMessage(Exception):
    """A message that can never be handled (not JSON, not the schema): straight to the DLQ."""


def consumer_config(bootstrap: str, group_id: str) -> dict[str, Any]:
    # Short sessions so a group joins in about 3 s instead of 23; offsets only after the DB commit.
    return dict(bootstrap_servers=bootstrap, group_id=group_id, client_id=f"{group_id}-consumer",
                session_timeout_ms=6000, heartbeat_interval_ms=1000, fetch_max_wait_ms=50,
                auto_offset_reset="earliest", enable_auto_commit=False, max_poll_records=500)


def decode(value: bytes) -> Event:
    try:
        raw = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise PoisonMessage(f"not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise PoisonMessage("not a JSON object")
    try:
        validate_event(raw)
    except (EventSchemaError, KeyError) as exc:
        raise PoisonMessage(f"not a valid event: {exc}") from exc
    return Event.from_dict(raw)


class EventConsumer:
    def __init__(self, db: Database, bootstrap: str, group_id: str, handlers: dict[str, Handler], *,
                 max_attempts: int = 3, retry_delay: float = 0.05) -> None:
        self.db = db
        self.bootstrap = bootstrap
        self.group_id = group_id
        self.handlers = handlers
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self._consumer: KafkaConsumer | None = None
        self._producer: Any = None
        # kafka-python's consumer is not thread-safe: every call goes through this one thread.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{group_id}-kafka")
        self._stopped = False
        self.assigned = asyncio.Event()
        # Positions live in the database, saved with each batch; seek there on assignment.
        self._positions = positions.StoredPositions(db, group_id)

    async def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, lambda: fn(*args, **kwargs))

    def _connect(self) -> KafkaConsumer:
        consumer = KafkaConsumer(**consumer_config(self.bootstrap, self.group_id))
        self._positions.consumer = consumer
        consumer.subscribe(sorted(self.handlers), listener=self._positions)
        return consumer

    async def run(self) -> None:
        backoff = 0.2
        while not self._stopped:
            try:
                if self._consumer is None:
                    self._consumer = await self._call(self._connect)
                batches = await self._call(self._consumer.poll, timeout_ms=200)
                await self._positions.settle(self._call)  # newly assigned partitions: stored position + 1
                if self._consumer.assignment():
                    self.assigned.set()
                messages = [m for tp in sorted(batches, key=lambda t: (t.topic, t.partition))
                            for m in batches[tp]]
                if messages:
                    await self.handle(messages)
                    await self._call(self._consumer.commit)
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Broker away or a rebalance: uncommitted messages come again, the inbox dedupes them.
                log.warning("consumer %s paused: %s", self.group_id, type(exc).__name__,
                            extra={"error": str(exc)})
                await self._call(self._close)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    def _close(self) -> None:
        if self._consumer is not None:
            try:
                self._consumer.close(autocommit=False)
            except Exception:
                pass
            self._consumer = None

    async def stop(self) -> None:
        self._stopped = True
        await self._call(self._close)
        if self._producer is not None:
            await self._call(self._producer.close, 1)
        self._thread.shutdown(wait=False)

    async def handle(self, messages: list[Any]) -> None:
        """Apply a batch: all in one transaction if it can be, else one by one with retries."""
        decoded: list[tuple[Any, Event]] = []
        for msg in messages:
            try:
                decoded.append((msg, decode(msg.value)))
            except PoisonMessage as exc:
                await self._dead_letter(msg, exc, attempts=1)
        if decoded:
            try:
                async with self.db.transaction() as session:
                    await self._apply(session, [e for _, e in decoded], messages)
                EVENTS_CONSUMED.labels(self.group_id).inc(len(decoded))
                return
            except Exception:
                log.info("batch failed, applying events one by one", extra={"count": len(decoded)})
            for msg, event in decoded:
                await self._apply_one(msg, event)
        # Every message is applied or dead-lettered: the position moves past them all.
        async with self.db.transaction() as session:
            await positions.save(session, self.group_id, messages)

    async def _apply_one(self, msg: Any, event: Event) -> None:
        last: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                async with self.db.transaction() as session:
                    await self._apply(session, [event], [msg])
                EVENTS_CONSUMED.labels(self.group_id).inc()
                return
            except Exception as exc:
                last = exc
                log.warning("event %s failed (attempt %d): %s", event.id, attempt, type(exc).__name__,
                            extra={"event_type": event.type, "error": str(exc)})
                await asyncio.sleep(self.retry_delay * attempt)
        assert last is not None
        await self._dead_letter(msg, last, attempts=self.max_attempts)

    async def _apply(self, session: AsyncSession, events: list[Event], messages: Sequence[Any] = ()) -> None:
        ids = [e.id for e in events]
        seen = set((await session.execute(
            select(inbox_events.c.event_id).where(inbox_events.c.event_id.in_(ids)))).scalars())
        fresh: list[Event] = []
        for event in events:
            if event.id in seen:
                continue
            seen.add(event.id)
            await self.handlers[event.type](session, event)
            fresh.append(event)
        if fresh:
            now = utcnow()
            await session.execute(insert(inbox_events), [
                {"event_id": e.id, "topic": e.type, "handled_at": now} for e in fresh])
        await positions.save(session, self.group_id, messages)  # same transaction as inbox and changes

    async def _dead_letter(self, msg: Any, error: Exception, attempts: int) -> None:
        EVENTS_DEAD_LETTERED.labels(self.group_id).inc()
        log.error("event sent to %s: %s", dlq_topic(msg.topic), type(error).__name__,
                  extra={"topic": msg.topic, "partition": msg.partition, "offset": msg.offset})
        headers = [
            ("error", str(error)[:2000].encode()),
            ("error_type", type(error).__name__.encode()),
            ("original_topic", msg.topic.encode()),
            ("original_partition", str(msg.partition).encode()),
            ("original_offset", str(msg.offset).encode()),
            ("attempts", str(attempts).encode()),
            ("consumer_group", self.group_id.encode()),
        ]

        def send() -> None:
            if self._producer is None:
                self._producer = make_producer(self.bootstrap, f"{self.group_id}-dlq")
            self._producer.send(dlq_topic(msg.topic), key=msg.key, value=msg.value,
                                headers=headers).get(timeout=10)

        # Must reach the DLQ before the offset moves on; if the broker is away, the batch fails
        # and comes again.
        await self._call(send)
