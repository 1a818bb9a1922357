"""Bodies for online applications (线上申请): two documents instead of a dozen."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from common.i18n import Text, TextError


class DocumentRef(BaseModel):
    kind: str = Field(min_length=1, max_length=40, description="e.g. id_card, household_register, credit_certificate")
    ref: str = Field(min_length=1, max_length=300, description="where the document is stored (no content here)")


class ApplicationIn(BaseModel):
    subject_id: str = Field(min_length=1, max_length=80)
    bank_id: str | None = Field(default=None, max_length=80, description="the bank applied to (a bank caller: itself)")
    product: str | None = Field(default=None, max_length=80)
    amount: Decimal = Field(gt=0, max_digits=15, decimal_places=2)
    term_months: int = Field(ge=1, le=360)
    documents: list[DocumentRef] = Field(min_length=2, max_length=2, description="exactly two document references")


class DecisionIn(BaseModel):
    decision: Literal["approve", "decline"]
    reason: str | None = Field(default=None, max_length=500)
    annual_rate: Decimal | None = Field(default=None, gt=0, le=100, max_digits=9, decimal_places=4,
                                        description="required to approve: the loan is recorded at once")

    @model_validator(mode="after")
    def _rate_to_approve(self) -> DecisionIn:
        if self.decision == "approve" and self.annual_rate is None:
            raise TextError(Text("annual_rate is required to approve", "批准时须给出 annual_rate（年利率）"))
        return self


class ApplicationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": "app-2b9c", "subject_id": "hh-3a9f", "bank_id": "bank-tcrcb", "product": "xingcun-funong", "amount": "30000.00", "term_months": 12, "documents": [{"kind": "id_card", "ref": "portal://docs/81"}, {"kind": "household_register", "ref": "portal://docs/82"}], "status": "pending", "decision_reason": None, "loan_id": None, "submitted_at": "2026-11-25T08:00:00Z", "decided_at": None}]})
    id: str
    subject_id: str
    bank_id: str
    product: str | None
    amount: str
    term_months: int
    documents: list[DocumentRef]
    status: str
    decision_reason: str | None
    loan_id: str | None
    submitted_at: datetime
    decided_at: datetime | None
