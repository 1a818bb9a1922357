"""Payloads of household codes (一户一码) and the county's view of a household."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RegionCodesOut(BaseModel):
    county: str | None = None
    town: str | None = None
    village: str | None = None
    group: str | None = None


class HouseholdConsentOut(BaseModel):
    merchant: bool = Field(description="its grade may be shown to shops (信用商圈)")
    benefits: bool = Field(description="its grade may be shown to public-benefit verifiers")


class HouseholdOut(BaseModel):
    """A household as the merchant service knows it (county staff only): never an ID number."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "subject_id": "hh-3a9f", "masked_name": "张*", "grade": "AA", "vetoed": False, "credit_household": True,
        "region": {"county": "341181", "town": "341181100", "village": "341181100201", "group": None},
        "consent": {"merchant": True, "benefits": True}, "code_issued_at": "2026-11-25T08:00:00+00:00"}]})
    subject_id: str
    masked_name: str | None
    region: RegionCodesOut | None
    grade: str | None
    vetoed: bool
    credit_household: bool = Field(description="A or better and not vetoed (信用户)")
    consent: HouseholdConsentOut
    code_issued_at: str | None = Field(description="when its active code was issued; null without one")


class CodeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "subject_id": "hh-3a9f", "code": "CVq2Zb7xKp0VnR4mT8aLw1sY", "issued_at": "2026-11-25T08:00:00+00:00",
        "replaced": False}]})
    subject_id: str
    code: str = Field(description="what the QR code holds: an opaque random reference")
    issued_at: str
    replaced: bool = Field(description="an earlier code stopped working at once")


class RotatingCodeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"subject_id": "hh-3a9f", "code": "R2.q8Zb…", "expires_at": "2026-11-25T08:01:00+00:00"}]})
    subject_id: str
    code: str = Field(description="valid until ``expires_at``, and only while the static code is active")
    expires_at: str
