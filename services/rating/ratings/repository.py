"""SQL for ratings and current grades."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Table, Text, literal, select, tuple_, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from rating.ratings.models import CLOSED_STATES, FINAL, OPEN_STATES, PUBLISHED, SUPERSEDED, CurrentGrade, Rating
from rating.sql import bulk_insert, bulk_update, is_postgres, json_value

RATINGS: Table = Rating.__table__  # type: ignore[assignment]
CURRENT: Table = CurrentGrade.__table__  # type: ignore[assignment]


async def supersede_open(session: AsyncSession, subject_ids: Sequence[str]) -> None:
    """A newer rating replaces any of the subject's ratings that are not final yet."""
    # NOT IN the closed states (the same rows as IN the open ones): SQLite, without statistics,
    # would search ``status IN (...)`` through ix_ratings_due, i.e. every open rating of the
    # county once per chunk of a round; this way it searches by subject (ix_ratings_subject).
    await session.execute(update(Rating).where(Rating.subject_id.in_(subject_ids), Rating.status.not_in(CLOSED_STATES))
                          .values(status=SUPERSEDED).execution_options(synchronize_session=False))


async def insert_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await bulk_insert(session, RATINGS, rows)


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


class DueRating(NamedTuple):
    """What finalising a rating reads of it (not its dates, author or round: most of the row's cost)."""

    id: int
    subject_id: str
    kind: str
    county: str | None
    town: str | None
    village: str | None
    score: Decimal
    grade: str
    vetoed: bool
    reasons: list[str]
    indicator_system_version: int | None
    trigger: str
    publication_ends_at: datetime

    @property
    def due_key(self) -> tuple[datetime, int]:
        """Its place in the order ratings fall due: ``due(after=...)`` reads on from there."""
        return self.publication_ends_at, self.id


async def due(session: AsyncSession, now: datetime, limit: int, subject_ids: Sequence[str] | None = None,
              after: tuple[datetime, int] | None = None) -> list[DueRating]:
    """Published ratings whose publication has ended and that nobody disputes, the longest ended
    first (from ``after`` on: the ``due_key`` of the last one read, to read ahead of the writer)."""
    # In the order of ix_ratings_due (status, publication_ends_at; the id breaks ties, and is the
    # index's own tail on SQLite): the first ``limit`` are read off the index, where ORDER BY id
    # alone sorted every published rating of the county once per chunk. The reasons come as JSON
    # text, decoded with orjson.
    cols = [RATINGS.c[f] if f != "reasons" else type_coerce(RATINGS.c.reasons, Text).label(f)
            for f in DueRating._fields]
    q = (select(*cols)
         .where(RATINGS.c.status == PUBLISHED, RATINGS.c.disputed.is_(False), RATINGS.c.publication_ends_at <= now)
         .order_by(RATINGS.c.publication_ends_at, RATINGS.c.id).limit(limit))
    if subject_ids is not None:
        q = q.where(RATINGS.c.subject_id.in_(subject_ids))
    if after is not None:
        # Bound as the column's own type: SQLite compares the stored text.
        q = q.where(tuple_(RATINGS.c.publication_ends_at, RATINGS.c.id)
                    > tuple_(literal(after[0], RATINGS.c.publication_ends_at.type), literal(after[1])))
    if is_postgres(session):
        q = q.with_for_update(skip_locked=True)
    at = DueRating._fields.index("reasons")
    return [DueRating._make((*r[:at], json_value(r[at]), *r[at + 1:])) for r in (await session.execute(q)).all()]


async def claim_due(session: AsyncSession, ids: Sequence[int], now: datetime) -> int:
    """Make these ratings final if they are all still published and undisputed; how many were."""
    result = await session.execute(
        update(Rating).where(Rating.id.in_(ids), Rating.status == PUBLISHED, Rating.disputed.is_(False))
        .values(status=FINAL, finalised_at=now).execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def mark_final(session: AsyncSession, ids: Sequence[int], now: datetime) -> None:
    await session.execute(update(Rating).where(Rating.id.in_(ids)).values(status=FINAL, finalised_at=now)
                          .execution_options(synchronize_session=False))


async def current(session: AsyncSession, subject_ids: Sequence[str], lock: bool = True,
                  columns: Sequence[str] | None = None) -> dict[str, Any]:
    """The current grades of these subjects (every column, or ``columns`` besides the id), locked
    on PostgreSQL unless ``lock`` is false."""
    cols = [CURRENT] if columns is None else [CURRENT.c.subject_id, *(CURRENT.c[c] for c in columns)]
    q = select(*cols).where(CURRENT.c.subject_id.in_(subject_ids))
    if lock and is_postgres(session):
        q = q.with_for_update()
    return {r.subject_id: r for r in (await session.execute(q)).all()}


async def current_grade(session: AsyncSession, subject_id: str) -> CurrentGrade | None:
    return await session.get(CurrentGrade, subject_id)


async def insert_current(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await bulk_insert(session, CURRENT, rows)


async def update_current(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """One executemany update keyed by ``subject_id`` (each row carries every other column it sets)."""
    await bulk_update(session, CURRENT, rows, ["subject_id"])


async def delete_current(session: AsyncSession, subject_id: str) -> None:
    await session.execute(CURRENT.delete().where(CURRENT.c.subject_id == subject_id))
