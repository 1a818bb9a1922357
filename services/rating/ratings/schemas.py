"""Request and response shapes of ratings."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rating.grades import Grade
from rating.ratings.models import CurrentGrade, Rating


class RateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject_id: str = Field(min_length=1, max_length=80)
    publish: bool = Field(default=True, description="publish (公示) at once; false leaves it proposed")


class Label(BaseModel):
    """An indicator's name for people: Chinese (as the county writes it) and English."""

    zh: str = Field(examples=["家庭年收入"])
    en: str = Field(examples=["annual income"])


class IndicatorReason(BaseModel):
    """An indicator that cost points (扣分项): ``points`` of ``of_points`` (its weight)."""

    indicator: str = Field(description="the indicator's code", examples=["income"])
    points: Decimal = Field(examples=["6.00"])
    of_points: Decimal = Field(examples=["12.00"])
    label: Label


class WouldRaise(BaseModel):
    """Improving ``indicator`` by ``points_needed`` points lifts the subject to ``next_grade`` (提升建议)."""

    indicator: str = Field(examples=["civility"])
    points_needed: Decimal = Field(examples=["3.00"])
    next_grade: Grade = Field(examples=["A"])
    label: Label


class RegionCodes(BaseModel):
    county: str | None
    town: str | None
    village: str | None


class RatingOut(BaseModel):
    id: int
    subject_id: str
    kind: str
    region: RegionCodes
    score: str = Field(examples=["77.00"])
    grade: str
    vetoed: bool
    reasons: list[str] = Field(description="the top reasons in English (veto, serious items, indicators)")
    indicator_reasons: list[IndicatorReason] = Field(
        description="every indicator that cost points, the most first, with Chinese and English labels")
    would_raise: list[WouldRaise] = Field(
        description="the one or two indicators whose improvement lifts the grade to the next; empty at the top, "
                    "under a veto, or when no one or two indicators would do")
    indicator_system_version: int | None
    status: str
    disputed: bool
    trigger: str
    round_id: str | None
    created_at: str
    published_at: str | None
    publication_ends_at: str | None
    finalised_at: str | None


class GradeOut(BaseModel):
    subject_id: str
    kind: str
    grade: str
    score: str
    vetoed: bool
    credit_village: bool | None
    version: int
    reason: str = Field(description="in English, as rating-changed carries it")
    indicator_reasons: list[IndicatorReason]
    would_raise: list[WouldRaise]
    rating_id: int | None
    metrics: dict[str, Any] | None
    effective_at: str
    region: RegionCodes


class SubjectGradeOut(BaseModel):
    subject_id: str
    final: GradeOut | None
    pending: RatingOut | None


class RatingHistoryOut(BaseModel):
    items: list[RatingOut]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def rating_out(r: Rating, lost: list[IndicatorReason], raises: list[WouldRaise]) -> RatingOut:
    return RatingOut(
        id=r.id, subject_id=r.subject_id, kind=r.kind,
        region=RegionCodes(county=r.county, town=r.town, village=r.village),
        score=f"{r.score:.2f}", grade=r.grade, vetoed=r.vetoed, reasons=r.reasons, indicator_reasons=lost,
        would_raise=raises, indicator_system_version=r.indicator_system_version, status=r.status,
        disputed=r.disputed, trigger=r.trigger, round_id=r.round_id, created_at=r.created_at.isoformat(),
        published_at=_iso(r.published_at), publication_ends_at=_iso(r.publication_ends_at),
        finalised_at=_iso(r.finalised_at))


def grade_out(g: CurrentGrade, lost: list[IndicatorReason], raises: list[WouldRaise]) -> GradeOut:
    return GradeOut(
        subject_id=g.subject_id, kind=g.kind, grade=g.grade, score=f"{g.score:.2f}", vetoed=g.vetoed,
        credit_village=g.credit_village, version=g.version, reason=g.reason, indicator_reasons=lost,
        would_raise=raises, rating_id=g.rating_id, metrics=g.metrics, effective_at=g.effective_at.isoformat(),
        region=RegionCodes(county=g.county, town=g.town, village=g.village))
