"""Bench: credit-line reads (GET /v1/credit-lines/{id}, a bank's token) over HTTP against a real
uvicorn process of the lending service, keep-alive connections from a small asyncio client.

    PYTHONPATH=libs:services:. .venv/bin/python bench/lending_reads.py [--connections 32] [--seconds 10] [--pg]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from common.auth import Role, generate_keypair, mint_token
from common.db import Database, utcnow
from common.migrations import upgrade
from lending.app import DEFINITION
from lending.credit_lines.service import apply_grades
from lending.subjects.repository import save_many as save_facts
from lending.subjects.service import facts_row
from rating.ratings import events as rating_events
from registry import events as registry_events

ROOT = Path(__file__).resolve().parent.parent
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def seed(url: str, n: int) -> list[str]:
    await asyncio.to_thread(upgrade, DEFINITION.migrations_dir, url)
    db = Database(url)
    subjects = [f"read-{i:05d}" for i in range(n)]
    async with db.transaction() as session:
        await save_facts(session, [facts_row(filed(s), None) for s in subjects])  # consent before the grade
        await apply_grades(session, [graded(s, ["A", "AA", "AAA"][i % 3]) for i, s in enumerate(subjects)])
    await db.dispose()
    return subjects


async def load(port: int, token: str, subjects: list[str], connections: int, seconds: float,
               path: str | None = None) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        rnd = random.Random()
        while time.perf_counter() < stop_at:
            target = path or f"/v1/credit-lines/{subjects[rnd.randrange(len(subjects))]}"
            request = (f"GET {target} HTTP/1.1\r\nHost: bench\r\n"
                       f"Authorization: Bearer {token}\r\n\r\n").encode()
            t0 = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            if not head.startswith(b"HTTP/1.1 200"):
                errors += 1
        writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return latencies, errors


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of the embedded SQLite file")
    parser.add_argument("--calibrate", action="store_true", help="also measure GET /healthz: this machine's ceiling now")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lending-reads-"))
    pg_name = None
    if args.pg:
        pg_name = f"cvbench_reads_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(PG_URL)
        await conn.execute(f'CREATE DATABASE "{pg_name}"')
        await conn.close()
        url = PG_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{pg_name}"
    else:
        url = f"sqlite+aiosqlite:///{tmp / 'lending.db'}"
    subjects = await seed(url, args.lines)
    private, public = generate_keypair()
    token = mint_token(private, Role.bank, bank_id="rcb")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'libs'}:{ROOT / 'services'}:{ROOT}", "CV_VAR_DIR": str(tmp),
           "LENDING_DATABASE_URL": url, "LENDING_AUTH_PUBLIC_KEY": public.decode(), "LENDING_RUN_RELAY": "false",
           "LENDING_RUN_CONSUMER": "false", "LENDING_ENV": "test", "LENDING_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "lending", "serve", "--port", str(port)], env=env, cwd=ROOT)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(100):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            check = await client.get(f"/v1/credit-lines/{subjects[0]}", headers={"Authorization": f"Bearer {token}"})
            assert check.status_code == 200, check.text
        await load(port, token, subjects, args.connections, 2.0)  # warm-up
        latencies, errors = await load(port, token, subjects, args.connections, args.seconds)
        ceiling = None
        if args.calibrate:
            health, _ = await load(port, token, subjects, args.connections, args.seconds, path="/healthz")
            ceiling = round(len(health) / args.seconds, 1)
    finally:
        server.terminate()
        server.wait(10)
        if pg_name:
            conn = await asyncpg.connect(PG_URL)
            await conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            await conn.close()
    latencies.sort()
    n = len(latencies)
    result = {"backend": "postgresql" if args.pg else "sqlite", "connections": args.connections,
              "seconds": args.seconds, "requests": n, "errors": errors,
              "reads_per_s": round(n / args.seconds, 1),
              "p50_ms": round(latencies[n // 2] * 1000, 2), "p99_ms": round(latencies[int(n * 0.99) - 1] * 1000, 2),
              "healthz_per_s": ceiling, "load_average": os.getloadavg()[0]}
    print(f"credit-line reads over HTTP ({result['backend']}, one uvicorn worker, {args.connections} connections): "
          f"{result['reads_per_s']} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, errors {errors}")
    if ceiling is not None:
        print(f"  same server, GET /healthz (the machine's ceiling right now): {ceiling} req/s; "
              f"load average {result['load_average']:.1f} on {os.cpu_count()} cores")
    out = Path(__file__).with_name("results") / f"lending_reads{'_pg' if args.pg else ''}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
