"""SQL for public benefit programmes."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from merchant.programmes.models import programmes


async def add(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(programmes).values(**values))


async def get(session: AsyncSession, programme_id: str) -> Row[Any] | None:
    return (await session.execute(select(programmes).where(programmes.c.id == programme_id))).one_or_none()


async def page(session: AsyncSession, after: str | None, limit: int) -> list[Row[Any]]:
    stmt = select(programmes).order_by(programmes.c.id).limit(limit)
    if after is not None:
        stmt = stmt.where(programmes.c.id > after)
    return list((await session.execute(stmt)).all())
