"""The county round end to end: how long until a county-wide re-rating reaches every bank line,
every till and the statistics.

Starts the embedded broker and lending, merchant and stats as processes (SQLite; PostgreSQL with
--postgres URL), builds a rating database of a county (the households, civility results, negative
records and loans of bench/rating_round.py) and runs rating's own code in this process, as the
rating service does: a first round and its finalisation (set-up: every household gets a grade,
line and till row), then a change to a third of the households' civility results, then the
measured round (about a third of the grades change; every other household's grade is renewed, so
every household has an event). From the round's start it samples, every 0.5 s, how many of the
round's households each service shows at the round's version (lending ``credit_lines.rating_version``, merchant's
per-subject version, stats ``stats_subjects.v_rating``), and while the round's events flow it
raises a negative-list veto every 0.5 s through rating's own consumer handler and times it to a
frozen line in lending and a vetoed household in merchant (the row POS verify reads): by the
services' own inbox rows (the transaction that applied it), and as the probe saw it (every 0.1 s,
from this process, which the round keeps busy: later by the probe's own delay).

    PYTHONPATH=libs:services:. .venv/bin/python bench/county_round.py [--households N] [--postgres URL]

Writes bench/results/county_round.json (with the time series the chart in BENCHMARKS.md draws).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.rating_round import COUNTY, build_postgres, build_sqlite
from sqlalchemy import text

from common.db import Database, utcnow
from common.events import BatchHandler, Handler
from common.events.relay import OutboxRelay
from common.events.signing import load_signer
from common.migrations import upgrade
from rating.app import DEFINITION
from rating.ratings.lifecycle import finalise_due
from rating.rounds import service as rounds
from rating.settings import RatingSettings
from rating.subjects.handlers import make_handlers
from registry import events as registry_events
from tests.e2e.cluster import Cluster
from tests.harness import Keys

RESULTS = Path(__file__).resolve().parent / "results" / "county_round.json"
SERVICES = ["lending", "merchant", "stats"]
# What each service shows of a subject's final grade: how many subjects are at rating version >= v.
CAUGHT_UP_SQL = {
    "lending": "SELECT count(*) FROM credit_lines WHERE rating_version >= {v} AND subject_id LIKE 'hh-%'",
    "merchant": "SELECT count(*) FROM subject_versions WHERE stream = 'merchant.rating' AND version >= {v} "
                "AND subject_id LIKE 'hh-%'",
    "stats": "SELECT count(*) FROM stats_subjects WHERE v_rating >= {v} AND subject_id LIKE 'hh-%'",
}


class Probe:
    """Reads the services' databases with one connection each, kept open: the probe must cost the
    process it shares with rating's round and relay next to nothing (an engine per query did not)."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self.sqlite: dict[str, sqlite3.Connection] = {}
        self.pg: dict[str, Any] = {}

    async def open(self) -> None:
        for service, url in self.urls.items():
            if url.startswith("sqlite"):
                path = url.split("///", 1)[1]
                self.sqlite[service] = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            else:
                import asyncpg
                self.pg[service] = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))

    async def close(self) -> None:
        for con in self.sqlite.values():
            con.close()
        for conn in self.pg.values():
            await conn.close()

    async def query(self, service: str, sql: str) -> list[tuple[Any, ...]]:
        if service in self.sqlite:
            con = self.sqlite[service]
            return await asyncio.to_thread(lambda: con.execute(sql).fetchall())
        return [tuple(r) for r in await self.pg[service].fetch(sql)]

    async def counts(self, version: int) -> dict[str, int]:
        return {s: int((await self.query(s, sql.format(v=version)))[0][0]) for s, sql in CAUGHT_UP_SQL.items()}

    async def vetoed(self, subject_ids: list[str]) -> tuple[set[str], set[str]]:
        """Of ``subject_ids``, those whose line in lending took the veto (frozen, or no line at all for a
        grade that had none), and those vetoed at the tills."""
        listed = ", ".join(f"'{s}'" for s in subject_ids)  # ids the bench made, not input
        frozen = await self.query("lending", "SELECT subject_id FROM credit_lines "
                                             f"WHERE vetoed AND status <> 'active' AND subject_id IN ({listed})")
        refused = await self.query("merchant", "SELECT subject_id FROM households "
                                               f"WHERE vetoed AND subject_id IN ({listed})")
        return {r[0] for r in frozen}, {r[0] for r in refused}


