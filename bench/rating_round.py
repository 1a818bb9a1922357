"""Rating-round benchmark: re-rate every household of a county in one round.

For each size, a child process builds a fresh, migrated rating DB (SQLite by default; PostgreSQL
with --postgres URL) holding N households over 151 villages in 15 towns, with civility results (0–100 scores, base 80),
some negative-list records and loans; then it measures, in the same process:
  - the round (score every household, publish 公示 for 7 days): time and peak memory;
  - the finalisation when the publication ends (final grades, rating-changed outbox rows,
    villages and towns recomputed): time and peak memory.
Peak memory is the process's peak RSS (ru_maxrss) over the whole run, and its growth over the
RSS measured just before the round started.

    PYTHONPATH=libs:services:. .venv/bin/python bench/rating_round.py            # 111,000
    PYTHONPATH=libs:services:. .venv/bin/python bench/rating_round.py --million  # and 1,000,000
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "rating_round.json"
VILLAGES, TOWNS = 151, 15
COUNTY = "341181"
# Named: the table has gained columns since (rating_consent, left to its default of true).
SUBJECT_COLUMNS = ["subject_id", "kind", "county", "town", "village", "village_group", "masked_name", "profile",
                   "status", "updated_at"]


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_s() -> float:
    """CPU seconds of this process, all threads (the machine is shared: wall time depends on load)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def village_code(i: int) -> tuple[str, str]:
    town = f"{COUNTY}{100 + (i % TOWNS):03d}"
    return town, f"{town}{200 + i:03d}"


def profile(rng: random.Random) -> str:
    return json.dumps({
        "members_count": rng.randint(1, 7), "labour_count": rng.randint(0, 4), "party_members": rng.choice([0, 0, 0, 1]),
        "max_education": rng.choice(["none", "primary", "junior", "senior", "college"]),
        "annual_income": f"{rng.randint(5_000, 200_000)}.00", "land_mu": str(rng.randint(0, 60)),
        "agri_assets_value": f"{rng.randint(0, 600_000)}.00", "other_assets_value": f"{rng.randint(0, 300_000)}.00",
        "production_years": rng.randint(0, 30), "private_borrowing": f"{rng.choice([0, 0, 0, 80_000, 250_000])}.00",
        "overdue_count": rng.choice([0, 0, 0, 0, 1, 3]), "pboc_report_clean": rng.random() > 0.05})


def build_sqlite(path: Path, n: int) -> None:
    """Fill the migrated DB with the stdlib driver in chunks (setup, not measured)."""
    rng = random.Random(7)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    chunk = 20_000
    for start in range(0, n, chunk):
        subjects, civility, negative, loans = [], [], [], []
        for i in range(start, min(start + chunk, n)):
            town, village = village_code(i % VILLAGES)
            sid = f"hh-{i:07d}"
            subjects.append((sid, "household", COUNTY, town, village, None, "张*", profile(rng), "active", now))
            civility.append((sid, f"ev-{i}", rng.randint(40, 100), i % 500 == 0,
                             json.dumps(["illegal_banquet"] if i % 500 == 0 else []), now))
            if i % 550 == 1:
                negative.append((f"neg-{i}", sid, "court", "dishonest_judgment_debtor", "raised", True, now))
            if i % 5 == 0:
                late = 1 if i % 45 == 0 else 0
                loans.append((f"loan-{i}", sid, village, 100000, 50000, "defaulted" if i % 400 == 0 else "active",
                              rng.randint(0, 6), late, now))
        con.executemany(f"INSERT INTO subjects ({', '.join(SUBJECT_COLUMNS)}) VALUES (?,?,?,?,?,?,?,?,?,?)", subjects)
        con.executemany("INSERT INTO civility_results (subject_id, evaluation_id, score, veto, veto_items, "
                        "published_at, base) VALUES (?,?,?,?,?,?,80)", civility)
        con.executemany("INSERT INTO negative_records VALUES (?,?,?,?,?,?,?)", negative)
        con.executemany("INSERT INTO loans VALUES (?,?,?,?,?,?,?,?,?)", loans)
        con.commit()
    con.close()


async def build_postgres(url: str, n: int) -> None:
    import asyncpg

    rng = random.Random(7)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    now = datetime.now(UTC)
    chunk = 20_000
    for start in range(0, n, chunk):
        subjects, civility, negative, loans = [], [], [], []
        for i in range(start, min(start + chunk, n)):
            town, village = village_code(i % VILLAGES)
            sid = f"hh-{i:07d}"
            subjects.append((sid, "household", COUNTY, town, village, None, "张*", profile(rng), "active", now))
            civility.append((sid, f"ev-{i}", rng.randint(40, 100), i % 500 == 0,
                             json.dumps(["illegal_banquet"] if i % 500 == 0 else []), now))
            if i % 550 == 1:
                negative.append((f"neg-{i}", sid, "court", "dishonest_judgment_debtor", "raised", True, now))
            if i % 5 == 0:
                loans.append((f"loan-{i}", sid, village, 100000, 50000, "defaulted" if i % 400 == 0 else "active",
                              rng.randint(0, 6), 1 if i % 45 == 0 else 0, now))
        await conn.copy_records_to_table("subjects", records=subjects, columns=SUBJECT_COLUMNS)
        await conn.executemany("INSERT INTO civility_results (subject_id, evaluation_id, score, veto, veto_items, "
                               "published_at, base) VALUES ($1,$2,$3,$4,$5::json,$6,80)", civility)
        await conn.copy_records_to_table("negative_records", records=negative)
        await conn.copy_records_to_table("loans", records=loans)
    await conn.close()


