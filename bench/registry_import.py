"""Bench: the bulk import of 111,000 household rows (the county's whole 一户一档) into a fresh
registry database, the same code path as ``POST /v1/imports`` and ``python -m registry import``.

    PYTHONPATH=libs:services:. .venv/bin/python bench/registry_import.py [--rows N] [--postgres URL]

Prints the figures and writes bench/results/registry_import.json. Target (issue 13): < 20 s for 111,000 rows on SQLite on a quiet 2-core machine."""
from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import insert

from common.auth import Principal, Role
from common.db import Database, utcnow
from common.migrations import upgrade
from common.pii import PIICipher, id_check_char
from common.settings import DEV_PII_INDEX_KEY, DEV_PII_KEY
from registry.app import DEFINITION
from registry.imports import service
from registry.regions.models import Region

COUNTY = "341181"
TOWNS = 14
VILLAGES = 151
RESULTS = Path(__file__).with_name("results")


def villages() -> list[str]:
    return [f"{COUNTY}{100 + v % TOWNS:03d}{201 + v // TOWNS:03d}" for v in range(VILLAGES)]


def make_file(rows: int) -> bytes:
    codes = villages()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["village", "head_name", "head_id_number", "phone", "political_status", "education", "members_count",
                "labour_count", "party_members", "max_education", "annual_income", "land_mu", "agri_assets_value",
                "debts_outstanding", "private_borrowing", "overdue_count", "pboc_report_clean", "industry",
                "consent_given", "consent_date", "consent_scopes"])
    start = date(1950, 1, 1)
    for i in range(rows):
        first = f"{COUNTY}{(start + timedelta(days=i // 800)).strftime('%Y%m%d')}{i % 800:03d}"
        w.writerow([codes[i % VILLAGES], "张三丰", first + id_check_char(first), f"139{i:08d}", "masses", "junior",
                    3 + i % 4, 2, i % 2, "senior", f"{40000 + i % 50000}.00", f"{5 + i % 20}.5", f"{20000 + i % 9000}",
                    "0", "0", 0, "yes", "fox-nut", "yes", "2026-01-05", "rating;lending"])
    return buf.getvalue().encode()


async def seed(db: Database) -> None:
    now = utcnow()
    rows = [{"code": COUNTY, "name": "天长市", "level": "county", "parent_code": None}]
    rows += [{"code": f"{COUNTY}{100 + t:03d}", "name": f"镇{t}", "level": "town", "parent_code": COUNTY}
             for t in range(TOWNS)]
    rows += [{"code": c, "name": f"村{c[-3:]}", "level": "village", "parent_code": c[:9]} for c in villages()]
    async with db.transaction() as session:
        await session.execute(insert(Region), [{**r, "created_at": now, "created_by": "bench"} for r in rows])


async def fresh_url(postgres: str | None, tmp: Path) -> tuple[str, str | None]:
    if not postgres:
        return f"sqlite+aiosqlite:///{tmp / 'registry-bench.db'}", None
    name = f"cvbench_registry_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(postgres)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return postgres.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}", name


async def main(rows: int, postgres: str | None) -> dict[str, object]:
    content = make_file(rows)
    with tempfile.TemporaryDirectory() as tmp:
        url, pg_name = await fresh_url(postgres, Path(tmp))
        upload = Path(tmp) / "bench.csv"
        upload.write_bytes(content)
        await asyncio.to_thread(upgrade, DEFINITION.migrations_dir, url)
        db = Database(url)
        try:
            await seed(db)
            cipher = PIICipher(DEV_PII_KEY, DEV_PII_INDEX_KEY)
            admin = Principal(role=Role.admin, sub="bench")
            figures: dict[str, object] = {"rows": rows, "backend": "postgresql" if postgres else "sqlite",
                                          "file_bytes": len(content)}
            for label in ("first_import", "re_import"):
                t0, c0 = time.perf_counter(), time.process_time()
                job, table = await service.create_job(db, admin, "bench.csv", upload)
                t1 = time.perf_counter()
                final = await service.run_job(db, cipher, job.id, table, pii_keys=(DEV_PII_KEY, DEV_PII_INDEX_KEY))
                t2, cpu = time.perf_counter(), time.process_time() - c0
                assert final.status == "done", final.failure
                figures[label] = {"seconds": round(t2 - t0, 2), "parse_seconds": round(t1 - t0, 2),
                                  "rows_per_second": round(rows / (t2 - t0)),
                                  "cpu_seconds": round(cpu, 2), "load_average": os.getloadavg()[0], "created": final.created_count,
                                  "unchanged": final.unchanged_count, "errors": final.error_count}
                print(f"{label}: {rows} rows in {t2 - t0:.1f} s ({rows / (t2 - t0):,.0f} rows/s; parse {t1 - t0:.1f} s); "
                      f"CPU {cpu:.1f} s (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores); "
                      f"created {final.created_count}, unchanged {final.unchanged_count}, errors {final.error_count}")
        finally:
            await db.dispose()
            if pg_name and postgres:
                conn = await asyncpg.connect(postgres)
                await conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
                await conn.close()
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=111_000)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL to bench on instead of SQLite")
    args = parser.parse_args()
    result = asyncio.run(main(args.rows, args.postgres))
    first = result["first_import"]
    assert isinstance(first, dict)
    print(f"target < 20 s for 111,000 rows: {'met' if first['seconds'] < 20 * args.rows / 111_000 else 'MISSED'}")
    RESULTS.mkdir(exist_ok=True)
    suffix = "" if not args.postgres else "_postgres"
    (RESULTS / f"registry_import{suffix}.json").write_text(json.dumps(result, indent=2))
