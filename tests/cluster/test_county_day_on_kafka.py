"""The county's day end to end (tests/e2e's flow: files, import, civility, a rating round, a bank's
loans, a POS redemption, the platform's statistics, a veto within 2 s) with every service a process
on Apache Kafka (3 brokers, the production topic settings) and PostgreSQL where one answers; and
the topics on the cluster are the one definition."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from kafka.admin import ConfigResource, ConfigResourceType
from tools.kafka_cluster import LocalKafka

from common.events.topics import topic_specs
from tests.cluster.helpers import admin, metric
from tests.e2e import test_county_day as day
from tests.e2e.cluster import Cluster
from tests.harness import PG_URL, Keys

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


@pytest.fixture(scope="module")
def services(clean_kafka: LocalKafka, tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("county-day-kafka"), keys, backend="postgres" if PG_URL else "sqlite",
                extra_env={"RATING_PUBLICATION_DAYS": "0"}, bootstrap=clean_kafka.bootstrap)
    c.start()
    yield c
    c.stop()


def test_the_topics_on_the_cluster_are_the_one_definition(clean_kafka: LocalKafka) -> None:
    specs = {s.name: s for s in topic_specs(3)}
    a = admin(clean_kafka)
    try:
        # The broker answering may learn of topics recreated by the module's reset a moment later.
        deadline = time.monotonic() + 30
        while True:
            described = {t["name"]: t for t in a.describe_topics(list(specs))}
            if all(len(described[n]["partitions"]) for n in specs) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        configs = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name) for name in specs])
    finally:
        a.close()
    by_topic = configs["topic"] if isinstance(configs, dict) and "topic" in configs else configs
    for name, spec in specs.items():
        partitions = described[name]["partitions"]
        assert len(partitions) == spec.partitions, name
        assert all(len(p["replica_nodes"]) == 3 and len(p["isr_nodes"]) == 3 for p in partitions), name
        got = {k: v["value"] for k, v in by_topic[name].items()}
        assert {k: got.get(k) for k in spec.configs} == spec.configs, name


def test_the_county_day_on_kafka_and_postgres(services: Cluster) -> None:
    day.test_the_county_day_end_to_end(services)


def test_every_consumer_joined_its_group_once(services: Cluster) -> None:
    """Through the whole day each service's consumer kept its first assignment: kafka-python
    3.0.12's leader assigned from an empty snapshot of the topics, so the first metadata update
    asked for a second rebalance a moment later, one that kafka-python could lose (see
    ``EventConsumer._complete_lost_join``)."""
    consuming = [name for name in services.procs if metric(services, name, "consumer_rebalances_total",
                                                            group=name, event="assigned")]
    assert len(consuming) >= 4, consuming   # rating, lending, merchant, stats
    for name in consuming:
        assert metric(services, name, "consumer_rebalances_total", group=name, event="revoked") is None, name
