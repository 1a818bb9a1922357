"""Redemptions (核销) and their statistics; money in CNY strings to the fen."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RedemptionOut(BaseModel):
    """One offer applied to one purchase (a receipt has a line per offer)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "redemption_id": "r-6f0c9d2e1b3a4c5d", "receipt_id": "r-6f0c9d2e1b3a4c5d",
        "merchant_id": "merchant-demo-market", "offer_id": "o-3f1c2a9b7d10", "programme_id": None,
        "subject_id": "hh-3a9f", "bill_amount": "100.00", "discount": "10.00", "quantity": 1, "status": "recorded",
        "day": "2026-11-25", "redeemed_at": "2026-11-25T08:00:00+00:00", "reversed_at": None}]})
    redemption_id: str
    receipt_id: str
    merchant_id: str
    offer_id: str
    programme_id: str | None
    subject_id: str
    bill_amount: str
    discount: str
    quantity: int
    status: str = Field(description="recorded, or reversed (refunded)")
    day: str = Field(description="the county's (Beijing) calendar day, YYYY-MM-DD")
    redeemed_at: str
    reversed_at: str | None


class StatisticsItemOut(BaseModel):
    merchant_id: str
    offer_id: str
    period: str = Field(description="YYYY-MM-DD or YYYY-MM")
    redemptions: int
    discount: str
    bill_amount: str
    reversed: int


class StatisticsTotalOut(BaseModel):
    redemptions: int
    discount: str


class StatisticsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "items": [{"merchant_id": "merchant-demo-market", "offer_id": "o-3f1c2a9b7d10", "period": "2026-11-25",
                   "redemptions": 12, "discount": "96.50", "bill_amount": "1210.00", "reversed": 1}],
        "total": {"redemptions": 12, "discount": "96.50"}}]})
    items: list[StatisticsItemOut]
    total: StatisticsTotalOut
