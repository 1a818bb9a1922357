"""Batched inserts: one ``executemany`` per table and batch, with each
column's bind processor looked up once per batch instead of SQLAlchemy's per-row parameter
machinery (which costs more than the row's validation and encryption together).

Binding (a row → the tuple of values the driver takes) is separate from inserting, so the
import's worker processes can bind their rows (``Binder`` with ``dialect_named``) and the one
writer only hands the tuples to the driver."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import DateTime, Table
from sqlalchemy.dialects import registry
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import json_dumps

_PLACEHOLDER: dict[str, Callable[[int, str], str]] = {
    "qmark": lambda i, n: "?",
    "numeric_dollar": lambda i, n: f"${i + 1}",
    "numeric": lambda i, n: f":{i + 1}",
    "format": lambda i, n: "%s",
    "named": lambda i, n: f":{n}",
    "pyformat": lambda i, n: f"%({n})s",
}


def dialect_named(drivername: str) -> Dialect:
    """The dialect of an engine's ``url.drivername`` (``sqlite+aiosqlite``), set up as
    ``common.db.create_engine`` sets it up (its JSON serializer), to bind rows where there is no
    engine. Without a driver module loaded, binary values stay ``bytes`` (both drivers take them)."""
    dialect: Dialect = registry.load(drivername.replace("+", "."))(json_serializer=json_dumps)
    return dialect


class Binder:
    """A table's rows → tuples of the values SQLAlchemy would bind for ``columns``, in that order."""

    def __init__(self, dialect: Dialect, table: Table, columns: Sequence[str]) -> None:
        self.columns = tuple(columns)
        self._pairs: list[tuple[str, Callable[[Any], Any] | None]] = []
        for n in self.columns:
            kind = table.c[n].type
            proc: Callable[[Any], Any] | None = kind._cached_bind_processor(dialect)
            if proc is not None and isinstance(getattr(kind, "impl", kind), DateTime):
                proc = _same_as_last(proc)
            self._pairs.append((n, proc))

    def __call__(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(p(row[n]) if p is not None and row[n] is not None else row[n] for n, p in self._pairs)


def _same_as_last(proc: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A datetime column's processor that reuses its last result for the same object: a batch's
    rows share their ``now`` (SQLite's processor formats a string, several microseconds a call)."""
    last: list[Any] = [None, None]

    def process(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, proc(value)
        return last[1]

    return process


async def insert_bound(session: AsyncSession, table: Table, columns: Sequence[str], params: list[tuple[Any, ...]]) -> None:
    """Insert rows bound by a ``Binder`` for ``columns``: one executemany through the driver."""
    if not params:
        return
    conn = await session.connection()
    dialect = conn.dialect
    placeholder = _PLACEHOLDER[dialect.paramstyle]
    prep = dialect.identifier_preparer
    # Identifiers come from the table's metadata, quoted by the dialect; values are parameters.
    sql = (f"INSERT INTO {prep.format_table(table)} ({', '.join(prep.quote(n) for n in columns)}) "  # noqa: S608
           f"VALUES ({', '.join(placeholder(i, n) for i, n in enumerate(columns))})")
    if dialect.paramstyle in ("named", "pyformat"):
        await conn.exec_driver_sql(sql, [dict(zip(columns, p, strict=True)) for p in params])
    else:
        await conn.exec_driver_sql(sql, params)  # type: ignore[arg-type]


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) into ``table``: the same values SQLAlchemy would
    bind, through the driver's executemany."""
    if not rows:
        return
    conn = await session.connection()
    binder = Binder(conn.dialect, table, [c.name for c in table.columns if c.name in rows[0]])
    await insert_bound(session, table, binder.columns, [binder(r) for r in rows])
