"""SQL for the registry's facts about subjects."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import insert_for
from lending.subjects.models import SubjectFacts

_table = cast(Table, SubjectFacts.__table__)


async def get(session: AsyncSession, subject_id: str) -> SubjectFacts | None:
    return await session.get(SubjectFacts, subject_id, populate_existing=True)


async def get_many(session: AsyncSession, subject_ids: Sequence[str]) -> dict[str, Any]:
    """The facts of many subjects by id, one statement."""
    rows = await session.execute(select(_table).where(_table.c.subject_id.in_(list(subject_ids))))
    return {row.subject_id: row for row in rows}


async def save_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert or replace many subjects' facts (same keys in each row; the caller has checked the
    versions are newer): one executemany of one compiled statement."""
    if not rows:
        return
    stmt = insert_for(session.get_bind().dialect.name, _table)
    stmt = stmt.on_conflict_do_update(index_elements=["subject_id"],
                                      set_={k: stmt.excluded[k] for k in rows[0] if k != "subject_id"})
    await session.execute(stmt, rows)
