"""SQL for the disclosure log."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from lending.credit_lines.models import CreditLine
from lending.disclosures.models import Disclosure
from lending.subjects.models import SubjectFacts

_FACTS = cast(Table, SubjectFacts.__table__)
_LINES = cast(Table, CreditLine.__table__)
_facts, _lines = _FACTS.c, _LINES.c
_ONE = select(literal_column("1").label("one")).subquery()


async def consent_and_line(session: AsyncSession, subject_id: str) -> Row[Any]:
    """What a bank's look-up shows of a subject, in one statement: its consent to lending as the
    registry last told it (None if not yet told) and its line's grade, status and kind (None if it
    has no line)."""
    q = (select(_facts.consent_lending, _lines.grade, _lines.status, _lines.kind)
         .select_from(_ONE.outerjoin(_FACTS, _facts.subject_id == subject_id)
                      .outerjoin(_LINES, _lines.subject_id == subject_id)))
    return (await session.execute(q)).one()


async def add_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(Disclosure), rows)


async def for_subject(session: AsyncSession, subject_id: str, limit: int) -> Sequence[Disclosure]:
    q = select(Disclosure).where(Disclosure.subject_id == subject_id).order_by(Disclosure.id.desc()).limit(limit)
    return (await session.execute(q)).scalars().all()


async def for_bank(session: AsyncSession, bank_id: str, limit: int) -> Sequence[Disclosure]:
    q = select(Disclosure).where(Disclosure.bank_id == bank_id).order_by(Disclosure.id.desc()).limit(limit)
    return (await session.execute(q)).scalars().all()
