"""Request and response bodies for risk sharing and the fund."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field


class ProgrammeIn(BaseModel):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=120)
    shares: dict[str, Decimal] = Field(description="party → percent; local_government is paid from the fund")
    is_default: bool = False


class ProgrammeOut(BaseModel):
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
