"""Rating rounds (评级轮次): re-rate a whole region in bulk.

Subjects are read in keyset-ordered chunks by a reader task that runs one chunk ahead of the
writer (a queue of two: memory stays bounded, reading overlaps scoring and writing), scored with
the compiled indicator systems, and written with one multi-row insert per chunk, in a transaction
per chunk so the progress is visible. With a publication period of 0 each chunk is also finalised
in its transaction; the villages and towns are recomputed once at the end.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database, utcnow
from rating.grades import RANK, is_credit
from rating.indicators.repository import current_compiled
from rating.ratings import repository as ratings_repo
from rating.ratings.lifecycle import SCORED_KINDS, finalise_due_in, rating_row
from rating.ratings.models import PUBLISHED
from rating.rounds import repository as repo
from rating.rounds.models import RatingRound
from rating.scoring.engine import CompiledSystem, score
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


Chunk = tuple[list[repo.SubjectRow], dict[str, Any], dict[str, str]]


async def _read_chunks(db: Database, region: str, kinds: list[str], size: int, now: datetime,
                       queue: asyncio.Queue[Chunk | None]) -> None:
    """Read subjects and their scoring inputs chunk by chunk, ahead of the writer (the queue is
    small, so memory stays bounded while reading overlaps scoring and writing)."""
    last = ""
    try:
        while True:
            async with db.transaction(write=False) as session:
                subjects = await repo.subjects_after(session, region, kinds, last, size)
                if not subjects:
                    break
                ids = [s.subject_id for s in subjects]
                inputs = await scoring_inputs(session, subjects, now)
                before = {k: v.grade for k, v in
                          (await ratings_repo.current(session, ids, lock=False, columns=["grade"])).items()}
            await queue.put((subjects, inputs, before))
            last = ids[-1]
    finally:
        await queue.put(None)


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
    vetoed = done = finalised = rated = no_consent = 0
    villages: set[str] = set()
    queue: asyncio.Queue[Chunk | None] = asyncio.Queue(maxsize=2)
    reader = asyncio.create_task(_read_chunks(db, region, list(systems), settings.round_chunk_size, now, queue))
    try:
        while (chunk := await queue.get()) is not None:
            subjects, inputs, before = chunk
            done += len(subjects)
            # Without consent to rating (授权) a subject is skipped: no rating, nothing superseded.
            no_consent += sum(1 for s in subjects if not s.rating_consent)
            subjects = [s for s in subjects if s.rating_consent]
            ids = [s.subject_id for s in subjects]
            rated += len(ids)
            rows = []
            for s in subjects:
                system = systems[s.kind]
                result = score(system, inputs[s.subject_id])
                rows.append(rating_row(s, result, system.version, status=PUBLISHED, trigger="round",
                                       actor=f"round:{round_id}", now=now, settings=settings, round_id=round_id))
                grades[result.grade] += 1
                vetoed += result.vetoed
                old = before.get(s.subject_id)
                if old is None:
                    moves["new"] += 1
                elif old == result.grade:
                    moves["same"] += 1
                else:
                    moves["up" if RANK[result.grade] < RANK[old] else "down"] += 1
            async with db.transaction() as session:
                await ratings_repo.supersede_open(session, ids)
                await ratings_repo.insert_many(session, rows)
                if settings.publication_days == 0:
                    n, touched = await finalise_due_in(session, now, len(rows) + 1, ids)
                    finalised += n
                    villages |= touched
                await repo.set_values(session, round_id, done=done)
        await reader
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
    if villages:
        async with db.transaction() as session:
            await recompute_villages(session, villages, now, settings)
    summary = {"rated": rated, "skipped": {"no_consent": no_consent},
               "grades": {g: grades.get(g, 0) for g in ("AAA", "AA", "A", "B", "C", "D")},
               "credit_subjects": sum(n for g, n in grades.items() if is_credit(g)), "vetoed": vetoed,
               "compared_with_final": dict(moves), "finalised": finalised,
               "publication_days": settings.publication_days, "villages_recomputed": len(villages)}
    async with db.transaction() as session:
        await repo.set_values(session, round_id, status="done", done=done, summary=summary, finished_at=utcnow())
    return summary
