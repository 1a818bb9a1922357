"""Civility evaluation payloads."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from common.i18n import Text, TextError


class CatalogueItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    aspect: str = Field(min_length=1, max_length=40)
    kind: Literal["positive", "negative", "veto"]
    points: int = Field(ge=-100, le=100)
    title: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _sign(self) -> CatalogueItem:
        if (self.kind == "positive" and self.points <= 0) or (self.kind == "negative" and self.points >= 0):
            raise TextError(Text("positive items score above zero, negative items below", "加分项的分值须大于零，减分项须小于零"))
        return self


class CatalogueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=120)
    items: list[CatalogueItem] = Field(min_length=1, max_length=500)
    base: int | None = Field(None, ge=0, le=100, description="the neutral base of the 0–100 civility scale: "
                             "the score of a household with nothing noted (default: the registry's civility_base)")

    @model_validator(mode="after")
    def _unique(self) -> CatalogueIn:
        codes = [i.code for i in self.items]
        if len(codes) != len(set(codes)):
            raise TextError(Text("item codes must be unique", "评议项目的代码不能重复"))
        return self


class CatalogueOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"version": 1, "title": "天长市乡风文明评议细则", "items": [{"code": "volunteer", "aspect": "public_spirit", "kind": "positive", "points": 5, "title": "参加志愿服务"}, {"code": "gambling", "aspect": "social_conduct", "kind": "veto", "points": 0, "title": "参与赌博"}], "base": 60, "created_at": "2026-01-05T02:00:00Z"}]})
    version: int
    title: str
    items: list[CatalogueItem]
    base: int = Field(description="the neutral base of the 0–100 civility scale")
    created_at: dt.datetime


class Mark(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=40)
    times: int = Field(1, ge=1, le=20)
    note: str | None = Field(None, max_length=300)


class EvaluationIn(BaseModel):
    """What the evaluation group (评议小组) found for one household."""

    model_config = ConfigDict(extra="forbid")
    subject_id: str = Field(min_length=1, max_length=36)
    catalogue_version: int | None = Field(None, ge=1, description="default: the current catalogue")
    evaluated_on: dt.date
    evaluators: list[str] = Field(min_length=1, max_length=20, description="the evaluation group's members (officials)")
    items: list[Mark] = Field(default_factory=list, max_length=200)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approved: bool
    note: str | None = Field(None, max_length=500)


class EvaluationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": "ev-3c1a", "subject_id": "hh-3a9f", "catalogue_version": 1, "status": "published", "evaluated_on": "2026-11-20", "evaluators": ["王*", "李*"], "items": [{"code": "volunteer", "times": 2, "note": None}], "points": 10, "base": 60, "score": 70, "positive_points": 10, "negative_points": 0, "veto": False, "veto_items": [], "aspects": {"public_spirit": 10}, "recorded_by": "officer-tc", "recorded_at": "2026-11-20T06:00:00Z", "reviewed_by": "officer-qs", "reviewed_at": "2026-11-21T06:00:00Z", "review_note": None, "published_by": "officer-qs", "published_at": "2026-11-22T06:00:00Z", "subject_version": 3}]})
    id: str
    subject_id: str
    catalogue_version: int
    status: str
    evaluated_on: dt.date
    evaluators: list[str]
    items: list[Mark]
    points: int = Field(description="positive_points + negative_points: the items' net effect")
    base: int = Field(description="the catalogue's neutral base")
    score: int = Field(ge=0, le=100, description="the civility score: base + points, clamped to 0–100")
    positive_points: int
    negative_points: int
    veto: bool
    veto_items: list[str]
    aspects: dict[str, int]
    recorded_by: str
    recorded_at: dt.datetime
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_note: str | None
    published_by: str | None
    published_at: dt.datetime | None
    subject_version: int | None
