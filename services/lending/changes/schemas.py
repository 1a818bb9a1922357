"""Bodies of the change feed."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue

CHANGE_EXAMPLE: dict[str, JsonValue] = {"id": 1042, "subject_id": "hh-3411811002010001", "line_version": 4, "kind": "frozen",
                  "old_grade": "AA", "grade": "B", "status": "frozen", "old_limit": "300000.00",
                  "limit": "300000.00", "occurred_at": "2026-12-03T02:15:00Z"}


class LineChangeOut(BaseModel):
    """One change to a subject's credit line (授信变动). ``id`` is the cursor: strictly increasing,
    the same change always has the same id (receivers dedupe by it)."""

    model_config = ConfigDict(json_schema_extra={"example": CHANGE_EXAMPLE})

    id: int = Field(description="the change's cursor, increasing in commit order")
    subject_id: str = Field(description="the line's subject (a line is keyed by its subject)")
    line_version: int = Field(description="the line's version after the change")
    kind: str = Field(description="granted, raised, cut, frozen, unfrozen, expired, closed or regraded")
    old_grade: str | None
    grade: str | None
    status: str = Field(description="the line's status after the change: active, frozen, none or closed")
    old_limit: str = Field(description="the line's amount before, CNY to the fen")
    limit: str = Field(description="the line's amount after, CNY to the fen")
    occurred_at: datetime


class ChangePageOut(BaseModel):
    """A page of a bank's feed. Resume with ``after=next_after`` (also given as the ``next`` link),
    even when ``items`` is empty: the cursor still moves past what was looked at."""

    model_config = ConfigDict(json_schema_extra={"example": {
        "items": [CHANGE_EXAMPLE], "next_after": 1042, "latest": 1042,
        "next": "/v1/credit-line-changes?after=1042&limit=100"}})

    items: list[LineChangeOut]
    next_after: int
    latest: int = Field(description="the newest id in the whole feed: caught up when next_after equals it")
    next: str
