"""Pairing (结对帮带) payloads."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from common.paging import CursorPage


class PairingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mentor_id: str = Field(min_length=1, max_length=80, description="a party-member credit household")
    mentee_id: str = Field(min_length=1, max_length=80, description="a household below A")


class PairingOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 3, "mentor_id": "hh-3a9f", "mentee_id": "hh-71c2", "village": "341181100201", "grade_at_start": "B",
        "status": "active"}]})
    id: int
    mentor_id: str
    mentee_id: str
    village: str | None
    grade_at_start: str | None
    status: str


class PairingProgressOut(PairingOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 3, "mentor_id": "hh-3a9f", "mentee_id": "hh-71c2", "village": "341181100201", "grade_at_start": "B",
        "grade_now": "A", "risen_to_credit": True, "status": "active", "created_at": "2026-11-25T08:00:00+00:00"}]})
    grade_now: str | None
    risen_to_credit: bool = Field(description="the paired household is now A or better")
    created_at: str


class PairingListOut(CursorPage):
    """By id; ``paired`` and ``risen`` count this page's pairings."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "items": [{"id": 3, "mentor_id": "hh-3a9f", "mentee_id": "hh-71c2", "village": "341181100201",
                   "grade_at_start": "B", "grade_now": "A", "risen_to_credit": True, "status": "active",
                   "created_at": "2026-11-25T08:00:00+00:00"}],
        "paired": 1, "risen": 1, "next_after": None, "next": None}]})
    items: list[PairingProgressOut]
    paired: int
    risen: int
