"""Credit points (信用积分) payloads."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from common.i18n import Text, TextError


class PointsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject_id: str = Field(min_length=1, max_length=80)
    points: int = Field(ge=-1000, le=1000, description="earned (+) or lost (−)")
    reason: str = Field(min_length=1, max_length=200)
    valid_years: int = Field(default=1, ge=1, le=5, description="the entry expires after this many years")
    serious: bool = Field(default=False, description="a listed serious act (严重失信行为): lowers the grade directly")
    grade_drop: int = Field(default=0, ge=0, le=5, description="grades a serious act drops")

    @model_validator(mode="after")
    def _serious(self) -> PointsIn:
        if self.serious and self.grade_drop == 0:
            raise TextError(Text("a serious item must drop at least one grade (grade_drop)", "严重事项须至少降一级（grade_drop）"))
        if not self.serious and self.grade_drop:
            raise TextError(Text("grade_drop is only for serious items", "只有严重事项才能降级（grade_drop）"))
        if self.serious and self.points > 0:
            raise TextError(Text("a serious item cannot earn points", "严重事项不能加分"))
        return self


ENTRY_EXAMPLE: dict[str, JsonValue] = {"id": 12, "subject_id": "hh-3a9f", "points": 5, "reason": "义务植树", "author": "officer-tc",
                 "serious": False, "grade_drop": 0, "created_at": "2026-11-25T08:00:00+00:00",
                 "expires_at": "2027-11-25T08:00:00+00:00", "corrected_at": None}


class PointsEntryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ENTRY_EXAMPLE]})
    id: int
    subject_id: str
    points: int
    reason: str
    author: str
    serious: bool
    grade_drop: int
    created_at: str
    expires_at: str
    corrected_at: str | None


class PointsRecordedOut(PointsEntryOut):
    """The entry; a serious item (or its correction) re-rates at once, and then also names the
    new rating and grade (absent otherwise)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        ENTRY_EXAMPLE, {**ENTRY_EXAMPLE, "points": -50, "reason": "骗取补贴", "serious": True, "grade_drop": 1,
                        "rating_id": 1043, "grade": "A"}]})
    rating_id: int | None = None
    grade: str | None = None


class BalanceEntryOut(PointsEntryOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{**ENTRY_EXAMPLE, "active": True}]})
    active: bool = Field(description="counted at ``as_of``")


class BalanceOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "subject_id": "hh-3a9f", "as_of": "2026-11-25T08:00:00+00:00", "base": 1000, "balance": 1005,
        "entries": [{**ENTRY_EXAMPLE, "active": True}]}]})
    subject_id: str
    as_of: str
    base: int = Field(description="every household's starting balance")
    balance: int
    entries: list[BalanceEntryOut]


class RankingItemOut(BaseModel):
    rank: int
    subject_id: str
    masked_name: str | None
    village: str | None
    balance: int


class RankingsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "village": "341181100201", "town": None,
        "items": [{"rank": 1, "subject_id": "hh-3a9f", "masked_name": "张*", "village": "341181100201", "balance": 1035}]}]})
    village: str | None
    town: str | None
    items: list[RankingItemOut]
