"""SQL of negative-list records."""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from registry.negative.models import NegativeRecord


async def add(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(NegativeRecord).values(**row))


async def get(session: AsyncSession, record_id: str) -> NegativeRecord | None:
    return (await session.execute(select(NegativeRecord).where(NegativeRecord.id == record_id))).scalar_one_or_none()


async def clear(session: AsyncSession, record_id: str, values: dict[str, Any]) -> bool:
    result = await session.execute(update(NegativeRecord).where(NegativeRecord.id == record_id,
                                                                NegativeRecord.status == "raised")
                                   .values(status="cleared", **values).execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


async def listing(session: AsyncSession, *, prefix: str | None, subject_id: str | None, status: str | None,
                  limit: int) -> list[NegativeRecord]:
    q = select(NegativeRecord).order_by(NegativeRecord.raised_at.desc(), NegativeRecord.id).limit(limit)
    if prefix:
        q = q.where(NegativeRecord.village_code.startswith(prefix, autoescape=True))
    if subject_id:
        q = q.where(NegativeRecord.subject_id == subject_id)
    if status:
        q = q.where(NegativeRecord.status == status)
    return list((await session.execute(q)).scalars())
