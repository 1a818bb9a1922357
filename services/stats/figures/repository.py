"""SQL of the read side: counters per kind for a region, per region and kind for a level, per month.

Column lists are built once at import; a request only adds its filters.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Select, Table, bindparam, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from stats.readmodel.metrics import ALL_KINDS, COLUMNS
from stats.readmodel.tables import cells, meta, monthly, regions

Figures = dict[str, int]


def _upper(prefix: str) -> str:
    """The smallest string above every code starting with ``prefix`` (codes are digits)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _sums(table: Table) -> list[Any]:
    # SUM of a bigint is numeric on PostgreSQL: cast back so figures are ints on both databases.
    return [cast(func.coalesce(func.sum(table.c[name]), 0), BigInteger).label(name) for name in COLUMNS]


_SUMS = {cells.name: _sums(cells), monthly.name: _sums(monthly)}


def _filters(table: Table, region: bool, kind: bool, as_of: bool) -> list[Any]:
    where = [table.c.region == bindparam("region")] if region else [table.c.level == "county"]
    if kind:
        where.append(table.c.kind == bindparam("kind"))
    if as_of:
        where.append(table.c.month <= bindparam("as_of"))
    return where


# Statements are built once per shape and reused: building and keying a 30-column statement costs
# more than running it.
@cache
def _by_kind_stmt(table_name: str, region: bool, kind: bool) -> Select[Any]:
    table = monthly if table_name == monthly.name else cells
    where = _filters(table, region, kind, table is monthly)
    if table is cells and not kind:
        where.append(cells.c.kind != ALL_KINDS)
    return select(table.c.kind, *_SUMS[table.name]).where(*where).group_by(table.c.kind)


@cache
def _monthly_stmt(region: bool, kind: bool) -> Select[Any]:
    where = _filters(monthly, region, kind, True)
    return (select(monthly.c.month, monthly.c.kind, *_SUMS[monthly.name]).where(*where)
            .group_by(monthly.c.month, monthly.c.kind).order_by(monthly.c.month))


@cache
def _kinds_by_region_stmt(as_of: bool, parent: bool) -> Select[Any]:
    # Per region and kind: the table small-area suppression decides over (siblings and kinds at once).
    table = monthly if as_of else cells
    where = [table.c.level == bindparam("level")]
    if parent:
        where += [table.c.region >= bindparam("low"), table.c.region < bindparam("high")]
    if as_of:
        where.append(table.c.month <= bindparam("as_of"))
        return (select(table.c.region, table.c.kind, *_SUMS[table.name]).where(*where)
                .group_by(table.c.region, table.c.kind).order_by(table.c.region))
    where.append(cells.c.kind != ALL_KINDS)
    return select(cells.c.region, cells.c.kind, *(cells.c[name] for name in COLUMNS)).where(*where).order_by(cells.c.region)


@cache
def _monthly_by_region_stmt(parent: bool) -> Select[Any]:
    where = [monthly.c.level == bindparam("level"), monthly.c.month <= bindparam("as_of")]
    if parent:
        where += [monthly.c.region >= bindparam("low"), monthly.c.region < bindparam("high")]
    return (select(monthly.c.month, monthly.c.region, monthly.c.kind, *_SUMS[monthly.name]).where(*where)
            .group_by(monthly.c.month, monthly.c.region, monthly.c.kind).order_by(monthly.c.month))


def _params(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _figures(values: Any) -> Figures:
    return dict(zip(COLUMNS, values, strict=True))


async def by_kind(session: AsyncSession, region: str | None, kind: str | None, as_of: str | None) -> dict[str, Figures]:
    """Counters of one region (None: the province, all counties) per subject kind, now or at a month end."""
    table = monthly if as_of is not None else cells
    stmt = _by_kind_stmt(table.name, region is not None, kind is not None)
    result = await session.execute(stmt, _params(region=region, kind=kind, as_of=as_of))
    return {row[0]: _figures(row[1:]) for row in result.tuples()}


async def monthly_changes(session: AsyncSession, region: str | None, kind: str | None,
                          to: str) -> dict[str, dict[str, Figures]]:
    """The change of every counter per month (up to ``to``) and kind."""
    result = await session.execute(_monthly_stmt(region is not None, kind is not None),
                                   _params(region=region, kind=kind, as_of=to))
    out: dict[str, dict[str, Figures]] = {}
    for row in result.tuples():
        out.setdefault(row[0], {})[row[1]] = _figures(row[2:])
    return out


_GENERATION = select(meta.c.value).where(meta.c.key == "generation")


async def generation(session: AsyncSession) -> int:
    return int((await session.execute(_GENERATION)).scalar_one_or_none() or 0)


async def kinds_by_region(session: AsyncSession, level: str, parent: str | None,
                          as_of: str | None) -> dict[str, dict[str, Figures]]:
    """Every region of ``level`` under ``parent`` (None: all), its counters per subject kind, now or at a month end."""
    params = _params(level=level, as_of=as_of, low=parent, high=_upper(parent) if parent else None)
    out: dict[str, dict[str, Figures]] = {}
    for row in (await session.execute(_kinds_by_region_stmt(as_of is not None, parent is not None), params)).tuples():
        out.setdefault(row[0], {})[row[1]] = _figures(row[2:])
    return out


async def monthly_by_region(session: AsyncSession, level: str, parent: str | None,
                            to: str) -> dict[str, dict[str, dict[str, Figures]]]:
    """The change of every counter per month (up to ``to``), region of ``level`` under ``parent`` and kind."""
    params = _params(level=level, as_of=to, low=parent, high=_upper(parent) if parent else None)
    out: dict[str, dict[str, dict[str, Figures]]] = {}
    for row in (await session.execute(_monthly_by_region_stmt(parent is not None), params)).tuples():
        out.setdefault(row[0], {}).setdefault(row[1], {})[row[2]] = _figures(row[3:])
    return out


async def names(session: AsyncSession, codes: Iterable[str | None]) -> dict[str, str]:
    """The names of these regions (from the registry's ``region-changed``); a region stats has not
    heard of is left out."""
    wanted = sorted({c for c in codes if c})
    out: dict[str, str] = {}
    for i in range(0, len(wanted), 500):
        q = select(regions.c.code, regions.c.name).where(regions.c.code.in_(wanted[i:i + 500]))
        out.update((await session.execute(q)).tuples().all())
    return out
