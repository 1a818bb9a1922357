"""Bodies for the subject look-up and the disclosure log."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class LookupIn(BaseModel):
    id_number: str = Field(min_length=1, max_length=40, description="the customer's resident ID number")
    purpose: str = Field(default="loan-application", min_length=1, max_length=120)


class LookupOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"subject_id": "hh-3a9f", "kind": "household", "grade": "AA", "masked_name": "张*", "credit_line_status": "active"}]})
    subject_id: str
    kind: str
    grade: str | None
    masked_name: str | None = None
    credit_line_status: str


class DisclosureOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"bank_id": "bank-tcrcb", "subject_id": "hh-3a9f", "grade": "AA", "channel": "credit-line", "purpose": "loan-application", "disclosed_at": "2026-11-25T08:00:00Z"}]})
    bank_id: str
    subject_id: str
    grade: str | None
    channel: str
    purpose: str
    disclosed_at: datetime
