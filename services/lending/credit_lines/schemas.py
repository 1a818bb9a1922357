"""Response bodies for credit lines."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class Region(BaseModel):
    county: str | None
    town: str | None
    village: str | None
    group: str | None = None


class CreditLineOut(BaseModel):
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
    village: str
    items: list[CreditLineOut]
    next_after: str | None
