"""Request and response bodies for risk sharing and the fund."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class ProgrammeIn(BaseModel):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=120)
    shares: dict[str, Decimal] = Field(description="party → percent; local_government is paid from the fund")
    is_default: bool = False


class ProgrammeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "4321", "name": "4321 政银担风险分担", "shares": {"guarantor": "0.40", "bank": "0.30", "province": "0.20", "county": "0.10"}, "is_default": True}]})
    code: str
    name: str
    shares: dict[str, str]
    is_default: bool


class TopUpIn(BaseModel):
    amount: Decimal = Field(gt=0, max_digits=15, decimal_places=2)
    note: str | None = Field(default=None, max_length=200)


class FundEntryOut(BaseModel):
    id: int
    entry_type: str
    amount: str
    balance_after: str
    loan_id: str | None
    note: str | None
    created_at: datetime


class FundOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"balance": "4950000.00", "entries": [{"id": 2, "entry_type": "payout", "amount": "-50000.00", "balance_after": "4950000.00", "loan_id": "loan-7d1e", "note": None, "created_at": "2026-11-25T08:00:00Z"}]}]})
    balance: str
    entries: list[FundEntryOut]


class DefaultOut(BaseModel):
    loan_id: str
    programme: str
    loss_amount: str
    shares: dict[str, str]
    fund_paid: str
    unfunded_government_share: str
    defaulted_at: datetime
