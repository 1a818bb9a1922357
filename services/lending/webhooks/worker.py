"""Lending's webhook worker (``LENDING_RUN_WEBHOOKS``; common.webhooks.worker does the loop, the
deliveries, the signed POSTs and the retries). What is lending's: an endpoint is served while its
bank is an active partner; a batch is the next page of the bank's changes (the same selection as
``GET /v1/credit-line-changes``) after the endpoint's cursor, each change in it a logged disclosure
(channel ``webhook``) in the delivery's transaction.

Every ``feed_expiry_check_seconds`` it also records the lines whose term ran out (``expired``), for
the feed and the webhooks alike (``lending.changes.service.record_expiries``)."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from common.clock import beijing_today
from common.db import Database
from common.pii import PIICipher
from common.webhooks.worker import Batch
from common.webhooks.worker import WebhookWorker as CommonWorker
from lending.banks import repository as banks
from lending.changes import repository as changes
from lending.changes import service as change_feed
from lending.disclosures import repository as disclosures
from lending.disclosures.log import entry
from lending.settings import LendingSettings
from lending.webhooks.models import TABLES
from lending.webhooks.schemas import WebhookPayload


class WebhookWorker(CommonWorker):
    tables = TABLES
    log = logging.getLogger("lending.webhooks")
    settings: LendingSettings

    def __init__(self, db: Database, settings: LendingSettings, cipher: PIICipher,
                 client: httpx.AsyncClient | None = None) -> None:
        super().__init__(db, settings, cipher, client)
        self._next_sweep: float | None = None

    async def between_passes(self) -> None:
        loop = asyncio.get_running_loop()
        if self._next_sweep is None or loop.time() >= self._next_sweep:
            self._next_sweep = loop.time() + self.settings.feed_expiry_check_seconds
            await self.sweep_expiries()

    async def sweep_expiries(self) -> int:
        async with self.db.transaction() as session:
            found = await change_feed.record_expiries(session, beijing_today())
        if found:
            self.log.info("expired lines recorded in the change feed", extra={"count": found})
        return found

    async def entitled(self, session: AsyncSession, hook: Any) -> bool:
        bank = await banks.get_bank(session, hook.bank_id)
        return bank is not None and bank.active  # a deactivated partner gets nothing, as on every route

    async def last_id(self, session: AsyncSession) -> int:
        return await changes.last_id(session)

    async def batch(self, session: AsyncSession, hook: Any, now: datetime) -> Batch:
        page = await change_feed.page_for(session, hook.bank_id, hook.cursor, self.settings.webhook_batch,
                                          self.settings.feed_relationship_days)
        if page.items:  # a push shows grades as a read does: logged, in the same transaction
            await disclosures.add_many(session, [entry(hook.bank_id, c.subject_id, c.grade, "webhook",
                                                       f"webhook {hook.id}") for c in page.items])
        return Batch([c.id for c in page.items], page.next_after)

    async def body(self, session: AsyncSession, hook: Any, delivery: Any) -> bytes:
        rows = await changes.by_ids(session, [int(i) for i in delivery.change_ids])
        return orjson.dumps(WebhookPayload(webhook_id=hook.id, delivery_id=delivery.id,
                                           changes=[change_feed.change_out(r) for r in rows]).model_dump(mode="json"))
