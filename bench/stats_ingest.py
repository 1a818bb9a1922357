"""Stats event ingestion: how many events per second the consumer applies to the read model.

A county's worth of events (registrations, civility evaluations, ratings, credit lines, loans,
repayments, redemptions) is fed in batches of 500, as the broker hands them over, through
(a) the consumer's full path for a batch: decode, JSON Schema validation, inbox dedupe, handlers
and the read model's projection, one transaction per batch; and (b) the handler path alone
(events already decoded). No broker: this measures the service, not Tansu.

    PYTHONPATH=libs:services:. .venv/bin/python bench/stats_ingest.py [--households N] [--url DB_URL]

Target: >= 5,000 events/s.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from common.db import Database
from common.events import Event
from common.events.consumer import EventConsumer, decode
from common.migrations import upgrade
from stats.app import DEFINITION
from stats.handlers import HANDLERS
from tests.harness import Keys
from tests.stats import factory

KEYS = Keys.generate()  # the producers' event keys: the bench signs and verifies as the services do

RESULTS = Path(__file__).resolve().parent / "results"
BATCH = 500


def county_events(households: int, seed: int = 11) -> list[Event]:
    """Each household's life in order (per subject, as one partition would deliver it), the
    households interleaved as the topics would be."""
    rng = random.Random(seed)
    villages = [f"341181{t:03d}{v:03d}" for t in range(100, 110) for v in range(200, 220)]
    lives: list[list[Event]] = []
    for i in range(households):
        sid, village = f"hh-{i:06d}", villages[i % len(villages)]
        grade = rng.choice(["AAA", "AA", "A", "A", "B"])
        amount = {"AAA": "500000.00", "AA": "300000.00", "A": "100000.00"}.get(grade)
        life = [factory.registered(sid, village), factory.civility(sid, 1), factory.rated(sid, village, grade, 1)]
        if amount:
            life.append(factory.line(sid, village, amount, "0.00", 1, grade=grade))
            if rng.random() < 0.5:
                life += [factory.loan(f"loan-{i}", sid, village, "50000.00"),
                         factory.line(sid, village, amount, "50000.00", 2, grade=grade),
                         factory.repaid(f"loan-{i}", sid, village, "20000.00", "30000.00"),
                         factory.line(sid, village, amount, "30000.00", 3, grade=grade)]
        life.append(factory.redemption(f"r-{i}", sid, village, "120.00", "12.00"))
        lives.append(life)
    out: list[Event] = []
    while lives:  # round robin over subjects keeps each subject's order
        nxt = []
        for life in lives:
            out.append(life.pop(0))
            if life:
                nxt.append(life)
        lives = nxt
    return out


def messages(events: list[Event]) -> list[Any]:
    """Records as the broker hands them over, signed as their producers' relays sign them."""
    out = []
    for i, e in enumerate(events):
        value = e.to_json()
        out.append(SimpleNamespace(topic=e.type, partition=0, offset=i, key=e.subject.encode(), value=value,
                                   headers=KEYS.event_headers(e.type, value)))
    return out


async def fresh_db(url: str | None, tag: str) -> Database:
    target = url or f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix=f'stats-ingest-{tag}-')}/stats.db"
    await asyncio.to_thread(upgrade, DEFINITION.migrations_dir, target)
    db = Database(target)
    if url:  # a shared PostgreSQL database: start from an empty read model
        from stats.rebuild import clear
        await clear(db)
    return db


async def full_path(url: str | None, events: list[Event]) -> tuple[float, float]:
    db = await fresh_db(url, "full")
    consumer = EventConsumer(db, "127.0.0.1:9", "stats-bench", HANDLERS, verifier=KEYS.verifier("stats"))
    batch = messages(events)
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(batch), BATCH):
        await consumer.handle(batch[i:i + BATCH])
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await consumer.stop()
    await db.dispose()
    return elapsed, cpu


async def handler_path(url: str | None, events: list[Event]) -> tuple[float, float]:
    db = await fresh_db(url, "handlers")
    consumer = EventConsumer(db, "127.0.0.1:9", "stats-bench", HANDLERS, verifier=KEYS.verifier("stats"))
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(events), BATCH):
        async with db.transaction() as session:
            await consumer._apply(session, events[i:i + BATCH])
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await consumer.stop()
    await db.dispose()
    return elapsed, cpu


def decode_cost(events: list[Event]) -> float:
    """Microseconds per event of the common consumer's decode and JSON Schema validation alone."""
    values = [e.to_json() for e in events]
    started = time.perf_counter()
    for value in values:
        decode(value)
    return (time.perf_counter() - started) / len(values) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=6000)
    parser.add_argument("--url", default="", help="a PostgreSQL database to use (default: new SQLite files)")
    args = parser.parse_args()
    events = county_events(args.households)
    print(f"{len(events):,} events of {args.households:,} households, batches of {BATCH}", flush=True)
    asyncio.run(full_path(None, county_events(200, seed=3)))  # warm up: schemas compiled, statements cached
    handlers, handlers_cpu = asyncio.run(handler_path(args.url or None, events))
    full, full_cpu = asyncio.run(full_path(args.url or None, events))
    decode_us = decode_cost(events)
    result = {"backend": (args.url or "sqlite").split(":")[0], "events": len(events), "batch": BATCH,
              "full_path_events_per_s": round(len(events) / full), "handler_path_events_per_s": round(len(events) / handlers),
              "full_path_events_per_cpu_s": round(len(events) / full_cpu),
              "handler_path_events_per_cpu_s": round(len(events) / handlers_cpu),
              "decode_validate_us_per_event": round(decode_us, 1), "target_events_per_s": 5000,
              "load_average_1m": os.getloadavg()[0], "cpus": os.cpu_count()}
    print(f"consumer full path (decode, validate, inbox, apply): {result['full_path_events_per_s']:,} events/s "
          f"({result['full_path_events_per_cpu_s']:,} per CPU second)")
    print(f"handler path (decoded events, inbox, apply):         {result['handler_path_events_per_s']:,} events/s "
          f"({result['handler_path_events_per_cpu_s']:,} per CPU second)")
    print(f"of which common decode + JSON Schema validation:     {decode_us:.0f} us/event "
          f"(caps the full path at {1e6 / decode_us:,.0f} events/s)")
    RESULTS.mkdir(exist_ok=True)
    name = "stats_ingest_postgresql" if args.url else "stats_ingest"
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
