"""The consumer loop: at least once, applied once.

Each batch from the broker is applied in one DB transaction that also records the handled event
ids (the inbox) and the position reached per topic-partition (``positions``: seeking there on
assignment, a restored database re-reads what it had not seen); the broker's offsets are
committed only after that transaction, as a hint: the batch's own offsets (per partition, the
offset after its last message), and only for partitions this instance still owns. A redelivered
event finds its id in the inbox and is skipped. If the batch fails, its events are retried one at
a time, and an event that still fails after ``max_attempts`` goes to ``<topic>.dlq`` with the
error in headers.

Several instances of one service share the topics' partitions (one consumer group per service).
On a rebalance, a partition's new owner resumes where the last owner's applied work stands (the
stored position, else the committed offset): work not recorded is redone, never lost, and what
was already applied is skipped by the inbox, so never applied twice.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import CommitFailedError, RebalanceInProgressError
from kafka.structs import OffsetAndMetadata
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database, utcnow
from common.events import positions
from common.events.batch import TopicHandler, apply_events
from common.events.envelope import Event
from common.events.relay import make_producer
from common.events.schemas import EventSchemaError, validate_event
from common.events.signing import EventVerifier, ForgedEvent
from common.events.topics import Lane, consumed_topics, dlq_topic, event_type_of, is_urgent
from common.observability import CONSUMER_LAG, EVENTS_CONSUMED, EVENTS_DEAD_LETTERED, REBALANCES
from common.tables import inbox_events

log = logging.getLogger("common.events.consumer")
# Events per poll: a county round's backlog goes in a few hundred batches, each
# a handful of set statements and one commit, while one event alone still goes at once.
MAX_POLL_RECORDS = 2000
# At most this many events per transaction: how long a veto on the urgent lane may wait for the
# write turn (SQLite) behind a round's batch.
TRANSACTION_EVENTS = 500



# An instance with no partitions for this long asks for another rebalance (see _nudge_if_idle).
EMPTY_REJOIN_S = 15.0
# A rebalance that has not assigned anything this long after revoking is restarted (see _stalled).
JOIN_STALL_S = 20.0
# A revocation followed by no assignment while the client thinks itself joined: rejoined after this
# long (see _complete_lost_join).
JOIN_LOST_S = 1.0


class PoisonMessage(Exception):
    """A message that can never be handled (not JSON, not the schema): straight to the DLQ."""


def consumer_config(bootstrap: str, group_id: str) -> dict[str, Any]:
    # Short sessions so a group joins in about 3 s instead of 23; offsets only after the DB commit.
    # A fetch brings at most 256 KiB per partition (about 500 events, not the default 1 MiB): an
    # urgent lane's event then waits behind a few polls of a backlog, not behind all it fetched.
    return dict(bootstrap_servers=bootstrap, group_id=group_id, client_id=f"{group_id}-consumer",
                session_timeout_ms=6000, heartbeat_interval_ms=1000, fetch_max_wait_ms=50,
                max_partition_fetch_bytes=256 * 1024,
                auto_offset_reset="earliest", enable_auto_commit=False, max_poll_records=MAX_POLL_RECORDS)


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


class _Rebalances(ConsumerRebalanceListener):
    """Runs inside ``poll`` on the consumer's own thread, between batches: nothing of ours is in
    flight then, and what was applied but not committed is redone by the partition's new owner."""

    def __init__(self, owner: EventConsumer) -> None:
        self.owner = owner

    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        if revoked:
            # Only a rebalance that took partitions away can stall; a first join (nothing revoked)
            # may legitimately wait for a dead member's session to end, and restarting it would
            # only start the wait again.
            self.owner._rejoining_since = time.monotonic()
            REBALANCES.labels(self.owner.group_id, "revoked").inc()
            log.info("partitions revoked", extra={"group": self.owner.group_id, "count": len(revoked),
                                                   "partitions": _names(revoked)})

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.owner._rejoining_since = None
        REBALANCES.labels(self.owner.group_id, "assigned").inc()
        log.info("partitions assigned", extra={"group": self.owner.group_id, "count": len(assigned),
                                                "partitions": _names(assigned)})


