"""Topics as code: the one definition of every topic (topic = event type, ``<topic>.dlq`` for what
could not be handled) with its partitions, replication and configs, and its creation.

Everything that creates topics uses :func:`topic_specs`: the embedded run and the tests on Tansu
(replication 1), the cluster tier (3 brokers), ``docker compose`` and the Kubernetes topic job (both
run ``python -m scripts.create_topics``). Change a topic here and nowhere else.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from common.events.schemas import event_types

log = logging.getLogger("common.events.topics")

DAY_MS = 24 * 3600 * 1000
# Partitions bound how many instances of one service's consumer share the work.
PARTITIONS = 6
REPLICATION = 3
MIN_INSYNC = 2
# Events are the history other services rebuild from; a consumer may be down for days.
EVENT_RETENTION_MS = 30 * DAY_MS
# Dead letters wait for a person: kept longer.
DLQ_RETENTION_MS = 90 * DAY_MS


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication: int
    configs: dict[str, str] = field(default_factory=dict)

    def new_topic(self) -> NewTopic:
        return NewTopic(self.name, self.partitions, self.replication, topic_configs=dict(self.configs))


# Event types with an urgent lane beside their topic. A veto (一票否决) raised during a county round
# must reach the banks and the tills in seconds, not behind the round's tens of thousands of events
# on the same partitions. The lanes may interleave: per-subject versions make whichever is older
# a no-op wherever it arrives second.
# A negative-list record's change (负面清单, a veto raised or cleared) goes by the urgent lane
# always, whatever its record: such events are few, each one re-grades a household at once, and one
# subject's records share one version counter, so they must share one lane to stay in order.
URGENT_ONLY_TYPES = frozenset({"negative-record-changed"})
URGENT_TYPES = frozenset({"rating-changed"}) | URGENT_ONLY_TYPES
URGENT_SUFFIX = ".urgent"


def urgent_topic(event_type: str) -> str:
    if event_type not in URGENT_TYPES:
        raise ValueError(f"{event_type} has no urgent lane")
    return f"{event_type}{URGENT_SUFFIX}"


def lanes(event_type: str) -> list[str]:
    """The topics carrying ``event_type``: its own, and its urgent lane if it has one."""
    return [event_type, urgent_topic(event_type)] if event_type in URGENT_TYPES else [event_type]


# Which of its topics a consumer reads: every lane, or the ordinary or the urgent lanes only. A
# service whose events have urgent lanes reads those with a consumer of their own, so a veto never
# waits behind the records already fetched from a round's backlog (``common.app``).
Lane = Literal["all", "main", "urgent"]


def consumed_topics(event_types: Iterable[str], lane: Lane = "all") -> list[str]:
    """What a consumer of these event types subscribes to: every lane of each, or one kind of lane."""
    topics = {t for e in set(event_types) for t in lanes(e)}
    if lane != "all":
        topics = {t for t in topics if is_urgent(t) == (lane == "urgent")}
    return sorted(topics)


def has_urgent_lane(event_types: Iterable[str]) -> bool:
    return any(e in URGENT_TYPES for e in event_types)


def is_urgent(topic: str) -> bool:
    return topic.endswith(URGENT_SUFFIX)


def event_type_of(topic: str) -> str:
    """The event type a topic carries (an urgent lane carries its type's events)."""
    return topic.removesuffix(URGENT_SUFFIX) if topic.endswith(URGENT_SUFFIX) else topic


def dlq_topic(topic: str) -> str:
    """One dead-letter topic per event type, whichever lane the event came by."""
    return f"{event_type_of(topic)}.dlq"


def topic_specs(replication: int = REPLICATION) -> list[TopicSpec]:
    """Every topic with its settings. ``replication`` is the only thing a deployment chooses (3 in
    production and on the cluster tier, 1 on a one-broker run); ``min.insync.replicas`` follows it
    so acks=all can be met (2 of 3, or 1 of 1)."""
    min_insync = str(min(MIN_INSYNC, replication))
    specs = []
    for t in event_types():
        for lane in lanes(t):
            specs.append(TopicSpec(lane, PARTITIONS, replication, {
                "cleanup.policy": "delete", "retention.ms": str(EVENT_RETENTION_MS),
                "min.insync.replicas": min_insync}))
    for t in event_types():
        specs.append(TopicSpec(dlq_topic(t), PARTITIONS, replication, {
            "cleanup.policy": "delete", "retention.ms": str(DLQ_RETENTION_MS),
            "min.insync.replicas": min_insync}))
    return specs


def all_topics() -> list[str]:
    return [s.name for s in topic_specs()]


def ensure_topics(bootstrap: str, topics: list[str] | None = None, replication: int = 1) -> list[str]:
    """Create the defined topics that do not exist yet (idempotent); return the names created.
    ``replication`` defaults to 1: the embedded run and the tests have one broker."""
    specs = [s for s in topic_specs(replication) if topics is None or s.name in topics]
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="topic-setup")
    try:
        existing = set(admin.list_topics())
        wanted = [s for s in specs if s.name not in existing]
        if not wanted:
            return []
        try:
            admin.create_topics([s.new_topic() for s in wanted])
        except TopicAlreadyExistsError:
            pass
        log.info("topics created", extra={"count": len(wanted)})
        return [s.name for s in wanted]
    finally:
        admin.close()
