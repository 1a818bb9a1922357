"""INSERT ... ON CONFLICT for both SQLite and PostgreSQL (same syntax, different dialect modules)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def _insert(session: AsyncSession, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


async def insert_ignore(session: AsyncSession, table: Table, values: dict[str, Any], keys: Sequence[str]) -> None:
    await session.execute(_insert(session, table).values(**values).on_conflict_do_nothing(index_elements=list(keys)))


async def upsert(session: AsyncSession, table: Table, values: dict[str, Any], keys: Sequence[str],
                 update: dict[str, Any]) -> None:
    stmt = _insert(session, table).values(**values)
    await session.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=update))
