"""Indicator systems (指标体系): the typed definition an admin publishes, and the rules a definition
must keep (bands that neither overlap nor leave gaps, weights that add up to 100, grade bands that
cover 0–100 once each). ``check_definition`` returns every fault with the field it is in."""
from __future__ import annotations

from decimal import Decimal
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from common.i18n import Text
from rating.grades import GRADES, RANK

RatedKind = Literal["household", "new_entity", "collective"]
Direction = Literal["higher_better", "lower_better"]
VetoSource = Literal["negative_list", "civility", "loan_default"]
Share = Annotated[Decimal, Field(ge=0, le=1, max_digits=6, decimal_places=4)]
Bound = Annotated[Decimal, Field(max_digits=18, decimal_places=2)]

# The values a rule can read: the registry's profile fields, and what rating derives itself.
PROFILE_INPUTS = frozenset({
    "members_count", "labour_count", "party_members", "max_education", "annual_income", "land_mu",
    "agri_assets_value", "other_assets_value", "industry", "production_years", "entity_type", "employees",
    "annual_revenue", "debts_outstanding", "private_borrowing", "overdue_count", "overdue_months_max",
    "pboc_report_clean", "households_count", "collective_income",
})
DERIVED_INPUTS = frozenset({"civility_score", "civility_points", "on_time_repayments", "late_repayments", "loan_defaults",
                            "total_assets"})
INPUTS = PROFILE_INPUTS | DERIVED_INPUTS
TOTAL_WEIGHT = Decimal(100)


class Band(BaseModel):
    """[min, max): ``min`` null is open below, ``max`` null open above."""

    model_config = ConfigDict(extra="forbid")
    min: Bound | None = None
    max: Bound | None = None
    share: Share


class BandsRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["bands"]
    direction: Direction
    bands: list[Band] = Field(min_length=1, max_length=50)
    missing: Share = Decimal(0)


class ThresholdRule(BaseModel):
    """Full share when the value is at or past the threshold (above for higher_better)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["threshold"]
    direction: Direction
    threshold: Bound
    pass_share: Share = Decimal(1)
    fail_share: Share = Decimal(0)
    missing: Share = Decimal(0)


class LookupRule(BaseModel):
    """A category's share; booleans are looked up as "true"/"false"."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["lookup"]
    values: dict[str, Share] = Field(min_length=1, max_length=50)
    missing: Share = Decimal(0)


Rule = Annotated[BandsRule | ThresholdRule | LookupRule, Field(discriminator="type")]


def split_name(name: str) -> tuple[str, str]:
    """(Chinese, English) of a name written "annual income 家庭年收入": the English words before the
    first Chinese character, the Chinese from it on; a name in one language serves as both."""
    at = next((i for i, ch in enumerate(name) if "\u4e00" <= ch <= "\u9fff"), None)
    if at is None:
        return name.strip(), name.strip()
    zh, en = name[at:].strip(), name[:at].strip()
    return zh, en or zh


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1, max_length=80)
    name_zh: str | None = Field(default=None, min_length=1, max_length=80,
                                description="the name people read (中文名称), e.g. 家庭年收入; from ``name`` when absent")
    name_en: str | None = Field(default=None, min_length=1, max_length=80,
                                description="the English name, e.g. annual income; from ``name`` when absent")

    def labels(self) -> tuple[str, str]:
        """(Chinese, English) label of the indicator: its own names, or those of ``name``
        (versions published before the names were split have only ``name``)."""
        zh, en = split_name(self.name)
        return self.name_zh or zh, self.name_en or en
    category: str = Field(default="", max_length=40)
    input: str = Field(min_length=1, max_length=40)
    weight: Annotated[Decimal, Field(gt=0, le=100, max_digits=6, decimal_places=2)]
    rule: Rule


class GradeBand(BaseModel):
    """Score in [min, max); the top band includes 100."""

    model_config = ConfigDict(extra="forbid")
    grade: Literal["AAA", "AA", "A", "B", "C", "D"]
    min: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
    max: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


class IndicatorSystemIn(BaseModel):
    """A new version of a kind's indicator system (published by an admin, no release needed)."""

    model_config = ConfigDict(extra="forbid")
    kind: RatedKind
    note: str = Field(default="", max_length=500)
    indicators: list[Indicator] = Field(min_length=1, max_length=200)
    grade_bands: list[GradeBand] = Field(min_length=6, max_length=6)
    veto_sources: list[VetoSource] = Field(default=["negative_list", "civility"])
    veto_grade: Literal["B", "C", "D"] = "D"


