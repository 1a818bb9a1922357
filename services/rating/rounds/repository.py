"""SQL of rating rounds: the region selection, the keyset-ordered chunks of subjects, progress."""
from __future__ import annotations

from typing import Any, NamedTuple

import orjson
from sqlalchemy import Text, func, or_, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from common import i18n
from common.errors import not_found
from rating.rounds.models import RatingRound
from rating.subjects.models import Subject

S = Subject.__table__


class SubjectRow(NamedTuple):
    subject_id: str
    kind: str
    county: str | None
    town: str | None
    village: str | None
    profile: dict[str, Any]
    rating_consent: bool = True


def in_region(code: str) -> ColumnElement[bool]:
    """Region codes nest by prefix: a county, town, village or group code selects what lies inside."""
    return or_(S.c.county == code, S.c.town == code, S.c.village == code, S.c.village_group == code,
               S.c.village.like(f"{code}%"))


def selection(region: str, kinds: list[str]) -> tuple[ColumnElement[bool], ...]:
    return S.c.status == "active", S.c.kind.in_(kinds), in_region(region)


async def count_subjects(session: AsyncSession, region: str, kinds: list[str]) -> int:
    return int((await session.execute(select(func.count()).select_from(S).where(*selection(region, kinds)))).scalar_one())


def _profile(raw: Any) -> dict[str, Any]:
    # SQLite hands back the JSON text; asyncpg has already decoded it.
    if not raw:
        return {}
    return raw if isinstance(raw, dict) else orjson.loads(raw)  # type: ignore[no-any-return]


async def subjects_after(session: AsyncSession, region: str, kinds: list[str], after: str, limit: int) -> list[SubjectRow]:
    """The next chunk of subjects by id (keyset pagination: no OFFSET, constant cost per chunk)."""
    # The profile is parsed with orjson rather than by the column type: it is the bulk of a row.
    cols = (S.c.subject_id, S.c.kind, S.c.county, S.c.town, S.c.village, type_coerce(S.c.profile, Text).label("raw"),
            S.c.rating_consent)
    rows = (await session.execute(select(*cols).where(*selection(region, kinds), S.c.subject_id > after)
                                  .order_by(S.c.subject_id).limit(limit))).all()
    return [SubjectRow(r.subject_id, r.kind, r.county, r.town, r.village, _profile(r.raw), bool(r.rating_consent))
            for r in rows]


async def add(session: AsyncSession, rnd: RatingRound) -> RatingRound:
    session.add(rnd)
    await session.flush()
    return rnd


async def get(session: AsyncSession, round_id: str) -> RatingRound:
    rnd = await session.get(RatingRound, round_id)
    if rnd is None:
        raise not_found(i18n.Text("rating round", "评级轮次"), round_id)
    return rnd


async def set_values(session: AsyncSession, round_id: str, **values: Any) -> None:
    await session.execute(update(RatingRound).where(RatingRound.id == round_id).values(**values))
