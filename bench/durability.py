"""Bench: what "acknowledged means durable" costs. Loans/s on lending's full loan path (read the
line, check the cap, the conditional UPDATE, the loan row, the outbox event: one transaction each)
with SQLite ``synchronous=NORMAL`` versus ``FULL``, and on PostgreSQL with ``synchronous_commit``
off versus on (the production default) when a server answers.

    PYTHONPATH=libs:services:. .venv/bin/python bench/durability.py [--seconds 10] [--workers 8]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

from common.db import Database, SqliteSync, utcnow
from common.migrations import upgrade
from lending.app import DEFINITION
from lending.credit_lines.service import apply_grade
from lending.loans.schemas import LoanIn
from lending.loans.service import record_loan
from lending.policies.rates import RateBook
from rating.ratings.events import rating_changed

PG_URL = os.environ.get("CV_BENCH_POSTGRES_URL", os.environ.get("CV_TEST_POSTGRES_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/postgres"))
REGION = {"county": "341181", "town": "341181100", "village": "341181100201"}
LINES = 200


async def loans_per_second(db: Database, workers: int, seconds: float) -> dict[str, Any]:
    subjects = [f"bench-{i:04d}" for i in range(LINES)]
    async with db.transaction() as session:
        for s in subjects:
            event = rating_changed(subject_id=s, kind="household", old_grade=None, new_grade="AAA", score=Decimal("92.00"),
                                   version=1, effective_at=utcnow(), reason="bench",
                                   county=REGION["county"], town=REGION["town"], village=REGION["village"])
            await apply_grade(session, event.data)
    rates = RateBook(db, ttl=3600)
    await rates.reload()
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds

    async def worker(w: int) -> None:
        i = w
        while time.perf_counter() < stop_at:
            body = LoanIn(subject_id=subjects[i % LINES], amount=Decimal("100.00"), annual_rate=Decimal("4.10"),
                          term_months=12)
            i += workers
            t0 = time.perf_counter()
            async with db.transaction() as session:
                await record_loan(session, rates, "bank-bench", body, lambda *_: None)  # no log: a bench
            latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(workers)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"loans": len(latencies), "loans_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 2),
            "p99_ms": round(latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000, 2)}


async def sqlite_run(level: SqliteSync, workers: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cv-durability-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'lending.db'}"
        await asyncio.to_thread(upgrade, DEFINITION.migrations_dir, url)
        db = Database(url, sqlite_synchronous=level)
        try:
            return await loans_per_second(db, workers, seconds)
        finally:
            await db.dispose()


async def postgres_run(synchronous_commit: str, workers: int, seconds: float) -> dict[str, Any]:
    name = f"cvbench_durability_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(PG_URL)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = PG_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"
    try:
        await asyncio.to_thread(upgrade, DEFINITION.migrations_dir, url)
        db = Database(url, pool_size=workers, max_overflow=0,
                      connect_args={"server_settings": {"synchronous_commit": synchronous_commit}})
        try:
            return await loans_per_second(db, workers, seconds)
        finally:
            await db.dispose()
    finally:
        conn = await asyncpg.connect(PG_URL)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def postgres_reachable() -> bool:
    try:
        conn = await asyncpg.connect(PG_URL, timeout=2)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0, help="per configuration")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    result: dict[str, Any] = {"workers": args.workers, "seconds": args.seconds, "sqlite": {}, "postgresql": {}}
    for level in ("NORMAL", "FULL"):
        result["sqlite"][level] = await sqlite_run(level, args.workers, args.seconds)  # type: ignore[arg-type]
    if await postgres_reachable():
        for setting in ("off", "on"):
            result["postgresql"][f"synchronous_commit={setting}"] = await postgres_run(setting, args.workers, args.seconds)
    result["load_average"] = os.getloadavg()[0]

    print(f"loans/s on lending's loan path, {args.workers} workers, {args.seconds:g} s each")
    for backend, runs in (("SQLite", result["sqlite"]), ("PostgreSQL", result["postgresql"])):
        base: tuple[str, float] | None = None
        for label, r in runs.items():
            cost = f"  ({(r['loans_per_s'] / base[1] - 1) * 100:+.0f} % vs {base[0]})" if base else ""
            base = base or (label, r["loans_per_s"])
            print(f"  {backend:10s} {label:24s} {r['loans_per_s']:8.1f} loans/s  p50 {r['p50_ms']:6.2f} ms  "
                  f"p99 {r['p99_ms']:7.2f} ms{cost}")
    if not result["postgresql"]:
        print("  PostgreSQL: no server answered (CV_BENCH_POSTGRES_URL)")
    print(f"  load average {result['load_average']:.1f} on {os.cpu_count()} cores")
    out = Path(__file__).with_name("results") / "durability.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