async def measure(n: int, pg_url: str | None) -> dict[str, object]:
    from sqlalchemy import text

    from common.app import freeze_startup_heap
    from common.db import Database, utcnow
    from common.migrations import upgrade
    from rating.app import DEFINITION
    from rating.ratings.lifecycle import finalise_due
    from rating.rounds import service as rounds
    from rating.settings import RatingSettings

    if pg_url:
        import asyncpg
        name = f"cvbench_rating_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(pg_url)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        url = pg_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"
        await asyncio.to_thread(upgrade, DEFINITION.migrations_dir, url)
        t = time.perf_counter()
        await build_postgres(url, n)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="rating-bench-"))
        path = tmp / "rating.db"
        url = f"sqlite+aiosqlite:///{path}"
        await asyncio.to_thread(upgrade, DEFINITION.migrations_dir, url)
        t = time.perf_counter()
        build_sqlite(path, n)
    setup_s = time.perf_counter() - t

    settings = RatingSettings(env="test", database_url=url, auth_public_key="unused", publication_days=7,
                              run_relay=False, run_consumer=False)
    db = Database(url)
    if pg_url:
        async with db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    freeze_startup_heap()   # as the service does once it has started (common.app)
    base_rss = rss_mb()
    async with db.transaction() as session:
        rnd = await rounds.start(session, COUNTY, ["household"], "bench", utcnow())
    t, c = time.perf_counter(), cpu_s()
    summary = await rounds.run(db, settings, rnd.id)
    round_s, round_cpu = time.perf_counter() - t, cpu_s() - c
    round_peak = peak_mb()

    t, c = time.perf_counter(), cpu_s()
    finalised = await finalise_due(db, settings, utcnow() + timedelta(days=8))
    final_s, final_cpu = time.perf_counter() - t, cpu_s() - c
    async with db.transaction(write=False) as session:
        outbox = (await session.execute(text("SELECT count(*) FROM outbox_events"))).scalar_one()
        villages = (await session.execute(text(
            "SELECT count(*), sum(CASE WHEN credit_village THEN 1 ELSE 0 END) FROM current_grades WHERE kind='village'"))).one()
    await db.dispose()
    if pg_url:
        admin = await asyncpg.connect(pg_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"households": n, "backend": "postgresql" if pg_url else "sqlite", "setup_s": round(setup_s, 1),
            "round_s": round(round_s, 2), "round_cpu_s": round(round_cpu, 2), "round_per_s": int(n / round_s),
            "finalise_s": round(final_s, 2), "finalise_cpu_s": round(final_cpu, 2), "load_average": os.getloadavg()[0], "finalised": finalised, "rating_changed_events": outbox,
            "villages": villages[0], "credit_villages": int(villages[1] or 0),
            "rss_before_round_mb": round(base_rss, 1), "peak_rss_mb": round(peak_mb(), 1),
            "peak_rss_during_round_mb": round(round_peak, 1), "chunk_size": settings.round_chunk_size,
            "grades": summary["grades"], "vetoed": summary["vetoed"]}


def child(n: int, pg_url: str | None) -> None:
    print(json.dumps(asyncio.run(measure(n, pg_url))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--million", action="store_true", help="also run 1,000,000 households")
    parser.add_argument("--sizes", type=int, nargs="*", help="household counts (overrides the defaults)")
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL (a throwaway database is created)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.postgres)
        return
    sizes = args.sizes or ([111_000, 1_000_000] if args.million else [111_000])
    results = []
    for n in sizes:
        cmd = [sys.executable, __file__, "--child", str(n)] + (["--postgres", args.postgres] if args.postgres else [])
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": "libs:services:."},
                             cwd=ROOT)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(result)
        print(f"{n:>9,} households ({result['backend']}): round {result['round_s']:>7.2f} s "
              f"(cpu {result['round_cpu_s']} s, {result['round_per_s']:,}/s), finalise {result['finalise_s']:>7.2f} s "
              f"(cpu {result['finalise_cpu_s']} s) "
              f"({result['rating_changed_events']:,} rating-changed), peak RSS {result['peak_rss_mb']} MB "
              f"(round {result['peak_rss_during_round_mb']} MB, {result['rss_before_round_mb']} MB before), "
              f"credit villages {result['credit_villages']}/{result['villages']}, load average {result['load_average']:.1f}",
              flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for r in results:
        previous[f"{r['backend']}-{r['households']}"] = r
    RESULTS.write_text(json.dumps(previous, indent=2) + "\n")


if __name__ == "__main__":
    main()
