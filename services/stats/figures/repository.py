"""SQL of the read side: counters per kind for a region, per region for a level, per month."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from stats.readmodel.metrics import COLUMNS
from stats.readmodel.tables import cells, monthly

Figures = dict[str, int]


def _upper(prefix: str) -> str:
    """The smallest string above every code starting with ``prefix`` (codes are digits)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _sums(table: Table) -> list[Any]:
    return [func.coalesce(func.sum(table.c[name]), 0).label(name) for name in COLUMNS]


def _where(stmt: Select[Any], table: Table, region: str | None, kind: str | None, as_of: str | None) -> Select[Any]:
    stmt = stmt.where(table.c.region == region) if region else stmt.where(table.c.level == "county")
    if kind:
        stmt = stmt.where(table.c.kind == kind)
    if as_of is not None:
        stmt = stmt.where(table.c.month <= as_of)
    return stmt


def _figures(row: Any) -> Figures:
    return {name: int(row[name]) for name in COLUMNS}


async def by_kind(session: AsyncSession, region: str | None, kind: str | None, as_of: str | None) -> dict[str, Figures]:
    """Counters of one region (None: the province, all counties) per subject kind, now or at a month end."""
    table = monthly if as_of is not None else cells
    stmt = _where(select(table.c.kind, *_sums(table)), table, region, kind, as_of).group_by(table.c.kind)
    return {row["kind"]: _figures(row) for row in (await session.execute(stmt)).mappings()}


async def by_region(session: AsyncSession, level: str, parent: str | None, kind: str | None,
                    as_of: str | None) -> dict[str, dict[str, Figures]]:
    """Counters of every region of ``level`` under ``parent``, per kind."""
    table = monthly if as_of is not None else cells
    stmt = select(table.c.region, table.c.kind, *_sums(table)).where(table.c.level == level)
    if parent:
        stmt = stmt.where(table.c.region >= parent, table.c.region < _upper(parent))
    if kind:
        stmt = stmt.where(table.c.kind == kind)
    if as_of is not None:
        stmt = stmt.where(table.c.month <= as_of)
    stmt = stmt.group_by(table.c.region, table.c.kind).order_by(table.c.region)
    out: dict[str, dict[str, Figures]] = {}
    for row in (await session.execute(stmt)).mappings():
        out.setdefault(row["region"], {})[row["kind"]] = _figures(row)
    return out


async def monthly_changes(session: AsyncSession, region: str | None, kind: str | None,
                          to: str) -> dict[str, dict[str, Figures]]:
    """The change of every counter per month (up to ``to``) and kind."""
    stmt = select(monthly.c.month, monthly.c.kind, *_sums(monthly))
    stmt = _where(stmt, monthly, region, kind, to).group_by(monthly.c.month, monthly.c.kind).order_by(monthly.c.month)
    out: dict[str, dict[str, Figures]] = {}
    for row in (await session.execute(stmt)).mappings():
        out.setdefault(row["month"], {})[row["kind"]] = _figures(row)
    return out
