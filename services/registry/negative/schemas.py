"""Negative-record payloads."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from common.i18n import Text, TextError

# The joint review's member agencies (联审单位); "other" for the rest of the 18 departments.
Agency = Literal["pboc", "court", "ndrc", "tax", "market_regulation", "public_security", "civil_affairs",
                 "agriculture", "environment", "other"]
RECORD_KINDS = ("dishonest_judgment_debtor", "criminal_record", "malicious_default", "disruptive_petitioning",
                "tax_evasion", "subsidy_fraud", "illegal_fundraising", "environmental_violation", "other")


class NegativeRecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject_id: str = Field(min_length=1, max_length=36)
    agency: Agency
    record_kind: Literal[RECORD_KINDS] = Field(description="e.g. dishonest_judgment_debtor (失信被执行人)")  # type: ignore[valid-type]
    veto: bool = Field(True, description="vetoes the rating (一票否决) while raised")
    effective_from: dt.date
    expires_on: dt.date | None = Field(None, description="a court blacklist entry lasts 2-5 years")
    evidence_ref: str = Field(min_length=1, max_length=200, description="the agency's document number or link")
    note: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _dates(self) -> NegativeRecordIn:
        if self.expires_on is not None and self.expires_on < self.effective_from:
            raise TextError(Text("expires_on must not be before effective_from", "expires_on（失效日）不能早于 effective_from（生效日）"))
        return self


class ClearIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cleared_on: dt.date
    reason: str = Field(min_length=1, max_length=500, description="e.g. repaid, judgment fulfilled, record repaired")


class ClearReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approved: bool = Field(description="true clears the record; false drops the request (the record stays raised)")
    note: str | None = Field(None, max_length=500)


class NegativeRecordOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": "neg-5e2a", "subject_id": "hh-3a9f", "agency": "court", "record_kind": "dishonest_judgment_debtor", "veto": True, "status": "raised", "effective_from": "2026-10-01", "expires_on": None, "evidence_ref": "(2026)皖1181执123号", "note": None, "raised_by": "officer-tc", "raised_at": "2026-10-02T02:00:00Z", "clear_requested_by": None, "clear_requested_at": None, "cleared_by": None, "cleared_at": None, "cleared_on": None, "clear_reason": None}]})
    id: str
    subject_id: str
    agency: str
    record_kind: str
    veto: bool
    status: str
    effective_from: dt.date
    expires_on: dt.date | None
    evidence_ref: str
    note: str | None
    raised_by: str
    raised_at: dt.datetime
    clear_requested_by: str | None = Field(None, description="who asked for the clearing (a second person confirms)")
    clear_requested_at: dt.datetime | None = None
    cleared_by: str | None
    cleared_at: dt.datetime | None
    cleared_on: dt.date | None
    clear_reason: str | None


class ExpiryOut(BaseModel):
    """One run of the expiry job (到期自动失效)."""
    model_config = ConfigDict(json_schema_extra={"examples": [{"today": "2026-11-25", "expired": 1, "record_ids": ["neg-5e2a"]}]})
    today: dt.date = Field(description="the Beijing day of the run: records with expires_on on or before it expired")
    expired: int = Field(description="records this run expired (0 when another run or an earlier one did)")
    record_ids: list[str]
