"""Objections (异议) to a published rating, and the written answer (书面答复)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from common.paging import CursorPage


class ObjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)
    filed_by: str | None = Field(default=None, max_length=120, description="who objects (masked), if not the caller")


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["upheld", "rejected"]
    answer: str = Field(min_length=1, max_length=2000, description="the written answer (书面答复)")


class ObjectionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 7, "rating_id": 1042, "subject_id": "hh-3a9f", "reason": "家庭年收入少算了", "filed_by": "张*",
        "filed_at": "2026-11-26T02:00:00+00:00", "answer_due": "2026-12-03T02:00:00+00:00", "status": "open",
        "answer": None, "answered_by": None, "answered_at": None, "new_rating_id": None, "overdue": False}]})
    id: int
    rating_id: int
    subject_id: str
    reason: str
    filed_by: str | None
    filed_at: str
    answer_due: str = Field(description="the written answer is due by then")
    status: str = Field(description="open, upheld or rejected")
    answer: str | None
    answered_by: str | None
    answered_at: str | None
    new_rating_id: int | None = Field(description="the re-rating an upheld objection made")
    overdue: bool


class ObjectionPage(CursorPage):
    """Soonest answer due first; the next page starts ``after`` the last ``id`` of this one."""

    items: list[ObjectionOut]
