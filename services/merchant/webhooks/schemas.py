"""Bodies of the merchant's webhook routes, and of what its worker POSTs."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from merchant.grade_changes.schemas import CHANGE_EXAMPLE, GradeChangeOut

HOOK_ID = "9c4e2a71-3b5d-4f08-8e6a-1d2c3b4a5f60"
HOOK_EXAMPLE: dict[str, JsonValue] = {"id": HOOK_ID, "url": "https://pos.vendor.example/cv/grade-changes",
                                      "active": True, "cursor": 311, "created_at": "2026-12-03T02:00:00Z"}
DELIVERY_EXAMPLE: dict[str, JsonValue] = {
    "id": 41, "change_ids": [310, 311], "status": "pending", "attempts": 2,
    "created_at": "2026-12-03T02:15:01Z", "last_attempt_at": "2026-12-03T02:16:01Z", "last_status_code": 500,
    "last_error": "HTTP 500", "next_attempt_at": "2026-12-03T02:18:01Z", "delivered_at": None,
    "attempt_log": [{"attempted_at": "2026-12-03T02:15:01Z", "status_code": None, "error": "ConnectError"},
                    {"attempted_at": "2026-12-03T02:16:01Z", "status_code": 500, "error": "HTTP 500"}]}


class WebhookIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"url": "https://pos.vendor.example/cv/grade-changes"}]})

    url: str = Field(min_length=1, max_length=500, description="an HTTPS endpoint of the merchant (or its POS vendor)")


class WebhookOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [HOOK_EXAMPLE]})

    id: str
    url: str
    active: bool
    cursor: int = Field(description="the last grade-change id the worker has looked at for this endpoint")
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    """The secret is shown here once; the merchant service keeps it encrypted and never shows it again."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        **HOOK_EXAMPLE, "secret": "whsec_Hk3uQ9vL0pXa7cZr2TnW5yBe8mSd1fJg4oKi6VtRxYs"}]})

    secret: str


class WebhookListOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [HOOK_EXAMPLE]}]})

    items: list[WebhookOut]


class SecretOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": HOOK_ID, "secret": "whsec_Pq7Lm2Xc9Vb4Nz1Ka6Sd3Fg8Hj5Tr0WyEu2Io7RtQw",
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


class WebhookPayload(BaseModel):
    """What the worker POSTs: the items ``GET /v1/grade-changes`` shows, in id order. At least once:
    the same change can come again (a retry, a redelivery); dedupe by the change's ``id``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "webhook_id": HOOK_ID, "delivery_id": 41, "changes": [CHANGE_EXAMPLE]}]})

    webhook_id: str
    delivery_id: int
    changes: list[GradeChangeOut]
