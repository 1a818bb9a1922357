"""The rating lifecycle (四议两公开): score → proposed → published (公示) → final.

Every final rating bumps the subject's version and emits ``rating-changed``, a confirmation of the
same grade too (old_grade == new_grade, the reason says so): lending renews the line's term from it.
Households' grade changes then recompute their villages and towns. A veto
raised or cleared (and a serious points item) re-rates at once, straight to final.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from common import cpu
from common.db import Database, utcnow
from common.errors import ProblemError, conflict
from common.events import Event
from common.events.outbox import emit_rows, outbox_row
from common.i18n import KINDS_ZH, Text
from rating.indicators.repository import current_compiled
from rating.ratings import events
from rating.ratings import repository as repo
from rating.ratings.explain import stored_explanation
from rating.ratings.models import FINAL, PROPOSED, PUBLISHED, Rating
from rating.scoring.engine import ScoreResult, score
from rating.settings import RatingSettings
from rating.subjects.models import Subject
from rating.subjects.repository import lock_subject, scoring_inputs
from rating.villages.service import recompute_villages

SCORED_KINDS = ("household", "new_entity", "collective")


def no_consent(subject_id: str) -> ProblemError:
    """The subject did not consent to rating (授权): it is neither rated nor shown."""
    return ProblemError(409, Text("No consent to rating", "未授权评级"),
                        Text(f"subject {subject_id} has not consented to the use of its credit information for rating "
                             "(consent scope 'rating')",
                             f"信用主体 {subject_id} 未授权将其信用信息用于信用评级（授权范围不含 rating）"),
                        type="no-consent", errors=[{"field": "subject_id", "message": Text("no consent to rating", "未授权评级")}])


def publication_end(settings: RatingSettings, now: datetime) -> datetime:
    return now + timedelta(days=settings.publication_days)


def rating_row(subject: Any, result: ScoreResult, version: int | None, *, status: str, trigger: str, actor: str,
               now: datetime, settings: RatingSettings, round_id: str | None = None) -> dict[str, Any]:
    published = status in (PUBLISHED, FINAL)
    return {"subject_id": subject.subject_id, "kind": subject.kind, "county": subject.county, "town": subject.town,
            "village": subject.village, "score": result.score, "grade": result.grade, "vetoed": result.vetoed,
            "reasons": list(result.reasons), "explanation": stored_explanation(result),
            "indicator_system_version": version, "status": status,
            "disputed": False, "trigger": trigger, "round_id": round_id, "created_by": actor, "created_at": now,
            "published_at": now if published else None,
            "publication_ends_at": (now if status == FINAL else publication_end(settings, now)) if published else None,
            "finalised_at": now if status == FINAL else None}


@dataclass
class FinalisationPlan:
    """A chunk's finalisation worked out from what was read (pure computation): the current grades'
    rows to insert and update, the ``rating-changed`` events, the villages whose households changed
    grade, and the versions it assumed (``None``: the subject had no current grade). Worked out in
    a worker process, the events come back as their outbox rows (``outbox``) instead.
    ``subject_ids``, ``events`` and ``outbox`` run with ``rating_ids``: one of each per rating."""
    rating_ids: list[int]
    assumed_versions: dict[str, int | None]
    subject_ids: list[str] = field(default_factory=list)
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    villages: set[str] = field(default_factory=set)
    outbox: list[dict[str, Any]] = field(default_factory=list)


class GradeVersion(NamedTuple):
    """A subject's current grade and version, as a finalisation plan needs them (and pickles them)."""
    grade: str
    version: int


def plan_finalisation(rows: Sequence[Any], current: Mapping[str, Any], now: datetime) -> FinalisationPlan:
    """Final grades for these ratings: each bumps its subject's version and emits ``rating-changed``
    (a confirmation of the same grade renews what hangs on it: a credit line's term)."""
    plan = FinalisationPlan([r.id for r in rows], {}, [r.subject_id for r in rows])
    for r in rows:
        before = current.get(r.subject_id)
        plan.assumed_versions[r.subject_id] = before.version if before else None
        changed = before is None or before.grade != r.grade
        version = (before.version if before else 0) + 1
        reason = "; ".join(r.reasons or [])[:500]
        row = {"kind": r.kind, "county": r.county, "town": r.town, "village": r.village, "grade": r.grade,
               "score": r.score, "vetoed": r.vetoed, "credit_village": None, "rating_id": r.id,
               "version": version, "reason": reason, "metrics": None, "effective_at": now}
        (plan.inserts if before is None else plan.updates).append({"subject_id": r.subject_id, **row})
        why = f"{r.trigger}: {reason}" if changed else f"confirmed {r.grade} ({r.trigger}): {reason}"
        plan.events.append(events.rating_changed(
            subject_id=r.subject_id, kind=r.kind, county=r.county, town=r.town, village=r.village,
            old_grade=before.grade if before else None, new_grade=r.grade, score=r.score, version=version,
            effective_at=now, reason=why, vetoed=r.vetoed, indicator_system_version=r.indicator_system_version))
        if changed and r.kind == "household" and r.village:
            plan.villages.add(r.village)
    return plan


