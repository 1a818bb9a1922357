"""Batched inserts for the bulk import: one ``executemany`` per table and batch, with each
column's bind processor looked up once per batch instead of SQLAlchemy's per-row parameter
machinery (which costs more than the row's validation and encryption together)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

_PLACEHOLDER: dict[str, Callable[[int], str]] = {
    "qmark": lambda i: "?",
    "numeric_dollar": lambda i: f"${i + 1}",
    "numeric": lambda i: f":{i + 1}",
    "format": lambda i: "%s",
}


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) into ``table``: the same values SQLAlchemy would
    bind, through the driver's executemany."""
    if not rows:
        return
    conn = await session.connection()
    dialect = conn.dialect
    placeholder = _PLACEHOLDER.get(dialect.paramstyle)
    if placeholder is None:  # a driver with named parameters: the ordinary path
        await session.execute(table.insert(), rows)
        return
    cols = [c for c in table.columns if c.name in rows[0]]
    names = [c.name for c in cols]
    procs = [c.type._cached_bind_processor(dialect) for c in cols]
    prep = dialect.identifier_preparer
    # Identifiers come from the table's metadata, quoted by the dialect; values are parameters.
    sql = (f"INSERT INTO {prep.format_table(table)} ({', '.join(prep.quote(n) for n in names)}) "  # noqa: S608
           f"VALUES ({', '.join(placeholder(i) for i in range(len(cols)))})")
    pairs = list(zip(names, procs, strict=True))
    params = [tuple(p(r[n]) if p is not None and r[n] is not None else r[n] for n, p in pairs) for r in rows]
    await conn.exec_driver_sql(sql, params)  # type: ignore[arg-type]