def _names(tps: Any) -> list[str]:
    return sorted(f"{tp.topic}/{tp.partition}" for tp in tps)


class EventConsumer:
    def __init__(self, db: Database, bootstrap: str, group_id: str, handlers: Mapping[str, TopicHandler], *,
                 verifier: EventVerifier, max_attempts: int = 3, retry_delay: float = 0.05,
                 lane: Lane = "all") -> None:
        """``verifier``: the producers' public keys; a record its producer did not sign is poison.
        ``lane``: read every lane of the handlers' event types, or only the ordinary or the urgent
        ones (an urgent lane's consumer takes the next SQLite write turn ahead of the others)."""
        self.db = db
        self.verifier = verifier
        self.bootstrap = bootstrap
        self.group_id = group_id
        self.handlers = handlers
        self.lane = lane
        # Handlers are keyed by event type; an event type may come by more than one topic (lanes).
        self.topics = consumed_topics(handlers, lane)
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self._consumer: KafkaConsumer | None = None
        self._producer: Any = None
        # kafka-python's consumer is not thread-safe: every call goes through this one thread.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{group_id}-kafka")
        self._stopped = False
        self.assigned = asyncio.Event()
        # Positions live in the database, saved with each batch; seek there on assignment.
        self._positions = positions.StoredPositions(db, group_id, inner=_Rebalances(self))
        # Per owned partition, the broker's end offset minus our position: lag for /readyz and /metrics.
        self.lag: dict[TopicPartition, int] = {}
        self.owned: frozenset[TopicPartition] = frozenset()
        self.batches = 0
        self._lag_at = 0.0
        self._empty_since: float | None = None
        self._partitions_checked = 0.0  # an urgent lanes' consumer: when it last looked for new partitions
        # Set when partitions are revoked, cleared when the next assignment arrives.
        self._rejoining_since: float | None = None

    async def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, lambda: fn(*args, **kwargs))

    def _connect(self) -> KafkaConsumer:
        consumer = KafkaConsumer(**consumer_config(self.bootstrap, self.group_id))
        self._positions.consumer = consumer
        try:
            # Know every topic's partitions before joining: a group leader that assigns from an
            # incomplete metadata cache can hand out nothing and (kafka-python 3.0) not notice.
            partitions = self._partitions(consumer)
            if self.lane == "urgent":
                self._assign(consumer, partitions)
            else:
                consumer.subscribe(self.topics, listener=self._positions)
                self._snapshot_subscribed_topics(consumer)
        except Exception:
            consumer.close(autocommit=False)
            raise
        self._empty_since = time.monotonic()
        return consumer

    @staticmethod
    def _snapshot_subscribed_topics(consumer: KafkaConsumer) -> None:
        """kafka-python 3.0.12 takes its snapshot of the subscribed topics' partitions when the
        consumer is made, before ``subscribe``: empty. A leader then assigns from that empty
        snapshot, and the first metadata update asks for a second rebalance a moment later (one
        it may lose: ``_complete_lost_join``). The partitions are known by now (``_partitions``):
        the snapshot is taken again from them."""
        coordinator = getattr(consumer, "_coordinator", None)
        build = getattr(coordinator, "_build_metadata_snapshot", None)
        if coordinator is not None and build is not None and hasattr(coordinator, "_metadata_snapshot"):
            coordinator._metadata_snapshot = build(coordinator._subscription, coordinator._cluster)

    def _partitions(self, consumer: KafkaConsumer) -> set[TopicPartition]:
        found: set[TopicPartition] = set()
        for topic in self.topics:
            numbers = consumer.partitions_for_topic(topic)
            if not numbers and self.lane == "urgent":
                raise RuntimeError(f"topic {topic} not known to the broker yet")
            found |= {TopicPartition(topic, p) for p in numbers or ()}
        return found

    def _assign(self, consumer: KafkaConsumer, partitions: set[TopicPartition]) -> None:
        """The urgent lanes are read without a group to join: every instance of the service reads
        all their partitions (a few vetoes a day; the inbox applies each once). So a veto never
        waits for a rebalance, and kafka-python's rejoin, which was seen to stall after a
        revocation until JOIN_STALL_S restarted it, is never needed."""
        consumer.assign(sorted(partitions))
        self._partitions_checked = time.monotonic()
        # Paused until ``settle`` has sought them to the stored positions (all of them: a new
        # assignment may have reset the client's positions; the inbox skips what comes again).
        self._positions.on_partitions_assigned(partitions)

    def _stalled(self) -> bool:
        """True when a rebalance began (partitions revoked) and no assignment followed within
        JOIN_STALL_S: kafka-python 3.0 was seen to stop there, fetching nothing, until restarted."""
        since = self._rejoining_since
        return since is not None and time.monotonic() - since > JOIN_STALL_S

    def _complete_lost_join(self) -> None:
        """kafka-python 3.0.12 can lose a rejoin that only a change of the topics' metadata asked
        for: when the leader's JoinGroup and SyncGroup finish after a poll has timed out, the
        leader's snapshot of the topics already matches, the next poll finds no rejoin needed, and
        the finished join is never completed: nothing assigned, nothing fetched, while the client
        believes itself joined (seen on Apache Kafka as a revocation 0.1 s after the first
        assignment, then silence until JOIN_STALL_S). Asking for a rejoin completes it."""
        since = self._rejoining_since
        consumer = self._consumer
        if since is None or consumer is None or time.monotonic() - since < JOIN_LOST_S:
            return
        coordinator = getattr(consumer, "_coordinator", None)
        if coordinator is None or not hasattr(coordinator, "request_rejoin") or coordinator.need_rejoin():
            return  # a rejoin under way (waiting for the other members) is left to finish
        log.info("rebalance lost after a revocation: asking the group to rebalance", extra={"group": self.group_id})
        coordinator.request_rejoin()
        self._rejoining_since = time.monotonic()

    def _nudge_if_idle(self) -> None:
        """An instance left with no partitions for a while asks the group to rebalance again: a
        lost metadata update must not leave a topic unread. (With more instances than partitions
        this costs a rebalance every EMPTY_REJOIN_S, a shape we do not deploy.) An urgent lanes'
        consumer instead takes up partitions added since it connected, as often."""
        consumer = self._consumer
        if consumer is None:
            return
        if self.lane == "urgent":
            now = time.monotonic()
            if now - self._partitions_checked > EMPTY_REJOIN_S:
                self._partitions_checked = now
                partitions = self._partitions(consumer)
                if partitions - consumer.assignment():
                    self._assign(consumer, partitions)
            return
        if consumer.assignment():
            self._empty_since = None
            return
        now = time.monotonic()
        if self._empty_since is None:
            self._empty_since = now
        elif now - self._empty_since > EMPTY_REJOIN_S:
            coordinator = getattr(consumer, "_coordinator", None)
            if coordinator is not None and hasattr(coordinator, "request_rejoin"):
                log.info("no partitions assigned: asking the group to rebalance", extra={"group": self.group_id})
                coordinator.request_rejoin()
            self._empty_since = now

    def _forget(self, partitions: Any) -> None:
        for tp in partitions:
            if self.lag.pop(tp, None) is not None:
                CONSUMER_LAG.remove(self.group_id, tp.topic, str(tp.partition))

    def _commit(self, messages: list[Any]) -> None:
        """Commit the offsets of the batch just applied, for the partitions still ours. A commit
        refused because the group moved on is harmless: the new owner redoes the batch and the
        inbox skips what was applied."""
        consumer = self._consumer
        assert consumer is not None
        owned = consumer.assignment()
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        for msg in messages:
            tp = TopicPartition(msg.topic, msg.partition)
            if tp in owned:
                offsets[tp] = OffsetAndMetadata(msg.offset + 1, "", -1)
        if not offsets:
            return
        try:
            consumer.commit(offsets)
        except (CommitFailedError, RebalanceInProgressError) as exc:
            log.info("offsets not committed: the group is rebalancing", extra={
                "group": self.group_id, "error": type(exc).__name__, "partitions": _names(offsets)})

    def _measure_lag(self) -> None:
        """End offset (the high watermark the last fetch brought) minus our next offset, per owned
        partition. Where a broker's end offsets are wrong (Tansu) this is approximate; nothing
        depends on it but the gauge and /readyz."""
        consumer = self._consumer
        now = time.monotonic()
        if consumer is None or now - self._lag_at < 0.5:
            return
        self._lag_at = now
        owned = consumer.assignment()
        self.owned = frozenset(owned)
        self._forget([tp for tp in self.lag if tp not in owned])
        # Read the position the client already holds: consumer.position() may wait on the network
        # (offset look-ups after a rebalance) and starve the group's heartbeats.
        subscription = getattr(consumer, "_subscription", None)
        for tp in owned:
            high = consumer.highwater(tp)
            if high is None or subscription is None or not subscription.has_valid_position(tp):
                continue
            position = subscription.position(tp)
            offset = getattr(position, "offset", position)
            if not isinstance(offset, int):
                continue
            lag = max(0, high - offset)
            self.lag[tp] = lag
            CONSUMER_LAG.labels(self.group_id, tp.topic, str(tp.partition)).set(lag)

    def lag_report(self) -> dict[str, Any]:
        """What /readyz shows: owned partitions and their lag."""
        lag = dict(self.lag)
        parts = {f"{tp.topic}/{tp.partition}": lag.get(tp) for tp in sorted(self.owned)}
        return {"group": self.group_id, "partitions_owned": len(parts),
                "lag_total": sum(v for v in parts.values() if v is not None), "lag": parts}


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
                    # An urgent lane's events commit first, in their own transaction, instead of
                    # after the backlog's events that came in the same poll.
                    urgent = [m for m in messages if is_urgent(m.topic)]
                    ordinary = [m for m in messages if not is_urgent(m.topic)]
                    # A poll's backlog in transactions of TRANSACTION_EVENTS: between two, an urgent
                    # lane's consumer takes the write turn instead of waiting for the whole poll.
                    for part in [urgent] + [ordinary[i:i + TRANSACTION_EVENTS]
                                            for i in range(0, len(ordinary), TRANSACTION_EVENTS)]:
                        if part:
                            await self.handle(part)
                    await self._call(self._commit, messages)
                    self.batches += 1
                await self._call(self._measure_lag)
                await self._call(self._nudge_if_idle)
                await self._call(self._complete_lost_join)
                if self._stalled():
                    log.warning("consumer %s: rebalance stalled, reconnecting", self.group_id)
                    self._rejoining_since = None
                    await self._call(self._close)
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
        self._forget(list(self.lag))
        self.owned = frozenset()
        self._rejoining_since = None
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
                decoded.append((msg, self.decode(msg)))
            except PoisonMessage as exc:
                await self._dead_letter(msg, exc, attempts=1)
        if decoded:
            try:
                async with self.db.transaction(urgent=self.lane == "urgent") as session:
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

    def decode(self, msg: Any) -> Event:
        """The record's event, if its entitled producer signed it and it is of its topic's type."""
        try:
            self.verifier.check(msg.topic, msg.value, msg.headers)
        except ForgedEvent as exc:
            raise PoisonMessage(str(exc)) from exc
        event = decode(msg.value)
        if event.type != event_type_of(msg.topic):
            raise PoisonMessage(f"a {event.type} event on {msg.topic}")
        return event

    async def _apply_one(self, msg: Any, event: Event) -> None:
        last: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                async with self.db.transaction(urgent=self.lane == "urgent") as session:
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
            fresh.append(event)
        # Runs of one topic (a poll comes sorted by topic): a batch handler takes its run whole.
        start = 0
        while start < len(fresh):
            end = start
            while end < len(fresh) and fresh[end].type == fresh[start].type:
                end += 1
            await apply_events(self.handlers[fresh[start].type], session, fresh[start:end])
            start = end
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
