"""Small SQL helpers that read the same on SQLite and PostgreSQL."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Table, bindparam
from sqlalchemy.engine import Dialect
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


def json_value(raw: Any) -> Any:
    """A JSON column read as text (``type_coerce(col, Text)``), decoded with orjson: SQLite hands
    back the text, asyncpg may have decoded it already."""
    if raw is None or not isinstance(raw, str | bytes):
        return raw
    return orjson.loads(raw)


def is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


# Bulk writes of a round's chunk (thousands of rows): compiled once per dialect to driver SQL and
# run as one executemany of plain tuples. SQLAlchemy's per-row parameter machinery costs several
# times what the database spends on the row; here each value still goes through its column's own
# bind processor (the same value SQLAlchemy would bind, None included), but without a dictionary
# per row, and once per chunk for a value every row shares (the round's clock, its status).
_Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Bulk:
    sql: str
    columns: tuple[str, ...]            # the row key of each positional parameter
    processors: tuple[_Processor, ...]


_COMPILED: dict[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], _Bulk] = {}


def _compile(dialect: Dialect, table: Table, columns: tuple[str, ...], key: tuple[str, ...]) -> _Bulk:
    """INSERT of ``columns`` (no ``key``), or UPDATE of the other columns WHERE the ``key`` columns match."""
    cache_key = (dialect.name, table.name, "update" if key else "insert", columns, key)
    found = _COMPILED.get(cache_key)
    if found is None:
        if key:
            # Bind names in UPDATE ... SET must differ from the column names.
            binds = {f"set_{c}": c for c in columns if c not in key} | {f"key_{c}": c for c in key}
            stmt: Any = table.update().where(*(table.c[k] == bindparam(f"key_{k}") for k in key)).values(
                {c: bindparam(b) for b, c in binds.items() if b.startswith("set_")})
            compiled = stmt.compile(dialect=dialect)
        else:
            binds = {c: c for c in columns}
            compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
        order = tuple(compiled.positiontup or ())
        if sorted(order) != sorted(binds):  # a driver with named parameters: not for this path
            raise RuntimeError(f"bulk write to {table.name} needs a positional paramstyle, not {dialect.paramstyle}")
        names = tuple(binds[b] for b in order)
        procs = tuple(table.c[n].type._cached_bind_processor(dialect) for n in names)
        found = _COMPILED[cache_key] = _Bulk(str(compiled), names, procs)
    return found


def _params(bulk: _Bulk, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    columns: list[list[Any]] = []
    for name, proc in zip(bulk.columns, bulk.processors, strict=True):
        values = [r[name] for r in rows]
        if proc is not None:
            last: Any = _UNSET
            bound: Any = None
            out = []
            for v in values:
                if v is not last:
                    last, bound = v, proc(v)
                out.append(bound)
            values = out
        columns.append(values)
    return list(zip(*columns, strict=True))


_UNSET = object()


async def _run(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]], key: Sequence[str]) -> None:
    if not rows:
        return
    conn = await session.connection()
    bulk = _compile(conn.dialect, table, tuple(rows[0]), tuple(key))
    await conn.exec_driver_sql(bulk.sql, _params(bulk, rows))  # type: ignore[arg-type]


async def bulk_insert(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """One executemany INSERT of ``rows`` (each with the same keys in the same order)."""
    await _run(session, table, rows, ())


async def bulk_update(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]],
                      key: Sequence[str]) -> None:
    """One executemany UPDATE: each row sets its other columns on the row with its ``key`` values."""
    await _run(session, table, rows, key)
