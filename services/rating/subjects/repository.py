"""SQL for the subject data rating keeps: writes from events, and the bulk read of scoring inputs."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, Text, case, func, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from rating.points.models import PointsEntry
from rating.scoring.engine import ScoringInput
from rating.sql import json_value, upsert
from rating.subjects.models import CivilityResult, Loan, NegativeRecord, Subject

# Rows are written with Core upserts (one statement, either dialect) and read back with
# ``populate_existing`` so a batch of events on one subject never sees a stale identity-map copy.
SUBJECTS: Table = Subject.__table__  # type: ignore[assignment]
CIVILITY: Table = CivilityResult.__table__  # type: ignore[assignment]
NEGATIVE: Table = NegativeRecord.__table__  # type: ignore[assignment]
LOANS: Table = Loan.__table__  # type: ignore[assignment]
# The registry's default civility base, for as long as no evaluation has told rating its catalogue's.
DEFAULT_CIVILITY_BASE = Decimal(80)


async def save_subject(session: AsyncSession, row: dict[str, Any]) -> None:
    await upsert(session, SUBJECTS, [row], ["subject_id"])


async def get_subject(session: AsyncSession, subject_id: str) -> Subject | None:
    return await session.get(Subject, subject_id, populate_existing=True)


async def lock_subject(session: AsyncSession, subject_id: str) -> None:
    """PostgreSQL: hold the subject's row until the transaction ends (one rating at a time)."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(select(Subject.subject_id).where(Subject.subject_id == subject_id).with_for_update())


async def village_subject_ids(session: AsyncSession, villages: Sequence[str]) -> dict[str, str]:
    """The registry's own subject for each village code (kind ``village``), where there is one."""
    rows = await session.execute(select(Subject.village, func.min(Subject.subject_id))
                                 .where(Subject.kind == "village", Subject.village.in_(villages))
                                 .group_by(Subject.village))
    return {v: s for v, s in rows.all() if v}


async def save_civility(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Store a civility result; True if its veto state differs from the one before."""
    before = await session.get(CivilityResult, row["subject_id"], populate_existing=True)
    was = (bool(before.veto), sorted(before.veto_items or [])) if before else (False, [])
    await upsert(session, CIVILITY, [row], ["subject_id"])
    return was != (bool(row["veto"]), sorted(row["veto_items"]))


async def civility_base(session: AsyncSession) -> Decimal:
    """The civility score of an unevaluated household: the base of the catalogue of the latest
    evaluation the registry published (the registry's default, 80, before any)."""
    latest = (await session.execute(select(CIVILITY.c.base).order_by(CIVILITY.c.published_at.desc())
                                    .limit(1))).scalar_one_or_none()
    return Decimal(str(latest)) if latest is not None else DEFAULT_CIVILITY_BASE


async def save_negative(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Store a negative-list record; True if the subject's set of vetoing records changed."""
    before = await session.get(NegativeRecord, row["record_id"], populate_existing=True)
    was = bool(before and before.veto and before.status == "raised")
    await upsert(session, NEGATIVE, [row], ["record_id"])
    return was != bool(row["veto"] and row["status"] == "raised")


async def get_loan(session: AsyncSession, loan_id: str) -> Loan | None:
    return await session.get(Loan, loan_id, populate_existing=True)


async def save_loan(session: AsyncSession, row: dict[str, Any]) -> None:
    await upsert(session, LOANS, [row], ["loan_id"])


async def save_loans(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await upsert(session, LOANS, rows, ["loan_id"])


async def known_loans(session: AsyncSession, loan_ids: Sequence[str]) -> set[str]:
    """Which of these loans rating already keeps."""
    if not loan_ids:
        return set()
    return set((await session.execute(select(Loan.loan_id).where(Loan.loan_id.in_(loan_ids)))).scalars())


async def update_loan(session: AsyncSession, loan_id: str, **values: Any) -> None:
    await session.execute(update(Loan).where(Loan.loan_id == loan_id).values(**values))


async def scoring_inputs(session: AsyncSession, subjects: Sequence[Any], now: datetime) -> dict[str, ScoringInput]:
    """Everything the score needs for a batch of subjects, in five set queries (no per-subject I/O).
    ``subjects`` are rows with ``subject_id``, ``kind`` and ``profile``."""
    ids = [s.subject_id for s in subjects]
    # The veto items as their JSON text, read only where there is a veto (the rare case).
    civility = {r.subject_id: r for r in (await session.execute(
        select(CIVILITY.c.subject_id, CIVILITY.c.score, CIVILITY.c.veto,
               type_coerce(CIVILITY.c.veto_items, Text).label("veto_items"))
        .where(CIVILITY.c.subject_id.in_(ids)))).all()}
    base = await civility_base(session)
    vetoes: dict[str, list[str]] = defaultdict(list)
    for sid, kind in (await session.execute(
            select(NEGATIVE.c.subject_id, NEGATIVE.c.record_kind)
            .where(NEGATIVE.c.subject_id.in_(ids), NEGATIVE.c.status == "raised", NEGATIVE.c.veto.is_(True)))).all():
        vetoes[sid].append(kind)
    history = {r.subject_id: r for r in (await session.execute(
        select(LOANS.c.subject_id, func.sum(LOANS.c.on_time_repayments).label("on_time"),
               func.sum(LOANS.c.late_repayments).label("late"),
               func.sum(case((LOANS.c.status == "defaulted", 1), else_=0)).label("defaults"))
        .where(LOANS.c.subject_id.in_(ids)).group_by(LOANS.c.subject_id))).all()}
    pts = PointsEntry.__table__
    drops: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for sid, n, reason in (await session.execute(
            select(pts.c.subject_id, pts.c.grade_drop, pts.c.reason)
            .where(pts.c.subject_id.in_(ids), pts.c.serious.is_(True), pts.c.grade_drop > 0,
                   pts.c.expires_at > now, pts.c.corrected_at.is_(None)))).all():
        drops[sid].append((int(n), reason))
    out: dict[str, ScoringInput] = {}
    for s in subjects:
        c = civility.get(s.subject_id)
        h = history.get(s.subject_id)
        d = drops.get(s.subject_id, [])
        items: tuple[str, ...] = ()
        if c is not None and c.veto:
            items = tuple(json_value(c.veto_items) or ["civility_veto"])
        out[s.subject_id] = ScoringInput(
            kind=s.kind, profile=s.profile or {},
            civility_score=Decimal(str(c.score)) if c is not None else base,
            civility_veto_items=items, negative_vetoes=tuple(vetoes.get(s.subject_id, ())),
            on_time_repayments=int(h.on_time or 0) if h else 0, late_repayments=int(h.late or 0) if h else 0,
            loan_defaults=int(h.defaults or 0) if h else 0,
            grade_drop=sum(n for n, _ in d), drop_reasons=tuple(r for _, r in d))
    return out
