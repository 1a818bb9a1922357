"""POS payloads (the public contract of merchants' POS and benefit verifiers)."""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

Code = Annotated[str, Field(min_length=1, max_length=200, description="what the QR code holds")]


class VerifyIn(BaseModel):
    code: Code


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
            raise ValueError("give offer_id or offer_ids")
        return self

    def ids(self) -> list[str]:
        ids = self.offer_ids if self.offer_ids is not None else [str(self.offer_id)]
        return list(dict.fromkeys(ids))
