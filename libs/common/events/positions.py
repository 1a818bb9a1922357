"""Consumer positions kept with the data (the tracking record of event-sourced systems).

Each consumer stores, per topic-partition, the last offset it applied, in its own database and in
the same transaction as the inbox rows and the changes (``save``). When the broker assigns it a
partition, the consumer resumes at the stored position + 1 (``StoredPositions``), whatever offset
the broker has committed for the group: the broker's offset is only a hint, used where no
position is stored yet. A database restored from last night's backup therefore re-reads from
where the backup stood, and the inbox drops what it had already applied.

How the seek is done: kafka-python calls a rebalance listener on its IO thread, where no blocking
call (no end offsets, no database) may run. The listener only pauses the new partitions; the
consumer loop then reads their stored positions (``settle``), seeks and resumes them before the
next poll, so no record of theirs is fetched from the broker's offset first.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database, insert_for, utcnow
from common.tables import consumer_positions

log = logging.getLogger("common.events.positions")

Call = Callable[..., Awaitable[Any]]


def latest(messages: Iterable[Any]) -> dict[TopicPartition, int]:
    """The highest offset per topic-partition among ``messages`` (kafka ConsumerRecords)."""
    out: dict[TopicPartition, int] = {}
    for msg in messages:
        tp = TopicPartition(msg.topic, msg.partition)
        if msg.offset > out.get(tp, -1):
            out[tp] = msg.offset
    return out


async def save(session: AsyncSession, group: str, messages: Iterable[Any]) -> None:
    """Store where ``group`` stands after ``messages``, in the caller's transaction."""
    rows = [{"consumer_group": group, "topic": tp.topic, "partition": tp.partition, "last_offset": offset,
             "updated_at": utcnow()} for tp, offset in sorted(latest(messages).items())]
    if not rows:
        return
    stmt = insert_for(session.get_bind().dialect.name, consumer_positions)
    # Set, not max: within a partition offsets only move forward, except after the broker's log
    # was reset (Tansu's memory engine), when the new, smaller offsets are the truth.
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["consumer_group", "topic", "partition"],
        set_={"last_offset": stmt.excluded.last_offset, "updated_at": stmt.excluded.updated_at}), rows)


async def load(session: AsyncSession, group: str | None = None) -> dict[tuple[str, str, int], int]:
    """Stored positions: (group, topic, partition) -> last offset applied (every group if None)."""
    query = select(consumer_positions)
    if group is not None:
        query = query.where(consumer_positions.c.consumer_group == group)
    return {(r.consumer_group, r.topic, r.partition): r.last_offset for r in (await session.execute(query)).all()}


class StoredPositions(ConsumerRebalanceListener):
    """Rebalance listener: pauses newly assigned partitions until ``settle`` has sought them to
    their stored positions. ``inner``, if given, is another listener called after this one (e.g.
    one that commits or records metrics), so both can be installed on one subscription."""

    def __init__(self, db: Database, group: str, inner: ConsumerRebalanceListener | None = None) -> None:
        self.db = db
        self.group = group
        self.inner = inner
        self.consumer: KafkaConsumer | None = None
        self.pending: set[TopicPartition] = set()
        self._lock = threading.Lock()  # the IO thread adds, the consumer's thread settles

    # --- on kafka-python's IO thread: nothing that blocks ---
    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        with self._lock:
            self.pending -= set(revoked)
        if self.inner is not None:
            self.inner.on_partitions_revoked(revoked)

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        if assigned and self.consumer is not None:
            with self._lock:
                self.consumer.pause(*assigned)
                self.pending |= set(assigned)
        if self.inner is not None:
            self.inner.on_partitions_assigned(assigned)

    # --- from the consumer loop ---
    async def settle(self, call: Call) -> None:
        """Seek the paused new partitions to their stored positions and resume them. ``call`` runs
        a function on the consumer's own thread (kafka-python's consumer is not thread-safe)."""
        if not self.pending:
            return
        async with self.db.transaction(write=False) as session:
            stored = {TopicPartition(t, p): o for (_, t, p), o in (await load(session, self.group)).items()}
        await call(self._seek, stored)

    def _seek(self, stored: dict[TopicPartition, int]) -> None:
        consumer = self.consumer
        if consumer is None:
            return
        with self._lock:
            tps = self.pending & consumer.assignment()
            self.pending -= tps
        known = sorted(tp for tp in tps if tp in stored)
        ends = consumer.end_offsets(known) if known else {}
        for tp in known:
            target = stored[tp] + 1
            end = ends.get(tp)
            if end is not None and target > end and consumer.committed(tp) is None:
                # The broker's log is shorter than what this database applied and the group has
                # no offset: a broker that forgot everything (Tansu's memory engine restarted).
                # The stored position means nothing there; start where the broker says.
                log.warning("stored position beyond the broker's log: resuming from the broker's offset",
                            extra={"topic": tp.topic, "partition": tp.partition, "stored": stored[tp], "end": end})
                continue
            consumer.seek(tp, target)
        if known:
            log.info("resumed at stored positions", extra={
                "group": self.group, "positions": {f"{tp.topic}:{tp.partition}": stored[tp] + 1 for tp in known}})
        consumer.resume(*tps)