def plan_finalisation_rows(rows: Sequence[Any], current: Mapping[str, GradeVersion], now: datetime) -> FinalisationPlan:
    """``plan_finalisation`` with its events made outbox rows (checked against their schema and
    serialised, most of their cost): what a worker process sends back for the writer to insert."""
    plan = plan_finalisation(rows, current, now)
    plan.outbox, plan.events = [outbox_row(e) for e in plan.events], []
    return plan


# A finalisation's rows and events are written this many at a time (statements of bounded size),
# and a chunk worked out ahead is written in transactions of as many (``slices``).
WRITE_BATCH = 1000


def slices(plan: FinalisationPlan, size: int) -> list[FinalisationPlan]:
    """The plan cut into plans of ``size`` ratings, in order, each with its subjects' rows and
    events: written one transaction each, so a veto (SQLite's one writer) waits for one slice's
    statements, not a whole chunk's. Every slice keeps the chunk's villages (recomputing a village
    twice is harmless; missing one is not)."""
    parts = []
    for start in range(0, len(plan.rating_ids), size):
        subjects = plan.subject_ids[start:start + size]
        mine = set(subjects)
        parts.append(FinalisationPlan(
            plan.rating_ids[start:start + size], {s: plan.assumed_versions[s] for s in subjects}, subjects,
            inserts=[r for r in plan.inserts if r["subject_id"] in mine],
            updates=[r for r in plan.updates if r["subject_id"] in mine],
            events=plan.events[start:start + size], villages=plan.villages,
            outbox=plan.outbox[start:start + size]))
    return parts


async def write_finalisation(session: AsyncSession, plan: FinalisationPlan, *, urgent: bool = False) -> None:
    """The plan's current grades and events (the ratings are already marked final)."""
    size = max(len(plan.inserts), len(plan.updates), len(plan.events), len(plan.outbox))
    for start in range(0, size, WRITE_BATCH):
        await repo.insert_current(session, plan.inserts[start:start + WRITE_BATCH])
        await repo.update_current(session, plan.updates[start:start + WRITE_BATCH])
        await events.write(session, plan.events[start:start + WRITE_BATCH], urgent=urgent)
        await emit_rows(session, plan.outbox[start:start + WRITE_BATCH])


async def finalise_rows(session: AsyncSession, rows: Sequence[Any], now: datetime, *,
                        urgent: bool = False) -> set[str]:
    """Make these ratings final (``plan_finalisation``), by the urgent lane if ``urgent``. Returns
    the villages whose households changed grade (the caller recomputes them)."""
    if not rows:
        return set()
    await repo.mark_final(session, [r.id for r in rows], now)
    current = await repo.current(session, [r.subject_id for r in rows], columns=["grade", "version"])
    plan = plan_finalisation(rows, current, now)
    await write_finalisation(session, plan, urgent=urgent)
    return plan.villages


class PlanOvertaken(Exception):
    """Between the reading and the writing of a chunk, one of its subjects was re-rated (a veto) or
    one of its ratings disputed: the chunk is done again under the write lock."""


async def claim(session: AsyncSession, plan: FinalisationPlan, now: datetime) -> None:
    """Under the write lock: the subjects' versions are still those the plan assumed, and every one
    of its ratings is still due; else ``PlanOvertaken`` (and the transaction rolls back)."""
    found = await repo.current(session, list(plan.assumed_versions), columns=["version"])
    if {s: r.version for s, r in found.items()} != {s: v for s, v in plan.assumed_versions.items() if v is not None}:
        raise PlanOvertaken
    if await repo.claim_due(session, plan.rating_ids, now) != len(plan.rating_ids):
        raise PlanOvertaken