async def one_round(db: Database, settings: RatingSettings, actor: str) -> tuple[float, float]:
    """A county-wide round and its finalisation, as the rating service runs them: (round_s, finalise_s).
    Every household's final grade is published again (a renewal where it is unchanged)."""
    async with db.transaction() as session:
        rnd = await rounds.start(session, COUNTY, ["household"], actor, utcnow())
    t = time.perf_counter()
    await rounds.run(db, settings, rnd.id)
    round_s = time.perf_counter() - t
    t = time.perf_counter()
    await finalise_due(db, settings, utcnow() + timedelta(days=settings.publication_days + 1))
    return round_s, time.perf_counter() - t


async def grades(db: Database) -> dict[str, tuple[str, int]]:
    """Rating's final grade and version of every household."""
    async with db.transaction(write=False) as session:
        found = await session.execute(text("SELECT subject_id, grade, version FROM current_grades "
                                           "WHERE kind = 'household'"))
        return {r[0]: (r[1], int(r[2])) for r in found}


async def veto(db: Database, handler: Handler, subject_id: str, n: int) -> None:
    """A court's record (失信被执行人) reaches rating as the registry sends it, by the urgent lane; rating's
    urgent consumer applies it in a transaction that takes the next write turn, and re-grades at once."""
    event = registry_events.negative_record_changed(
        record_id=f"bench-veto-{n}", subject_id=subject_id, agency="court", record_kind="dishonest_judgment_debtor",
        status="raised", veto=True, effective_from=None, expires_on=None, version=1, changed_at=utcnow())
    async with db.transaction(urgent=True) as session:
        await handler(session, event)


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_by_process(cluster: Cluster) -> dict[str, float]:
    """Where the machine's cores went: each service process, the broker, this process (rating's
    round, its relay and the probe) and rating's worker processes (``common.cpu``: the round's
    scoring, the finalisation's events)."""
    pids = {name: proc.pid for name, proc in cluster.procs.items()}
    broker = getattr(cluster.broker, "process", None)
    if broker is not None:
        pids["broker"] = broker.pid
    pids["rating (round, relay, probe)"] = os.getpid()
    used = {name: cpu_seconds(pid) for name, pid in pids.items()}
    used["rating's workers"] = sum(cpu_seconds(p.pid) for p in multiprocessing.active_children()
                                   if p.pid is not None and Path(f"/proc/{p.pid}").exists())
    return used


