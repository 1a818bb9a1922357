"""Stop the whole Kafka cluster and start it again while lending and merchant are behind: the
events and the groups' committed offsets come back from Kafka's own log, and the consumers resume
at those offsets (nothing read again, nothing missed), with the producer's outbox long gone."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from kafka import TopicPartition
from kafka.errors import KafkaError
from tools.kafka_cluster import LocalKafka

from tests.cluster.helpers import (
    RatingFeed,
    admin,
    applied_everywhere,
    assert_each_version_applied_once,
    metric,
    subjects,
    wait_for,
)
from tests.e2e.cluster import Cluster
from tests.harness import PG_URL, DatabaseFactory, Keys

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
GROUPS = ("lending", "merchant")


@pytest.fixture(scope="module")
def services(clean_kafka: LocalKafka, tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("restart"), keys, backend="postgres" if PG_URL else "sqlite",
                services=["lending", "merchant"], bootstrap=clean_kafka.bootstrap)
    c.start()
    yield c
    c.stop()


def committed(kafka: LocalKafka, timeout: float = 60.0) -> dict[str, dict[TopicPartition, int]]:
    """The groups' committed offsets. Just after a cold start the group coordinator is still loading
    ``__consumer_offsets`` and says so (a retriable error): ask again until it has."""
    deadline = time.monotonic() + timeout
    while True:
        a = admin(kafka)
        try:
            found: dict[str, Any] = a.list_group_offsets(list(GROUPS))
            return {g: {tp: o.offset for tp, o in found.get(g, {}).items() if o.offset >= 0} for g in GROUPS}
        except KafkaError as exc:
            if not exc.retriable or time.monotonic() > deadline:
                raise
        finally:
            a.close()
        time.sleep(1)


async def test_consumers_resume_at_their_committed_offsets_after_the_whole_cluster_restarts(
        services: Cluster, clean_kafka: LocalKafka, databases: DatabaseFactory) -> None:
    kafka = clean_kafka
    names = subjects(100)
    async with RatingFeed(await databases.create("rating"), kafka.bootstrap) as feed:
        await feed.wave(names, 1)
        await feed.drained()
        await asyncio.to_thread(wait_for, lambda: applied_everywhere(services, names, 1), 60, "version 1 applied")
        # Both fall behind: stopped while the round goes on; the relay publishes two more waves.
        for name in GROUPS:
            await asyncio.to_thread(services.stop_service, name)
        for version in (2, 3):
            await feed.wave(names, version)
        await feed.drained()
    before = await asyncio.to_thread(committed, kafka)
    rating_partitions = {tp: off for tp, off in before["lending"].items() if tp.topic == "rating-changed"}
    assert sum(rating_partitions.values()) == len(names), f"lending committed wave 1 only: {before['lending']}"

    # The whole cluster goes down and comes back (a clean stop of all three, then a cold start).
    await asyncio.to_thread(kafka.stop)
    assert kafka.running() == []
    await asyncio.to_thread(kafka.start, 180.0, False)
    assert await asyncio.to_thread(committed, kafka) == before, "committed offsets survive in __consumer_offsets"

    for name in GROUPS:
        await asyncio.to_thread(services.start_service, name)
    await asyncio.to_thread(wait_for, lambda: applied_everywhere(services, names, 3), 120, "versions 2-3 from Kafka's log")
    # Resumed at the committed offsets: each process read exactly the two waves it had missed.
    for name in GROUPS:
        read = await asyncio.to_thread(metric, services, name, "events_consumed_total", group=name)
        assert read == 2 * len(names), (name, read)
    await asyncio.to_thread(assert_each_version_applied_once, services, names, 3)
