"""Bench: POST /v1/pos/verify over HTTP against a real uvicorn process of the merchant service.

Prepares a SQLite database with 10,000 households (codes, grades, consent), one merchant with
five offers, starts `python -m merchant serve` on a free port (one worker), and drives it with a
bounded load generator (a fixed number of keep-alive connections, one request in flight each)
running in a separate process. Measures /healthz first, then verify; prints req/s, p50/p99 and
the ratio, and writes bench/results/merchant_verify.json.

    PYTHONPATH=libs:services:. .venv/bin/python bench/merchant_verify.py [--seconds 5] [--rounds 3] [--connections 32]
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "libs"), str(ROOT / "services"), str(ROOT)]

HOUSEHOLDS = 10_000
GRADES = ["AAA"] * 15 + ["AA"] * 35 + ["A"] * 38 + ["B"] * 8 + ["C"] * 3 + ["D"] * 1


# ---------------------------------------------------------------- the load generator (own process)

class _Conn(asyncio.Protocol):
    """One keep-alive connection with one request in flight; records each latency."""

    def __init__(self, requests: list[bytes], stop_at: float, latencies: list[float], done: asyncio.Future[None],
                 errors: list[int]) -> None:
        self.requests, self.stop_at, self.latencies, self.done, self.errors = requests, stop_at, latencies, done, errors
        self.buf = b""
        self.i = random.randrange(len(requests))
        self.sent_at = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._send()

    def _send(self) -> None:
        self.i = (self.i + 1) % len(self.requests)
        self.sent_at = time.perf_counter()
        assert self.transport is not None
        self.transport.write(self.requests[self.i])

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buf[:head_end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            total = head_end + 4 + length
            if len(self.buf) < total:
                return
            status = int(head[9:12])
            self.buf = self.buf[total:]
            now = time.perf_counter()
            self.latencies.append(now - self.sent_at)
            if status != 200:
                self.errors.append(status)
            if now >= self.stop_at:
                assert self.transport is not None
                self.transport.close()
                if not self.done.done():
                    self.done.set_result(None)
                return
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def _drive(port: int, requests: list[bytes], connections: int, seconds: float, warmup: float) -> dict[str, Any]:
    loop = asyncio.get_running_loop()

    async def phase(duration: float) -> tuple[list[float], list[int], float]:
        latencies: list[float] = []
        errors: list[int] = []
        stop_at = time.perf_counter() + duration
        dones = []
        started = time.perf_counter()
        for _ in range(connections):
            done: asyncio.Future[None] = loop.create_future()
            await loop.create_connection(functools.partial(_Conn, requests, stop_at, latencies, done, errors), "127.0.0.1", port)
            dones.append(done)
        await asyncio.gather(*dones)
        return latencies, errors, time.perf_counter() - started

    warm, _, _ = await phase(warmup)
    latencies, errors, elapsed = await phase(seconds)
    latencies.sort()
    n = len(latencies)
    return {"requests": n, "seconds": round(elapsed, 3), "rps": round(n / elapsed, 1),
            "p50_ms": round(latencies[n // 2] * 1000, 2), "p99_ms": round(latencies[int(n * 0.99)] * 1000, 2),
            "max_ms": round(latencies[-1] * 1000, 2), "errors": len(errors), "all_requests": n + len(warm),
            "error_statuses": sorted(set(errors))[:5]}


def load_main() -> None:
    """Entry of the load-generator process: reads its job as JSON on stdin, prints the result."""
    job = json.loads(sys.stdin.read())
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    requests = [r.encode("latin-1") for r in job["requests"]]
    result = asyncio.run(_drive(job["port"], requests, job["connections"], job["seconds"], job["warmup"]))
    print(json.dumps(result))


def run_load(port: int, requests: list[bytes], connections: int, seconds: float, warmup: float) -> dict[str, Any]:
    job = json.dumps({"port": port, "requests": [r.decode("latin-1") for r in requests], "connections": connections,
                      "seconds": seconds, "warmup": warmup})
    out = subprocess.run([sys.executable, __file__, "--load"], input=job, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path[:3])})
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# ---------------------------------------------------------------- set-up

async def prepare(url: str, cipher: Any) -> tuple[list[str], str]:
    from common.db import Database, utcnow
    from merchant.codes.models import household_codes
    from merchant.codes.repository import code_hash
    from merchant.codes.service import CODE_CONTEXT, new_code
    from merchant.grades import grade_bit, grade_mask
    from merchant.households.models import households
    from merchant.merchants.models import merchants
    from merchant.offers.models import offer_outlets, offers

    db = Database(url)
    now = utcnow()
    region = {"county": "341181", "town": "341181100", "village": "341181100201"}
    hh_rows, code_rows, codes = [], [], []
    rng = random.Random(7)
    for i in range(HOUSEHOLDS):
        sid = f"hh-{i:06d}"
        grade = rng.choice(GRADES)
        hh_rows.append({"subject_id": sid, "kind": "household", "masked_name": "张*", "region": region,
                        "region_code": region["village"], "grade": grade, "grade_bit": grade_bit(grade),
                        "vetoed": False, "consent_given": True, "consent_merchant": True, "consent_benefits": True,
                        "active": True, "updated_at": now})
        code = new_code()
        codes.append(code)
        code_rows.append({"code_hash": code_hash(code), "subject_id": sid, "code_enc": cipher.encrypt(code, CODE_CONTEXT),
                          "status": "active", "issued_at": now, "issued_by": "bench"})
    merchant_id = "m-bench-shop"
    offer_rows = []
    rules: list[tuple[list[str], dict[str, Any]]] = [
        (["AAA"], {"kind": "percent", "percent": "15", "cap": "50.00"}),
        (["AAA", "AA"], {"kind": "percent", "percent": "10", "cap": "30.00"}),
        (["AAA", "AA", "A"], {"kind": "spend_save", "threshold": "100.00", "save": "10.00", "repeat": False}),
        (["AAA", "AA", "A"], {"kind": "fixed_price", "item": "化肥 50kg", "regular_price": "160.00",
                              "fixed_price": "138.00", "max_quantity": 3}),
        (["AA", "A"], {"kind": "spend_save", "threshold": "50.00", "save": "3.00", "repeat": True})]
    for n, (grades, rule) in enumerate(rules):
        offer_rows.append({"id": f"o-bench-{n}", "merchant_id": merchant_id, "programme_id": None, "title": f"offer {n}",
                           "kind": rule["kind"], "rule": rule, "grade_mask": grade_mask(grades),
                           "valid_from": now - timedelta(days=1), "valid_until": now + timedelta(days=30),
                           "budget_total_fen": 100_000_000, "spent_fen": 0, "budget_daily_fen": None,
                           "per_household_limit": None, "stackable": n % 2 == 0, "status": "active", "created_at": now})
    async with db.transaction() as session:
        await session.execute(households.insert(), hh_rows)
        await session.execute(household_codes.insert(), code_rows)
        await session.execute(merchants.insert().values(id=merchant_id, name="bench shop", kind="shop",
                                                        category="grocery", region_code=region["village"],
                                                        status="active", created_at=now))
        await session.execute(offers.insert(), offer_rows)
        await session.execute(offer_outlets.insert(), [{"merchant_id": merchant_id, "offer_id": o["id"]}
                                                        for o in offer_rows])
    await db.dispose()
    return codes, merchant_id


async def count_disclosures(url: str) -> int:
    from sqlalchemy import func, select

    from common.db import Database
    from merchant.disclosures.models import disclosures

    db = Database(url)
    async with db.transaction(write=False) as session:
        n = int((await session.execute(select(func.count()).select_from(disclosures))).scalar_one())
    await db.dispose()
    return n


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to price a request independently of
    how busy the shared machine is."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(pid: int, *args: Any) -> dict[str, Any]:
    before = cpu_seconds(pid)
    result = run_load(*args)
    used = cpu_seconds(pid) - before
    result["server_cpu_us_per_request"] = round(used / result["all_requests"] * 1e6, 1)
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the service exited")
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                if b" 200 " in s.recv(4096):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the service did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--load", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.load:
        load_main()
        return

    from common.auth import Role, generate_keypair, mint_token
    from common.migrations import upgrade
    from common.pii import PIICipher
    from common.settings import DEV_MERCHANT_CODE_KEY

    work = Path(tempfile.mkdtemp(prefix="merchant-bench-"))
    url = f"sqlite+aiosqlite:///{work / 'merchant.db'}"
    upgrade(ROOT / "services" / "merchant" / "migrations", url)
    codes, merchant_id = asyncio.run(prepare(url, PIICipher(DEV_MERCHANT_CODE_KEY)))
    private, public = generate_keypair()
    (work / "public.pem").write_bytes(public)
    token = mint_token(private, Role.merchant, merchant_id=merchant_id)

    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path[:3]), "CV_VAR_DIR": str(work),
           "MERCHANT_DATABASE_URL": url, "MERCHANT_AUTH_PUBLIC_KEY_FILE": str(work / "public.pem"),
           "MERCHANT_RUN_RELAY": "false", "MERCHANT_RUN_CONSUMER": "false", "MERCHANT_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "merchant", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(port, server)
        health = [b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"]
        verify = []
        rng = random.Random(11)
        for code in rng.sample(codes, 2000):
            body = json.dumps({"code": code}).encode()
            verify.append(b"POST /v1/pos/verify HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                          + f"Authorization: Bearer {token}\r\nIdempotency-Key: k-{code[:12]}\r\n".encode()
                          + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        # Alternate the two phases: the machine is shared, so a burst of load elsewhere should not
        # land on one of them only. Each keeps its best round.
        rounds: dict[str, list[dict[str, Any]]] = {"healthz": [], "verify": []}
        for _ in range(args.rounds):
            rounds["healthz"].append(measured(server.pid, port, health, args.connections, args.seconds, args.warmup))
            rounds["verify"].append(measured(server.pid, port, verify, args.connections, args.seconds, args.warmup))
        h = max(rounds["healthz"], key=lambda r: r["rps"])
        v = max(rounds["verify"], key=lambda r: r["rps"])
        time.sleep(0.5)  # let the last disclosure batch land
        logged = asyncio.run(count_disclosures(url))
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    ratio = round(v["rps"] / h["rps"], 3) if h["rps"] else 0.0
    cpu_h = min(r["server_cpu_us_per_request"] for r in rounds["healthz"])
    cpu_v = min(r["server_cpu_us_per_request"] for r in rounds["verify"])
    result = {"households": HOUSEHOLDS, "connections": args.connections, "seconds": args.seconds,
              "healthz": h, "verify": v, "rounds": rounds,
              "server_cpu_us_per_request": {"healthz": cpu_h, "verify": cpu_v,
                                            "capacity_ratio": round(cpu_h / cpu_v, 3) if cpu_v else None},
              "load_average": os.getloadavg(), "verify_to_healthz": ratio, "disclosures_logged": logged,
              "targets": {"verify_rps": 2000, "p99_ms": 20, "ratio": 0.6},
              "met": {"verify_rps": v["rps"] >= 2000, "p99_ms": v["p99_ms"] < 20, "ratio": ratio >= 0.6},
              "cpus": os.cpu_count()}
    print(f"households: {HOUSEHOLDS}, connections: {args.connections}, {args.rounds} rounds of {args.seconds:.0f} s "
          f"per endpoint (best round shown), load average {os.getloadavg()[0]:.1f}")
    for name, runs in rounds.items():
        print(f"  {name} rounds: " + ", ".join(f"{r['rps']:,.0f} req/s p99 {r['p99_ms']:.1f} ms" for r in runs))
    print(f"/healthz        {h['rps']:>9,.0f} req/s  p50 {h['p50_ms']:.2f} ms  p99 {h['p99_ms']:.2f} ms  errors {h['errors']}")
    print(f"/v1/pos/verify  {v['rps']:>9,.0f} req/s  p50 {v['p50_ms']:.2f} ms  p99 {v['p99_ms']:.2f} ms  errors {v['errors']}")
    print(f"verify / healthz: {ratio:.0%}   disclosures logged: {logged:,}")
    print(f"server CPU per request: healthz {cpu_h:.0f} us, verify {cpu_v:.0f} us -> one core's capacity "
          f"{1e6 / cpu_h:,.0f} vs {1e6 / cpu_v:,.0f} req/s, ratio {cpu_h / cpu_v:.0%}")
    out = ROOT / "bench" / "results" / "merchant_verify.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