def epoch(value: Any) -> float:
    """A stored UTC time (SQLite: naive ISO text; PostgreSQL: an aware datetime) as seconds since the epoch."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


STAGES = ("event_made", "relay_sent", "lending_applied", "merchant_applied", "probe_late_lending",
          "probe_late_merchant")


async def veto_paths(db: Database, probe: Probe, raised: dict[str, float],
                     seen: dict[str, dict[str, float]]) -> list[dict[str, float]]:
    """Each veto's way, from the rows it left (wall clock, one machine): rating's event made (its
    urgent outbox row), the relay's send (the row marked sent, after the broker's ack), and lending's
    and merchant's applying it (their inbox rows, written in the transaction that froze the line or
    the till's household), all from the veto's raising; then how late the probe saw each. One
    record per veto (``raised_at`` and the ``STAGES`` it reached).
    ``raised``: subject → when; ``seen``: service → subject → when the probe saw it."""
    async with db.transaction(write=False) as session:
        rows = (await session.execute(text("SELECT key, event_id, created_at, sent_at FROM outbox_events "
                                           "WHERE topic = 'rating-changed.urgent'"))).all()
    made = {r[1]: (r[0], epoch(r[2]), epoch(r[3]) if r[3] else None) for r in rows if r[0] in raised}
    listed = ", ".join(f"'{e}'" for e in made)  # ids the services made, not input
    handled = {service: {r[0]: epoch(r[1]) for r in await probe.query(
        service, f"SELECT event_id, handled_at FROM inbox_events WHERE event_id IN ({listed})")} if made else {}
        for service in ("lending", "merchant")}
    paths = []
    for event_id, (subject, created, sent) in made.items():
        at = raised[subject]
        path = {"raised_at": at, "event_made": created - at}
        if sent is not None:
            path["relay_sent"] = sent - at
        for service in ("lending", "merchant"):
            applied = handled[service].get(event_id)
            if applied is not None:
                path[f"{service}_applied"] = applied - at
                if subject in seen[service]:
                    path[f"probe_late_{service}"] = seen[service][subject] - applied
        paths.append(path)
    return paths


async def loop_lag(lags: list[float], every: float = 0.02) -> None:
    """How late this process's event loop (rating's: the round, its relay, the probe) wakes a
    task: what every async step of a veto's way out of rating waits for besides the database."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + every
        await asyncio.sleep(every)
        lags.append(loop.time() - due)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


