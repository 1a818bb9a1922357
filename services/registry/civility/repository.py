"""SQL of civility catalogues and evaluations."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from registry.civility.models import CivilityCatalogue, CivilityEvaluation


async def catalogue(session: AsyncSession, version: int | None = None) -> CivilityCatalogue | None:
    q = select(CivilityCatalogue)
    q = q.where(CivilityCatalogue.version == version) if version else q.order_by(CivilityCatalogue.version.desc()).limit(1)
    return (await session.execute(q)).scalar_one_or_none()


async def latest_version(session: AsyncSession) -> int:
    return int((await session.execute(select(func.coalesce(func.max(CivilityCatalogue.version), 0)))).scalar_one())


async def add_catalogue(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(CivilityCatalogue).values(**row))


async def add_evaluation(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(CivilityEvaluation).values(**row))


async def get(session: AsyncSession, evaluation_id: str) -> CivilityEvaluation | None:
    return (await session.execute(select(CivilityEvaluation).where(CivilityEvaluation.id == evaluation_id))).scalar_one_or_none()


async def move(session: AsyncSession, evaluation_id: str, from_status: str, values: dict[str, Any]) -> bool:
    """Change the evaluation's status only from ``from_status`` (two reviewers cannot both win)."""
    result = await session.execute(update(CivilityEvaluation).where(
        CivilityEvaluation.id == evaluation_id, CivilityEvaluation.status == from_status).values(**values)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


async def listing(session: AsyncSession, *, prefix: str | None, subject_id: str | None, status: str | None,
                  limit: int) -> list[CivilityEvaluation]:
    q = select(CivilityEvaluation).order_by(CivilityEvaluation.recorded_at.desc(), CivilityEvaluation.id).limit(limit)
    if prefix:
        q = q.where(CivilityEvaluation.village_code.startswith(prefix, autoescape=True))
    if subject_id:
        q = q.where(CivilityEvaluation.subject_id == subject_id)
    if status:
        q = q.where(CivilityEvaluation.status == status)
    return list((await session.execute(q)).scalars())
