"""Small SQL helpers that read the same on SQLite and PostgreSQL."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import insert_for


async def upsert(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    """Insert rows, or update every other column of the row with the same keys."""
    if not rows:
        return
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    stmt = insert_for(dialect, table)
    updates = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    await session.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=updates), list(rows))


def is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]
