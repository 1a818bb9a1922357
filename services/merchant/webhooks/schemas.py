"""The merchant's own webhook body: what its worker POSTs (grade changes). The routes' bodies are
common.webhooks.schemas'."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from common.webhooks.schemas import (  # noqa: F401 (the merchant's routes answer these)
    DELIVERY_ID,
    HOOK_ID,
    DeliveryOut,
    DeliveryPageOut,
    SecretOut,
    WebhookCreatedOut,
    WebhookIn,
    WebhookListOut,
    WebhookOut,
)
from merchant.grade_changes.schemas import CHANGE_EXAMPLE, GradeChangeOut


class WebhookPayload(BaseModel):
    """What the worker POSTs: the items ``GET /v1/grade-changes`` shows, in id order. At least once:
    the same change can come again (a retry, a redelivery); dedupe by the change's ``id``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "webhook_id": HOOK_ID, "delivery_id": DELIVERY_ID, "changes": [CHANGE_EXAMPLE]}]})

    webhook_id: str
    delivery_id: int
    changes: list[GradeChangeOut]
