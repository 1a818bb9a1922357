"""Payloads of merchants and verifiers."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class MerchantIn(BaseModel):
    id: str | None = Field(None, min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_-]+$",
                           description="the id its POS token will be bound to (generated if absent)")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["shop", "benefit_verifier"] = Field("shop", description="shop (商户) or a public-benefit "
                                                      "verifier such as a bus company or a hospital")
    category: str | None = Field(None, max_length=40, description="e.g. grocery, bus, hospital")
    region_code: str | None = Field(None, pattern=r"^\d{6,15}$")


class MerchantStatusIn(BaseModel):
    status: Literal["active", "suspended"]
