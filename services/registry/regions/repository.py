"""SQL of the region tree."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from registry.regions.models import Region


async def get(session: AsyncSession, code: str) -> Region | None:
    return await session.get(Region, code)


async def get_many(session: AsyncSession, codes: Sequence[str]) -> dict[str, Region]:
    if not codes:
        return {}
    rows = (await session.execute(select(Region).where(Region.code.in_(set(codes))))).scalars()
    return {r.code: r for r in rows}


async def add_many(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    if rows:
        await session.execute(insert(Region), rows)


async def rename(session: AsyncSession, code: str, name: str) -> None:
    """A new name and the next version (what ``region-changed`` carries)."""
    await session.execute(update(Region).where(Region.code == code).values(name=name, version=Region.version + 1)
                          .execution_options(synchronize_session=False))


async def listing(session: AsyncSession, *, prefix: str | None, level: str | None, parent: str | None,
                  limit: int) -> list[Region]:
    q = select(Region).order_by(Region.code).limit(limit)
    if prefix:
        q = q.where(Region.code.startswith(prefix, autoescape=True))
    if level:
        q = q.where(Region.level == level)
    if parent:
        q = q.where(Region.parent_code == parent)
    return list((await session.execute(q)).scalars())


async def village_codes(session: AsyncSession) -> set[str]:
    """Every village and group code (an import checks its rows against these once)."""
    q = select(Region.code).where(Region.level.in_(("village", "group")))
    return set((await session.execute(q)).scalars())
