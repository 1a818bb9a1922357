"""Two instances each of lending's and merchant's consumer, one group per service, over the 6
partitions of each topic: both get work; one of each is SIGKILLed while a round streams; the
survivor takes its partitions and redoes what it had not committed; every line ends at its newest
grade with exactly one history entry per version. The urgent lanes, which every instance reads
whole (no group), are applied once too."""
from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterator

import pytest
from tools.kafka_cluster import LocalKafka

from common.events.topics import PARTITIONS as TOPIC_PARTITIONS
from common.events.topics import consumed_topics
from tests.cluster.helpers import (
    RatingFeed,
    applied_everywhere,
    assert_each_version_applied_once,
    metric,
    owned,
    readyz,
    start_instance,
    subjects,
    wait_for,
)
from tests.e2e.cluster import Cluster
from tests.harness import PG_URL, DatabaseFactory, Keys

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
SERVICES = ("lending", "merchant")
HANDLERS = {s: importlib.import_module(f"{s}.handlers").HANDLERS for s in SERVICES}
# Partitions each service's group shares out: the ordinary lane of every event type it handles, 6 each.
PARTITIONS = {s: len(consumed_topics(HANDLERS[s], "main")) * TOPIC_PARTITIONS for s in SERVICES}
# Partitions of the urgent lanes, each read whole by every instance's own urgent consumer.
URGENT_PARTITIONS = {s: len(consumed_topics(HANDLERS[s], "urgent")) * TOPIC_PARTITIONS for s in SERVICES}


@pytest.fixture(scope="module")
def services(clean_kafka: LocalKafka, tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("scale-out"), keys, backend="postgres" if PG_URL else "sqlite",
                services=list(SERVICES), bootstrap=clean_kafka.bootstrap)
    c.start()
    yield c
    c.stop()


def consumed(cluster: Cluster, instance: str, group: str) -> float:
    return metric(cluster, instance, "events_consumed_total", group=group) or 0.0


async def test_two_instances_share_the_partitions_and_one_takes_over_when_the_other_dies(
        services: Cluster, clean_kafka: LocalKafka, databases: DatabaseFactory) -> None:
    for service in SERVICES:
        await asyncio.to_thread(start_instance, services, service, f"{service}-2")
    for service in SERVICES:  # the group rebalances over both: each instance owns a share
        await asyncio.to_thread(wait_for, lambda s=service: (
            owned(services, s) > 0 and owned(services, f"{s}-2") > 0
            and owned(services, s) + owned(services, f"{s}-2") == PARTITIONS[s]), 60, f"{service}'s partitions shared")

    for instance in (*SERVICES, *(f"{s}-2" for s in SERVICES)):
        report = (await asyncio.to_thread(readyz, services, instance))["urgent_consumer"]
        assert report["partitions_owned"] == URGENT_PARTITIONS[instance.removesuffix("-2")], (instance, report)

    names = subjects(300)
    async with RatingFeed(await databases.create("rating"), clean_kafka.bootstrap) as feed:
        await feed.wave(names, 1)
        await feed.drained()
        await asyncio.to_thread(wait_for, lambda: applied_everywhere(services, names, 1), 90, "version 1")
        for service in SERVICES:  # both instances got work
            first = await asyncio.to_thread(consumed, services, service, service)
            second = await asyncio.to_thread(consumed, services, f"{service}-2", service)
            assert first > 0 and second > 0 and first + second >= len(names), (service, first, second)
        # Version 2 by the urgent lane: both instances of each service read all of it, and each
        # event is applied once (one history entry per version, asserted at the end).
        await feed.wave(names, 2, urgent=True)
        await feed.drained()
        await asyncio.to_thread(wait_for, lambda: applied_everywhere(services, names, 2), 90, "version 2")

        # A round streams; the second instances die in the middle of it (SIGKILL: no leave, no commit).
        before = {s: await asyncio.to_thread(consumed, services, f"{s}-2", s) for s in SERVICES}
        await feed.wave(names, 3)
        for service in SERVICES:
            instance = f"{service}-2"
            await asyncio.to_thread(wait_for, lambda i=instance, s=service: consumed(services, i, s) > before[s],
                                    30, f"{instance} working on wave 3", interval=0.02)
            await asyncio.to_thread(services.stop_service, instance, True)
        for version in (4, 5):
            await feed.wave(names, version)
        await feed.drained()

        # The survivors take every partition over (after the dead members' sessions expire).
        for service in SERVICES:
            await asyncio.to_thread(wait_for, lambda s=service: owned(services, s) == PARTITIONS[s], 60,
                                    f"{service} owns all {PARTITIONS[service]} partitions")
        await asyncio.to_thread(wait_for, lambda: applied_everywhere(services, names, 5), 120, "version 5 everywhere")
    await asyncio.to_thread(assert_each_version_applied_once, services, names, 5)
    for service in SERVICES:
        report = (await asyncio.to_thread(readyz, services, service))["consumer"]
        assert report["partitions_owned"] == PARTITIONS[service], report
