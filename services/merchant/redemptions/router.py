"""Redemptions and statistics: a merchant sees only its own; the county sees all (officers their region)."""
from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Query

from common.db import Session
from common.errors import problems
from merchant.access import County, Reader
from merchant.redemptions import service
from merchant.redemptions.schemas import RedemptionOut, StatisticsOut

router = APIRouter(prefix="/v1", tags=["redemptions and statistics"], responses=problems(401, 403, 422))


@router.get("/merchants/{merchant_id}/redemptions", response_model=list[RedemptionOut], responses=problems(404))
async def merchant_redemptions(merchant_id: str, principal: Reader, session: Session,
                               from_: date | None = Query(None, alias="from"), to: date | None = None,
                               limit: int = Query(100, ge=1, le=1000)) -> list[RedemptionOut]:
    return await service.of_merchant(session, merchant_id, principal, from_, to, limit)


@router.get("/merchants/{merchant_id}/statistics", response_model=StatisticsOut, responses=problems(404))
async def merchant_statistics(merchant_id: str, principal: Reader, session: Session,
                              from_: date | None = Query(None, alias="from"), to: date | None = None,
                              period: Literal["day", "month"] = "day") -> StatisticsOut:
    """Redemptions and discounts given, by offer and period (the merchant's own)."""
    return await service.merchant_statistics(session, merchant_id, principal, from_, to, period)


@router.get("/statistics/redemptions", response_model=StatisticsOut)
async def county_statistics(principal: County, session: Session, from_: date | None = Query(None, alias="from"),
                            to: date | None = None, period: Literal["day", "month"] = "day",
                            merchant_id: str | None = None) -> StatisticsOut:
    """County-wide redemptions and discounts by merchant, offer and period (officers: their region's households)."""
    return await service.county_statistics(session, principal, from_, to, period, merchant_id)
