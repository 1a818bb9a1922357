"""Stats read side at province size: 1,000,000 subjects over 10 counties, generated straight into
the read model with bulk inserts (subject states, then their counters rolled up to villages, towns
and counties, month by month), then the figures API timed in-process: summary (province, county,
county by kind, as_of a past month end) and the by-village listing of a county and of a town.

    PYTHONPATH=libs:services:. .venv/bin/python bench/stats_queries.py [--subjects N] [--url DB_URL]

Target: p99 < 50 ms for the summary and by-village queries. Wall-clock percentiles depend on what
else the machine runs (the load average is recorded); the CPU time per request does not.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from common.auth import generate_keypair, mint_token
from common.migrations import upgrade
from stats.app import DEFINITION, create_app
from stats.readmodel.metrics import COLUMNS
from stats.readmodel.repository import with_all_kinds
from stats.readmodel.state import SubjectState, contribution
from stats.readmodel.tables import cells, monthly, subjects
from stats.settings import StatsSettings

RESULTS = Path(__file__).resolve().parent / "results"
COUNTIES = [f"34{n:04d}" for n in range(1101, 1111)]  # 10 counties
TOWNS_PER_COUNTY, VILLAGES_PER_TOWN = 15, 15
MONTHS = [f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13)]
GRADES = ["AAA", "AA", "A", "B", "C", "D"]
GRADE_WEIGHTS = [15, 35, 37, 8, 3, 2]
LINE_FEN = {"AAA": 50_000_000, "AA": 30_000_000, "A": 10_000_000}


def generate(n: int, sink: Callable[[list[dict[str, Any]]], None],
             seed: int = 7) -> tuple[int, dict[tuple[str, str, str, str], dict[str, int]]]:
    """Subject rows (handed to ``sink`` 50,000 at a time), and counter changes per (region, level, kind, month)."""
    rng = random.Random(seed)
    villages = [(c, f"{c}{t:03d}", f"{c}{t:03d}{v:03d}") for c in COUNTIES
                for t in range(100, 100 + TOWNS_PER_COUNTY) for v in range(200, 200 + VILLAGES_PER_TOWN)]
    rows: list[dict[str, Any]] = []
    count = 0
    deltas: dict[tuple[str, str, str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))

    def add(state: SubjectState, month: str) -> None:
        figures = contribution(state)
        for code, level, kind in state.region.cells(state.kind or ""):
            target = deltas[(code, level, kind, month)]
            for name, value in figures.items():
                target[name] += value

    def subject(sid: str, kind: str, county: str, town: str, village: str | None) -> None:
        grade = rng.choices(GRADES, GRADE_WEIGHTS)[0] if rng.random() < 0.9 else None
        line = LINE_FEN.get(grade or "", 0) * (10 if kind in ("new_entity", "collective") else 1)
        drawn = rng.randrange(0, line // 100_000 + 1) * 100_000 if line and rng.random() < 0.15 else 0
        state = SubjectState(sid, kind=kind, county=county, town=town, village=village, registered=True, grade=grade,
                             credit_unit=grade in ("AAA", "AA", "A") and kind in ("village", "town"),
                             line_status="active" if line else None, line_fen=line, drawn_fen=drawn,
                             v_registry=1, v_rating=1 if grade else 0, v_line=1 if line else 0)
        nonlocal count
        rows.append(state.as_row())
        count += 1
        if len(rows) >= 50_000:
            sink(rows)
            rows.clear()
        add(state, rng.choice(MONTHS))

    special = 0
    for county, town, village in villages:
        subject(f"vil-{village}", "village", county, town, village)
        subject(f"col-{village}", "collective", county, town, village)
        special += 2
    for county, town in sorted({(c, t) for c, t, _ in villages}):
        subject(f"town-{town}", "town", county, town, None)
        special += 1
    for i in range(n - special):
        county, town, village = villages[i % len(villages)]
        subject(f"hh-{i:07d}", "new_entity" if i % 100 == 0 else "household", county, town, village)
    # Flows: loans, repayments, defaults, redemptions per village and month.
    for county, town, village in villages:
        for month in rng.sample(MONTHS, 6):
            loans = rng.randrange(1, 30)
            flow = {"loans": loans, "loan_amount": loans * 8_000_000, "repayments": loans // 2,
                    "repaid_amount": loans * 2_000_000, "redemptions": rng.randrange(0, 80),
                    "bill_amount": 1_000_000, "discount_amount": 50_000}
            for code, level in ((county, "county"), (town, "town"), (village, "village")):
                target = deltas[(code, level, "household", month)]
                for name, value in flow.items():
                    target[name] += value
    sink(rows)
    return count, deltas


async def load(url: str, n: int) -> dict[str, Any]:
    """Generate in a worker thread and bulk insert through the service's own async engine (SQLite
    or PostgreSQL alike), 50,000 rows a statement batch."""
    started = time.perf_counter()
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    loop = asyncio.get_running_loop()
    async with engine.begin() as conn:

        def sink(rows: list[dict[str, Any]]) -> None:
            if rows:
                asyncio.run_coroutine_threadsafe(conn.execute(insert(subjects), list(rows)), loop).result()

        count, deltas = await asyncio.to_thread(generate, n, sink)
        current: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
        for (code, level, kind, _month), figures in deltas.items():
            target = current[(code, level, kind)]
            for name, value in figures.items():
                target[name] += value
        current_rows = with_all_kinds(dict(current))  # as the projector keeps them: per kind and summed
        await conn.execute(insert(cells), [{"region": c, "level": lv, "kind": k, **dict.fromkeys(COLUMNS, 0), **f}
                                           for (c, lv, k), f in current_rows.items()])
        monthly_rows = [{"region": c, "level": lv, "kind": k, "month": m, **f} for (c, lv, k, m), f in deltas.items()]
        for i in range(0, len(monthly_rows), 50_000):
            await conn.execute(insert(monthly), monthly_rows[i:i + 50_000])
    await engine.dispose()
    return {"load_s": round(time.perf_counter() - started, 1), "cells_rows": len(current_rows),
            "monthly_rows": len(deltas), "subjects": count}


async def measure(url: str, requests: int, kept: bool) -> dict[str, Any]:
    """Each query ``requests`` times: computed every time, or (``kept``) answered from the answers
    kept while the read model has not moved."""
    private, public = generate_keypair()
    settings = StatsSettings(env="test", database_url=url, auth_public_key=public.decode(), run_relay=False,
                             run_consumer=False, log_level="WARNING", answer_cache=kept)
    tag = "kept" if kept else "computed"
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {mint_token(private, 'platform')}"}
    county, town = COUNTIES[3], f"{COUNTIES[3]}107"
    cases = {
        "summary_province": ("/v1/stats/summary", {}),
        "summary_county": ("/v1/stats/summary", {"region": county}),
        "summary_county_households": ("/v1/stats/summary", {"region": county, "kind": "household"}),
        "summary_county_as_of": ("/v1/stats/summary", {"region": county, "as_of": "2025-06"}),
        "villages_of_county": ("/v1/stats/regions", {"level": "village", "region": county}),
        "villages_of_town": ("/v1/stats/regions", {"level": "village", "region": town}),
        "villages_of_county_suppressed": ("/v1/stats/regions", {"level": "village", "region": county, "suppress": "true"}),
        "villages_of_county_csv": ("/v1/stats/regions", {"level": "village", "region": county, "_csv": "1"}),
    }
    out: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, (path, params) in cases.items():
                params = dict(params)
                h = dict(headers, Accept="text/csv") if params.pop("_csv", None) else headers
                for _ in range(10):  # warm up
                    assert (await client.get(path, params=params, headers=h)).status_code == 200
                times = []
                cpu_started = time.process_time()
                for _ in range(requests):
                    t0 = time.perf_counter()
                    response = await client.get(path, params=params, headers=h)
                    times.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, response.text
                cpu_ms = (time.process_time() - cpu_started) / requests * 1000
                times.sort()
                p50, p99 = statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]
                out[f"{tag}_{name}_p50_ms"], out[f"{tag}_{name}_p99_ms"] = round(p50, 2), round(p99, 2)
                out[f"{tag}_{name}_cpu_ms"] = round(cpu_ms, 2)
                print(f"{tag:8s} {name:32s} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   cpu {cpu_ms:6.2f} ms/request",
                      flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--url", default="", help="an empty database, e.g. postgresql://... (default: a new SQLite file)")
    args = parser.parse_args()
    url = args.url or f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='stats-bench-')}/stats.db"
    upgrade(DEFINITION.migrations_dir, url)
    loaded = asyncio.run(load(url, args.subjects))
    print(f"read model: {loaded['subjects']:,} subjects, {loaded['cells_rows']:,} counter rows, "
          f"{loaded['monthly_rows']:,} monthly rows (generated and loaded in {loaded['load_s']} s)",
          flush=True)
    computed = asyncio.run(measure(url, args.requests, kept=False))
    kept = asyncio.run(measure(url, args.requests, kept=True))
    result = {"backend": url.split(":")[0], **loaded, "requests_per_query": args.requests, **computed, **kept,
              "target_p99_ms": 50, "load_average_1m": os.getloadavg()[0], "cpus": os.cpu_count()}
    RESULTS.mkdir(exist_ok=True)
    name = "stats_queries" if url.startswith("sqlite") else "stats_queries_postgresql"
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
