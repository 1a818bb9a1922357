"""Shared fixtures: the county test key, a Tansu broker per session, fresh databases per test."""
from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest

from common.broker import TansuBroker
from common.events.topics import ensure_topics
from tests.harness import PG_URL, DatabaseFactory, Keys, session_keys
from tests.webhook_receiver import Receiver, receiving

# The Apache Kafka cluster of the cluster tier (`make test-cluster`); its tests are skipped without it.
KAFKA_BOOTSTRAP = os.environ.get("CV_TEST_KAFKA_BOOTSTRAP", "")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    no_kafka = pytest.mark.skip(reason="no Apache Kafka cluster: `make test-cluster` starts one (CV_TEST_KAFKA_BOOTSTRAP)")
    for item in items:
        if item.get_closest_marker("cluster") is not None and not KAFKA_BOOTSTRAP:
            item.add_marker(no_kafka)
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="no PostgreSQL: set CV_TEST_POSTGRES_URL (.ci/run does when 127.0.0.1:5432 answers)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test that ran services as processes (``tests.e2e.cluster.Cluster``) shows the end of
    each one's log: a consumer's rebalances or failed batches say why an outcome came late."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when != "call" or not report.failed:
        return
    for value in getattr(item, "funcargs", {}).values():
        for candidate in value if isinstance(value, tuple) else (value,):
            tails = getattr(candidate, "log_tails", None)
            if callable(tails):
                report.sections.append(("the services' logs, last lines", tails()))


def pytest_report_header(config: pytest.Config) -> str:
    return (f"PostgreSQL tests: {'on (' + PG_URL + ')' if PG_URL else 'skipped (no CV_TEST_POSTGRES_URL)'}; "
            f"Apache Kafka cluster tests: {'on (' + KAFKA_BOOTSTRAP + ')' if KAFKA_BOOTSTRAP else 'skipped (no CV_TEST_KAFKA_BOOTSTRAP)'}")


@pytest.fixture(scope="session")
def keys() -> Keys:
    return session_keys()


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TansuBroker]:
    tansu = TansuBroker(workdir=tmp_path_factory.mktemp("tansu"))
    tansu.start()
    ensure_topics(tansu.bootstrap)
    yield tansu
    tansu.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def databases(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("db"))
    yield factory
    await factory.drop_all()


@pytest.fixture
def fresh_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TansuBroker]:
    """A broker of the test's own (starts in milliseconds): no other test's events or offsets."""
    tansu = TansuBroker(workdir=tmp_path_factory.mktemp("tansu"))
    tansu.start()
    ensure_topics(tansu.bootstrap)
    yield tansu
    tansu.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook endpoint on 127.0.0.1 that checks signatures (tests/webhook_receiver.py)."""
    with receiving("/cv/changes") as found:
        yield found
