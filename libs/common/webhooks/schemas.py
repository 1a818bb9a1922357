"""Bodies of every service's webhook routes (推送地址): one set for lending's banks and the
merchant service's merchants. What the worker POSTs (its ``changes``) is each service's own."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue

HOOK_ID = "5b0f3c2e-8d1a-4e59-9c55-0d7e1a3b2f10"
HOOK_URL = "https://hooks.partner.example/cv/changes"  # a bank, a merchant or its POS vendor
HOOK_EXAMPLE: dict[str, JsonValue] = {"id": HOOK_ID, "url": HOOK_URL, "active": True,
                                      "cursor": 1042, "created_at": "2026-12-03T02:00:00Z"}
DELIVERY_ID = 77
DELIVERY_EXAMPLE: dict[str, JsonValue] = {
    "id": DELIVERY_ID, "change_ids": [1041, 1042], "status": "pending", "attempts": 2,
    "created_at": "2026-12-03T02:15:01Z", "last_attempt_at": "2026-12-03T02:16:01Z", "last_status_code": 500,
    "last_error": "HTTP 500", "next_attempt_at": "2026-12-03T02:18:01Z", "delivered_at": None,
    "attempt_log": [{"attempted_at": "2026-12-03T02:15:01Z", "status_code": None, "error": "ConnectError"},
                    {"attempted_at": "2026-12-03T02:16:01Z", "status_code": 500, "error": "HTTP 500"}]}


class WebhookIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"url": HOOK_URL}]})

    url: str = Field(min_length=1, max_length=500, description="an HTTPS endpoint of the caller (a bank; a "
                     "merchant or its POS vendor)")


class WebhookOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [HOOK_EXAMPLE]})

    id: str
    url: str
    active: bool
    cursor: int = Field(description="the last change id the worker has looked at for this endpoint")
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    """The secret is shown here once; the service keeps it encrypted and never shows it again."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **HOOK_EXAMPLE, "secret": "whsec_q3Vn8yZk2LrT5wXc0bJd7HfA1sGe9mPu4KoN6iRtYxE"}]})

    secret: str


class WebhookListOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [HOOK_EXAMPLE]}]})

    items: list[WebhookOut]


class SecretOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": HOOK_ID, "secret": "whsec_Z8pL1cQx4TnV7bWm0sHa3KdR6yFg9uJe2oXi5MtCvNw",
        "previous_secret_valid_until": "2026-12-04T02:00:00Z"}]})

    id: str
    secret: str
    previous_secret_valid_until: datetime | None = Field(description="until then the old secret signs too")


class AttemptOut(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None


class DeliveryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [DELIVERY_EXAMPLE]})

    id: int
    change_ids: list[int]
    status: str = Field(description="pending, delivered or failed (retries ran out: redeliver it)")
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    attempt_log: list[AttemptOut]


class DeliveryPageOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [DELIVERY_EXAMPLE], "next_after": None,
                                                               "next": None}]})

    items: list[DeliveryOut]
    next_after: int | None
    next: str | None
