"""The outbox relay: publishes unsent outbox rows in order, and marks them sent only after the
broker has acknowledged them. A broker that is away only delays events; the rows wait."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from kafka import KafkaProducer
from sqlalchemy import select, update

from common.db import Database, utcnow
from common.events.signing import EventSigner
from common.events.topics import URGENT_TYPES, urgent_topic
from common.observability import EVENTS_PUBLISHED, OUTBOX_ERRORS
from common.tables import outbox_events

log = logging.getLogger("common.events.relay")
URGENT_TOPICS = sorted(urgent_topic(t) for t in URGENT_TYPES)


# How long one send may take, retries included: long enough to ride out a partition leader's
# failover on a cluster (the controller fences a dead broker after 9 s, then elects a new leader).
DELIVERY_TIMEOUT_MS = 20_000


def make_producer(bootstrap: str, client_id: str) -> KafkaProducer:
    """acks=all (every in-sync replica; min.insync.replicas=2 on the cluster) and idempotent: the
    broker drops a batch the producer retried after it was already written, so a retry never
    duplicates an event in the log. The key (subject id) picks the partition, so one subject's
    events stay in order; one request in flight per connection keeps them so across retries."""
    # Large batches and a short linger: a county round's outbox goes out in few requests (many
    # events per send), a single event waits 5 ms at most.
    return KafkaProducer(bootstrap_servers=bootstrap, client_id=client_id, acks="all", enable_idempotence=True,
                         linger_ms=5, batch_size=256 * 1024, max_in_flight_requests_per_connection=1,
                         request_timeout_ms=5000,
                         delivery_timeout_ms=DELIVERY_TIMEOUT_MS, max_block_ms=5000)


# The relay's two lanes, each its own loop and producer: a veto leaves as soon as it is committed,
# not after the county round's batch being sent (and marked) when it came.
URGENT, BACKLOG = "urgent", "backlog"
LANES = (URGENT, BACKLOG)


class OutboxRelay:
    def __init__(self, db: Database, bootstrap: str, service: str, *, signer: EventSigner | None,
                 batch_size: int = 2000, poll_interval: float = 0.25, max_backoff: float = 5.0) -> None:
        """``signer``: the service's event key (consumers refuse what it has not signed)."""
        self.db = db
        self.signer = signer
        self.bootstrap = bootstrap
        self.service = service
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self._producers: dict[str, KafkaProducer] = {}
        self._wakes = {lane: asyncio.Event() for lane in LANES}
        self._stopped = False
        self._loop: asyncio.AbstractEventLoop | None = None
        db.on_outbox_commit(self.wake)

    def wake(self) -> None:
        if self._loop is not None:
            for event in self._wakes.values():
                self._loop.call_soon_threadsafe(event.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        await asyncio.gather(*(self._run_lane(lane) for lane in LANES))

    async def _run_lane(self, lane: str) -> None:
        backoff = 0.1
        wake = self._wakes[lane]
        while not self._stopped:
            try:
                sent = await self.publish_pending((lane,))
                backoff = 0.1
            except Exception as exc:  # broker away, DB busy: wait and try again, never give up
                OUTBOX_ERRORS.labels(self.service).inc()
                log.warning("relay cannot publish yet: %s", type(exc).__name__, extra={"error": str(exc), "lane": lane})
                self._close_producer(lane)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            if sent < self.batch_size:
                wake.clear()
                try:
                    await asyncio.wait_for(wake.wait(), timeout=self.poll_interval)
                except TimeoutError:
                    pass

    async def stop(self) -> None:
        self._stopped = True
        for event in self._wakes.values():
            event.set()
        await asyncio.gather(*(asyncio.to_thread(self._close_producer, lane) for lane in LANES))

    def _close_producer(self, lane: str) -> None:
        producer = self._producers.pop(lane, None)
        if producer is not None:
            try:
                producer.close(timeout=1)
            except Exception:
                pass

    def _publish(self, lane: str, rows: Sequence[Any]) -> list[int]:
        """Send rows in order; return the ids acknowledged, stopping at the first failure so a
        later event of a subject never overtakes an earlier one."""
        producer = self._producers.get(lane)
        if producer is None:
            producer = self._producers[lane] = make_producer(self.bootstrap, f"{self.service}-relay-{lane}")
        signer = self.signer
        futures = [(row.id, producer.send(row.topic, key=row.key.encode(), value=row.payload,
                                          headers=signer.headers(row.topic, row.payload) if signer else None))
                   for row in rows]
        producer.flush(timeout=DELIVERY_TIMEOUT_MS / 1000 + 5)
        acked: list[int] = []
        for row_id, fut in futures:
            try:
                fut.get(timeout=5)
            except Exception:
                if not acked and futures:
                    raise
                break
            acked.append(row_id)
        return acked

    async def publish_pending(self, lanes: Sequence[str] = LANES) -> int:
        """Publish one batch, of the first of ``lanes`` with unsent rows; return how many rows were
        marked sent. By default urgent rows go first, in a batch of their own."""
        if self.db.is_sqlite:
            # SQLite has one writer: never hold its write lock while waiting for the broker.
            async with self.db.transaction(write=False) as session:
                lane, rows = await self._pending(session, lanes, lock=False)
            if not rows:
                return 0
            acked = await asyncio.to_thread(self._publish, lane, rows)
            async with self.db.transaction() as session:
                await self._mark_sent(session, acked)
        else:
            # Several relays may run: each locks its own batch and skips the others'.
            async with self.db.transaction() as session:
                lane, rows = await self._pending(session, lanes, lock=True)
                if not rows:
                    return 0
                acked = await asyncio.to_thread(self._publish, lane, rows)
                await self._mark_sent(session, acked)
        EVENTS_PUBLISHED.labels(self.service).inc(len(acked))
        return len(acked)

    async def _pending(self, session: Any, lanes: Sequence[str], *, lock: bool) -> tuple[str, list[Any]]:
        """Up to ``batch_size`` unsent rows of the first of ``lanes`` that has any, in id order (so
        one subject's events keep their order within a lane; across lanes, versions order them)."""
        for lane in lanes:
            # One statement per urgent topic (an equality the index by topic serves), merged by id.
            wheres = ([outbox_events.c.topic == topic for topic in URGENT_TOPICS] if lane == URGENT
                      else [outbox_events.c.topic.not_in(URGENT_TOPICS)])
            rows: list[Any] = []
            for where in wheres:
                query = (select(outbox_events.c.id, outbox_events.c.topic, outbox_events.c.key,
                                outbox_events.c.payload)
                         .where(outbox_events.c.sent_at.is_(None), where)
                         .order_by(outbox_events.c.id).limit(self.batch_size))
                if lock:
                    query = query.with_for_update(skip_locked=True)
                rows += (await session.execute(query)).all()
            if rows:
                return lane, sorted(rows, key=lambda row: row.id)[:self.batch_size]
        return BACKLOG, []

    @staticmethod
    async def _mark_sent(session: Any, ids: list[int]) -> None:
        if ids:
            await session.execute(update(outbox_events).where(outbox_events.c.id.in_(ids))
                                  .values(sent_at=utcnow(), attempts=outbox_events.c.attempts + 1))
