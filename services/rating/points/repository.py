"""SQL of credit points (信用积分, Wendeng pattern): a base of 1,000; entries with a reason, an author and
an expiry (1–5 years); a balance as of a date; rankings by village and town. A serious item (严重
失信行为) also lowers the grade directly, at once, and for as long as it lasts."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rating.points.models import PointsEntry
from rating.subjects.models import Subject

DAYS_PER_YEAR = 365


def active(as_of: datetime) -> Any:
    return and_(PointsEntry.created_at <= as_of, PointsEntry.expires_at > as_of)


async def add(session: AsyncSession, subject: Subject, *, points: int, reason: str, author: str, valid_years: int,
              serious: bool, grade_drop: int, now: datetime) -> PointsEntry:
    entry = PointsEntry(subject_id=subject.subject_id, town=subject.town, village=subject.village, points=points,
                        reason=reason, author=author, serious=serious, grade_drop=grade_drop if serious else 0,
                        created_at=now, expires_at=now + timedelta(days=DAYS_PER_YEAR * valid_years),
                        corrected_at=None)
    session.add(entry)
    await session.flush()
    return entry


async def entries(session: AsyncSession, subject_id: str) -> list[PointsEntry]:
    return list((await session.execute(select(PointsEntry).where(PointsEntry.subject_id == subject_id)
                                       .order_by(PointsEntry.id))).scalars())


async def balance(session: AsyncSession, subject_id: str, as_of: datetime, base: int) -> int:
    total = (await session.execute(select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
        PointsEntry.subject_id == subject_id, active(as_of)))).scalar_one()
    return base + int(total)


async def rankings(session: AsyncSession, *, village: str | None, town: str | None, as_of: datetime, base: int,
                   limit: int) -> list[dict[str, Any]]:
    """Households of a village or town by balance, highest first (those without entries have the base)."""
    total = func.coalesce(func.sum(case((active(as_of), PointsEntry.points), else_=0)), 0)
    q = (select(Subject.subject_id, Subject.masked_name, Subject.village, total.label("total"))
         .outerjoin(PointsEntry, PointsEntry.subject_id == Subject.subject_id)
         .where(Subject.kind == "household", Subject.status == "active")
         .group_by(Subject.subject_id, Subject.masked_name, Subject.village)
         .order_by(total.desc(), Subject.subject_id).limit(limit))
    q = q.where(Subject.village == village) if village else q.where(Subject.town == town)
    rows = (await session.execute(q)).all()
    return [{"rank": i + 1, "subject_id": r.subject_id, "masked_name": r.masked_name, "village": r.village,
             "balance": base + int(r.total)} for i, r in enumerate(rows)]


async def get(session: AsyncSession, entry_id: int) -> PointsEntry | None:
    return await session.get(PointsEntry, entry_id)


async def correct(session: AsyncSession, entry: PointsEntry, now: datetime) -> PointsEntry:
    """A serious act was corrected (e.g. the debt repaid): it stops lowering the grade."""
    entry.corrected_at = now
    await session.flush()
    return entry
