"""Request and response bodies for loans, repayments and defaults (the partner-bank contract)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from lending.risk.schemas import DefaultOut


class LoanIn(BaseModel):
    subject_id: str = Field(min_length=1, max_length=80)
    amount: Decimal = Field(gt=0, max_digits=15, decimal_places=2, description="CNY, e.g. \"50000.00\"")
    annual_rate: Decimal = Field(gt=0, le=100, max_digits=9, decimal_places=4, description="percent per year, e.g. \"4.14\"")
    term_months: int = Field(ge=1, le=360)
    product: str | None = Field(default=None, max_length=80, description="a product code of this bank")


class LoanOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": "loan-7d1e", "subject_id": "hh-3a9f", "bank_id": "bank-tcrcb", "kind": "household", "product": "xingcun-funong", "amount": "50000.00", "outstanding": "50000.00", "annual_rate": "4.2000", "max_rate": "4.20", "term_months": 12, "grade": "AA", "status": "active", "drawn_at": "2026-11-25T08:00:00Z", "due_on": "2027-11-25", "closed_at": None}]})
    id: str
    subject_id: str
    bank_id: str
    kind: str
    product: str | None
    amount: str
    outstanding: str
    annual_rate: str
    max_rate: str | None = None
    term_months: int
    grade: str | None
    status: str
    drawn_at: datetime
    due_on: date
    closed_at: datetime | None


class RepaymentIn(BaseModel):
    amount: Decimal = Field(gt=0, max_digits=15, decimal_places=2)
    repaid_at: AwareDatetime | None = None
    on_time: bool | None = Field(default=None, description="default: repaid on or before the due date")


class RepaymentOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": 31, "loan_id": "loan-7d1e", "amount": "10000.00", "outstanding": "40000.00", "on_time": True, "fully_repaid": False, "repaid_at": "2026-12-25T08:00:00Z"}]})
    id: int
    loan_id: str
    amount: str
    outstanding: str
    on_time: bool
    fully_repaid: bool
    repaid_at: datetime


class DefaultIn(BaseModel):
    loss_amount: Decimal | None = Field(default=None, gt=0, max_digits=15, decimal_places=2,
                                        description="default: the whole outstanding balance")
    defaulted_at: AwareDatetime | None = None


class LoanDefaultOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"loan": {"id": "loan-7d1e", "subject_id": "hh-3a9f", "bank_id": "bank-tcrcb", "kind": "household", "product": "xingcun-funong", "amount": "50000.00", "outstanding": "0.00", "annual_rate": "4.2000", "max_rate": "4.20", "term_months": 12, "grade": "AA", "status": "defaulted", "drawn_at": "2026-11-25T08:00:00Z", "due_on": "2027-11-25", "closed_at": "2027-12-30T08:00:00Z"}, "risk_sharing": {"loan_id": "loan-7d1e", "programme": "4321", "loss_amount": "50000.00", "shares": {"guarantor": "20000.00", "bank": "15000.00", "province": "10000.00", "county": "5000.00"}, "fund_paid": "5000.00", "unfunded_government_share": "0.00", "defaulted_at": "2027-12-30T08:00:00Z"}}]})
    loan: LoanOut
    risk_sharing: DefaultOut


class LoanPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [{"id": "loan-7d1e", "subject_id": "hh-3a9f", "bank_id": "bank-tcrcb", "kind": "household", "product": "xingcun-funong", "amount": "50000.00", "outstanding": "50000.00", "annual_rate": "4.2000", "max_rate": "4.20", "term_months": 12, "grade": "AA", "status": "active", "drawn_at": "2026-11-25T08:00:00Z", "due_on": "2027-11-25", "closed_at": None}], "next_after": None}]})
    items: list[LoanOut]
    next_after: str | None
