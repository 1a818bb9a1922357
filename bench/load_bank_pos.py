"""Load test: the partner banks' and the merchants' POS routes under load from a second process while
a rating round re-grades the village, every service a real process (``tests.e2e.cluster``).

The main process starts the cluster (SQLite, or PostgreSQL with ``CV_TEST_POSTGRES_URL``), loads a
village of households through the public APIs, rates it, registers a bank and a merchant with an
offer and issues the households' codes. Then it starts this script again as a load process
(``--worker``: raw asyncio HTTP/1.1 keep-alive, ``--concurrency`` workers for ``--seconds``) on lending's
look-up, credit-line and loan routes and merchant's verify and redeem, and meanwhile weakens a
quarter of the files and runs a rating round (lines are cut and frozen under the draws). At the
end it checks that every line's drawn sum equals what its loans still owe, and prints the error
rate (5xx and connection errors; refusals such as over-line or not-a-credit-household are counted
apart), throughput and p50/p99 per route.

    PYTHONPATH=libs:services:. .venv/bin/python bench/load_bank_pos.py [--seconds 60] [--households 200] [--cpu-probe 200]

``--cpu-probe N`` first sends N requests of each route in a row on one connection and prints each
service's CPU milliseconds per request (from /proc): what a route costs, whatever else runs on the
machine, where req/s under load depends on what shares its cores.
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "libs"), str(ROOT / "services"), str(ROOT)]

from common.auth import Role  # noqa: E402

BANK, MERCHANT = "bank-load", "merchant-load"
WEAK_PROFILE = {"annual_income": "8000.00", "overdue_count": 5, "pboc_report_clean": False,
                "debts_outstanding": "400000.00", "agri_assets_value": "0.00"}


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- the load process ---------------------------------------------------------------------------

class Conn:
    """One keep-alive HTTP/1.1 connection on raw asyncio streams: an httpx client costs more CPU per
    request than the routes it measures, and this machine's two cores are shared with the services."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: bytes, body: bytes | None) -> int:
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n".encode() + headers
        if body is not None:
            head += b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n"
        message = head + b"\r\n" + (body or b"")
        reused = self.writer is not None
        try:
            return await self._exchange(message)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            # The server closed an idle keep-alive connection (uvicorn after 5 s) as we wrote on it:
            # once more on a new one, as an HTTP client does (the POSTs carry an Idempotency-Key).
            if not reused or (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                raise
            return await self._exchange(message)

    async def _exchange(self, message: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        try:
            self.writer.write(message)
            status_line, _, rest = (await self.reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
            length, chunked, close = 0, False, False
            for line in rest.split(b"\r\n"):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            if chunked:
                while (size := int((await self.reader.readuntil(b"\r\n")).strip(), 16)):
                    await self.reader.readexactly(size + 2)
                await self.reader.readuntil(b"\r\n")
            else:
                await self.reader.readexactly(length)
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return int(status_line.split(b" ", 2)[1])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


ROUTES = {"GET credit-line": 0.30, "POST subjects:lookup": 0.15, "POST loans": 0.20, "POST pos/verify": 0.25,
          "POST pos/redemptions": 0.10}  # the mix: a share of the requests each


def pick_route(rng: random.Random) -> str:
    pick, acc = rng.random(), 0.0
    for route, share in ROUTES.items():
        acc += share
        if pick < acc:
            return route
    return route


def make_request(cfg: dict[str, Any], route: str, h: dict[str, str]) -> tuple[str, str, str, bytes, bytes | None]:
    """(service, method, path, headers, body) of one request of ``route`` for household ``h``."""
    bank_h = f"Authorization: Bearer {cfg['bank_token']}\r\n"
    pos_h = f"Authorization: Bearer {cfg['pos_token']}\r\n"
    body: dict[str, Any] | None = None
    if route == "GET credit-line":
        service, method, path, headers = "lending", "GET", f"/v1/credit-lines/{h['subject_id']}", bank_h
    elif route == "POST subjects:lookup":
        service, method, path, headers = "lending", "POST", "/v1/subjects:lookup", bank_h
        body = {"id_number": h["id_number"]}
    elif route == "POST loans":
        service, method, path, headers = "lending", "POST", "/v1/loans", bank_h
        body = {"subject_id": h["subject_id"], "amount": "500.00", "annual_rate": cfg["rate"], "term_months": 12}
    elif route == "POST pos/verify":
        service, method, path, headers = "merchant", "POST", "/v1/pos/verify", pos_h
        body = {"code": h["code"]}
    else:
        service, method, path, headers = "merchant", "POST", "/v1/pos/redemptions", pos_h
        body = {"code": h["code"], "offer_id": cfg["offer_id"], "bill_amount": "88.00"}
    headers += f"Idempotency-Key: {uuid.uuid4().hex}\r\n"
    return service, method, path, headers.encode(), None if body is None else json.dumps(body).encode()


async def load(cfg: dict[str, Any]) -> dict[str, Any]:
    """Mixed bank and POS traffic for ``cfg['seconds']``; one record per request."""
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    households: list[dict[str, str]] = cfg["households"]
    stop_at = time.monotonic() + cfg["seconds"]

    async def one(conns: dict[str, Conn], rng: random.Random) -> None:
        route = pick_route(rng)
        service, method, path, headers, body = make_request(cfg, route, rng.choice(households))
        conn = conns[service]
        t0 = time.perf_counter()
        try:
            outcome = str(await conn.request(method, path, headers, body))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            outcome = type(exc).__name__
        latencies[route].append(time.perf_counter() - t0)
        statuses[route][outcome] += 1

    async def worker(n: int) -> None:
        rng = random.Random(n)
        conns = {"lending": Conn(cfg["lending"]), "merchant": Conn(cfg["merchant"])}
        try:
            while time.monotonic() < stop_at:
                await one(conns, rng)
        finally:
            for conn in conns.values():
                conn.close()

    started = time.monotonic()
    await asyncio.gather(*(worker(n) for n in range(cfg["concurrency"])))
    elapsed = time.monotonic() - started
    routes: dict[str, dict[str, Any]] = {}
    for route, lat in latencies.items():
        codes = dict(statuses[route])
        errors = sum(v for k, v in codes.items() if not k.isdigit() or int(k) >= 500)
        routes[route] = {"requests": len(lat), "rps": round(len(lat) / elapsed, 1), "statuses": codes,
                         "errors": errors, "p50_ms": round(percentile(lat, 50) * 1000, 1),
                         "p99_ms": round(percentile(lat, 99) * 1000, 1)}
    everything = [x for lat in latencies.values() for x in lat]
    total_errors = sum(r["errors"] for r in routes.values())
    return {"seconds": round(elapsed, 1), "concurrency": cfg["concurrency"], "requests": len(everything),
            "rps": round(len(everything) / elapsed, 1), "errors": total_errors,
            "error_rate": round(total_errors / max(1, len(everything)), 5),
            "p50_ms": round(percentile(everything, 50) * 1000, 1), "p99_ms": round(percentile(everything, 99) * 1000, 1),
            "routes": routes}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def cpu_probe(cfg: dict[str, Any], pids: dict[str, int], n: int) -> dict[str, dict[str, float]]:
    """CPU milliseconds each service spends on one request of each route, from ``n`` requests in a
    row on one connection: what a route costs, whatever else runs on the machine."""
    rng = random.Random(0)
    out: dict[str, dict[str, float]] = {}
    for route in ROUTES:
        conns = {"lending": Conn(cfg["lending"]), "merchant": Conn(cfg["merchant"])}
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        for _ in range(n):
            service, method, path, headers, body = make_request(cfg, route, rng.choice(cfg["households"]))
            await conns[service].request(method, path, headers, body)
        await asyncio.sleep(0.5)  # the events the requests wrote, relayed and consumed
        out[route] = {name: round((cpu_seconds(pid) - before[name]) * 1000 / n, 2) for name, pid in pids.items()}
        for conn in conns.values():
            conn.close()
    return out


# --- the driver -----------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--households", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--worker", metavar="CONFIG", help="run as the load process (its JSON config file)")
    ap.add_argument("--cpu-probe", type=int, default=0, metavar="N",
                    help="first, N requests of each route in a row: each service's CPU ms per request")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(load(json.loads(Path(args.worker).read_text())))))
        return

    from tests.e2e.cluster import Cluster
    from tests.e2e.flow import COUNTY, Caller, households, import_households, make_village, money, poll, rate_region
    from tests.harness import PG_URL, Keys

    keys = Keys.generate()
    backend = "postgres" if PG_URL else "sqlite"
    with tempfile.TemporaryDirectory(prefix="cv-load-") as tmp:
        cluster = Cluster(Path(tmp), keys, backend=backend, extra_env={"RATING_PUBLICATION_DAYS": "0"})
        print(f"starting the cluster on {backend} ...", flush=True)
        cluster.start()
        try:
            admin = Caller(cluster, Role.admin)
            officer = Caller(cluster, Role.officer, region=COUNTY)
            village = make_village(officer, 3, 3)
            hs = households(seed=3, count=args.households, village=village)
            job = import_households(officer, hs)
            assert job["status"] == "done", job
            print(f"imported {job['created']} households; rating them ...", flush=True)
            rate_region(admin, village, args.households, timeout=300)
            admin.ok("lending", "POST", "/v1/banks", json={"id": BANK, "name": "压测银行"}, expect=(201, 409))
            admin.ok("merchant", "POST", "/v1/merchants", expect=(201, 409), json={
                "id": MERCHANT, "name": "压测超市", "kind": "shop", "category": "grocery", "region_code": COUNTY})
            offer = admin.ok("merchant", "POST", f"/v1/merchants/{MERCHANT}/offers", json={
                "title": "信用户95折", "rule": {"kind": "percent", "percent": "5", "cap": "20.00"},
                "eligible_grades": ["A", "AA", "AAA"]})
            subjects = []
            for h in hs:
                sid = officer.ok("registry", "POST", "/v1/subjects:lookup", json={"id_number": h.head.id_number})["subject_id"]
                subjects.append({"subject_id": sid, "id_number": h.head.id_number})
            bank = Caller(cluster, Role.bank, bank_id=BANK)
            poll(lambda: bank("lending", "GET", f"/v1/credit-lines/{subjects[-1]['subject_id']}").status_code == 200,
                 timeout=120)
            def in_merchant(subject_id: str) -> bool:
                return bool(admin("merchant", "GET", f"/v1/households/{subject_id}").status_code == 200)

            for s in subjects:
                poll(functools.partial(in_merchant, s["subject_id"]), timeout=60)
                s["code"] = admin.ok("merchant", "POST", f"/v1/households/{s['subject_id']}/codes")["code"]
            rate = next(str(money(line["benchmark_rate"])) for s in subjects
                        if (line := bank.ok("lending", "GET", f"/v1/credit-lines/{s['subject_id']}"))["benchmark_rate"])
            cfg = {"seconds": args.seconds, "concurrency": args.concurrency, "households": subjects,
                   "lending": cluster.url("lending"), "merchant": cluster.url("merchant"), "rate": rate,
                   "offer_id": offer["id"], "bank_token": keys.token(Role.bank, bank_id=BANK),
                   "pos_token": keys.token(Role.merchant, merchant_id=MERCHANT)}

            probe = None
            if args.cpu_probe:
                pids = {name: proc.pid for name, proc in cluster.procs.items()}
                probe = asyncio.run(cpu_probe(cfg, pids, args.cpu_probe))
                print("CPU ms per request, by service:", flush=True)
                for route, cost in probe.items():
                    print(f"  {route:24} " + "  ".join(f"{k} {v:5.2f}" for k, v in cost.items())
                          + f"  = {sum(cost.values()):5.2f}", flush=True)
            print(f"load: {args.concurrency} connections for {args.seconds:.0f} s from a second process, "
                  "with a rating round re-grading the village ...", flush=True)
            env = {**os.environ, "PYTHONPATH": f"{ROOT / 'libs'}:{ROOT / 'services'}:{ROOT}"}
            config = Path(tmp) / "load.json"  # tokens inside: the temporary directory goes at the end
            config.write_text(json.dumps(cfg))
            proc = subprocess.Popen([sys.executable, __file__, "--worker", str(config)], stdout=subprocess.PIPE,
                                    env=env, cwd=ROOT)
            load_before = os.getloadavg()[0]  # the machine's load as the run starts (others may share it)
            time.sleep(min(5.0, args.seconds / 4))
            weakened = subjects[: len(subjects) // 4]
            for s in weakened:  # their grades fall: lines are cut or frozen while the banks draw
                officer.ok("registry", "PATCH", f"/v1/subjects/{s['subject_id']}", json={"profile": WEAK_PROFILE})
            round_started = time.monotonic()
            round_ = rate_region(admin, village, args.households, timeout=args.seconds * 4)
            round_seconds = time.monotonic() - round_started
            out, _ = proc.communicate(timeout=args.seconds + 120)
            result = json.loads(out)

            # Every line's drawn sum equals what its loans still owe (nothing lost, nothing twice).
            mismatches, loans_total = [], 0
            for s in subjects:
                line = bank.ok("lending", "GET", f"/v1/credit-lines/{s['subject_id']}")
                items, after = [], ""
                while True:
                    page = bank.ok("lending", "GET", f"/v1/loans?subject_id={s['subject_id']}&limit=500"
                                   + (f"&after={after}" if after else ""))
                    items += page["items"]
                    if not page.get("next_after"):
                        break
                    after = page["next_after"]
                loans_total += len(items)
                owed = sum((money(x["outstanding"]) for x in items), Decimal(0))
                if money(line["drawn"]) != owed:
                    mismatches.append({"subject_id": s["subject_id"], "drawn": line["drawn"], "owed": str(owed)})
            frozen = sum(1 for s in weakened
                         if bank.ok("lending", "GET", f"/v1/credit-lines/{s['subject_id']}")["status"] != "active")
            result.update({"backend": backend, "households": len(subjects), "round_seconds": round(round_seconds, 1),
                           "round_summary": round_["summary"], "weakened": len(weakened), "weakened_not_active": frozen,
                           "loans": loans_total, "line_mismatches": mismatches, "cpu_ms_per_request": probe,
                           "load_average_before": round(load_before, 2), "load_average": round(os.getloadavg()[0], 2)})
        finally:
            cluster.stop()

    print(f"\nrequests {result['requests']} in {result['seconds']} s = {result['rps']} req/s; "
          f"errors {result['errors']} (rate {result['error_rate']:.4%}); p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms")
    for route, r in sorted(result["routes"].items()):
        print(f"  {route:24} {r['requests']:7} req {r['rps']:7} req/s  p50 {r['p50_ms']:7} ms  p99 {r['p99_ms']:7} ms  {r['statuses']}")
    print(f"rating round during the load: {result['round_seconds']} s, {result['round_summary'].get('grades')}; "
          f"{result['weakened_not_active']}/{result['weakened']} weakened lines no longer active")
    print(f"lines checked {result['households']}, loans {result['loans']}, drawn != owed: {len(mismatches)}")
    print(f"load average {result['load_average_before']} → {result['load_average']} on {os.cpu_count()} cores")
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"load_bank_pos_{backend}.json").write_text(json.dumps(result, indent=2))
    if mismatches or result["errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
