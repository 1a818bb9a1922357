"""Request and response shapes of ratings."""
from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from rating.grades import Grade
from rating.ratings.models import CurrentGrade, Rating

REGION_EXAMPLE: dict[str, JsonValue] = {"county": "341181", "town": "341181100", "village": "341181100201"}


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


INDICATOR_REASONS_EXAMPLE: list[JsonValue] = [
    {"indicator": "income", "points": "12.00", "of_points": "15.00", "label": {"zh": "家庭年收入", "en": "annual income"}}]
WOULD_RAISE_EXAMPLE: list[JsonValue] = [
    {"indicator": "civility", "points_needed": "3.50", "next_grade": "AAA", "label": {"zh": "文明评议", "en": "civility"}}]
INDICATOR_REASONS = "every indicator that cost points, the most first, with Chinese and English labels"
WOULD_RAISE = ("the one or two indicators whose improvement lifts the grade to the next; empty at the top, under a "
               "veto, or when no one or two indicators would do")


class RegionOut(BaseModel):
    county: str | None
    town: str | None
    village: str | None


class RatingOut(BaseModel):
    """One rating (评级) of a subject: proposed, on publication (公示), final or superseded."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 1042, "subject_id": "hh-3a9f", "kind": "household", "region": REGION_EXAMPLE, "score": "86.50",
        "grade": "AA", "vetoed": False, "reasons": ["income (家庭年收入): 12.00 of 15 points"],
        "indicator_reasons": INDICATOR_REASONS_EXAMPLE, "would_raise": WOULD_RAISE_EXAMPLE, "indicator_system_version": 1, "status": "published", "disputed": False, "trigger": "manual",
        "round_id": None, "created_at": "2026-11-25T08:00:00+00:00", "published_at": "2026-11-25T08:00:00+00:00",
        "publication_ends_at": "2026-12-02T08:00:00+00:00", "finalised_at": None}]})
    id: int
    subject_id: str
    kind: str
    region: RegionOut
    score: str = Field(description="out of 100, two decimals")
    grade: str
    vetoed: bool = Field(description="a veto (一票否决) forced the grade")
    reasons: list[str] = Field(description="what moved the score most, and any veto (English)")
    indicator_reasons: list[IndicatorReason] = Field(description=INDICATOR_REASONS)
    would_raise: list[WouldRaise] = Field(description=WOULD_RAISE)
    indicator_system_version: int | None
    status: str = Field(description="proposed, published, final or superseded")
    disputed: bool
    trigger: str
    round_id: str | None
    created_at: str
    published_at: str | None
    publication_ends_at: str | None
    finalised_at: str | None


class VillageMetricsOut(BaseModel):
    """The figures a credit village (信用村) is judged on."""

    households: int
    credit_households: int
    borrowers: int
    borrowers_in_arrears: int
    credit_share: str = Field(description="credit households (A or better) over households")
    on_time_share: str = Field(description="borrowers without arrears over borrowers")
    npl_share: str = Field(description="non-performing over lent amount")


class TownMetricsOut(BaseModel):
    """The figures a credit town (信用镇) is judged on."""

    villages: int
    credit_villages: int


class GradeOut(BaseModel):
    """A subject's (or village's, or town's) current final grade."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "subject_id": "341181100201", "kind": "village", "grade": "A", "score": "72.00", "vetoed": False,
        "credit_village": True, "version": 3, "reason": "credit households 72.00 % (≥ 70 %)", "indicator_reasons": [], "would_raise": [], "rating_id": None,
        "metrics": {"households": 150, "credit_households": 108, "borrowers": 40, "borrowers_in_arrears": 2,
                    "credit_share": "0.72", "on_time_share": "0.95", "npl_share": "0.01"},
        "effective_at": "2026-11-25T08:00:00+00:00", "region": REGION_EXAMPLE}]})
    subject_id: str
    kind: str
    grade: str
    score: str
    vetoed: bool
    credit_village: bool | None = Field(description="villages and towns: a credit village (信用村) or town (信用镇)")
    version: int
    reason: str = Field(description="in English, as rating-changed carries it")
    indicator_reasons: list[IndicatorReason] = Field(description=INDICATOR_REASONS)
    would_raise: list[WouldRaise] = Field(description=WOULD_RAISE)
    rating_id: int | None
    metrics: VillageMetricsOut | TownMetricsOut | None = Field(description="villages' and towns' figures")
    effective_at: str
    region: RegionOut


class SubjectGradeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"subject_id": "hh-3a9f", "final": {"subject_id": "hh-3a9f", "kind": "household", "grade": "AA", "score": "86.50", "vetoed": False, "credit_village": None, "version": 2, "reason": "income (家庭年收入): 12.00 of 15 points", "indicator_reasons": INDICATOR_REASONS_EXAMPLE, "would_raise": WOULD_RAISE_EXAMPLE, "rating_id": 1042, "metrics": None, "effective_at": "2026-12-02T08:00:00+00:00", "region": REGION_EXAMPLE}, "pending": None}]})
    subject_id: str
    final: GradeOut | None = Field(description="the grade in force")
    pending: RatingOut | None = Field(description="a rating under way (proposed or on publication)")


class RatingListOut(BaseModel):
    items: list[RatingOut]


class FinaliseOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"finalised": 60}]})
    finalised: int = Field(description="publications that became final")


def _iso(moment: object) -> str | None:
    return moment.isoformat() if moment is not None else None  # type: ignore[attr-defined]


def rating_out(r: Rating, lost: list[IndicatorReason], raises: list[WouldRaise]) -> RatingOut:
    return RatingOut(
        id=r.id, subject_id=r.subject_id, kind=r.kind, region=RegionOut(county=r.county, town=r.town, village=r.village),
        score=f"{r.score:.2f}", grade=r.grade, vetoed=r.vetoed, reasons=r.reasons, indicator_reasons=lost, would_raise=raises,
        indicator_system_version=r.indicator_system_version, status=r.status, disputed=r.disputed, trigger=r.trigger,
        round_id=r.round_id, created_at=r.created_at.isoformat(), published_at=_iso(r.published_at),
        publication_ends_at=_iso(r.publication_ends_at), finalised_at=_iso(r.finalised_at))


def grade_out(g: CurrentGrade, lost: list[IndicatorReason], raises: list[WouldRaise]) -> GradeOut:
    return GradeOut.model_validate({
        "subject_id": g.subject_id, "kind": g.kind, "grade": g.grade, "score": f"{g.score:.2f}", "vetoed": g.vetoed,
        "credit_village": g.credit_village, "version": g.version, "reason": g.reason, "rating_id": g.rating_id,
        "indicator_reasons": lost, "would_raise": raises,
        "metrics": g.metrics, "effective_at": g.effective_at.isoformat(),
        "region": {"county": g.county, "town": g.town, "village": g.village}})
