"""Lending's own webhook bodies: a registration may start after a given change, and the worker
POSTs credit-line changes. The rest is common.webhooks.schemas'."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from common.webhooks import schemas as common
from common.webhooks.schemas import (  # noqa: F401 (lending's routes answer these)
    DeliveryOut,
    DeliveryPageOut,
    SecretOut,
    WebhookCreatedOut,
    WebhookListOut,
    WebhookOut,
)
from lending.changes.schemas import CHANGE_EXAMPLE, LineChangeOut


class WebhookIn(common.WebhookIn):
    after: int | None = Field(default=None, ge=0, description="the change id to start after (default: the "
                              "newest, so only changes from now on); e.g. where the bank's feed reader stopped")


class WebhookPayload(BaseModel):
    """What the worker POSTs. At least once: the same change can come again (a retry, a redelivery);
    dedupe by the change's ``id``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "webhook_id": common.HOOK_ID, "delivery_id": common.DELIVERY_ID, "changes": [CHANGE_EXAMPLE]}]})

    webhook_id: str
    delivery_id: int
    changes: list[LineChangeOut]
