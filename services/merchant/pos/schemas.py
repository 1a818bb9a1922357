"""POS payloads (the public contract of merchants' POS and benefit verifiers)."""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator

from common.errors import field_error
from common.i18n import Text, TextError
from merchant.offers.schemas import RuleIn

Code = Annotated[str, Field(min_length=1, max_length=200, description="what the QR code holds")]


class VerifyIn(BaseModel):
    code: Code


class OfferNow(BaseModel):
    offer_id: str
    title: str
    rule: RuleIn
    stackable: bool
    programme_id: str | None
    valid_until: str | None


class VerifyOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "valid": True, "status": "credit_household", "masked_name": "张*", "grade": "AA", "offers": [
            {"offer_id": "o-3f1c2a9b7d10", "title": "信用户九折", "rule": {"kind": "percent", "percent": "10", "cap": "20.00"},
             "stackable": False, "programme_id": None, "valid_until": None}]}]})
    valid: bool
    status: Literal["credit_household", "not_credit_household", "unknown_code"] = Field(
        description="a household without consent to this use, or archived, answers as unknown_code")
    masked_name: str | None
    grade: str | None
    offers: list[OfferNow]


VERIFY_OPENAPI: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": VerifyIn.model_json_schema()}}}}


def parse_verify(body: bytes) -> str:
    """The code from a verify body, or a problem naming the field (hand-parsed: this is the hot path)."""
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise field_error("body", Text("not JSON", "不是有效的 JSON")) from None
    code = raw.get("code") if isinstance(raw, dict) else None
    if not isinstance(code, str) or not 1 <= len(code) <= 200:
        raise field_error("code", Text("a string of 1 to 200 characters is required", "须为 1 至 200 个字符的文本"))
    return code


class RedeemIn(BaseModel):
    code: Code
    offer_id: str | None = Field(None, min_length=1, max_length=40)
    offer_ids: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(
        None, min_length=1, max_length=10, description="several stackable offers (可叠加) on one bill")
    bill_amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2, description="CNY, to the fen")
    quantity: int = Field(1, ge=1, le=10000, description="items bought at a fixed price")

    @model_validator(mode="after")
    def _one_way(self) -> RedeemIn:
        if (self.offer_id is None) == (self.offer_ids is None):
            raise TextError(Text("give offer_id or offer_ids", "须给出 offer_id 或 offer_ids（二选一）"))
        return self

    def ids(self) -> list[str]:
        ids = self.offer_ids if self.offer_ids is not None else [str(self.offer_id)]
        return list(dict.fromkeys(ids))


class RedeemedOfferOut(BaseModel):
    redemption_id: str = Field(description="this offer's line (the receipt's id when one offer was applied)")
    offer_id: str
    discount: str


class RedeemOut(BaseModel):
    """A recorded purchase (核销): money in CNY strings to the fen."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "redemption_id": "r-6f0c9d2e1b3a4c5d", "bill_amount": "100.00", "discount": "10.00", "amount_to_pay": "90.00",
        "offers": [{"redemption_id": "r-6f0c9d2e1b3a4c5d", "offer_id": "o-3f1c2a9b7d10", "discount": "10.00"}],
        "redeemed_at": "2026-11-25T08:00:00+00:00"}]})
    redemption_id: str = Field(description="the receipt: refund it with this id")
    bill_amount: str
    discount: str
    amount_to_pay: str
    offers: list[RedeemedOfferOut]
    redeemed_at: str


class RefundOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "redemption_id": "r-6f0c9d2e1b3a4c5d", "status": "reversed", "reversed_at": "2026-11-25T09:00:00+00:00",
        "discount_returned": "10.00"}]})
    redemption_id: str
    status: Literal["reversed"]
    reversed_at: str
    discount_returned: str = Field(description="budgets, daily budgets and the household's uses come back")
