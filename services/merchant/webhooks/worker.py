"""The merchant's webhook worker (``MERCHANT_RUN_WEBHOOKS``; common.webhooks.worker does the loop,
the deliveries, the signed POSTs and the retries). What is the merchant's: an endpoint is served
while its merchant is active and still asks for grade changes; a batch is the next page of
``GET /v1/grade-changes`` after the endpoint's cursor, each change in it a logged disclosure
(``outcome`` grade-feed, ``purpose`` webhook) in the delivery's transaction."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from common.webhooks.worker import Batch
from common.webhooks.worker import WebhookWorker as CommonWorker
from merchant.disclosures.models import disclosures
from merchant.grade_changes import repository as grade_changes
from merchant.grade_changes import service as grade_feed
from merchant.merchants import repository as merchants
from merchant.settings import MerchantSettings
from merchant.webhooks.models import TABLES
from merchant.webhooks.schemas import WebhookPayload

PURPOSE = "webhook"


class WebhookWorker(CommonWorker):
    tables = TABLES
    log = logging.getLogger("merchant.webhooks")
    settings: MerchantSettings

    async def entitled(self, session: AsyncSession, hook: Any) -> bool:
        """An active merchant that still asks for grade changes (as ``GET /v1/grade-changes`` demands)."""
        merchant = await merchants.get(session, hook.merchant_id)
        return (merchant is not None and merchant.status == "active"
                and await grade_changes.subscription(session, hook.merchant_id) is not None)

    async def last_id(self, session: AsyncSession) -> int:
        return await grade_changes.last_id(session)

    async def batch(self, session: AsyncSession, hook: Any, now: datetime) -> Batch:
        page = await grade_feed.page_for(session, hook.merchant_id, hook.cursor, self.settings.webhook_batch,
                                         self.settings.grade_feed_relationship_days, now)
        if page.items:  # a push shows grades as a read does (the feed's outcome: it makes no relationship)
            await session.execute(insert(disclosures), [
                {"merchant_id": hook.merchant_id, "subject_id": c.subject_id, "outcome": grade_changes.FEED_OUTCOME,
                 "grade": c.grade, "purpose": PURPOSE, "request_key": None, "at": now} for c in page.items])
        return Batch([c.id for c in page.items], page.next_after)

    async def body(self, session: AsyncSession, hook: Any, delivery: Any) -> bytes:
        rows = await grade_changes.by_ids(session, [int(i) for i in delivery.change_ids])
        return orjson.dumps(WebhookPayload(webhook_id=hook.id, delivery_id=delivery.id,
                                           changes=[grade_feed.change_out(r) for r in rows]).model_dump(mode="json"))
