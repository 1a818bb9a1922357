"""SQL for credit lines. The draw is one conditional UPDATE: the database decides, under the row
lock, whether the amount still fits; two concurrent draws can never both pass the line."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from lending.credit_lines.models import ACTIVE, CreditLine, CreditLineChange


async def get(session: AsyncSession, subject_id: str) -> CreditLine | None:
    return (await session.execute(select(CreditLine).where(CreditLine.subject_id == subject_id))).scalar_one_or_none()


async def insert_line(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(CreditLine).values(**values))


async def update_terms(session: AsyncSession, subject_id: str, values: dict[str, Any]) -> None:
    """Grade-driven columns only: ``drawn_fen`` belongs to draws and repayments."""
    assert "drawn_fen" not in values
    await session.execute(update(CreditLine).where(CreditLine.subject_id == subject_id).values(**values))


async def add_history(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(CreditLineChange).values(**values))


async def history(session: AsyncSession, subject_id: str) -> Sequence[CreditLineChange]:
    q = select(CreditLineChange).where(CreditLineChange.subject_id == subject_id).order_by(CreditLineChange.version)
    return (await session.execute(q)).scalars().all()


_table = cast(Table, CreditLine.__table__)
_lines = _table.c
# Built once: the draw is the hot statement. It takes the amount only if the line is active, in
# term and the amount still fits, and returns what the loan needs to know about the line.
DRAW = (update(_table)
        .where(_lines.subject_id == bindparam("subject"), _lines.status == ACTIVE,
               or_(_lines.valid_until.is_(None), _lines.valid_until >= bindparam("today")),
               _lines.drawn_fen + bindparam("amount") <= _lines.line_fen)
        .values(drawn_fen=_lines.drawn_fen + bindparam("amount"))
        .returning(_lines.kind, _lines.grade, _lines.industry, _lines.max_markup, _lines.region_county,
                   _lines.region_town, _lines.region_village, _lines.region_group))


async def draw(session: AsyncSession, subject_id: str, amount_fen: int, today: date) -> Row[Any] | None:
    """Take ``amount_fen`` from the line in one conditional UPDATE; the line's terms if taken, else None."""
    result = await session.execute(DRAW, {"subject": subject_id, "today": today, "amount": amount_fen})
    return result.first()


async def release(session: AsyncSession, subject_id: str, amount_fen: int) -> None:
    """A repayment frees the line again (revolving)."""
    stmt = (update(CreditLine).where(CreditLine.subject_id == subject_id)
            .values(drawn_fen=CreditLine.drawn_fen - amount_fen).execution_options(synchronize_session=False))
    await session.execute(stmt)


async def in_village(session: AsyncSession, village: str, after: str | None, limit: int) -> Sequence[CreditLine]:
    q = select(CreditLine).where(CreditLine.region_village == village)
    if after:
        q = q.where(CreditLine.subject_id > after)
    return (await session.execute(q.order_by(CreditLine.subject_id).limit(limit))).scalars().all()