async def measure(households: int, pg_url: str | None, work: Path) -> dict[str, Any]:
    backend = "postgresql" if pg_url else "sqlite"
    if pg_url:
        os.environ["CV_TEST_POSTGRES_URL"] = pg_url
    cluster = Cluster(work, Keys.generate(), backend=backend, services=SERVICES)
    await asyncio.to_thread(cluster.start)
    try:
        url = cluster._create_database("rating")
        await asyncio.to_thread(upgrade, DEFINITION.migrations_dir, url)
        if pg_url:
            await build_postgres(url.replace("+asyncpg", ""), households)
        else:
            await asyncio.to_thread(build_sqlite, Path(url.split("///", 1)[1]), households)
        settings = RatingSettings(env="test", database_url=url, auth_public_key="unused", publication_days=7,
                                  run_relay=False, run_consumer=False)
        db = Database(url)
        relay = OutboxRelay(db, cluster.broker.bootstrap, "rating",
                            signer=load_signer(cluster.keys.events_dir, "rating"))
        on_negative = make_handlers(settings)["negative-record-changed"]
        assert not isinstance(on_negative, BatchHandler), "a veto is re-rated event by event"
        relay_task = asyncio.create_task(relay.run())

        # Set-up: the county's first round; every service learns every household's grade.
        t = time.perf_counter()
        await one_round(db, settings, "bench-setup")
        first = len(await grades(db))
        print(f"set-up round: {first:,} households graded in {time.perf_counter() - t:.0f} s", flush=True)
        probe = Probe({s: cluster.db_urls[s] for s in SERVICES})
        await probe.open()
        while min((seen := await probe.counts(1)).values()) < first:
            if time.perf_counter() - t > 900:
                raise RuntimeError(f"set-up not caught up after 900 s: {seen} of {first}")
            await asyncio.sleep(1)
        setup_s = time.perf_counter() - t
        print(f"set-up: {first:,} households graded and propagated in {setup_s:.0f} s", flush=True)

        # A third of the households' civility results change (a new evaluation year).
        async with db.transaction() as session:
            await session.execute(text(
                "UPDATE civility_results SET score = CASE WHEN score >= 70 THEN 40 ELSE 100 END, veto = false "
                "WHERE CAST(substr(subject_id, 4) AS INTEGER) % 3 = 0"))
        # Vetoes during the round go to households the round leaves alone.
        veto_subjects = [f"hh-{i:07d}" for i in range(1, households, 997) if i % 3 and i % 550 != 1][:200]

        before = await grades(db)
        load_before = os.getloadavg()
        series: list[dict[str, float]] = []
        veto_times: dict[str, list[float]] = {"lending": [], "merchant": []}
        in_rating: list[float] = []
        vetoes: list[dict[str, Any]] = []  # each veto: when it was raised in the round, when each service showed it
        pending: dict[str, dict[str, float]] = {"lending": {}, "merchant": {}}  # subject → when vetoed
        # Wall clock, to set beside the services' stored times: subject → when vetoed, and
        # service → subject → when the probe saw it.
        raised_wall: dict[str, float] = {}
        seen_wall: dict[str, dict[str, float]] = {"lending": {}, "merchant": {}}
        cpu_start = cpu_by_process(cluster)
        t0, t0_wall = time.perf_counter(), time.time()
        lags: list[float] = []
        lag_task = asyncio.create_task(loop_lag(lags))
        round_task = asyncio.create_task(one_round(db, settings, "bench"))
        next_veto, next_count = t0 + 0.5, t0
        caught: dict[str, float] = {}
        target: int | None = None  # households at the round's version in rating: what the others must show
        changed = 0
        round_s = finalise_s = 0.0
        while len(caught) < len(SERVICES) or any(pending.values()):
            now = time.perf_counter()
            if round_task.done() and target is None:
                round_s, finalise_s = round_task.result()
                after = await grades(db)
                target = sum(1 for _, v in after.values() if v >= 2)
                changed = sum(1 for s, (g, _) in after.items() if before[s][0] != g)
                print(f"round {round_s:.1f} s + finalisation {finalise_s:.1f} s: {changed:,} of {target:,} grades "
                      "changed (the others renewed)", flush=True)
            if now >= next_count and len(caught) < len(SERVICES):
                current = await probe.counts(2)
                series.append({"t": round(now - t0, 2), **current})
                for service, n in current.items():
                    if target is not None and n >= target and service not in caught:
                        caught[service] = now - t0
                next_count = now + 0.5
            if any(pending.values()):
                frozen, refused = await probe.vetoed(sorted(set(pending["lending"]) | set(pending["merchant"])))
                seen_at = time.perf_counter()
                for service, done in (("lending", frozen), ("merchant", refused)):
                    for subject in done & set(pending[service]):
                        raised = pending[service].pop(subject)
                        veto_times[service].append(seen_at - raised)
                        seen_wall[service][subject] = time.time()
                        vetoes.append({"service": service, "raised_s": round(raised - t0, 2),
                                       "seen_after_s": round(seen_at - raised, 3)})
            if now >= next_veto and veto_subjects and len(caught) < len(SERVICES):
                subject = veto_subjects.pop(0)
                t_veto = time.perf_counter()
                raised_wall[subject] = time.time()
                await veto(db, on_negative, subject, len(veto_times["lending"]) + len(pending["lending"]))
                in_rating.append(time.perf_counter() - t_veto)
                pending["lending"][subject] = pending["merchant"][subject] = t_veto
                next_veto = now + 0.5
            if now - t0 > 900:
                raise RuntimeError(f"not caught up after 900 s: {series[-1] if series else None} of {target}, "
                                   f"vetoes pending {pending}")
            if os.environ.get("BENCH_DEBUG") and int(now - t0) % 5 == 0:
                print(f"{now - t0:.1f} s: {series[-1] if series else None} of {target}; pending {pending}", flush=True)
            await asyncio.sleep(0.1)
        window_s = time.perf_counter() - t0
        cpu_used = {name: round(used - cpu_start.get(name, 0.0), 1) for name, used in cpu_by_process(cluster).items()}
        lag_task.cancel()
        paths = await veto_paths(db, probe, raised_wall, seen_wall)
        await probe.close()
        relay._stopped = True
        relay_task.cancel()
        await db.dispose()
        return {
            "households": households, "changed": changed, "events": target, "backend": backend,
            "round_s": round(round_s, 2), "finalise_s": round(finalise_s, 2),
            "round_and_finalise_s": round(round_s + finalise_s, 2),
            "lending_caught_up_s": round(caught["lending"], 2), "merchant_caught_up_s": round(caught["merchant"], 2),
            "stats_caught_up_s": round(caught["stats"], 2),
            "veto_count": len(veto_times["lending"]),
            "veto_to_frozen_line_p50_s": pct(veto_times["lending"], 0.5),
            "veto_to_frozen_line_p99_s": pct(veto_times["lending"], 0.99),
            "veto_to_refused_verify_p50_s": pct(veto_times["merchant"], 0.5),
            "veto_to_refused_verify_p99_s": pct(veto_times["merchant"], 0.99),
            "veto_committed_in_rating_p50_s": pct(in_rating, 0.5),
            "veto_committed_in_rating_p99_s": pct(in_rating, 0.99),
            "veto_mean_s": round(statistics.mean(veto_times["lending"]), 3) if veto_times["lending"] else None,
            # The veto's way in stages, each from its raising, by the rows it left; then the probe's delay.
            **{f"veto_{stage}_p{q}_s": pct([p[stage] for p in paths if stage in p], q / 100)
               for stage in STAGES for q in (50, 99)},
            "rating_loop_lag_p50_s": pct(lags, 0.5), "rating_loop_lag_p99_s": pct(lags, 0.99),
            "rating_loop_lag_max_s": round(max(lags), 3) if lags else None,
            "veto_path": [{"raised_s": round(p["raised_at"] - t0_wall, 2),
                           **{stage: round(p[stage], 3) for stage in STAGES if stage in p}} for p in paths],
            # CPU seconds each process used from the round's start until all caught up, against what
            # the machine's cores could give in that time: what bounds the catch-up.
            "cpu_s": cpu_used, "cpu_s_total": round(sum(cpu_used.values()), 1),
            "cpu_s_available": round(window_s * (os.cpu_count() or 1), 1),
            "setup_s": round(setup_s, 1), "load_average_before": round(load_before[0], 2),
            "load_average_after": round(os.getloadavg()[0], 2), "series": series, "vetoes": vetoes,
        }
    finally:
        await asyncio.to_thread(cluster.stop)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=111_000)
    parser.add_argument("--postgres", metavar="URL", help="all services and rating on PostgreSQL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="county-round-") as tmp:
        result = asyncio.run(measure(args.households, args.postgres, Path(tmp)))
    print(f"{result['households']:,} households ({result['backend']}), {result['changed']:,} changed: round "
          f"{result['round_s']} s + finalisation {result['finalise_s']} s; caught up: lending "
          f"{result['lending_caught_up_s']} s, merchant {result['merchant_caught_up_s']} s, stats "
          f"{result['stats_caught_up_s']} s after the round's start; veto during the round ({result['veto_count']}): "
          f"frozen line p50 {result['veto_to_frozen_line_p50_s']} s p99 {result['veto_to_frozen_line_p99_s']} s, "
          f"refused verify p50 {result['veto_to_refused_verify_p50_s']} s p99 {result['veto_to_refused_verify_p99_s']} s "
          f"(of which committed in rating p50 {result['veto_committed_in_rating_p50_s']} s "
          f"p99 {result['veto_committed_in_rating_p99_s']} s); "
          f"load average {result['load_average_before']} → {result['load_average_after']}")
    print("the veto's way from its raising, p50 / p99 s: " + ", ".join(
        f"{stage} {result[f'veto_{stage}_p50_s']} / {result[f'veto_{stage}_p99_s']}"
        for stage in STAGES))
    print(f"rating's event loop late by p50 {result['rating_loop_lag_p50_s']} s, p99 {result['rating_loop_lag_p99_s']} s, "
          f"max {result['rating_loop_lag_max_s']} s")
    print(f"CPU from the round's start until all caught up: {result['cpu_s_total']} s used of "
          f"{result['cpu_s_available']} s the cores had; by process: {result['cpu_s']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
