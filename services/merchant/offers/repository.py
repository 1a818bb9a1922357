"""SQL for offers, where they apply, and their budgets. Budgets and limits move only through
conditional UPDATEs, so concurrent redemptions cannot overspend (no read-then-write)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import insert_for
from merchant.offers.models import offer_daily_usage, offer_household_usage, offer_outlets, offers
from merchant.upsert import insert_ignore


async def add(session: AsyncSession, values: dict[str, Any], outlet: str | None) -> None:
    await session.execute(insert(offers).values(**values))
    if outlet:
        await add_outlet(session, outlet, values["id"])


async def add_outlet(session: AsyncSession, merchant_id: str, offer_id: str) -> None:
    await insert_ignore(session, offer_outlets, {"merchant_id": merchant_id, "offer_id": offer_id},
                        ["merchant_id", "offer_id"])


async def get(session: AsyncSession, offer_id: str) -> Row[Any] | None:
    return (await session.execute(select(offers).where(offers.c.id == offer_id))).one_or_none()


async def for_merchant(session: AsyncSession, merchant_id: str, offset: int = 0,
                       limit: int | None = None) -> list[Row[Any]]:
    stmt = (select(offers).join(offer_outlets, offer_outlets.c.offer_id == offers.c.id)
            .where(offer_outlets.c.merchant_id == merchant_id).order_by(offers.c.created_at, offers.c.id)
            .offset(offset).limit(limit))
    return list((await session.execute(stmt)).all())


async def usable_at(session: AsyncSession, merchant_id: str, offer_ids: list[str]) -> list[Row[Any]]:
    stmt = (select(offers).join(offer_outlets, offer_outlets.c.offer_id == offers.c.id)
            .where(offer_outlets.c.merchant_id == merchant_id, offers.c.id.in_(offer_ids)))
    return list((await session.execute(stmt)).all())


async def set_status(session: AsyncSession, offer_id: str, status: str) -> None:
    await session.execute(update(offers).where(offers.c.id == offer_id).values(status=status))


async def spend_total(session: AsyncSession, offer_id: str, fen: int) -> bool:
    """Take ``fen`` from the total budget if it is there (one conditional UPDATE)."""
    result = await session.execute(
        update(offers).where(offers.c.id == offer_id,
                             or_(offers.c.budget_total_fen.is_(None), offers.c.spent_fen + fen <= offers.c.budget_total_fen))
        .values(spent_fen=offers.c.spent_fen + fen))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def spend_daily(session: AsyncSession, offer_id: str, day: str, fen: int, limit_fen: int | None) -> bool:
    """Take ``fen`` from the day's budget if it is there: the day's first use inserts its row, a later
    one updates it only while the sum stays within ``limit_fen`` (one conditional upsert; the row
    it conflicts with is locked and read afresh, so two redemptions cannot both take the last fen)."""
    if limit_fen is not None and fen > limit_fen:
        return False
    stmt = insert_for(session.get_bind().dialect.name, offer_daily_usage).values(
        offer_id=offer_id, day=day, spent_fen=fen, uses=1)
    usage = offer_daily_usage.c
    result = await session.execute(stmt.on_conflict_do_update(
        index_elements=[usage.offer_id, usage.day],
        set_={"spent_fen": usage.spent_fen + fen, "uses": usage.uses + 1},
        where=None if limit_fen is None else usage.spent_fen + fen <= limit_fen))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def use_for_household(session: AsyncSession, offer_id: str, subject_id: str, limit: int | None) -> bool:
    """Count one use of the offer by the household if it has uses left (one conditional upsert)."""
    if limit is not None and limit < 1:
        return False
    stmt = insert_for(session.get_bind().dialect.name, offer_household_usage).values(
        offer_id=offer_id, subject_id=subject_id, uses=1)
    usage = offer_household_usage.c
    result = await session.execute(stmt.on_conflict_do_update(
        index_elements=[usage.offer_id, usage.subject_id], set_={"uses": usage.uses + 1},
        where=None if limit is None else usage.uses < limit))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def give_back(session: AsyncSession, offer_id: str, subject_id: str, day: str, fen: int) -> None:
    """A refund returns the budget, the day's budget and the household's use."""
    await session.execute(update(offers).where(offers.c.id == offer_id).values(spent_fen=offers.c.spent_fen - fen))
    await session.execute(update(offer_daily_usage)
                          .where(offer_daily_usage.c.offer_id == offer_id, offer_daily_usage.c.day == day)
                          .values(spent_fen=offer_daily_usage.c.spent_fen - fen, uses=offer_daily_usage.c.uses - 1))
    await session.execute(update(offer_household_usage)
                          .where(offer_household_usage.c.offer_id == offer_id,
                                 offer_household_usage.c.subject_id == subject_id)
                          .values(uses=offer_household_usage.c.uses - 1))
