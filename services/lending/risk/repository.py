"""SQL for risk programmes, defaults and the risk-compensation fund ledger."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lending.risk.models import FundAccount, FundEntry, LoanDefault, RiskProgramme

FUND_ID = 1


async def get_programme(session: AsyncSession, code: str) -> RiskProgramme | None:
    return await session.get(RiskProgramme, code)


async def default_programme(session: AsyncSession) -> RiskProgramme | None:
    q = select(RiskProgramme).where(RiskProgramme.is_default.is_(True)).order_by(RiskProgramme.code).limit(1)
    return (await session.execute(q)).scalar_one_or_none()


async def list_programmes(session: AsyncSession) -> Sequence[RiskProgramme]:
    return (await session.execute(select(RiskProgramme).order_by(RiskProgramme.code))).scalars().all()


async def add_programme(session: AsyncSession, values: dict[str, Any]) -> None:
    if values.get("is_default"):
        await session.execute(update(RiskProgramme).values(is_default=False))
    await session.execute(insert(RiskProgramme).values(**values))


async def add_default(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(LoanDefault).values(**values))


async def get_default(session: AsyncSession, loan_id: str) -> LoanDefault | None:
    return await session.get(LoanDefault, loan_id)


async def fund_for_update(session: AsyncSession) -> FundAccount:
    """The fund row, locked until the transaction ends (SQLite writers are serialised anyway)."""
    q = select(FundAccount).where(FundAccount.id == FUND_ID).with_for_update()
    return (await session.execute(q)).scalar_one()


async def fund(session: AsyncSession) -> FundAccount:
    return (await session.execute(select(FundAccount).where(FundAccount.id == FUND_ID))).scalar_one()


async def move_fund(session: AsyncSession, delta_fen: int, entry: dict[str, Any]) -> int:
    """Change the balance by ``delta_fen`` and write the ledger entry; returns the new balance."""
    account = await fund_for_update(session)
    balance = account.balance_fen + delta_fen
    await session.execute(update(FundAccount).where(FundAccount.id == FUND_ID)
                          .values(balance_fen=balance, updated_at=entry["created_at"]))
    await session.execute(insert(FundEntry).values(balance_after_fen=balance, **entry))
    return balance


async def fund_entries(session: AsyncSession, limit: int) -> Sequence[FundEntry]:
    q = select(FundEntry).order_by(FundEntry.id.desc()).limit(limit)
    return (await session.execute(q)).scalars().all()
