"""SQL of pairings (结对帮带)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rating.pairing.models import Pairing
from rating.ratings.models import CurrentGrade
from rating.subjects.models import Subject


async def subject(session: AsyncSession, subject_id: str) -> Subject | None:
    return await session.get(Subject, subject_id)


async def grade(session: AsyncSession, subject_id: str) -> CurrentGrade | None:
    return await session.get(CurrentGrade, subject_id)


async def has_active(session: AsyncSession, mentee_id: str) -> bool:
    found = await session.execute(select(Pairing.id).where(Pairing.mentee_id == mentee_id, Pairing.status == "active"))
    return found.first() is not None


async def add(session: AsyncSession, pairing: Pairing) -> Pairing:
    session.add(pairing)
    await session.flush()
    return pairing


async def get(session: AsyncSession, pairing_id: int) -> Pairing | None:
    return await session.get(Pairing, pairing_id)


async def with_mentee_grades(session: AsyncSession, village: str | None, after: int | None = None,
                             limit: int | None = None) -> list[tuple[Pairing, str | None]]:
    q = (select(Pairing, CurrentGrade.grade).outerjoin(CurrentGrade, CurrentGrade.subject_id == Pairing.mentee_id)
         .order_by(Pairing.id).limit(limit))
    if village:
        q = q.where(Pairing.village == village)
    if after is not None:
        q = q.where(Pairing.id > after)
    return [(p, g) for p, g in (await session.execute(q)).all()]
