"""Payloads of merchants and verifiers."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from common.paging import CursorPage


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


class MerchantOut(BaseModel):
    """A merchant (商户) or a public-benefit verifier."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "merchant-demo-market", "name": "秦栏供销超市", "kind": "shop", "category": "grocery",
        "region_code": "341181100201", "status": "active", "created_at": "2026-11-25T08:00:00+00:00"}]})
    id: str
    name: str
    kind: Literal["shop", "benefit_verifier"]
    category: str | None
    region_code: str | None
    status: Literal["active", "suspended"]
    created_at: str = Field(description="ISO 8601, UTC")


class MerchantPage(CursorPage):
    items: list[MerchantOut]
