"""SQL of objections (异议)."""
from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rating.objections.models import OPEN, Objection
from rating.sql import is_postgres


async def add(session: AsyncSession, objection: Objection) -> Objection:
    session.add(objection)
    await session.flush()
    return objection


async def get(session: AsyncSession, objection_id: int, lock: bool = False) -> Objection | None:
    q = select(Objection).where(Objection.id == objection_id)
    if lock and is_postgres(session):
        q = q.with_for_update()
    return (await session.execute(q)).scalar_one_or_none()


async def open_count(session: AsyncSession, rating_id: int) -> int:
    return int((await session.execute(select(func.count()).select_from(Objection).where(
        Objection.rating_id == rating_id, Objection.status == OPEN))).scalar_one())


async def list_open(session: AsyncSession, region: str | None, limit: int = 200,
                    after: int | None = None) -> list[Objection]:
    """Open objections, soonest answer due first (then by id), those after objection ``after`` in that order."""
    q = select(Objection).where(Objection.status == OPEN).order_by(Objection.answer_due, Objection.id).limit(limit)
    if region:
        q = q.where(Objection.village.like(f"{region}%"))
    if after is not None:
        due = (await session.execute(select(Objection.answer_due).where(Objection.id == after))).scalar_one_or_none()
        q = q.where(Objection.id > after) if due is None else q.where(
            or_(Objection.answer_due > due, and_(Objection.answer_due == due, Objection.id > after)))
    return list((await session.execute(q)).scalars())
