"""Topics as code: the one definition of every topic (topic = event type, ``<topic>.dlq`` for what
could not be handled) with its partitions, replication and configs, and its creation.

Everything that creates topics uses :func:`topic_specs`: the embedded run and the tests on Tansu
(replication 1), the cluster tier (3 brokers), ``docker compose`` and the Kubernetes topic job (both
run ``python -m scripts.create_topics``). Change a topic here and nowhere else.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

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


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


def topic_specs(replication: int = REPLICATION) -> list[TopicSpec]:
    """Every topic with its settings. ``replication`` is the only thing a deployment chooses (3 in
    production and on the cluster tier, 1 on a one-broker run); ``min.insync.replicas`` follows it
    so acks=all can be met (2 of 3, or 1 of 1)."""
    min_insync = str(min(MIN_INSYNC, replication))
    specs = []
    for t in event_types():
        specs.append(TopicSpec(t, PARTITIONS, replication, {
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
