"""The shapes of the statistics answers (JSON; the same figures as CSV with ``Accept: text/csv``).
Counts are integers, money CNY strings to the fen, shares 4-decimal strings; a suppressed figure
is null and named in ``suppressed``, never 0."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, JsonValue


class RegionRef(BaseModel):
    code: str | None = Field(description="null: the whole province (every county reporting)")
    level: str = Field(description="province, county, town, village or group")


class SuppressionOut(BaseModel):
    applied: bool = Field(description="small areas' figures are suppressed (always for the provincial platform)")
    threshold: int | None = Field(description="figures of fewer subjects than this are suppressed, when applied")


class HeadlineOut(BaseModel):
    line_amount: str | None
    drawn: str | None
    used_share: str | None
    credit_subjects: int | None
    credit_village_share: str | None
    credit_town_share: str | None


class FiguresOut(BaseModel):
    """Every figure of a region (and kind): the stored counters and the derived ones."""

    subjects: int | None = Field(description="credit subjects on file (一户一档), active (a count)")
    rated: int | None = Field(description="subjects holding a final grade (a count)")
    grade_aaa: int | None = Field(description="graded AAA (a count)")
    grade_aa: int | None = Field(description="graded AA (a count)")
    grade_a: int | None = Field(description="graded A (a count)")
    grade_b: int | None = Field(description="graded B (a count)")
    grade_c: int | None = Field(description="graded C (a count)")
    grade_d: int | None = Field(description="graded D (a count)")
    vetoed: int | None = Field(description="rating vetoed by the negative list (一票否决) (a count)")
    credit_units: int | None = Field(description="villages or towns designated credit village / credit town (信用村/信用镇) (a count)")
    evaluated: int | None = Field(description="subjects with a published civility evaluation (乡风文明评议) (a count)")
    negative_subjects: int | None = Field(description="subjects with an active negative-list record (负面清单) (a count)")
    lines: int | None = Field(description="credit lines granted (active or frozen, 授信户数) (a count)")
    lines_frozen: int | None = Field(description="credit lines frozen (a count)")
    line_amount: str | None = Field(description="credit granted (授信金额) (CNY, to the fen)")
    borrowers: int | None = Field(description="subjects drawing on their line (用信户数) (a count)")
    drawn: str | None = Field(description="credit used, drawn and not repaid (用信金额) (CNY, to the fen)")
    loans: int | None = Field(description="loans recorded (贷款笔数) (a count; a flow (total to date))")
    loan_amount: str | None = Field(description="amount lent (贷款金额) (CNY, to the fen; a flow (total to date))")
    repayments: int | None = Field(description="repayments recorded (a count; a flow (total to date))")
    repaid_amount: str | None = Field(description="amount repaid (CNY, to the fen; a flow (total to date))")
    defaults: int | None = Field(description="loans defaulted (不良) (a count; a flow (total to date))")
    loss_amount: str | None = Field(description="loss on defaulted loans (CNY, to the fen; a flow (total to date))")
    fund_paid: str | None = Field(description="paid by the risk-compensation fund (风险补偿金) (CNY, to the fen; a flow (total to date))")
    redemptions: int | None = Field(description="merchant redemptions, net of reversals (信用商圈) (a count; a flow (total to date))")
    bill_amount: str | None = Field(description="bills paid with a credit discount (CNY, to the fen; a flow (total to date))")
    discount_amount: str | None = Field(description="discount given to credit households (CNY, to the fen; a flow (total to date))")
    credit_subjects: int | None = Field(description="graded A or better (信用户/信用主体) (a count)")
    credit_subject_share: str | None = Field(description="credit subjects over rated subjects (a share, 4 decimals)")
    used_share: str | None = Field(description="credit used over credit granted (用信率) (a share, 4 decimals)")
    borrower_share: str | None = Field(description="borrowers over lines granted (a share, 4 decimals)")
    credit_village_share: str | None = Field(description="credit villages over villages on file (信用村占比) (a share, 4 decimals)")
    credit_town_share: str | None = Field(description="credit towns over towns on file (信用镇占比) (a share, 4 decimals)")

def _figures_example() -> dict[str, JsonValue]:
    def value(name: str) -> JsonValue:
        description = FiguresOut.model_fields[name].description or ""
        if "CNY" in description:
            return "1080000000.00"
        if "a share" in description:
            return "0.7550"
        return 5400
    return {name: value(name) for name in FiguresOut.model_fields}


FIGURES_EXAMPLE = _figures_example()


class KindFiguresOut(BaseModel):
    figures: FiguresOut
    suppressed: list[str]


SUMMARY_EXAMPLE: dict[str, JsonValue] = {
    "region": {"code": "341181", "level": "county"}, "kind": None, "as_of": None,
    "suppression": {"applied": True, "threshold": 5},
    "headline": {"line_amount": "1520000000.00", "drawn": "480000000.00", "used_share": "0.3158",
                 "credit_subjects": 86000, "credit_village_share": "0.7550", "credit_town_share": "0.5714"},
    "figures": FIGURES_EXAMPLE, "suppressed": [], "by_kind": {"household": {"figures": FIGURES_EXAMPLE, "suppressed": []}},
    "units": {"lines": "count", "line_amount": "CNY", "used_share": "ratio"}}


class SummaryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [SUMMARY_EXAMPLE]})
    region: RegionRef
    kind: str | None
    as_of: str | None = Field(description="the month end the figures are at; null: now")
    suppression: SuppressionOut
    headline: HeadlineOut
    figures: FiguresOut
    suppressed: list[str] = Field(description="the figures shown as null")
    by_kind: dict[str, KindFiguresOut] = Field(description="per kind of subject present: household, new_entity, "
                                                           "collective, village, town")
    units: dict[str, str] = Field(description="per figure: count, CNY or ratio")


class RegionFiguresOut(BaseModel):
    code: str
    level: str
    parent: str | None
    figures: FiguresOut
    suppressed: list[str]


class RegionsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"level": "town", "parent": {"code": "341181", "level": "county"}, "kind": None, "as_of": None, "suppression": {"applied": True, "threshold": 5}, "units": {"lines": "count", "line_amount": "CNY"}, "regions": [{"code": "341181100", "level": "town", "parent": "341181", "figures": FIGURES_EXAMPLE, "suppressed": []}]}]})
    level: str
    parent: RegionRef
    kind: str | None
    as_of: str | None
    suppression: SuppressionOut
    units: dict[str, str]
    regions: list[RegionFiguresOut]


class PointOut(BaseModel):
    month: str = Field(description="YYYY-MM")
    month_end: str = Field(description="the month's last day")
    value: int | str | None = Field(description="the level at the month end (a flow: the total to date)")
    change: int | str | None = Field(description="within the month; null when either month end is suppressed")
    suppressed: bool


class TimeseriesOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [{
        "metric": "lines", "unit": "count", "flow": False, "description": "credit lines granted (active or frozen, 授信户数)",
        "region": {"code": "341181", "level": "county"}, "kind": None, "from": "2026-01", "to": "2026-02",
        "suppression": {"applied": True, "threshold": 5},
        "points": [{"month": "2026-01", "month_end": "2026-01-31", "value": 81000, "change": 1200, "suppressed": False},
                   {"month": "2026-02", "month_end": "2026-02-28", "value": 81900, "change": 900, "suppressed": False}]}]})
    metric: str
    unit: str
    flow: bool
    description: str
    region: RegionRef
    kind: str | None
    from_: str = Field(alias="from")
    to: str
    suppression: SuppressionOut
    points: list[PointOut]
