"""The cluster tier: the services as processes on the local Apache Kafka cluster (3 brokers,
KRaft, started by `make test-cluster` through deploy/local/kafka.sh) and PostgreSQL where one
answers. Each module starts from a clean slate: topics recreated from the one definition, no
consumer group offsets left by the module before."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from tools.kafka_cluster import LocalKafka, reset_topics

from tests.cluster.helpers import all_nodes_back

BOOTSTRAP = os.environ.get("CV_TEST_KAFKA_BOOTSTRAP", "")


@pytest.fixture(scope="session")
def kafka() -> LocalKafka:
    """The local cluster, with its nodes under the tests' control (kill, restart). Fault tests need
    the cluster that deploy/local/kafka.sh started: the same CV_KAFKA_* settings."""
    local = LocalKafka.from_env()
    if local.bootstrap != BOOTSTRAP or not local.running():
        pytest.skip(f"CV_TEST_KAFKA_BOOTSTRAP={BOOTSTRAP!r} is not the local cluster ({local.bootstrap}) run from here")
    return local


@pytest.fixture(scope="module")
def clean_kafka(kafka: LocalKafka) -> Iterator[LocalKafka]:
    all_nodes_back(kafka)
    reset_topics(kafka.bootstrap)
    yield kafka
    all_nodes_back(kafka)