async def rate_subject(session: AsyncSession, subject: Subject, settings: RatingSettings, *, trigger: str, actor: str,
                       publish: bool = True, final_now: bool = False, now: datetime | None = None) -> Rating:
    """Score one subject and record the rating: final at once for a veto change (or when the
    publication period is 0), published for the period otherwise, or only proposed."""
    now = now or utcnow()
    if subject.kind not in SCORED_KINDS:
        kind_zh = KINDS_ZH.get(subject.kind, subject.kind)
        raise ProblemError(422, Text("Not rated by indicators", "不按指标评级"),
                           Text(f"a {subject.kind} is rated from its households: see /v1/villages/{{code}}",
                                f"{kind_zh}的等级由其农户的评级得出：见 /v1/villages/{{code}}"), type="not-scored",
                           errors=[{"field": "subject_id", "message": Text(f"kind {subject.kind} is not scored",
                                                                            f"{kind_zh}不按指标打分")}])
    if subject.status != "active":
        raise conflict(Text("Subject archived", "档案已归档"),
                       Text(f"subject {subject.subject_id} is archived", f"信用主体 {subject.subject_id} 的档案已归档"),
                       type="subject-archived")
    if not subject.rating_consent:
        raise no_consent(subject.subject_id)
    system = await current_compiled(session, subject.kind)
    if system is None:
        raise conflict(Text("No indicator system", "没有评级指标体系"),
                       Text(f"no indicator system for kind {subject.kind}",
                            f"{KINDS_ZH.get(subject.kind, subject.kind)}还没有评级指标体系"), type="no-indicator-system")
    # One rating at a time per subject: a concurrent rating waits here, then supersedes this one.
    await lock_subject(session, subject.subject_id)
    inputs = (await scoring_inputs(session, [subject], now))[subject.subject_id]
    result = score(system, inputs)
    final = final_now or (publish and settings.publication_days == 0)
    status = FINAL if final else PUBLISHED if publish else PROPOSED
    await repo.supersede_open(session, [subject.subject_id])
    rating = Rating(**rating_row(subject, result, system.version, status=status,
                                 trigger=trigger, actor=actor, now=now, settings=settings))
    session.add(rating)
    await session.flush()
    if final:
        # Straight to final is a veto raised or cleared (or a serious points item): urgent.
        villages = await finalise_rows(session, [rating], now, urgent=final_now)
        await recompute_villages(session, villages, now, settings)
        await session.refresh(rating)
    return rating


async def publish(session: AsyncSession, rating: Rating, settings: RatingSettings, now: datetime | None = None) -> Rating:
    now = now or utcnow()
    if rating.status != PROPOSED:
        raise conflict(Text("Not proposed", "不是拟定状态"),
                       Text(f"rating {rating.id} is {rating.status}; only a proposed rating is published",
                            f"评级 {rating.id} 的状态为 {rating.status}，只有拟定状态的评级才能公示"),
                       type="invalid-state")
    rating.status, rating.published_at, rating.publication_ends_at = PUBLISHED, now, publication_end(settings, now)
    await session.flush()
    if settings.publication_days == 0:
        villages = await finalise_rows(session, [rating], now)
        await recompute_villages(session, villages, now, settings)
        await session.refresh(rating)
    return rating


async def finalise_due_in(session: AsyncSession, now: datetime, limit: int,
                          subject_ids: Sequence[str] | None = None) -> tuple[int, set[str]]:
    rows = await repo.due(session, now, limit, subject_ids)
    return len(rows), await finalise_rows(session, rows, now)


async def _planned_chunks(db: Database, settings: RatingSettings, now: datetime) -> AsyncIterator[Awaitable[FinalisationPlan]]:
    """The due ratings chunk by chunk, each chunk's plan to be worked out (``cpu.ahead``) while the
    writer's statements for the one before are in the database: in a worker process for a chunk
    of ``cpu_workers_from`` ratings or more, else in a thread."""
    after: tuple[datetime, int] | None = None
    while True:
        async with db.transaction(write=False) as session:
            rows = await repo.due(session, now, settings.finalise_chunk_size, after=after)
            if not rows:
                return
            current = {k: GradeVersion(v.grade, v.version) for k, v in (await repo.current(
                session, [r.subject_id for r in rows], lock=False, columns=["grade", "version"])).items()}
        after = rows[-1].due_key
        yield cpu.pure(plan_finalisation_rows, rows, current, now,
                       in_worker_process=len(rows) >= settings.cpu_workers_from)


async def finalise_due(db: Database, settings: RatingSettings, now: datetime | None = None) -> int:
    """Finalise every publication that has ended and is not disputed, chunk by chunk (one
    transaction each), then recompute the villages whose households changed.

    A chunk is read and worked out (its events built: most of its cost) before it takes the write
    lock, and written in slices of WRITE_BATCH ratings, a transaction each: a veto raised meanwhile
    (SQLite has one writer) waits for one slice's statements, not for the whole chunk; the next
    chunks are read and worked out meanwhile. Should a subject of a slice have moved in between,
    the slice is done again the plain way, under the lock, and a last plain pass takes what that
    way left."""
    now = now or utcnow()
    total = 0
    villages: set[str] = set()
    chunk = settings.finalise_chunk_size
    async with aclosing(cpu.ahead(_planned_chunks(db, settings, now))) as plans:
        async for plan in plans:
            for part in slices(plan, WRITE_BATCH):
                try:
                    async with db.transaction() as session:
                        await claim(session, part, now)
                        await write_finalisation(session, part)
                    n, touched = len(part.rating_ids), part.villages
                except PlanOvertaken:
                    async with db.transaction() as session:
                        n, touched = await finalise_due_in(session, now, len(part.rating_ids))
                total += n
                villages |= touched
    # The plain way takes the first ratings due, not the chunk's: a chunk read ahead may have been
    # overtaken by it, and the plain way's own chunk may have left some of the chunk it replaced.
    while True:
        async with db.transaction() as session:
            n, touched = await finalise_due_in(session, now, chunk)
        total += n
        villages |= touched
        if n < chunk:
            break
    if villages:
        async with db.transaction() as session:
            await recompute_villages(session, villages, now, settings)
    return total
