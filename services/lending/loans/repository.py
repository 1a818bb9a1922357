"""SQL for loans and repayments. A bank's queries always carry its bank id."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from lending.loans.models import ACTIVE, DEFAULTED, Loan, Repayment
from lending.risk.models import LoanDefault

_ADD_LOAN = insert(cast(Table, Loan.__table__))


async def add_loan(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(_ADD_LOAN, values)


async def get_loan(session: AsyncSession, loan_id: str, bank_id: str | None) -> Loan | None:
    q = select(Loan).where(Loan.id == loan_id)
    if bank_id is not None:
        q = q.where(Loan.bank_id == bank_id)
    return (await session.execute(q)).scalar_one_or_none()


async def reduce_outstanding(session: AsyncSession, loan_id: str, amount_fen: int, closed_at: datetime) -> bool:
    """Repay ``amount_fen`` if the loan is active and owes at least that much (one conditional UPDATE,
    so two concurrent repayments cannot take it below zero). True if applied."""
    stmt = (update(Loan).where(Loan.id == loan_id, Loan.status == ACTIVE, Loan.outstanding_fen >= amount_fen)
            .values(outstanding_fen=Loan.outstanding_fen - amount_fen).execution_options(synchronize_session=False))
    result: CursorResult[Any] = await session.execute(stmt)  # type: ignore[assignment]
    if result.rowcount != 1:
        return False
    await session.execute(update(Loan).where(Loan.id == loan_id, Loan.outstanding_fen == 0)
                          .values(status="repaid", closed_at=closed_at).execution_options(synchronize_session=False))
    return True


async def reduce_defaulted(session: AsyncSession, loan_id: str, amount_fen: int) -> bool:
    """A recovery on a defaulted loan: one conditional UPDATE, never below zero. True if applied."""
    stmt = (update(Loan).where(Loan.id == loan_id, Loan.status == DEFAULTED, Loan.outstanding_fen >= amount_fen)
            .values(outstanding_fen=Loan.outstanding_fen - amount_fen).execution_options(synchronize_session=False))
    result: CursorResult[Any] = await session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount == 1


async def mark_defaulted(session: AsyncSession, loan_id: str, at: datetime) -> int | None:
    """Close an active loan as defaulted; what it still owed at that moment (None if not active).
    Read in the same statement, so a repayment that commits just before is counted exactly."""
    stmt = (update(Loan).where(Loan.id == loan_id, Loan.status == ACTIVE)
            .values(status="defaulted", closed_at=at).returning(Loan.outstanding_fen)
            .execution_options(synchronize_session=False))
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_repayment(session: AsyncSession, values: dict[str, Any]) -> int:
    result = await session.execute(insert(Repayment).values(**values).returning(Repayment.id))
    return int(result.scalar_one())


async def list_loans(session: AsyncSession, bank_id: str | None, subject_id: str | None, status: str | None,
                     after: str | None, limit: int) -> Sequence[Loan]:
    q = select(Loan)
    if bank_id is not None:
        q = q.where(Loan.bank_id == bank_id)
    if subject_id:
        q = q.where(Loan.subject_id == subject_id)
    if status:
        q = q.where(Loan.status == status)
    if after:
        q = q.where(Loan.id > after)
    return (await session.execute(q.order_by(Loan.id).limit(limit))).scalars().all()


async def loans_drawn_between(session: AsyncSession, bank_id: str, start: datetime, end: datetime) -> Sequence[Loan]:
    q = (select(Loan).where(Loan.bank_id == bank_id, Loan.drawn_at >= start, Loan.drawn_at < end)
         .order_by(Loan.drawn_at, Loan.id))
    return (await session.execute(q)).scalars().all()


async def repayments_between(session: AsyncSession, bank_id: str, start: datetime, end: datetime) -> Sequence[Any]:
    q = (select(Repayment, Loan.subject_id).join(Loan, Loan.id == Repayment.loan_id)
         .where(Repayment.bank_id == bank_id, Repayment.repaid_at >= start, Repayment.repaid_at < end)
         .order_by(Repayment.repaid_at, Repayment.id))
    return (await session.execute(q)).all()


async def defaults_between(session: AsyncSession, bank_id: str, start: datetime, end: datetime) -> Sequence[Any]:
    q = (select(LoanDefault, Loan.subject_id).join(Loan, Loan.id == LoanDefault.loan_id)
         .where(LoanDefault.bank_id == bank_id, LoanDefault.defaulted_at >= start, LoanDefault.defaulted_at < end)
         .order_by(LoanDefault.defaulted_at, LoanDefault.loan_id))
    return (await session.execute(q)).all()


async def loans_by_ids(session: AsyncSession, bank_id: str, ids: Sequence[str]) -> Sequence[Loan]:
    """The bank's loans among ``ids`` (for comparing a bank's own list; chunked for the drivers' limits)."""
    found: list[Loan] = []
    for i in range(0, len(ids), 500):
        q = select(Loan).where(Loan.bank_id == bank_id, Loan.id.in_(ids[i:i + 500]))
        found.extend((await session.execute(q)).scalars().all())
    return found
