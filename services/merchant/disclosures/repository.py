"""SQL for reading the disclosure log."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from merchant.disclosures.models import disclosures


async def for_subject(session: AsyncSession, subject_id: str, before_id: int | None, limit: int) -> list[Row[Any]]:
    """A household's entries, newest first, older than ``before_id`` if given."""
    stmt = select(disclosures).where(disclosures.c.subject_id == subject_id).order_by(disclosures.c.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(disclosures.c.id < before_id)
    return list((await session.execute(stmt)).all())
