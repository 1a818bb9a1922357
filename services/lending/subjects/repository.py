"""SQL for the registry's facts about subjects."""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import insert_for
from lending.subjects.models import SubjectFacts

_table = cast(Table, SubjectFacts.__table__)


async def get(session: AsyncSession, subject_id: str) -> SubjectFacts | None:
    return await session.get(SubjectFacts, subject_id, populate_existing=True)


async def save(session: AsyncSession, row: dict[str, Any]) -> None:
    """Insert or replace the subject's facts (the caller has checked the version is newer)."""
    stmt = insert_for(session.get_bind().dialect.name, _table).values(**row)
    stmt = stmt.on_conflict_do_update(index_elements=["subject_id"],
                                      set_={k: stmt.excluded[k] for k in row if k != "subject_id"})
    await session.execute(stmt)
