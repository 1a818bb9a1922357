"""Bench: loan draws per second on PostgreSQL, and overdraws (must be 0).

Each draw is the full loan path of ``POST /v1/loans`` below HTTP, in its own transaction: read the
line, check the rate cap, the one conditional UPDATE of the line, insert the loan, write the
loan-recorded event to the outbox. Phase "spread": workers draw on many lines; phase "hot": every
worker draws on the same line until it is exhausted (contention on one row lock).

    PYTHONPATH=libs:services:. .venv/bin/python bench/lending_draws.py [--workers 32] [--seconds 10]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, select, text

from common.db import Database, utcnow
from common.errors import ProblemError
from common.migrations import upgrade
from lending.app import DEFINITION
from lending.credit_lines.models import CreditLine
from lending.credit_lines.service import apply_grades
from lending.loans.models import Loan
from lending.loans.schemas import LoanIn
from lending.loans.service import record_loan
from lending.policies.rates import RateBook
from lending.subjects.repository import save_many as save_facts
from lending.subjects.service import facts_row
from rating.ratings import events as rating_events
from registry import events as registry_events

PG_URL = os.environ.get("CV_BENCH_POSTGRES_URL", os.environ.get("CV_TEST_POSTGRES_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/postgres"))
REGION = {"county": "341181", "town": "341181100", "village": "341181100201"}


def filed(subject_id: str) -> dict[str, Any]:
    """The subject's file as the registry announces it (its own builder), with consent to lending use:
    lending shows a bank nothing of a subject whose consent it has not heard."""
    return registry_events.registered(
        subject_id=subject_id, kind="household", region_codes=REGION, version=1, masked_name="张*", profile={},
        consent={"given": True, "date": "2026-03-01", "scopes": ["lending"]}, registered_at=utcnow()).data


def graded(subject_id: str, grade: str) -> dict[str, object]:
    """A first final grade as rating announces it (its own builder)."""
    return rating_events.rating_changed(
        subject_id=subject_id, kind="household", county=REGION["county"], town=REGION["town"],
        village=REGION["village"], old_grade=None, new_grade=grade, score=Decimal("90"), version=1,
        effective_at=utcnow(), reason="bench", vetoed=False, indicator_system_version=1).data


async def make_db() -> tuple[str, str]:
    name = f"cvbench_lending_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(PG_URL)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = PG_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"
    await asyncio.to_thread(upgrade, DEFINITION.migrations_dir, url)
    return name, url


async def drop_db(name: str) -> None:
    conn = await asyncpg.connect(PG_URL)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def seed(db: Database, subjects: list[str]) -> None:
    async with db.transaction() as session:
        await save_facts(session, [facts_row(filed(s), None) for s in subjects])  # consent before the grade
        await apply_grades(session, [graded(s, "AAA") for s in subjects])


async def run_phase(db: Database, rates: RateBook, subjects: list[str], workers: int, seconds: float,
                    amount: Decimal) -> dict[str, float]:
    latencies: list[float] = []
    refused = 0
    stop_at = time.perf_counter() + seconds

    async def worker(w: int) -> None:
        nonlocal refused
        i = w
        while time.perf_counter() < stop_at:
            subject = subjects[i % len(subjects)]
            i += workers
            body = LoanIn(subject_id=subject, amount=amount, annual_rate=Decimal("4.10"), term_months=12)
            t0 = time.perf_counter()
            try:
                async with db.transaction() as session:
                    await record_loan(session, rates, f"bank-{w % 11}", body, lambda *_: None)  # no log: a bench
                latencies.append(time.perf_counter() - t0)
            except ProblemError:
                refused += 1
                if len(subjects) == 1:
                    return  # the hot line is exhausted

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(workers)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"draws": len(latencies), "refused": refused, "seconds": round(elapsed, 2),
            "draws_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else 0.0,
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2) if latencies else 0.0}


async def calibrate(db: Database, workers: int, seconds: float) -> float:
    """This machine's ceiling right now: transactions/s of one trivial INSERT each, same pool."""
    done = 0
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            async with db.transaction() as session:
                await session.execute(text("INSERT INTO disclosures (bank_id, subject_id, channel, purpose, "
                                           "disclosed_at) VALUES ('b', 's', 'bench', 'bench', now())"))
            done += 1

    await asyncio.gather(*(worker() for _ in range(workers)))
    return round(done / seconds, 1)


async def overdraws(db: Database) -> dict[str, int]:
    async with db.transaction(write=False) as session:
        over = (await session.execute(select(func.count()).select_from(CreditLine)
                                      .where(CreditLine.drawn_fen > CreditLine.line_fen))).scalar_one()
        sums: dict[str, int] = {s: int(n) for s, n in (await session.execute(
            select(Loan.subject_id, func.sum(Loan.amount_fen)).group_by(Loan.subject_id))).tuples()}
        drawn: dict[str, int] = {s: int(d) for s, d in (await session.execute(
            select(CreditLine.subject_id, CreditLine.drawn_fen))).tuples()}
    mismatched = sum(1 for s, d in drawn.items() if d != sums.get(s, 0))
    return {"lines_over_limit": int(over), "lines_drawn_not_sum_of_loans": mismatched}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--lines", type=int, default=500)
    args = parser.parse_args()
    name, url = await make_db()
    db = Database(url, pool_size=args.workers, max_overflow=0)
    try:
        subjects = [f"bench-{i:05d}" for i in range(args.lines)]
        await seed(db, [*subjects, "bench-hot"])
        rates = RateBook(db, ttl=3600)
        await rates.reload()
        spread = await run_phase(db, rates, subjects, args.workers, args.seconds, Decimal("100.00"))
        # 500,000.00 line, 1,234.56 a draw: 405 fit, the 406th and every later one must be refused.
        hot = await run_phase(db, rates, ["bench-hot"], args.workers, 60, Decimal("1234.56"))
        check = await overdraws(db)
        ceiling = await calibrate(db, args.workers, min(args.seconds, 5))
        async with db.transaction(write=False) as session:
            hot_line = (await session.execute(select(CreditLine).where(CreditLine.subject_id == "bench-hot"))).scalar_one()
        result = {"backend": "postgresql", "workers": args.workers, "spread": spread, "hot_line": hot,
                  "hot_line_drawn": str(Decimal(hot_line.drawn_fen) / 100), "hot_line_limit": str(Decimal(hot_line.line_fen) / 100),
                  "overdraws": check["lines_over_limit"] + check["lines_drawn_not_sum_of_loans"], **check,
                  "trivial_tx_per_s": ceiling, "load_average": os.getloadavg()[0]}
    finally:
        await db.dispose()
        await drop_db(name)
    print(f"draws on PostgreSQL, {args.workers} workers")
    print(f"  spread over {args.lines} lines: {spread['draws_per_s']} draws/s  (p50 {spread['p50_ms']} ms, "
          f"p99 {spread['p99_ms']} ms, {spread['draws']} draws)")
    print(f"  one hot line:          {hot['draws_per_s']} draws/s  ({hot['draws']} accepted, {hot['refused']} refused, "
          f"drawn {result['hot_line_drawn']} of {result['hot_line_limit']})")
    print(f"  overdraws: {result['overdraws']}")
    print(f"  ceiling now: {ceiling} trivial one-INSERT transactions/s on the same pool; "
          f"load average {result['load_average']:.1f} on {os.cpu_count()} cores")
    out = Path(__file__).with_name("results") / "lending_draws.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
