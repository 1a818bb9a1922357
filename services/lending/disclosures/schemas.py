"""Bodies for the subject look-up and the disclosure log."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class LookupIn(BaseModel):
    id_number: str = Field(min_length=1, max_length=40, description="the customer's resident ID number")
    purpose: str = Field(default="loan-application", min_length=1, max_length=120)


class LookupOut(BaseModel):
    subject_id: str
    kind: str
    grade: str | None
    masked_name: str | None = None
    credit_line_status: str


class DisclosureOut(BaseModel):
    bank_id: str
    subject_id: str
    grade: str | None
    channel: str
    purpose: str
    disclosed_at: datetime
