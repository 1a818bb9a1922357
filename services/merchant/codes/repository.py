"""SQL for household codes."""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from merchant.codes.models import ACTIVE, household_codes


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def end_active(session: AsyncSession, subject_id: str, status: str, at: datetime) -> int:
    result = await session.execute(update(household_codes)
                                   .where(household_codes.c.subject_id == subject_id, household_codes.c.status == ACTIVE)
                                   .values(status=status, ended_at=at))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def add(session: AsyncSession, *, subject_id: str, code: str, code_enc: bytes, by: str, at: datetime) -> None:
    await session.execute(insert(household_codes).values(code_hash=code_hash(code), subject_id=subject_id,
                                                         code_enc=code_enc, status=ACTIVE, issued_at=at, issued_by=by))


async def active(session: AsyncSession, subject_id: str) -> Row[Any] | None:
    return (await session.execute(select(household_codes).where(
        household_codes.c.subject_id == subject_id, household_codes.c.status == ACTIVE))).first()
