"""The county round on the Apache Kafka cluster: how the catch-up scales with consumer instances.

For each instance count (1 and 2 by default), on clean topics of the local 3-broker cluster
(deploy/local/kafka.sh; started here if it is not running, and stopped again at the end), starts
lending and merchant as processes (PostgreSQL with --postgres URL or CV_TEST_POSTGRES_URL, else
SQLite) with that many consumer instances each in one group, then rating's relay publishes a
round (one `rating-changed` per household, built by rating's own builder, through the outbox) and
the benchmark measures until every household's new grade is applied in lending and in merchant:
  - publish: the round committed to the outbox until the relay has every event acknowledged;
  - catch-up: the round committed until both services have applied all of it (events/s).

    PYTHONPATH=libs:services:. .venv/bin/python bench/cluster_round.py --households 20000
Writes bench/results/cluster_round.json.
"""
from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tools.kafka_cluster import LocalKafka, reset_topics

from common.events.topics import PARTITIONS as TOPIC_PARTITIONS
from common.events.topics import consumed_topics
from common.migrations import upgrade
from tests.cluster.helpers import RatingFeed, owned, rows, start_instance, subjects, wait_for
from tests.e2e.cluster import Cluster
from tests.harness import Keys, definition

RESULTS = Path(__file__).resolve().parent / "results" / "cluster_round.json"
SERVICES = ("lending", "merchant")
PARTITIONS = {s: len(consumed_topics(importlib.import_module(f"{s}.handlers").HANDLERS)) * TOPIC_PARTITIONS for s in SERVICES}


def applied(cluster: Cluster, version: int) -> tuple[int, int]:
    lending = rows(cluster.db_urls["lending"], f"SELECT count(*) FROM credit_lines WHERE rating_version = {version}")
    merchant = rows(cluster.db_urls["merchant"],
                    f"SELECT count(*) FROM subject_versions WHERE stream = 'merchant.rating' AND version = {version}")
    return int(lending[0][0]), int(merchant[0][0])


async def one_run(kafka: LocalKafka, instances: int, households: int, backend: str, work: Path) -> dict[str, Any]:
    await asyncio.to_thread(reset_topics, kafka.bootstrap)
    cluster = Cluster(work / f"x{instances}", Keys.generate(), backend=backend, services=list(SERVICES),
                      bootstrap=kafka.bootstrap)
    await asyncio.to_thread(cluster.start)
    try:
        for service in SERVICES:
            for i in range(2, instances + 1):
                await asyncio.to_thread(start_instance, cluster, service, f"{service}-{i}")
        for service in SERVICES:
            names = [service] + [f"{service}-{i}" for i in range(2, instances + 1)]
            await asyncio.to_thread(wait_for, lambda names=names, s=service: all(owned(cluster, n) > 0 for n in names)
                                    and sum(owned(cluster, n) for n in names) == PARTITIONS[s], 90,
                                    f"{service}'s partitions over {instances} instance(s)")
        rating_db = f"sqlite+aiosqlite:///{work / f'rating-{instances}.db'}"
        await asyncio.to_thread(upgrade, definition("rating").migrations_dir, rating_db)
        names = subjects(households)
        async with RatingFeed(rating_db, kafka.bootstrap) as feed:
            started = time.monotonic()
            await feed.wave(names, 1, chunk=2000)
            committed = time.monotonic()
            await feed.drained(timeout=1800)
            published = time.monotonic()
            done = await asyncio.to_thread(wait_for, lambda: applied(cluster, 1) == (households, households) or None,
                                           3600, "the round applied", 0.2)
            finished = time.monotonic()
        assert done
        catch_up = finished - committed
        return {"instances_per_service": instances, "households": households, "backend": backend,
                "write_outbox_s": round(committed - started, 2), "publish_s": round(published - committed, 2),
                "catch_up_s": round(catch_up, 2), "events_per_s_per_service": round(households / catch_up, 1)}
    finally:
        await asyncio.to_thread(cluster.stop)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--postgres", default=os.environ.get("CV_TEST_POSTGRES_URL", ""),
                        help="PostgreSQL URL for the services' databases (default CV_TEST_POSTGRES_URL; else SQLite)")
    args = parser.parse_args()
    if args.postgres:
        os.environ["CV_TEST_POSTGRES_URL"] = args.postgres
        import tests.harness

        tests.harness.PG_URL = args.postgres
        import tests.e2e.cluster

        tests.e2e.cluster.PG_URL = args.postgres
    backend = "postgres" if args.postgres else "sqlite"
    kafka = LocalKafka.from_env()
    ours = len(kafka.running()) < 3
    start_s = await asyncio.to_thread(kafka.start) if ours else 0.0
    results: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="cluster-round-") as tmp:
            for n in args.instances:
                result = await one_run(kafka, n, args.households, backend, Path(tmp))
                print(json.dumps(result), flush=True)
                results.append(result)
    finally:
        if ours:
            await asyncio.to_thread(kafka.stop)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "cluster_round", "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cluster": "3 combined broker+controller nodes, Apache Kafka (tools/kafka_cluster.py), 6 partitions, RF 3",
        "cluster_start_s": round(start_s, 1) if ours else None, "runs": results}, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    asyncio.run(main())
