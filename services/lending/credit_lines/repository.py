"""SQL for credit lines. The draw is one conditional UPDATE: the database decides, under the row
lock, whether the amount still fits; two concurrent draws can never both pass the line."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from common.bulk import insert_rows
from common.db import Database
from lending.credit_lines.models import ACTIVE, DEFAULT_HOLD, FROZEN, CreditLine, CreditLineChange

_table = cast(Table, CreditLine.__table__)
_lines = _table.c

async def get(session: AsyncSession, subject_id: str, *, for_update: bool = False) -> CreditLine | None:
    """The line; ``for_update`` locks it (PostgreSQL) so a concurrent draw cannot take the same version."""
    q = select(CreditLine).where(CreditLine.subject_id == subject_id).execution_options(populate_existing=True)
    if for_update:
        q = q.with_for_update()
    return (await session.execute(q)).scalar_one_or_none()


# The banks' hot read as one keyed statement (common.db.KeyedReads): through an ORM session a keyed
# SELECT on SQLite costs eight hops to aiosqlite's thread (BEGIN, cursor, execute, fetch, close,
# ROLLBACK). No transaction is needed around one keyed SELECT.
_READ_COLUMNS = ("subject_id, kind, region_county, region_town, region_village, region_group, grade, status, "
                 "line_fen, drawn_fen, max_markup, policy_version, valid_until, version, consent_lending, freeze_reason")
_READ_SQLITE = f"SELECT {_READ_COLUMNS} FROM credit_lines WHERE subject_id = ?"  # noqa: S608 (constant)
_READ_PG = f"SELECT {_READ_COLUMNS} FROM credit_lines WHERE subject_id = $1"  # noqa: S608 (constant)


@dataclass(frozen=True, slots=True)
class LineRow:
    subject_id: str
    kind: str
    region_county: str | None
    region_town: str | None
    region_village: str | None
    region_group: str | None
    grade: str | None
    status: str
    line_fen: int
    drawn_fen: int
    max_markup: Decimal
    policy_version: int | None
    valid_until: date | None
    version: int
    consent_lending: bool | None
    freeze_reason: str | None


async def read_line(db: Database, subject_id: str) -> LineRow | None:
    """One line for the read path: one keyed read, without an ORM session or a transaction."""
    row = await db.keyed.one(_READ_SQLITE, _READ_PG, (subject_id,))
    if row is None:
        return None
    values = list(row)
    values[10] = Decimal(str(values[10]))  # SQLite keeps NUMERIC as REAL
    if isinstance(values[12], str):
        values[12] = date.fromisoformat(values[12])
    if values[14] is not None:
        values[14] = bool(values[14])  # SQLite keeps BOOLEAN as 0/1
    return LineRow(*values)


async def get_many(session: AsyncSession, subject_ids: Sequence[str], *,
                   for_update: bool = False) -> dict[str, Row[Any]]:
    """The lines of many subjects by id, one statement; ``for_update`` locks them in id order (a
    fixed order, so two batches never wait on each other in a cycle)."""
    q = select(_table).where(_lines.subject_id.in_(sorted(subject_ids))).order_by(_lines.subject_id)
    if for_update:
        q = q.with_for_update()
    return {row.subject_id: row for row in (await session.execute(q))}


async def insert_line(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(CreditLine).values(**values))


async def insert_lines(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await insert_rows(session, _table, rows)


# One statement for many lines' grade-driven columns (executemany); the key is bound apart from
# the SET columns, which come from each row's keys.
_UPDATE_BY_ID = update(_table).where(_lines.subject_id == bindparam("line_subject_id"))


async def update_lines(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Grade-driven columns of many lines; each row has ``subject_id`` and the same column keys."""
    if not rows:
        return
    assert all("drawn_fen" not in r for r in rows)
    params = [{"line_subject_id": r["subject_id"], **{k: v for k, v in r.items() if k != "subject_id"}} for r in rows]
    await session.execute(_UPDATE_BY_ID, params)


async def update_terms(session: AsyncSession, subject_id: str, values: dict[str, Any]) -> None:
    """Grade-driven columns only: ``drawn_fen`` belongs to draws and repayments."""
    assert "drawn_fen" not in values
    await session.execute(update(CreditLine).where(CreditLine.subject_id == subject_id).values(**values))


