"""Response bodies for credit lines."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class Region(BaseModel):
    county: str | None
    town: str | None
    village: str | None
    group: str | None = None


class CreditLineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"subject_id": "hh-3a9f", "kind": "household", "region": {"county": "341181", "town": "341181100", "village": "341181100201", "group": None}, "grade": "AA", "status": "active", "line_amount": "200000.00", "drawn": "50000.00", "available": "150000.00", "benchmark_rate": "3.10", "max_markup": "1.10", "max_rate": "4.20", "valid_until": "2027-11-25", "policy_version": 1, "version": 2, "freeze_reason": None}]})
    subject_id: str
    kind: str
    region: Region
    grade: str | None
    status: str
    line_amount: str
    drawn: str
    available: str
    benchmark_rate: str | None
    max_markup: str
    max_rate: str | None
    valid_until: date | None
    policy_version: int | None
    version: int
    freeze_reason: str | None = None  # "default": frozen at every bank until the county re-rates the subject


class CreditLineChangeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"version": 2, "change": "raised", "old_grade": "A", "grade": "AA", "status": "active", "old_line_amount": "100000.00", "line_amount": "200000.00", "max_markup": "1.10", "rating_version": 3, "reason": "rating-changed", "changed_at": "2026-11-25T08:00:00Z"}]})
    version: int
    change: str
    old_grade: str | None
    grade: str | None
    status: str
    old_line_amount: str
    line_amount: str
    max_markup: str
    rating_version: int
    reason: str
    changed_at: datetime


class VillageLinesOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"village": "341181100201", "items": [{"subject_id": "hh-3a9f", "kind": "household", "region": {"county": "341181", "town": "341181100", "village": "341181100201", "group": None}, "grade": "AA", "status": "active", "line_amount": "200000.00", "drawn": "50000.00", "available": "150000.00", "benchmark_rate": "3.10", "max_markup": "1.10", "max_rate": "4.20", "valid_until": "2027-11-25", "policy_version": 1, "version": 2, "freeze_reason": None}], "next_after": None}]})
    village: str
    items: list[CreditLineOut]
    next_after: str | None
