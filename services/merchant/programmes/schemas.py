"""Payloads of public benefit programmes (十二项权益)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from common.paging import CursorPage
from merchant.offers.schemas import OfferOut, RuleIn, Terms


class ProgrammeIn(Terms):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    rule: RuleIn = Field(description="usually a benefit; a programme may also give money off (e.g. a fare)")


class VerifierIn(BaseModel):
    merchant_id: str = Field(min_length=1, max_length=40)


class ProgrammeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "p-8c1d0e2f4a6b", "name": "信用户免费乘车", "description": "AAA 信用户免费乘坐县内公交", "status": "active",
        "offer": {"id": "o-5b7e9a1c3d2f", "merchant_id": None, "programme_id": "p-8c1d0e2f4a6b", "title": "信用户免费乘车",
                  "rule": {"kind": "benefit", "benefit": "免费乘车"}, "eligible_grades": ["AAA"],
                  "valid_from": "2026-11-25T08:00:00+00:00", "valid_until": None, "budget_total": None,
                  "spent": "0.00", "budget_daily": None, "per_household_limit": None, "stackable": False,
                  "status": "active"}}]})
    id: str
    name: str
    description: str | None
    status: str = Field(description="active")
    offer: OfferOut = Field(description="the benefit (or money off) it gives, with its terms")


class ProgrammePage(CursorPage):
    items: list[ProgrammeOut]


class VerifierBindingOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"programme_id": "p-8c1d0e2f4a6b", "merchant_id": "m-bus-tianchang", "offer_id": "o-5b7e9a1c3d2f"}]})
    programme_id: str
    merchant_id: str
    offer_id: str
