"""Helpers of the cluster tier: rating's side of a round (its builder, its outbox, the relay), a
second instance of a service's consumer, and what lending and merchant ended with."""
from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from kafka.admin import KafkaAdminClient
from sqlalchemy import func, select, text
from tools.kafka_cluster import LocalKafka

from common.broker import free_port
from common.db import Database
from common.tables import outbox_events
from rating.ratings import events as rating_events
from tests.e2e.cluster import ROOT, Cluster
from tests.harness import rating_relay

COUNTY, TOWN, VILLAGE = "341181", "341181100", "341181100201"
GRADES = ("A", "AA", "AAA")


def grade(version: int) -> str:
    """The grade a subject has at a rating version: it changes at every version."""
    return GRADES[version % len(GRADES)]


def all_nodes_back(kafka: LocalKafka) -> None:
    for node in (1, 2, 3):
        if kafka.pid(node) is None:
            kafka.start_node(node)
    kafka.wait_ready(180)


def admin(kafka: LocalKafka) -> KafkaAdminClient:
    return KafkaAdminClient(bootstrap_servers=kafka.bootstrap, client_id="cluster-tests")


def leaders(kafka: LocalKafka, topic: str) -> dict[int, tuple[int, list[int]]]:
    """Partition -> (leader, in-sync replicas)."""
    a = admin(kafka)
    try:
        [described] = a.describe_topics([topic])
        return {p["partition_index"]: (p["leader_id"], sorted(p["isr_nodes"])) for p in described["partitions"]}
    finally:
        a.close()


def wait_for(check: Any, timeout: float, what: str, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout}s (last: {last!r:.600})")