async def add_histories(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await insert_rows(session, cast(Table, CreditLineChange.__table__), rows)


async def history(session: AsyncSession, subject_id: str, after: int = 0,
                  limit: int | None = None) -> Sequence[CreditLineChange]:
    q = (select(CreditLineChange).where(CreditLineChange.subject_id == subject_id, CreditLineChange.version > after)
         .order_by(CreditLineChange.version).limit(limit))
    return (await session.execute(q)).scalars().all()


# What credit-line-changed tells of a line, read back by the same UPDATE that moved it.
_STATE = (_lines.subject_id, _lines.kind, _lines.grade, _lines.status, _lines.line_fen, _lines.drawn_fen,
          _lines.max_markup, _lines.valid_until, _lines.version, _lines.region_county, _lines.region_town,
          _lines.region_village, _lines.region_group, _lines.policy_version, _lines.freeze_reason)

# Built once: the draw is the hot statement. It takes the amount only if the line is active, in
# term and the amount still fits, and returns what the loan needs to know about the line.
DRAW = (update(_table)
        .where(_lines.subject_id == bindparam("subject"), _lines.status == ACTIVE,
               or_(_lines.valid_until.is_(None), _lines.valid_until >= bindparam("today")),
               _lines.drawn_fen + bindparam("amount") <= _lines.line_fen)
        .values(drawn_fen=_lines.drawn_fen + bindparam("amount"), version=_lines.version + 1)
        .returning(*_STATE, _lines.industry, _lines.consent_lending))


async def draw(session: AsyncSession, subject_id: str, amount_fen: int, today: date) -> Row[Any] | None:
    """Take ``amount_fen`` from the line in one conditional UPDATE; the line's terms if taken, else None."""
    result = await session.execute(DRAW, {"subject": subject_id, "today": today, "amount": amount_fen})
    return result.first()


async def release(session: AsyncSession, subject_id: str, amount_fen: int) -> Row[Any] | None:
    """A repayment frees the line again (revolving); returns the line's new state."""
    stmt = (update(_table).where(_lines.subject_id == subject_id)
            .values(drawn_fen=_lines.drawn_fen - amount_fen, version=_lines.version + 1).returning(*_STATE))
    return (await session.execute(stmt)).first()


async def release_and_hold(session: AsyncSession, subject_id: str, amount_fen: int, at: datetime) -> Row[Any] | None:
    """A default: free the loan's balance and, in the same statement, freeze the line (whatever its
    grade) until a rating made after ``at``. Lines without a grade-driven status (none, closed) only
    release. Returns the line's new state with its rating version."""
    holdable = _lines.status.in_((ACTIVE, FROZEN))
    stmt = (update(_table).where(_lines.subject_id == subject_id)
            .values(drawn_fen=_lines.drawn_fen - amount_fen, version=_lines.version + 1,
                    status=case((holdable, FROZEN), else_=_lines.status),
                    freeze_reason=case((holdable, DEFAULT_HOLD), else_=_lines.freeze_reason),
                    frozen_at=case((holdable, at), else_=_lines.frozen_at))
            .returning(*_STATE, _lines.rating_version))
    return (await session.execute(stmt)).first()


async def lines_after(session: AsyncSession, after: str | None, limit: int,
                      for_update: bool = False) -> Sequence[CreditLine]:
    """The next chunk of lines by subject id (keyset paging: bounded memory over any county)."""
    q = select(CreditLine).order_by(CreditLine.subject_id).limit(limit)
    if after is not None:
        q = q.where(CreditLine.subject_id > after)
    if for_update:
        q = q.with_for_update()
    return (await session.execute(q.execution_options(populate_existing=True))).scalars().all()


async def count_lines(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(_table))).scalar_one())


async def in_village(session: AsyncSession, village: str, after: str | None, limit: int,
                     consented_only: bool = False) -> Sequence[CreditLine]:
    q = select(CreditLine).where(CreditLine.region_village == village)
    if consented_only:  # a bank sees only subjects that consented to lending use (unknown: not consented)
        q = q.where(CreditLine.consent_lending.is_(True))
    if after:
        q = q.where(CreditLine.subject_id > after)
    return (await session.execute(q.order_by(CreditLine.subject_id).limit(limit))).scalars().all()
