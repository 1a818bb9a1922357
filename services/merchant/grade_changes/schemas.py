"""Bodies of the grade-change feed."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue

CHANGE_EXAMPLE: dict[str, JsonValue] = {
    "id": 311, "subject_id": "hh-3411811002010001", "masked_name": "张*", "old_grade": "AA", "grade": "A",
    "vetoed": False, "occurred_at": "2026-12-03T02:15:00Z"}


class GradeChangeOut(BaseModel):
    """A household's grade at the till changed (its offers follow). Dedupe by ``id``."""

    model_config = ConfigDict(json_schema_extra={"example": CHANGE_EXAMPLE})

    id: int = Field(description="the change's cursor, increasing in commit order")
    subject_id: str
    masked_name: str | None
    old_grade: str | None
    grade: str | None
    vetoed: bool = Field(description="a veto (一票否决): no credit offer applies, whatever the grade")
    occurred_at: datetime


class GradeChangePageOut(BaseModel):
    """Resume with ``after=next_after`` (the ``next`` link), also when ``items`` is empty."""

    model_config = ConfigDict(json_schema_extra={"example": {
        "items": [CHANGE_EXAMPLE], "next_after": 311, "latest": 311, "next": "/v1/grade-changes?after=311&limit=100"}})

    items: list[GradeChangeOut]
    next_after: int
    latest: int
    next: str


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {
        "merchant_id": "merchant-demo-market", "subscribed": True, "from_id": 298,
        "subscribed_at": "2026-12-03T02:00:00Z"}})

    merchant_id: str
    subscribed: bool
    from_id: int | None = Field(description="the feed starts after this change id")
    subscribed_at: datetime | None
