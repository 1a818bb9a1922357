"""SQL for merchants."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database
from merchant.merchants.models import merchants


async def add(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(merchants).values(**values))


async def get(session: AsyncSession, merchant_id: str) -> Row[Any] | None:
    return (await session.execute(select(merchants).where(merchants.c.id == merchant_id))).one_or_none()


async def status(db: Database, merchant_id: str) -> str | None:
    """The caller gate's read: the merchant's status now (one keyed read, no session)."""
    row = await db.keyed.one("SELECT status FROM merchants WHERE id = ?", "SELECT status FROM merchants WHERE id = $1",
                             (merchant_id,))
    return None if row is None else str(row[0])


async def list_(session: AsyncSession, region_prefix: str | None, after: str | None = None,
                limit: int | None = None) -> list[Row[Any]]:
    stmt = select(merchants).order_by(merchants.c.id).limit(limit)
    if after is not None:
        stmt = stmt.where(merchants.c.id > after)
    if region_prefix:
        stmt = stmt.where(merchants.c.region_code.startswith(region_prefix, autoescape=True))
    return list((await session.execute(stmt)).all())


async def set_status(session: AsyncSession, merchant_id: str, status: str) -> None:
    await session.execute(update(merchants).where(merchants.c.id == merchant_id).values(status=status))
