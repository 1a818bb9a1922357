"""Rating rounds (评级轮次): re-rate a whole region in bulk.

Subjects are read in keyset-ordered chunks and scored with the compiled indicator systems by a
reader task that runs ahead of the writer (a queue of two: memory stays bounded; reading and
scoring the next chunk overlap the database's work on this one), and written with one bulk insert
per chunk, in a transaction per chunk so the progress is visible. With a publication period of 0
each chunk is also finalised in its transaction; the villages and towns are recomputed once at the end.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common import cpu
from common.auth import Principal
from common.db import Database, utcnow
from rating.access import check_region
from rating.grades import RANK, is_credit
from rating.indicators.repository import current_compiled
from rating.ratings import repository as ratings_repo
from rating.ratings.lifecycle import SCORED_KINDS, finalise_due_in, rating_row
from rating.ratings.models import PUBLISHED
from rating.rounds import repository as repo
from rating.rounds.models import RatingRound
from rating.rounds.schemas import RoundIn, RoundOut, RoundSummaryOut
from rating.scoring.engine import CompiledSystem, ScoreResult, score
from rating.settings import RatingSettings
from rating.subjects.repository import scoring_inputs
from rating.villages.service import recompute_villages

log = logging.getLogger("rating.rounds")


async def start(session: AsyncSession, region: str, kinds: list[str], actor: str, now: datetime) -> RatingRound:
    total = await repo.count_subjects(session, region, kinds)
    return await repo.add(session, RatingRound(id=str(uuid.uuid4()), region=region, kinds=kinds, status="running",
                                               total=total, done=0, summary=None, started_by=actor, started_at=now))


get = repo.get


async def run(db: Database, settings: RatingSettings, round_id: str) -> dict[str, Any]:
    """Run a started round to the end; returns its summary (also stored on the round)."""
    try:
        return await _run(db, settings, round_id)
    except Exception as exc:
        log.exception("rating round failed", extra={"round_id": round_id})
        async with db.transaction() as session:
            await repo.set_values(session, round_id, status="failed", error=str(exc)[:2000], finished_at=utcnow())
        raise


@dataclass
class Scored:
    """One chunk read and scored, ready to write, with its share of the summary."""

    done: int                                   # subjects read (with consent or not)
    ids: list[str]                              # the subjects rated (with consent to rating)
    rows: list[dict[str, Any]]                  # their ratings
    grades: Counter[str] = field(default_factory=Counter)
    moves: Counter[str] = field(default_factory=Counter)
    vetoed: int = 0


def score_chunk(chunk: Scored, subjects: Sequence[Any], systems: Mapping[str, CompiledSystem], inputs: Mapping[str, Any],
                before: Mapping[str, str], make_row: Callable[[Any, ScoreResult, int], dict[str, Any]]) -> Scored:
    """Score a chunk's subjects into ``chunk``: their rating rows and their share of the summary.
    Pure, and every argument pickles: it runs in a worker process (``common.cpu``) or a thread."""
    for s in subjects:
        system = systems[s.kind]
        result = score(system, inputs[s.subject_id])
        chunk.rows.append(make_row(s, result, system.version))
        chunk.grades[result.grade] += 1
        chunk.vetoed += result.vetoed
        old = before.get(s.subject_id)
        if old is None:
            chunk.moves["new"] += 1
        elif old == result.grade:
            chunk.moves["same"] += 1
        else:
            chunk.moves["up" if RANK[result.grade] < RANK[old] else "down"] += 1
    return chunk


async def _scored_chunks(db: Database, systems: dict[str, CompiledSystem], region: str, size: int, now: datetime,
                         make_row: Callable[[Any, ScoreResult, int], dict[str, Any]],
                         workers_from: int) -> AsyncIterator[Awaitable[Scored]]:
    """Read subjects and their scoring inputs chunk by chunk, each chunk's scoring to be started
    (``cpu.ahead``) while the writer's statements for the one before are in the database. A chunk
    of ``workers_from`` subjects or more is scored in a worker process (other cores, and the event
    loop keeps its interpreter lock), a smaller one in a thread."""
    last = ""
    while True:
        async with db.transaction(write=False) as session:
            subjects = await repo.subjects_after(session, region, list(systems), last, size)
            if not subjects:
                return
            last = subjects[-1].subject_id
            # Without consent to rating (授权) a subject is skipped: no rating, nothing superseded.
            chunk = Scored(done=len(subjects), ids=[], rows=[])
            subjects = [s for s in subjects if s.rating_consent]
            chunk.ids = [s.subject_id for s in subjects]
            inputs = await scoring_inputs(session, subjects, now)
            before = {k: v.grade for k, v in
                      (await ratings_repo.current(session, chunk.ids, lock=False, columns=["grade"])).items()}
        yield cpu.pure(score_chunk, chunk, subjects, systems, inputs, before, make_row,
                       in_worker_process=len(subjects) >= workers_from)


def round_out(r: RatingRound) -> RoundOut:
    return RoundOut(id=r.id, region=r.region, kinds=r.kinds, status=r.status, total=r.total, done=r.done,
                    progress=round(r.done / r.total, 4) if r.total else 1.0,
                    summary=RoundSummaryOut.model_validate(r.summary) if r.summary else None, error=r.error,
                    started_by=r.started_by, started_at=r.started_at.isoformat(),
                    finished_at=r.finished_at.isoformat() if r.finished_at else None)


async def begin(db: Database, settings: RatingSettings, body: RoundIn, who: Principal,
                tasks: set[asyncio.Task[Any]]) -> RoundOut:
    """Start a round over a region; it runs in the background (kept in ``tasks`` until it ends)."""
    check_region(who, body.region)
    # Committed before the work starts, so the background task and callers see it.
    async with db.transaction() as session:
        rnd = await start(session, body.region, list(body.kinds), who.caller_id, utcnow())
    task = asyncio.create_task(run_in_background(db, settings, rnd.id), name=f"round-{rnd.id}")
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return round_out(rnd)


async def read_visible(session: AsyncSession, round_id: str, who: Principal) -> RoundOut:
    rnd = await get(session, round_id)
    check_region(who, rnd.region)
    return round_out(rnd)


async def run_in_background(db: Database, settings: RatingSettings, round_id: str) -> None:
    """For the API: the failure is on the round (status failed, error) and in the log."""
    try:
        await run(db, settings, round_id)
    except Exception:  # already recorded by ``run``
        pass


async def _run(db: Database, settings: RatingSettings, round_id: str) -> dict[str, Any]:
    now = utcnow()
    async with db.transaction(write=False) as session:
        rnd = await get(session, round_id)
        region, kinds = rnd.region, [k for k in rnd.kinds if k in SCORED_KINDS]
        systems: dict[str, CompiledSystem] = {}
        for kind in kinds:
            system = await current_compiled(session, kind)
            if system is not None:
                systems[kind] = system
    grades: Counter[str] = Counter()
    moves: Counter[str] = Counter()
    vetoed = done = finalised = rated = 0
    villages: set[str] = set()

    make_row = partial(rating_row, status=PUBLISHED, trigger="round", actor=f"round:{round_id}", now=now,
                       settings=settings, round_id=round_id)
    chunks = _scored_chunks(db, systems, region, settings.round_chunk_size, now, make_row, settings.cpu_workers_from)
    async with aclosing(cpu.ahead(chunks)) as scored:
        async for chunk in scored:
            ids, rows = chunk.ids, chunk.rows
            done += chunk.done
            rated += len(ids)
            grades += chunk.grades
            moves += chunk.moves
            vetoed += chunk.vetoed
            async with db.transaction() as session:
                await ratings_repo.supersede_open(session, ids)
                await ratings_repo.insert_many(session, rows)
                if settings.publication_days == 0:
                    n, touched = await finalise_due_in(session, now, len(rows) + 1, ids)
                    finalised += n
                    villages |= touched
                await repo.set_values(session, round_id, done=done)
    if villages:
        async with db.transaction() as session:
            await recompute_villages(session, villages, now, settings)
    summary = {"rated": rated, "skipped": {"no_consent": done - rated},
               "grades": {g: grades.get(g, 0) for g in ("AAA", "AA", "A", "B", "C", "D")},
               "credit_subjects": sum(n for g, n in grades.items() if is_credit(g)), "vetoed": vetoed,
               "compared_with_final": dict(moves), "finalised": finalised,
               "publication_days": settings.publication_days, "villages_recomputed": len(villages)}
    async with db.transaction() as session:
        await repo.set_values(session, round_id, status="done", done=done, summary=summary, finished_at=utcnow())
    return summary
