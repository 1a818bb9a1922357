"""Redemptions and statistics: a merchant sees only its own; the county sees all (officers their region)."""
from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query

from common.auth import Role
from common.db import Session
from common.money import fen_str
from merchant.access import County, Reader
from merchant.merchants.router import visible_merchant
from merchant.redemptions import repository

router = APIRouter(prefix="/v1", tags=["redemptions and statistics"])


def view(row: Any) -> dict[str, Any]:
    return {"redemption_id": row.id, "receipt_id": row.receipt_id, "merchant_id": row.merchant_id,
            "offer_id": row.offer_id, "programme_id": row.programme_id, "subject_id": row.subject_id,
            "bill_amount": fen_str(row.bill_fen), "discount": fen_str(row.discount_fen),
            "quantity": row.quantity, "status": row.status, "day": row.day, "redeemed_at": row.redeemed_at.isoformat(),
            "reversed_at": row.reversed_at.isoformat() if row.reversed_at else None}


def stats_view(rows: list[Any]) -> dict[str, Any]:
    items = [{"merchant_id": s.merchant_id, "offer_id": s.offer_id, "period": s.period,
              "redemptions": int(s.redemptions or 0), "discount": fen_str(int(s.discount_fen or 0)),
              "bill_amount": fen_str(int(s.bill_fen or 0)), "reversed": int(s.reversed or 0)} for s in rows]
    return {"items": items, "total": {"redemptions": sum(i["redemptions"] for i in items),
                                      "discount": fen_str(sum(int(s.discount_fen or 0) for s in rows))}}


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


@router.get("/merchants/{merchant_id}/redemptions")
async def merchant_redemptions(merchant_id: str, principal: Reader, session: Session,
                               from_: date | None = Query(None, alias="from"), to: date | None = None,
                               limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    await visible_merchant(session, merchant_id, principal)
    rows = await repository.list_(session, merchant_id=merchant_id, day_from=day(from_), day_to=day(to), limit=limit)
    return [view(r) for r in rows]


@router.get("/merchants/{merchant_id}/statistics")
async def merchant_statistics(merchant_id: str, principal: Reader, session: Session,
                              from_: date | None = Query(None, alias="from"), to: date | None = None,
                              period: Literal["day", "month"] = "day") -> dict[str, Any]:
    """Redemptions and discounts given, by offer and period (the merchant's own)."""
    await visible_merchant(session, merchant_id, principal)
    rows = await repository.statistics(session, merchant_id=merchant_id, day_from=day(from_), day_to=day(to),
                                       period=period)
    return stats_view(rows)


@router.get("/statistics/redemptions")
async def county_statistics(principal: County, session: Session, from_: date | None = Query(None, alias="from"),
                            to: date | None = None, period: Literal["day", "month"] = "day",
                            merchant_id: str | None = None) -> dict[str, Any]:
    """County-wide redemptions and discounts by merchant, offer and period (officers: their region's households)."""
    region = principal.region if principal.role == Role.officer else None
    rows = await repository.statistics(session, merchant_id=merchant_id, day_from=day(from_), day_to=day(to),
                                       period=period, region_prefix=region)
    return stats_view(rows)
