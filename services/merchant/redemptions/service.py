"""Redemptions and their statistics: a merchant sees only its own; the county sees all (officers
their region's households)."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role, forbidden
from common.errors import not_found
from common.i18n import Text
from common.money import fen_str
from merchant.merchants.service import visible_merchant
from merchant.redemptions import repository
from merchant.redemptions.schemas import RedemptionOut, StatisticsItemOut, StatisticsOut, StatisticsTotalOut


def redemption_out(row: Any) -> RedemptionOut:
    return RedemptionOut(
        redemption_id=row.id, receipt_id=row.receipt_id, merchant_id=row.merchant_id, offer_id=row.offer_id,
        programme_id=row.programme_id, subject_id=row.subject_id, bill_amount=fen_str(row.bill_fen),
        discount=fen_str(row.discount_fen), quantity=row.quantity, status=row.status, day=row.day,
        redeemed_at=row.redeemed_at.isoformat(), reversed_at=row.reversed_at.isoformat() if row.reversed_at else None)


def statistics_out(rows: list[Any]) -> StatisticsOut:
    items = [StatisticsItemOut(merchant_id=s.merchant_id, offer_id=s.offer_id, period=s.period,
                               redemptions=int(s.redemptions or 0), discount=fen_str(int(s.discount_fen or 0)),
                               bill_amount=fen_str(int(s.bill_fen or 0)), reversed=int(s.reversed or 0)) for s in rows]
    return StatisticsOut(items=items, total=StatisticsTotalOut(
        redemptions=sum(i.redemptions for i in items), discount=fen_str(sum(int(s.discount_fen or 0) for s in rows))))


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


async def of_merchant(session: AsyncSession, merchant_id: str, principal: Principal, day_from: date | None,
                      day_to: date | None, limit: int) -> list[RedemptionOut]:
    await visible_merchant(session, merchant_id, principal)
    rows = await repository.list_(session, merchant_id=merchant_id, day_from=day(day_from), day_to=day(day_to),
                                  limit=limit)
    return [redemption_out(r) for r in rows]


async def own(session: AsyncSession, merchant_id: str, limit: int) -> list[RedemptionOut]:
    """A POS's merchant's own redemptions, newest first."""
    rows = await repository.list_(session, merchant_id=merchant_id, day_from=None, day_to=None, limit=limit)
    return [redemption_out(r) for r in rows]


async def receipt(session: AsyncSession, redemption_id: str, principal: Principal) -> list[RedemptionOut]:
    """A purchase's redemptions; another merchant's are simply not found."""
    if principal.role == Role.officer:
        raise forbidden(Text("officers see redemptions through statistics", "工作人员请通过统计数据查看核销情况"))
    merchant_id = principal.merchant_id if principal.role == Role.merchant else None
    rows = await repository.receipt_of(session, redemption_id, merchant_id)
    if not rows:
        raise not_found(Text("redemption", "核销记录"), redemption_id)
    return [redemption_out(r) for r in rows]


async def merchant_statistics(session: AsyncSession, merchant_id: str, principal: Principal, day_from: date | None,
                              day_to: date | None, period: str) -> StatisticsOut:
    await visible_merchant(session, merchant_id, principal)
    rows = await repository.statistics(session, merchant_id=merchant_id, day_from=day(day_from), day_to=day(day_to),
                                       period=period)
    return statistics_out(rows)


async def county_statistics(session: AsyncSession, principal: Principal, day_from: date | None, day_to: date | None,
                            period: str, merchant_id: str | None) -> StatisticsOut:
    region = principal.region if principal.role == Role.officer else None
    rows = await repository.statistics(session, merchant_id=merchant_id, day_from=day(day_from), day_to=day(day_to),
                                       period=period, region_prefix=region)
    return statistics_out(rows)
