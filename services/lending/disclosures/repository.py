"""SQL for the disclosure log."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from lending.disclosures.models import Disclosure


async def add_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(Disclosure), rows)


async def for_subject(session: AsyncSession, subject_id: str, limit: int) -> Sequence[Disclosure]:
    q = select(Disclosure).where(Disclosure.subject_id == subject_id).order_by(Disclosure.id.desc()).limit(limit)
    return (await session.execute(q)).scalars().all()


async def for_bank(session: AsyncSession, bank_id: str, limit: int) -> Sequence[Disclosure]:
    q = select(Disclosure).where(Disclosure.bank_id == bank_id).order_by(Disclosure.id.desc()).limit(limit)
    return (await session.execute(q)).scalars().all()
