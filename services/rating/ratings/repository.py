"""SQL for ratings and current grades."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rating.ratings.models import FINAL, OPEN_STATES, PUBLISHED, SUPERSEDED, CurrentGrade, Rating
from rating.sql import is_postgres

RATINGS: Table = Rating.__table__  # type: ignore[assignment]
CURRENT: Table = CurrentGrade.__table__  # type: ignore[assignment]


async def supersede_open(session: AsyncSession, subject_ids: Sequence[str]) -> None:
    """A newer rating replaces any of the subject's ratings that are not final yet."""
    await session.execute(update(Rating).where(Rating.subject_id.in_(subject_ids), Rating.status.in_(OPEN_STATES))
                          .values(status=SUPERSEDED).execution_options(synchronize_session=False))


async def insert_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(RATINGS.insert(), list(rows))


async def get(session: AsyncSession, rating_id: int, lock: bool = False) -> Rating | None:
    q = select(Rating).where(Rating.id == rating_id)
    if lock and is_postgres(session):
        q = q.with_for_update()
    return (await session.execute(q)).scalar_one_or_none()


async def history(session: AsyncSession, subject_id: str, limit: int = 50) -> list[Rating]:
    return list((await session.execute(select(Rating).where(Rating.subject_id == subject_id)
                                       .order_by(Rating.id.desc()).limit(limit))).scalars())


async def open_rating(session: AsyncSession, subject_id: str) -> Rating | None:
    return (await session.execute(select(Rating).where(Rating.subject_id == subject_id, Rating.status.in_(OPEN_STATES))
                                  .order_by(Rating.id.desc()).limit(1))).scalar_one_or_none()


async def due(session: AsyncSession, now: datetime, limit: int, subject_ids: Sequence[str] | None = None) -> list[Any]:
    """Published ratings whose publication has ended and that nobody disputes."""
    q = (select(RATINGS).where(RATINGS.c.status == PUBLISHED, RATINGS.c.disputed.is_(False),
                               RATINGS.c.publication_ends_at <= now).order_by(RATINGS.c.id).limit(limit))
    if subject_ids is not None:
        q = q.where(RATINGS.c.subject_id.in_(subject_ids))
    if is_postgres(session):
        q = q.with_for_update(skip_locked=True)
    return list((await session.execute(q)).all())


async def mark_final(session: AsyncSession, ids: Sequence[int], now: datetime) -> None:
    await session.execute(update(Rating).where(Rating.id.in_(ids)).values(status=FINAL, finalised_at=now)
                          .execution_options(synchronize_session=False))


async def current(session: AsyncSession, subject_ids: Sequence[str], lock: bool = True) -> dict[str, Any]:
    q = select(CURRENT).where(CURRENT.c.subject_id.in_(subject_ids))
    if lock and is_postgres(session):
        q = q.with_for_update()
    return {r.subject_id: r for r in (await session.execute(q)).all()}


async def current_grade(session: AsyncSession, subject_id: str) -> CurrentGrade | None:
    return await session.get(CurrentGrade, subject_id)


async def insert_current(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(CURRENT.insert(), list(rows))


async def update_current(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Executemany update keyed by ``key_id`` (each row carries every other column it sets)."""
    if not rows:
        return
    cols = [c for c in rows[0] if c != "key_id"]
    # Bind names must differ from column names in an UPDATE ... SET.
    stmt = CURRENT.update().where(CURRENT.c.subject_id == bindparam("key_id")).values(
        {c: bindparam(f"v_{c}") for c in cols})
    params = [{"key_id": r["key_id"], **{f"v_{c}": r[c] for c in cols}} for r in rows]
    await session.execute(stmt, params, execution_options={"synchronize_session": False})


async def delete_current(session: AsyncSession, subject_id: str) -> None:
    await session.execute(CURRENT.delete().where(CURRENT.c.subject_id == subject_id))
