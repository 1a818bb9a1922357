"""SIGKILL the partition leader while a rating round streams: rating's relay and lending's and
merchant's consumers carry on through the failover (acks=all with min.insync.replicas=2 of 3
still holds on two brokers), nothing is lost, nothing is applied twice; the broker rejoins."""
from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from tools.kafka_cluster import LocalKafka

from tests.cluster.helpers import (
    RatingFeed,
    applied_everywhere,
    assert_each_version_applied_once,
    leaders,
    metric,
    readyz,
    subjects,
    wait_for,
)
from tests.e2e.cluster import Cluster
from tests.harness import PG_URL, DatabaseFactory, Keys

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
TOPIC = "rating-changed"


@pytest.fixture(scope="module")
def services(clean_kafka: LocalKafka, tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("failover"), keys, backend="postgres" if PG_URL else "sqlite",
                services=["lending", "merchant"], bootstrap=clean_kafka.bootstrap)
    c.start()
    yield c
    c.stop()


async def test_killing_the_leader_mid_round_loses_nothing_and_applies_nothing_twice(
        services: Cluster, clean_kafka: LocalKafka, databases: DatabaseFactory) -> None:
    kafka = clean_kafka
    names = subjects(150)
    async with RatingFeed(await databases.create("rating"), kafka.bootstrap) as feed:
        await feed.wave(names, 1)
        await feed.wave(names, 2)
        await feed.drained()
        victim, _ = (await asyncio.to_thread(leaders, kafka, TOPIC))[0]
        # The round goes on: waves 3-5 are written while the leader of partition 0 dies under them.
        await feed.wave(names, 3)
        await asyncio.to_thread(kafka.kill_node, victim)
        for version in (4, 5):
            await feed.wave(names, version)
            await asyncio.sleep(0.3)
        await feed.drained(timeout=120)
        after = await asyncio.to_thread(leaders, kafka, TOPIC)
        assert all(leader != victim and leader >= 0 for leader, _ in after.values()), after
        assert all(len(isr) == 2 for _, isr in after.values()), f"the dead broker is out of every ISR: {after}"
        await asyncio.to_thread(wait_for, lambda: applied_everywhere(services, names, 5), 120,
                                "lending and merchant at version 5 with a broker dead")

        # The broker rejoins and catches up: every partition back to 3 in-sync replicas.
        await asyncio.to_thread(kafka.start_node, victim)
        await asyncio.to_thread(kafka.wait_ready, 180)
        await asyncio.to_thread(wait_for, lambda: all(
            len(isr) == 3 for _, isr in leaders(kafka, TOPIC).values()), 120, "the broker back in every ISR")
        # ... and the producers and consumers carry on with it.
        await feed.wave(names, 6)
        await feed.drained()
        await asyncio.to_thread(wait_for, lambda: applied_everywhere(services, names, 6), 90,
                                "lending and merchant at version 6 after the rejoin")
        assert feed.emitted == 6 * len(names)

    await asyncio.to_thread(assert_each_version_applied_once, services, names, 6)
    # Readiness and /metrics show the consumers' lag per owned partition: all 6, nothing behind.
    for service in ("lending", "merchant"):
        report = await asyncio.to_thread(wait_for, lambda s=service: (lambda r: r if r["lag_total"] == 0 and any(
            k.startswith(TOPIC) for k in r["lag"]) else None)(readyz(services, s)["consumer"]), 30, f"{service} lag 0")
        assert sorted(k for k in report["lag"] if k.startswith(TOPIC + "/")) == [f"{TOPIC}/{p}" for p in range(6)]
        assert report["group"] == service
        for partition in range(6):
            lag = await asyncio.to_thread(metric, services, service, "consumer_lag_events", group=service,
                                          topic=TOPIC, partition=str(partition))
            assert lag == 0.0, (service, partition, lag)
