"""Webhooks for merchants: what is the merchant's own (only a merchant that asked for grade changes
registers, from now on); registering, rotating, the delivery log and redelivery are
common.webhooks.service's. Delivery itself is the worker's (``worker.py``), never a request's."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common.i18n import Text
from common.pii import PIICipher
from common.webhooks import service as common
from merchant.grade_changes import repository as grade_changes
from merchant.grade_changes.service import not_subscribed
from merchant.webhooks.models import TABLES
from merchant.webhooks.schemas import WebhookCreatedOut, WebhookIn

MERCHANT = Text("this merchant", "本商户")


async def register(session: AsyncSession, merchant_id: str, body: WebhookIn, cipher: PIICipher,
                   allow_http_loopback: bool) -> WebhookCreatedOut:
    """An endpoint for the merchant's grade changes, from now on; only for a merchant that asked for
    the feed (``POST /v1/grade-changes:subscribe``): the pushes are its items."""

    async def subscribed() -> None:
        if await grade_changes.subscription(session, merchant_id) is None:
            raise not_subscribed(merchant_id)

    async def start() -> int:
        return await grade_changes.last_id(session)

    return await common.register(session, TABLES, merchant_id, body.url, cipher, allow_http_loopback,
                                 owner=MERCHANT, start=start, entitled=subscribed)
