"""Offer payloads: the rule (percent with cap, 满减, fixed price, benefit), grades, dates, budgets."""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from common.i18n import Text, TextError
from merchant.offers import discounts

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
PositiveMoney = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
Grade = Literal["AAA", "AA", "A"]


class PercentRule(BaseModel):
    kind: Literal["percent"]
    percent: Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2)] = Field(
        description="percent off, e.g. 10 for 10 % off (九折)")
    cap: PositiveMoney | None = Field(None, description="at most this much off per purchase (封顶)")


class SpendSaveRule(BaseModel):
    kind: Literal["spend_save"]
    threshold: PositiveMoney
    save: PositiveMoney
    repeat: bool = Field(False, description="for every full threshold (每满减)")
    max_times: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _save_below_threshold(self) -> SpendSaveRule:
        if self.save > self.threshold:
            raise TextError(Text("save must not exceed threshold", "减免金额（save）不能超过门槛（threshold）"))
        return self


class FixedPriceRule(BaseModel):
    kind: Literal["fixed_price"]
    item: str = Field(min_length=1, max_length=120)
    regular_price: PositiveMoney
    fixed_price: Money
    max_quantity: int = Field(1, ge=1, le=10000)

    @model_validator(mode="after")
    def _cheaper(self) -> FixedPriceRule:
        if self.fixed_price >= self.regular_price:
            raise TextError(Text("fixed_price must be below regular_price", "优惠价（fixed_price）须低于原价（regular_price）"))
        return self


class BenefitRule(BaseModel):
    kind: Literal["benefit"]
    benefit: str = Field(min_length=1, max_length=200, description="e.g. free bus ride (免费乘车), green channel (绿色通道)")


RuleIn = Annotated[PercentRule | SpendSaveRule | FixedPriceRule | BenefitRule, Field(discriminator="kind")]


class Terms(BaseModel):
    """What every offer and programme has: who is eligible, when, and how much it may give."""

    eligible_grades: list[Grade] = Field(min_length=1, description="grades that get it (A or better)")
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    budget_total: PositiveMoney | None = Field(None, description="total discount it may give (总预算)")
    budget_daily: PositiveMoney | None = Field(None, description="discount it may give per day (日预算)")
    per_household_limit: int | None = Field(None, ge=1, description="uses per household")
    stackable: bool = Field(False, description="may be combined with other stackable offers (可叠加)")

    @model_validator(mode="after")
    def _dates(self) -> Terms:
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise TextError(Text("valid_until must be after valid_from", "结束时间（valid_until）须晚于开始时间（valid_from）"))
        return self


class OfferIn(Terms):
    title: str = Field(min_length=1, max_length=200)
    rule: RuleIn


class OfferOut(BaseModel):
    """An offer (优惠) or a programme's benefit, as registered; money in CNY strings to the fen."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "o-3f1c2a9b7d10", "merchant_id": "merchant-demo-market", "programme_id": None, "title": "信用户九折",
        "rule": {"kind": "percent", "percent": "10", "cap": "20.00"}, "eligible_grades": ["AAA", "AA", "A"],
        "valid_from": "2026-11-25T08:00:00+00:00", "valid_until": None, "budget_total": "5000.00", "spent": "0.00",
        "budget_daily": None, "per_household_limit": None, "stackable": False, "status": "active"}]})
    id: str
    merchant_id: str | None = Field(description="the shop giving it; null for a programme's benefit")
    programme_id: str | None
    title: str
    rule: RuleIn
    eligible_grades: list[str]
    valid_from: str = Field(description="ISO 8601, UTC")
    valid_until: str | None
    budget_total: str | None
    spent: str
    budget_daily: str | None
    per_household_limit: int | None
    stackable: bool
    status: Literal["active", "withdrawn"]


def rule_from_json(raw: dict[str, Any]) -> discounts.Rule:
    """The stored rule as the plain value the discount maths takes."""
    kind = raw["kind"]
    if kind == "percent":
        return discounts.PercentOff(Decimal(raw["percent"]), Decimal(raw["cap"]) if raw.get("cap") else None)
    if kind == "spend_save":
        return discounts.SpendSave(Decimal(raw["threshold"]), Decimal(raw["save"]), bool(raw.get("repeat")),
                                   raw.get("max_times"))
    if kind == "fixed_price":
        return discounts.FixedPrice(raw["item"], Decimal(raw["regular_price"]), Decimal(raw["fixed_price"]),
                                    int(raw.get("max_quantity", 1)))
    return discounts.Benefit(raw.get("benefit", ""))