class RatingFeed:
    """Rating's side of a round, as in production: ``rating-changed`` events built by rating's own
    builder, written to an outbox with the change, published by the outbox relay (acks=all,
    idempotent producer, subject id as the key)."""

    def __init__(self, db_url: str, bootstrap: str) -> None:
        self.db = Database(db_url)
        self.relay = rating_relay(self.db, bootstrap)
        self._task: asyncio.Task[None] | None = None
        self.emitted = 0

    async def __aenter__(self) -> RatingFeed:
        self._task = asyncio.create_task(self.relay.run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.relay.stop()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.db.dispose()

    async def wave(self, subjects: list[str], version: int, chunk: int = 100, *, urgent: bool = False) -> None:
        """Every subject re-rated to ``version`` (a new grade), committed in chunks as a round does
        (by the urgent lane, as vetoes go, if ``urgent``)."""
        now = datetime.now(UTC)
        for start in range(0, len(subjects), chunk):
            events = [rating_events.rating_changed(
                subject_id=s, kind="household", county=COUNTY, town=TOWN, village=VILLAGE,
                old_grade=grade(version - 1) if version > 1 else None, new_grade=grade(version),
                score=Decimal("80.00") + version, version=version, effective_at=now, reason="cluster tier round")
                for s in subjects[start:start + chunk]]
            async with self.db.transaction() as session:
                await rating_events.write(session, events, urgent=urgent)
            self.emitted += len(events)

    async def unsent(self) -> int:
        async with self.db.transaction(write=False) as session:
            return int((await session.execute(
                select(func.count()).select_from(outbox_events).where(outbox_events.c.sent_at.is_(None)))).scalar_one())

    async def drained(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while (left := await self.unsent()) > 0:
            assert time.monotonic() < deadline, f"the relay still has {left} unsent events after {timeout}s"
            await asyncio.sleep(0.2)


def subjects(n: int) -> list[str]:
    tag = uuid.uuid4().hex[:6]
    return [f"cl-{tag}-{i:04d}" for i in range(n)]


# ---- what the consumers ended with
async def _rows(url: str, sql: str) -> list[Any]:
    db = Database(url)
    try:
        async with db.transaction(write=False) as session:
            return list((await session.execute(text(sql))).all())
    finally:
        await db.dispose()


def rows(url: str, sql: str) -> list[Any]:
    """A query on a service's database from sync code (a thread of its own: tests may be async)."""
    from tests.e2e.cluster import _run_async

    return list(_run_async(_rows(url, sql)))  # type: ignore[call-overload]


def lending_lines(cluster: Cluster) -> dict[str, tuple[int, str]]:
    return {r[0]: (int(r[1]), r[2]) for r in rows(cluster.db_urls["lending"],
                                                   "SELECT subject_id, rating_version, grade FROM credit_lines")}


def lending_history(cluster: Cluster) -> Counter[tuple[str, int]]:
    return Counter({(r[0], int(r[1])): int(r[2]) for r in rows(
        cluster.db_urls["lending"],
        "SELECT subject_id, rating_version, count(*) FROM credit_line_history GROUP BY subject_id, rating_version")})


def merchant_grades(cluster: Cluster) -> dict[str, tuple[int, str]]:
    return {r[0]: (int(r[1]), r[2]) for r in rows(
        cluster.db_urls["merchant"],
        "SELECT h.subject_id, v.version, h.grade FROM households h JOIN subject_versions v "
        "ON v.subject_id = h.subject_id AND v.stream = 'merchant.rating'")}


def applied_everywhere(cluster: Cluster, names: list[str], version: int) -> bool:
    want = {s: (version, grade(version)) for s in names}
    lines, shops = lending_lines(cluster), merchant_grades(cluster)
    return all(lines.get(s) == want[s] for s in names) and all(shops.get(s) == want[s] for s in names)


def assert_each_version_applied_once(cluster: Cluster, names: list[str], versions: int) -> None:
    """Every line at its newest grade, with exactly one history entry per rating version."""
    history = lending_history(cluster)
    missing = [(s, v) for s in names for v in range(1, versions + 1) if history.get((s, v), 0) == 0]
    twice = {k: n for k, n in history.items() if k[0] in set(names) and n != 1}
    assert not missing, f"{len(missing)} versions never applied, e.g. {missing[:5]}"
    assert not twice, f"{len(twice)} versions applied more than once, e.g. {list(twice.items())[:5]}"
    assert {s for s, _ in history if s in set(names)} == set(names)
    lines, shops = lending_lines(cluster), merchant_grades(cluster)
    assert all(lines[s] == (versions, grade(versions)) for s in names), "a line is not at its newest grade"
    assert all(shops[s] == (versions, grade(versions)) for s in names), "a shop sees an old grade"


# ---- a service's instances and what they report
def start_instance(cluster: Cluster, service: str, instance: str) -> str:
    """Another process of ``service`` (consumer only, no relay), in the same consumer group and on
    the same database as the first; registered in the cluster under ``instance`` so it is stopped
    with it."""
    p = service.upper() + "_"
    cluster.ports[instance] = free_port()
    env = cluster.env(service)
    env.update({p + "PORT": str(cluster.ports[instance]), p + "RUN_RELAY": "false", p + "RUN_CONSUMER": "true"})
    log = open(cluster.workdir / f"{instance}.log", "ab")
    cluster.procs[instance] = subprocess.Popen([sys.executable, "-m", service, "serve"], env=env, stdout=log,
                                               stderr=subprocess.STDOUT, cwd=ROOT)
    cluster.wait_ready(instance)
    return instance


def readyz(cluster: Cluster, instance: str) -> dict[str, Any]:
    return dict(httpx.get(cluster.url(instance) + "/readyz", timeout=5).json())


def owned(cluster: Cluster, instance: str) -> int:
    try:
        return int(readyz(cluster, instance).get("consumer", {}).get("partitions_owned", 0))
    except httpx.HTTPError:
        return 0


def metric(cluster: Cluster, instance: str, name: str, **labels: str) -> float | None:
    """Sum of a Prometheus sample over the series matching ``labels`` (None: no such series)."""
    body = httpx.get(cluster.url(instance) + "/metrics", timeout=5).text
    total: float | None = None
    for line in body.splitlines():
        m = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line)
        if not m:
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if all(got.get(k) == v for k, v in labels.items()):
            total = (total or 0.0) + float(m.group(2))
    return total


def log_of(cluster: Cluster, instance: str) -> str:
    return Path(cluster.workdir / f"{instance}.log").read_text(errors="replace")
