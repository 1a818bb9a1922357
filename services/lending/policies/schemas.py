"""Request and response bodies for grade policies and benchmark rates."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

LineKind = Literal["household", "new_entity", "collective"]
CreditGrade = Literal["AAA", "AA", "A"]
Money = Field(gt=0, max_digits=15, decimal_places=2)


class PolicyRowIn(BaseModel):
    kind: LineKind
    grade: CreditGrade
    line_amount: Decimal = Money
    max_markup: Decimal = Field(ge=0, le=5, max_digits=6, decimal_places=4,
                                description="fraction over the benchmark: 0.40 = benchmark × 1.40 at most")


class PolicyIn(BaseModel):
    """A new policy version (the whole table: kinds and grades not listed get no line)."""

    effective_from: AwareDatetime | None = None
    validity_months: int = Field(default=24, ge=1, le=120)
    rows: list[PolicyRowIn] = Field(min_length=1, max_length=50)


class PolicyRowOut(BaseModel):
    kind: str
    grade: str
    line_amount: str
    max_markup: str


class PolicyOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"version": 2, "effective_from": "2026-11-01T00:00:00Z", "validity_months": 24, "rows": [{"kind": "household", "grade": "AAA", "line_amount": "300000.00", "max_markup": "1.00"}, {"kind": "household", "grade": "AA", "line_amount": "200000.00", "max_markup": "1.10"}]}]})
    version: int
    effective_from: datetime
    validity_months: int
    rows: list[PolicyRowOut]


class BenchmarkIn(BaseModel):
    name: str = Field(default="LPR-1Y", min_length=1, max_length=40)
    rate_percent: Decimal = Field(gt=0, le=100, max_digits=8, decimal_places=4)
    effective_on: date


class BenchmarkOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "LPR-1Y", "rate_percent": "3.1000", "effective_on": "2026-10-21"}]})
    name: str
    rate_percent: str
    effective_on: date


class PolicyApplicationOut(BaseModel):
    """A job applying the policy in force to every existing line (progress: ``done`` of ``total``)."""
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": "pa-4e1b", "policy_version": 2, "status": "done", "total": 3000, "done": 3000, "changed": 2150, "error": None, "started_by": "admin", "started_at": "2026-11-25T08:00:00Z", "finished_at": "2026-11-25T08:00:12Z"}]})

    id: str
    policy_version: int
    status: Literal["running", "done", "failed"]
    total: int
    done: int
    changed: int
    error: str | None
    started_by: str
    started_at: datetime
    finished_at: datetime | None
