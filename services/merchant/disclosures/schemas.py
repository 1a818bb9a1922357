"""The disclosure log as the county reads it."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from common.paging import CursorPage


class DisclosureOut(BaseModel):
    """One showing of a household's grade (or the attempt) to a merchant's POS."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 42, "merchant_id": "merchant-demo-market", "subject_id": "hh-3a9f", "outcome": "credit_household",
        "grade": "AA", "purpose": "pos-verify", "at": "2026-11-25T08:00:00+00:00"}]})
    id: int
    merchant_id: str
    subject_id: str | None
    outcome: str = Field(description="credit_household, not_credit_household, unknown_code or no_consent")
    grade: str | None = Field(description="the grade shown; null when none was")
    purpose: str = Field(description="pos-verify or pos-redeem")
    at: str


class DisclosurePage(CursorPage):
    """Newest first: the next page starts ``after`` the last ``id`` (older entries)."""

    items: list[DisclosureOut]
