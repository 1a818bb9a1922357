"""Bodies of the webhook routes, and of what the worker POSTs."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from lending.changes.schemas import CHANGE_EXAMPLE, LineChangeOut

HOOK_ID = "5b0f3c2e-8d1a-4e59-9c55-0d7e1a3b2f10"


class WebhookIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"url": "https://api.bank.example/cv/changes"}})

    url: str = Field(min_length=1, max_length=500, description="an HTTPS endpoint of the bank")
    after: int | None = Field(default=None, ge=0, description="the change id to start after (default: the "
                              "newest, so only changes from now on); e.g. where the bank's feed reader stopped")


class WebhookOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {
        "id": HOOK_ID, "url": "https://api.bank.example/cv/changes", "active": True, "cursor": 1042,
        "created_at": "2026-12-03T02:00:00Z"}})

    id: str
    url: str
    active: bool
    cursor: int = Field(description="the last change id the worker has looked at for this endpoint")
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    """The secret is shown here once; lending keeps it encrypted and never shows it again."""

    model_config = ConfigDict(json_schema_extra={"example": {
        "id": HOOK_ID, "url": "https://api.bank.example/cv/changes", "active": True, "cursor": 1042,
        "created_at": "2026-12-03T02:00:00Z", "secret": "whsec_3q2+7w..."}})

    secret: str


class WebhookListOut(BaseModel):
    items: list[WebhookOut]


class SecretOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {
        "id": HOOK_ID, "secret": "whsec_Xf1...", "previous_secret_valid_until": "2026-12-04T02:00:00Z"}})

    id: str
    secret: str
    previous_secret_valid_until: datetime | None = Field(description="until then the old secret signs too")


class AttemptOut(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None


class DeliveryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {
        "id": 77, "change_ids": [1041, 1042], "status": "pending", "attempts": 2,
        "created_at": "2026-12-03T02:15:01Z", "last_attempt_at": "2026-12-03T02:16:01Z", "last_status_code": 500,
        "last_error": "HTTP 500", "next_attempt_at": "2026-12-03T02:18:01Z", "delivered_at": None,
        "attempt_log": [{"attempted_at": "2026-12-03T02:15:01Z", "status_code": None, "error": "ConnectError"},
                        {"attempted_at": "2026-12-03T02:16:01Z", "status_code": 500, "error": "HTTP 500"}]}})

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
    items: list[DeliveryOut]
    next_after: int | None
    next: str | None


class WebhookPayload(BaseModel):
    """What the worker POSTs. At least once: the same change can come again (a retry, a redelivery);
    dedupe by the change's ``id``."""

    model_config = ConfigDict(json_schema_extra={"example": {
        "webhook_id": HOOK_ID, "delivery_id": 77, "changes": [CHANGE_EXAMPLE]}})

    webhook_id: str
    delivery_id: int
    changes: list[LineChangeOut]
