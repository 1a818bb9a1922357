"""SQL for redemptions: record, reverse once, list, and count by offer and period."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, case, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from merchant.redemptions.models import RECORDED, REVERSED
from merchant.redemptions.models import redemptions as r


async def add(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await session.execute(insert(r), rows)


async def receipt_of(session: AsyncSession, redemption_id: str, merchant_id: str | None) -> list[Row[Any]]:
    """Every line of the purchase that ``redemption_id`` (a line or the receipt) belongs to,
    if it is this merchant's (any merchant's for the county)."""
    found = select(r.c.receipt_id).where(or_(r.c.id == redemption_id, r.c.receipt_id == redemption_id))
    if merchant_id is not None:
        found = found.where(r.c.merchant_id == merchant_id)
    receipt = found.limit(1).scalar_subquery()
    return list((await session.execute(select(r).where(r.c.receipt_id == receipt).order_by(r.c.id))).all())


async def reverse(session: AsyncSession, receipt_id: str, at: datetime) -> int:
    """Mark the purchase reversed if it was not already; the row count says how many changed."""
    result = await session.execute(update(r).where(r.c.receipt_id == receipt_id, r.c.status == RECORDED)
                                   .values(status=REVERSED, reversed_at=at))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def list_(session: AsyncSession, *, merchant_id: str | None, day_from: str | None, day_to: str | None,
                limit: int, region_prefix: str | None = None) -> list[Row[Any]]:
    stmt = select(r).order_by(r.c.redeemed_at.desc(), r.c.id).limit(limit)
    if merchant_id:
        stmt = stmt.where(r.c.merchant_id == merchant_id)
    if day_from:
        stmt = stmt.where(r.c.day >= day_from)
    if day_to:
        stmt = stmt.where(r.c.day <= day_to)
    if region_prefix:
        stmt = stmt.where(r.c.region_code.startswith(region_prefix, autoescape=True))
    return list((await session.execute(stmt)).all())


async def statistics(session: AsyncSession, *, merchant_id: str | None, day_from: str | None, day_to: str | None,
                     period: str, region_prefix: str | None = None) -> list[Row[Any]]:
    """Redemptions and discounts by merchant, offer and period (day or month of the county's calendar)."""
    period_col = (r.c.day if period == "day" else func.substr(r.c.day, 1, 7)).label("period")
    recorded = r.c.status == RECORDED
    stmt = (select(r.c.merchant_id, r.c.offer_id, period_col,
                   func.sum(case((recorded, 1), else_=0)).label("redemptions"),
                   func.sum(case((recorded, r.c.discount_fen), else_=0)).label("discount_fen"),
                   func.sum(case((recorded, r.c.bill_fen), else_=0)).label("bill_fen"),
                   func.sum(case((recorded, 0), else_=1)).label("reversed"))
            .group_by(r.c.merchant_id, r.c.offer_id, period_col)
            .order_by(period_col, r.c.merchant_id, r.c.offer_id))
    if merchant_id:
        stmt = stmt.where(r.c.merchant_id == merchant_id)
    if day_from:
        stmt = stmt.where(r.c.day >= day_from)
    if day_to:
        stmt = stmt.where(r.c.day <= day_to)
    if region_prefix:
        stmt = stmt.where(r.c.region_code.startswith(region_prefix, autoescape=True))
    return list((await session.execute(stmt)).all())