class IndicatorSystemOut(IndicatorSystemIn):
    """A published version: its definition as published, and who published it when."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "household", "note": "v1 from DOMAIN.md", "indicators": [
            {"code": "annual_income", "name": "家庭年收入", "category": "生产经营情况", "input": "annual_income",
             "weight": "15", "rule": {"type": "bands", "direction": "higher_better", "missing": "0", "bands": [
                 {"min": None, "max": "30000", "share": "0.2"}, {"min": "30000", "max": None, "share": "1"}]}},
            {"code": "pboc_report", "name": "征信记录", "category": "资信状况", "input": "pboc_report_clean",
             "weight": "85", "rule": {"type": "lookup", "values": {"true": "1", "false": "0"}, "missing": "0.5"}}],
        "grade_bands": [{"grade": "AAA", "min": "90", "max": "100"}, {"grade": "AA", "min": "80", "max": "90"},
                        {"grade": "A", "min": "70", "max": "80"}, {"grade": "B", "min": "60", "max": "70"},
                        {"grade": "C", "min": "50", "max": "60"}, {"grade": "D", "min": "0", "max": "50"}],
        "veto_sources": ["negative_list", "civility"], "veto_grade": "D", "version": 1, "created_by": "migration",
        "created_at": "2026-01-05T02:00:00+00:00"}]})
    version: int
    created_by: str
    created_at: str


class IndicatorSystemList(BaseModel):
    items: list[IndicatorSystemOut]


def _err(field: str, en: str, zh: str) -> dict[str, Any]:
    return {"field": field, "message": Text(en, zh)}


def _check_bands(path: str, rule: BandsRule) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    bands = rule.bands
    for i, band in enumerate(bands):
        if band.min is not None and band.max is not None and band.min >= band.max:
            errors.append(_err(f"{path}.bands[{i}]", "min must be below max", "下限（min）须小于上限（max）"))
        if i > 0 and band.min is None:
            errors.append(_err(f"{path}.bands[{i}].min", "only the first band may be open below", "只有第一档可以不设下限"))
        if i < len(bands) - 1 and band.max is None:
            errors.append(_err(f"{path}.bands[{i}].max", "only the last band may be open above", "只有最后一档可以不设上限"))
    for i in range(1, len(bands)):
        prev, cur = bands[i - 1], bands[i]
        if prev.max is None or cur.min is None:
            continue
        if cur.min < prev.max:
            errors.append(_err(f"{path}.bands[{i}].min", f"overlaps the band before it (which ends at {prev.max})",
                               f"与上一档重叠（上一档止于 {prev.max}）"))
        elif cur.min > prev.max:
            errors.append(_err(f"{path}.bands[{i}].min", f"leaves a gap after the band before it ({prev.max} to {cur.min})",
                               f"与上一档之间有空档（{prev.max} 至 {cur.min}）"))
    shares = [b.share for b in bands]
    rising = all(a <= b for a, b in pairwise(shares))
    falling = all(a >= b for a, b in pairwise(shares))
    # More of a good thing never lowers the score: shares follow the direction.
    if rule.direction == "higher_better" and not rising:
        errors.append(_err(f"{path}.bands", "shares must not fall as the value rises (higher_better)",
                           "得分比例不能随数值升高而下降（higher_better）"))
    if rule.direction == "lower_better" and not falling:
        errors.append(_err(f"{path}.bands", "shares must not rise as the value rises (lower_better)",
                           "得分比例不能随数值升高而上升（lower_better）"))
    return errors


def check_definition(defn: IndicatorSystemIn) -> list[dict[str, Any]]:
    """Every fault of a definition, each naming its field (the message a ``Text``); empty when the
    definition is sound."""
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, ind in enumerate(defn.indicators):
        path = f"indicators[{i}]"
        if ind.code in seen:
            errors.append(_err(f"{path}.code", f"duplicate indicator code {ind.code!r}", f"指标代码 {ind.code} 重复"))
        seen.add(ind.code)
        if ind.input not in INPUTS:
            errors.append(_err(f"{path}.input", f"unknown input {ind.input!r}", f"没有 {ind.input} 这项输入数据"))
        if isinstance(ind.rule, BandsRule):
            errors.extend(_check_bands(f"{path}.rule", ind.rule))
        elif isinstance(ind.rule, ThresholdRule) and ind.rule.pass_share < ind.rule.fail_share:
            errors.append(_err(f"{path}.rule.pass_share", "must not be below fail_share", "不能低于 fail_share"))
    total = sum((ind.weight for ind in defn.indicators), Decimal(0))
    if total != TOTAL_WEIGHT:
        errors.append(_err("indicators", f"weights add up to {total}; they must add up to {TOTAL_WEIGHT}",
                           f"各指标权重之和为 {total}，须为 {TOTAL_WEIGHT}"))

    bands = sorted(enumerate(defn.grade_bands), key=lambda p: p[1].min)
    grades = [b.grade for _, b in bands]
    if sorted(grades, key=RANK.__getitem__) != list(GRADES):
        errors.append(_err("grade_bands", "each of AAA, AA, A, B, C, D must appear exactly once",
                           "AAA、AA、A、B、C、D 每个等级须出现且只出现一次"))
    elif grades != list(reversed(GRADES)):
        errors.append(_err("grade_bands", "a better grade must need a higher score", "等级越高，所需分数须越高"))
    for pos, (i, band) in enumerate(bands):
        if band.min >= band.max:
            errors.append(_err(f"grade_bands[{i}]", "min must be below max", "下限（min）须小于上限（max）"))
        if pos == 0 and band.min != 0:
            errors.append(_err(f"grade_bands[{i}].min", "the lowest band must start at 0", "最低一档须从 0 分开始"))
        if pos == len(bands) - 1 and band.max != 100:
            errors.append(_err(f"grade_bands[{i}].max", "the highest band must end at 100", "最高一档须止于 100 分"))
        if pos > 0:
            prev = bands[pos - 1][1]
            if band.min < prev.max:
                errors.append(_err(f"grade_bands[{i}].min", f"overlaps grade {prev.grade} (which ends at {prev.max})",
                                   f"与 {prev.grade} 级重叠（{prev.grade} 级止于 {prev.max} 分）"))
            elif band.min > prev.max:
                errors.append(_err(f"grade_bands[{i}].min", f"leaves a gap after grade {prev.grade} ({prev.max} to {band.min})",
                                   f"与 {prev.grade} 级之间有空档（{prev.max} 至 {band.min} 分）"))
    if RANK[defn.veto_grade] <= RANK["A"]:
        errors.append(_err("veto_grade", "a veto must give a grade below A", "一票否决后的等级须低于 A 级"))
    return errors


def definition_json(defn: IndicatorSystemIn) -> dict[str, Any]:
    return defn.model_dump(mode="json")
