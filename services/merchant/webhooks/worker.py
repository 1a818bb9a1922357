"""The merchant's webhook worker: a process role like the outbox relay and the event consumer
(``MERCHANT_RUN_WEBHOOKS``). For each active endpoint of an active merchant that still asks for
grade changes, in change-id order:

1. with no delivery pending, the next batch of the merchant's grade changes (the same items as
   ``GET /v1/grade-changes``) becomes a delivery, each change in it a logged disclosure, and the
   endpoint's cursor moves past what was looked at, in one transaction (each change is in exactly
   one delivery);
2. the oldest pending delivery is POSTed, signed, when due (common.webhooks.sender); a 2xx marks it
   delivered, anything else schedules the next try with backoff until its retry window ends
   (common.webhooks.policy.after_attempt).

One delivery in flight per endpoint keeps them in order. At least once: receivers dedupe by change
id. Nothing here runs in a request. Run one webhook worker per database."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database, utcnow
from common.pii import PIICipher
from common.webhooks import sender, store
from common.webhooks.policy import PENDING, after_attempt, signing_secrets
from merchant.disclosures.models import disclosures
from merchant.grade_changes import repository as grade_changes
from merchant.grade_changes import service as grade_feed
from merchant.merchants import repository as merchants
from merchant.settings import MerchantSettings
from merchant.webhooks.models import TABLES
from merchant.webhooks.schemas import WebhookPayload

log = logging.getLogger("merchant.webhooks")
PURPOSE = "webhook"


class WebhookWorker:
    def __init__(self, db: Database, settings: MerchantSettings, cipher: PIICipher,
                 client: httpx.AsyncClient | None = None) -> None:
        self.db, self.settings, self.cipher = db, settings, cipher
        self.client = client or sender.client(settings.webhook_timeout_seconds)
        self._stop = asyncio.Event()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database away, say: try again at the next poll
                log.warning("webhook worker pass failed: %s", type(exc).__name__)
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.settings.webhook_poll_seconds)

    async def stop(self) -> None:
        self._stop.set()
        await self.client.aclose()

    async def tick(self) -> bool:
        """One pass over every active endpoint; True if anything was made or sent."""
        async with self.db.transaction(write=False) as session:
            ids = await store.active_ids(session, TABLES)
        # Endpoints side by side: a slow or dead one does not hold the others' deliveries up.
        results = await asyncio.gather(*(self.serve(i) for i in ids), return_exceptions=True)
        for webhook_id, result in zip(ids, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("webhook %s: pass failed: %s", webhook_id, type(result).__name__)
        return any(r is True for r in results)

    async def entitled(self, session: AsyncSession, merchant_id: str) -> bool:
        """An active merchant that still asks for grade changes (as ``GET /v1/grade-changes`` demands)."""
        merchant = await merchants.get(session, merchant_id)
        return (merchant is not None and merchant.status == "active"
                and await grade_changes.subscription(session, merchant_id) is not None)

    async def serve(self, webhook_id: str) -> bool:
        async with self.db.transaction(write=False) as session:
            due = await store.oldest_pending(session, TABLES, webhook_id)
            hook = await store.get(session, TABLES, webhook_id)
            if hook is None or not await self.entitled(session, hook.merchant_id):
                return False
            behind = hook.cursor < await grade_changes.last_id(session)
        made = False
        if due is None:
            if not behind:  # nothing new: no write transaction at each poll
                return False
            made = await self.make_delivery(webhook_id)
            if not made:
                return False
            async with self.db.transaction(write=False) as session:
                due = await store.oldest_pending(session, TABLES, webhook_id)
            if due is None:  # the cursor moved over changes this merchant does not see
                return True
        now = utcnow()
        if due.next_attempt_at is not None and due.next_attempt_at > now:
            return made
        await self.send(webhook_id, due, now)
        return True

    async def make_delivery(self, webhook_id: str) -> bool:
        """The next batch for the endpoint, and its cursor moved, in one transaction; False if
        there was nothing new to look at."""
        async with self.db.transaction() as session:
            hook = await store.get(session, TABLES, webhook_id, for_update=True)
            if (hook is None or not hook.active or await store.oldest_pending(session, TABLES, webhook_id)
                    or not await self.entitled(session, hook.merchant_id)):
                return False
            page = await grade_feed.page_for(session, hook.merchant_id, hook.cursor, self.settings.webhook_batch,
                                             self.settings.grade_feed_relationship_days)
            if page.next_after <= hook.cursor:
                return False
            if page.items:
                now = utcnow()
                await store.add_delivery(session, TABLES, {
                    "webhook_id": webhook_id, "change_ids": [c.id for c in page.items], "status": PENDING,
                    "attempts": 0, "created_at": now, "next_attempt_at": now,
                    "retry_until": now + timedelta(hours=self.settings.webhook_retry_hours)})
                # A push shows grades as a read does: logged (the feed's outcome, which makes no
                # relationship), in the same transaction.
                await session.execute(insert(disclosures), [
                    {"merchant_id": hook.merchant_id, "subject_id": c.subject_id, "outcome": grade_changes.FEED_OUTCOME,
                     "grade": c.grade, "purpose": PURPOSE, "request_key": None, "at": now} for c in page.items])
            await store.update_hook(session, TABLES, webhook_id, {"cursor": page.next_after})
        return True

    async def send(self, webhook_id: str, delivery: Any, now: datetime) -> None:
        async with self.db.transaction(write=False) as session:
            hook = await store.get(session, TABLES, webhook_id)
            rows = await grade_changes.by_ids(session, [int(i) for i in delivery.change_ids])
        assert hook is not None
        body = orjson.dumps(WebhookPayload(webhook_id=webhook_id, delivery_id=delivery.id,
                                           changes=[grade_feed.change_out(r) for r in rows]).model_dump(mode="json"))
        status_code, error = await sender.post(self.client, hook.url, signing_secrets(hook, self.cipher, now),
                                               webhook_id, delivery.id, body)
        async with self.db.transaction() as session:
            current = await store.get_delivery(session, TABLES, webhook_id, delivery.id)
            if current is None or current.status != PENDING:
                return
            values = after_attempt(current.attempts, current.retry_until, now, status_code, error,
                                   self.settings.webhook_backoff_seconds, self.settings.webhook_backoff_max_seconds)
            await store.update_delivery(session, TABLES, delivery.id, values)
            await store.add_attempt(session, TABLES, delivery.id, now, status_code, error)
        if error is not None:
            log.info("webhook delivery not accepted", extra={"webhook_id": webhook_id, "delivery_id": delivery.id,
                                                             "status_code": status_code, "error": error})
