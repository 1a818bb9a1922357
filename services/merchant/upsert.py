"""INSERT ... ON CONFLICT helpers of the merchant service (the construct comes from common.db.insert_for)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import insert_for


def _insert(session: AsyncSession, table: Table) -> Any:
    return insert_for(session.get_bind().dialect.name, table)


async def insert_ignore(session: AsyncSession, table: Table, values: dict[str, Any], keys: Sequence[str]) -> None:
    await session.execute(_insert(session, table).values(**values).on_conflict_do_nothing(index_elements=list(keys)))


async def upsert_many(session: AsyncSession, table: Table, rows: list[dict[str, Any]], keys: Sequence[str],
                      update: Callable[[Any], dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO UPDATE for many rows (same keys in each) as one executemany of one
    compiled statement; ``update`` builds the SET clause from the statement (``stmt.excluded`` is
    the row that was proposed)."""
    if rows:
        stmt = _insert(session, table)
        await session.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=update(stmt)), rows)
