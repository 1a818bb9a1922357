"""SQL of negative-list records."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from registry.negative.models import NegativeRecord


async def add(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(NegativeRecord).values(**row))


async def get(session: AsyncSession, record_id: str) -> NegativeRecord | None:
    return (await session.execute(select(NegativeRecord).where(NegativeRecord.id == record_id))).scalar_one_or_none()


async def request_clear(session: AsyncSession, record_id: str, values: dict[str, Any]) -> bool:
    """Note a request to clear, if the record is raised and nobody asked yet (two requests: one wins)."""
    result = await session.execute(update(NegativeRecord).where(
        NegativeRecord.id == record_id, NegativeRecord.status == "raised", NegativeRecord.clear_requested_by.is_(None))
        .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


async def settle_clear(session: AsyncSession, record_id: str, requested_by: str, values: dict[str, Any]) -> bool:
    """Clear (or drop the request), if it is still the same person's open request (two reviewers: one wins)."""
    result = await session.execute(update(NegativeRecord).where(
        NegativeRecord.id == record_id, NegativeRecord.status == "raised",
        NegativeRecord.clear_requested_by == requested_by)
        .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


async def due_to_expire(session: AsyncSession, today: date, limit: int) -> Sequence[str]:
    """Ids of raised records whose ``expires_on`` has begun (the oldest dates first)."""
    q = (select(NegativeRecord.id).where(NegativeRecord.status == "raised", NegativeRecord.expires_on.is_not(None),
                                         NegativeRecord.expires_on <= today)
         .order_by(NegativeRecord.expires_on, NegativeRecord.id).limit(limit))
    return list((await session.execute(q)).scalars())


async def expire(session: AsyncSession, record_id: str, today: date, values: dict[str, Any]) -> bool:
    """Mark one record expired if it is still raised and due: a conditional UPDATE, so of two
    concurrent runs only one wins (the other updates nothing and emits nothing)."""
    result = await session.execute(update(NegativeRecord).where(
        NegativeRecord.id == record_id, NegativeRecord.status == "raised", NegativeRecord.expires_on <= today)
        .values(status="expired", **values).execution_options(synchronize_session=False))
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
