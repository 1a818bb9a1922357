"""Topic names (topic = event type, ``<topic>.dlq`` for what could not be handled) and creation."""
from __future__ import annotations

import logging

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from common.events.schemas import event_types

log = logging.getLogger("common.events.topics")


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


def all_topics() -> list[str]:
    types = event_types()
    return types + [dlq_topic(t) for t in types]


def ensure_topics(bootstrap: str, topics: list[str] | None = None, partitions: int = 3) -> None:
    """Create the topics that do not exist yet (idempotent)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="topic-setup")
    try:
        existing = set(admin.list_topics())
        wanted = [t for t in (topics or all_topics()) if t not in existing]
        if not wanted:
            return
        try:
            admin.create_topics([NewTopic(t, partitions, 1) for t in wanted])
        except TopicAlreadyExistsError:
            pass
        log.info("topics created", extra={"count": len(wanted)})
    finally:
        admin.close()
