"""The webhook worker: a process role like the outbox relay and the event consumer
(``LENDING_RUN_WEBHOOKS``). For each active endpoint, in change-id order:

1. with no delivery pending, the next batch of the bank's changes (the same selection as
   ``GET /v1/credit-line-changes``) becomes a delivery, and the endpoint's cursor moves past what
   was looked at, in one transaction (so each change is in exactly one delivery);
2. the oldest pending delivery is POSTed, signed, when due; a 2xx marks it delivered, anything else
   schedules the next try with exponential backoff until its retry window ends (then ``failed``).

One delivery in flight per endpoint keeps them in order. At least once: a crash after the POST and
before its result is stored sends it again; receivers dedupe by change id. Nothing here runs in a
request: the routes only write rows the worker reads. Run one webhook worker per database.

Every ``feed_expiry_check_seconds`` it also records the lines whose term ran out (``expired``), for
the feed and the webhooks alike (``lending.changes.service.record_expiries``)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

import httpx
import orjson

from common.clock import beijing_today
from common.db import Database, utcnow
from common.pii import PIICipher
from common.webhooks import sender
from common.webhooks.policy import after_attempt, signing_secrets
from lending.banks import repository as banks
from lending.changes import repository as changes
from lending.changes import service as change_feed
from lending.disclosures import repository as disclosures
from lending.disclosures.log import entry
from lending.settings import LendingSettings
from lending.webhooks import repository
from lending.webhooks.models import PENDING, Webhook, WebhookDelivery
from lending.webhooks.schemas import WebhookPayload

log = logging.getLogger("lending.webhooks")


class WebhookWorker:
    def __init__(self, db: Database, settings: LendingSettings, cipher: PIICipher,
                 client: httpx.AsyncClient | None = None) -> None:
        self.db, self.settings, self.cipher = db, settings, cipher
        self.client = client or sender.client(settings.webhook_timeout_seconds)
        self._stop = asyncio.Event()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()
        while not self._stop.is_set():
            try:
                if loop.time() >= next_sweep:
                    next_sweep = loop.time() + self.settings.feed_expiry_check_seconds
                    await self.sweep_expiries()
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

    async def sweep_expiries(self) -> int:
        async with self.db.transaction() as session:
            found = await change_feed.record_expiries(session, beijing_today())
        if found:
            log.info("expired lines recorded in the change feed", extra={"count": found})
        return found

    async def tick(self) -> bool:
        """One pass over every active endpoint; True if anything was made or sent."""
        async with self.db.transaction(write=False) as session:
            ids = await repository.active_ids(session)
        # Endpoints side by side: a slow or dead one does not hold the others' deliveries up.
        results = await asyncio.gather(*(self.serve(i) for i in ids), return_exceptions=True)
        for webhook_id, result in zip(ids, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("webhook %s: pass failed: %s", webhook_id, type(result).__name__)
        return any(r is True for r in results)

    async def serve(self, webhook_id: str) -> bool:
        async with self.db.transaction(write=False) as session:
            due = await repository.oldest_pending(session, webhook_id)
            hook = await repository.get(session, webhook_id)
            bank = await banks.get_bank(session, hook.bank_id) if hook is not None else None
            behind = hook is not None and hook.cursor < await changes.last_id(session)
        if bank is None or not bank.active:  # a deactivated partner gets nothing, as on every route
            return False
        made = False
        if due is None:
            if not behind:  # nothing new: no write transaction at each poll
                return False
            made = await self.make_delivery(webhook_id)
            if not made:
                return False
            async with self.db.transaction(write=False) as session:
                due = await repository.oldest_pending(session, webhook_id)
            if due is None:  # the cursor moved over changes this bank does not see
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
            hook = await repository.get(session, webhook_id, for_update=True)
            if hook is None or not hook.active or await repository.oldest_pending(session, webhook_id):
                return False
            page = await change_feed.page_for(session, hook.bank_id, hook.cursor, self.settings.webhook_batch,
                                              self.settings.feed_relationship_days)
            if page.next_after <= hook.cursor:
                return False
            if page.items:
                now = utcnow()
                await repository.add_delivery(session, {
                    "webhook_id": webhook_id, "change_ids": [c.id for c in page.items], "status": PENDING,
                    "attempts": 0, "created_at": now, "next_attempt_at": now,
                    "retry_until": now + timedelta(hours=self.settings.webhook_retry_hours)})
                # A push shows grades as a read does: logged, in the same transaction.
                await disclosures.add_many(session, [entry(hook.bank_id, c.subject_id, c.grade, "webhook",
                                                           f"webhook {webhook_id}") for c in page.items])
            await repository.update_hook(session, webhook_id, {"cursor": page.next_after})
        return True

    async def send(self, webhook_id: str, delivery: WebhookDelivery, now: datetime) -> None:
        async with self.db.transaction(write=False) as session:
            hook = await repository.get(session, webhook_id)
            rows = await changes.by_ids(session, [int(i) for i in delivery.change_ids])
        assert hook is not None
        body = orjson.dumps(WebhookPayload(webhook_id=webhook_id, delivery_id=delivery.id,
                                           changes=[change_feed.change_out(r) for r in rows]).model_dump(mode="json"))
        status_code, error = await self.post(hook, delivery.id, body, now)
        ok = 200 <= (status_code or 0) < 300
        async with self.db.transaction() as session:
            current = await repository.get_delivery(session, webhook_id, delivery.id)
            if current is None or current.status != PENDING:
                return
            values = after_attempt(current.attempts, current.retry_until, now, status_code, error,
                                   self.settings.webhook_backoff_seconds, self.settings.webhook_backoff_max_seconds)
            await repository.update_delivery(session, delivery.id, values)
            await repository.add_attempt(session, delivery.id, now, status_code, error)
        if not ok:
            log.info("webhook delivery not accepted", extra={"webhook_id": webhook_id, "delivery_id": delivery.id,
                                                             "status_code": status_code, "error": error})

    async def post(self, hook: Webhook, delivery_id: int, body: bytes, now: datetime) -> tuple[int | None, str | None]:
        """POST the body, signed; the status code, or the error's name (never the response's text)."""
        return await sender.post(self.client, hook.url, signing_secrets(hook, self.cipher, now), hook.id,
                                 delivery_id, body)
