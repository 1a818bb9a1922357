"""Event propagation: how soon a final grade reaches the banks and the shops.

Starts the broker and the lending and merchant services as real processes (embedded SQLite),
then publishes `rating-changed` events as rating would and reads, from each service's own inbox,
when each event was applied. Prints p50/p99 latency (produce → applied) over --events single
events sent one by one, and the catch-up time after a county-wide round (--round events at once).
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from kafka import KafkaProducer

from common.events import Event
from rating.ratings import events
from tests.e2e.cluster import Cluster
from tests.harness import Keys

SERVICES = ["lending", "merchant"]
RESULTS = Path(__file__).resolve().parent / "results"


def rating_changed(subject: str, grade: str = "AA") -> Event:
    return events.rating_changed(subject_id=subject, kind="household", county="341181", town="341181100",
                                 village="341181100200", old_grade=None, new_grade=grade, score=Decimal("85.00"),
                                 version=1, effective_at=datetime.now(UTC), reason="bench")


def handled(cluster: Cluster, service: str, ids: set[str]) -> dict[str, datetime]:
    db = cluster.db_urls[service].split("///", 1)[1]
    with sqlite3.connect(db, timeout=30) as conn:
        rows = conn.execute("SELECT event_id, handled_at FROM inbox_events").fetchall()
    return {eid: datetime.fromisoformat(at).replace(tzinfo=UTC) for eid, at in rows if eid in ids}


def wait_all(cluster: Cluster, ids: set[str], timeout: float) -> dict[str, dict[str, datetime]]:
    deadline = time.monotonic() + timeout
    while True:
        got = {s: handled(cluster, s, ids) for s in SERVICES}
        if all(len(v) == len(ids) for v in got.values()) or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1000, help="single events, sent one by one")
    parser.add_argument("--interval", type=float, default=0.01, help="seconds between single events")
    parser.add_argument("--round", type=int, default=20000, help="events of a county-wide round, sent at once")
    args = parser.parse_args()

    cluster = Cluster(Path(tempfile.mkdtemp(prefix="bench-propagation-")), Keys.generate(), services=SERVICES)
    cluster.start()
    producer = KafkaProducer(bootstrap_servers=cluster.broker.bootstrap, linger_ms=5)
    try:
        # Warm up: both consumers joined and applying.
        warm = rating_changed(f"warm-{uuid.uuid4().hex[:6]}")
        producer.send("rating-changed", key=warm.subject.encode(), value=warm.to_json()).get(10)
        wait_all(cluster, {warm.id}, 60)

        sent: dict[str, datetime] = {}
        for i in range(args.events):
            event = rating_changed(f"single-{i}")
            sent[event.id] = event.time
            producer.send("rating-changed", key=event.subject.encode(), value=event.to_json())
            producer.flush()
            time.sleep(args.interval)
        got = wait_all(cluster, set(sent), 120)
        result: dict[str, object] = {"events": args.events}
        for service in SERVICES:
            lat = [(got[service][eid] - at).total_seconds() * 1000 for eid, at in sent.items() if eid in got[service]]
            result[f"{service}_applied"] = len(lat)
            result[f"{service}_p50_ms"] = round(pct(lat, 50), 1)
            result[f"{service}_p99_ms"] = round(pct(lat, 99), 1)

        start = datetime.now(UTC)
        ids = set()
        for i in range(args.round):
            event = rating_changed(f"round-{i}", "A" if i % 3 else "AAA")
            ids.add(event.id)
            producer.send("rating-changed", key=event.subject.encode(), value=event.to_json())
        producer.flush()
        got = wait_all(cluster, ids, 900)
        result["round_events"] = args.round
        for service in SERVICES:
            last = max(got[service].values()) if got[service] else start
            seconds = (last - start).total_seconds()
            result[f"{service}_round_catch_up_s"] = round(seconds, 1)
            result[f"{service}_round_events_per_s"] = round(len(got[service]) / seconds, 0) if seconds else None
    finally:
        producer.close()
        cluster.stop()
    for k, v in result.items():
        print(f"{k:32s} {v}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "event_propagation.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
