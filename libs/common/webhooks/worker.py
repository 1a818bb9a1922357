"""The webhook worker every sending service runs: a process role like the outbox relay and the event
consumer (``<SERVICE>_RUN_WEBHOOKS``). For each active endpoint, in change-id order:

1. with no delivery pending, the next batch of the owner's changes (the service's selection, as its
   pull feed shows them) becomes a delivery, disclosed as the service logs disclosures, and the
   endpoint's cursor moves past what was looked at, in one transaction (so each change is in
   exactly one delivery);
2. the oldest pending delivery is POSTed, signed (``sender``), when due; a 2xx marks it delivered,
   anything else schedules the next try with backoff until its retry window ends
   (``policy.after_attempt``), then ``failed``.

One delivery in flight per endpoint keeps them in order. At least once: a crash after the POST and
before its result is stored sends it again; receivers dedupe by change id. Nothing here runs in a
request: the routes only write rows the worker reads. Run one webhook worker per database.

A service says what is its own by overriding ``entitled``, ``last_id``, ``batch`` and ``body``."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database, utcnow
from common.pii import PIICipher
from common.webhooks import sender, store
from common.webhooks.policy import PENDING, after_attempt, signing_secrets
from common.webhooks.settings import WebhookSettings
from common.webhooks.tables import WebhookTables


@dataclass
class Batch:
    """What the owner's feed shows after the endpoint's cursor: the changes' ids (in order) and the
    cursor to move to (past what was looked at, also when nothing was the owner's)."""

    change_ids: list[int]
    next_after: int


class WebhookWorker:
    tables: WebhookTables
    log = logging.getLogger("common.webhooks")

    def __init__(self, db: Database, settings: WebhookSettings, cipher: PIICipher,
                 client: httpx.AsyncClient | None = None) -> None:
        self.db, self.settings, self.cipher = db, settings, cipher
        self.client = client or sender.client(settings.webhook_timeout_seconds)
        self._stop = asyncio.Event()

    # What each service says -------------------------------------------------------------------
    async def entitled(self, session: AsyncSession, hook: Any) -> bool:
        """Whether the endpoint's owner may be sent anything now (active, still asking ...)."""
        raise NotImplementedError

    async def last_id(self, session: AsyncSession) -> int:
        """The newest change id of the service's feed."""
        raise NotImplementedError

    async def batch(self, session: AsyncSession, hook: Any, now: datetime) -> Batch:
        """The next batch after ``hook.cursor``, its changes logged as disclosed (in this transaction)."""
        raise NotImplementedError

    async def body(self, session: AsyncSession, hook: Any, delivery: Any) -> bytes:
        """The JSON a delivery POSTs: the same changes each time it is sent."""
        raise NotImplementedError

    async def between_passes(self) -> None:
        """Anything else the worker does on its beat (lending records expiries)."""

    # The loop ---------------------------------------------------------------------------------
    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.between_passes()
                busy = await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database away, say: try again at the next poll
                self.log.warning("webhook worker pass failed: %s", type(exc).__name__)
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
            ids = await store.active_ids(session, self.tables)
        # Endpoints side by side: a slow or dead one does not hold the others' deliveries up.
        results = await asyncio.gather(*(self.serve(i) for i in ids), return_exceptions=True)
        for webhook_id, result in zip(ids, results, strict=True):
            if isinstance(result, BaseException):
                self.log.warning("webhook %s: pass failed: %s", webhook_id, type(result).__name__)
        return any(r is True for r in results)

    async def serve(self, webhook_id: str) -> bool:
        async with self.db.transaction(write=False) as session:
            due = await store.oldest_pending(session, self.tables, webhook_id)
            hook = await store.get(session, self.tables, webhook_id)
            if hook is None or not await self.entitled(session, hook):  # as on every route
                return False
            behind = hook.cursor < await self.last_id(session)
        made = False
        if due is None:
            if not behind:  # nothing new: no write transaction at each poll
                return False
            made = await self.make_delivery(webhook_id)
            if not made:
                return False
            async with self.db.transaction(write=False) as session:
                due = await store.oldest_pending(session, self.tables, webhook_id)
            if due is None:  # the cursor moved over changes this owner does not see
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
            hook = await store.get(session, self.tables, webhook_id, for_update=True)
            if (hook is None or not hook.active or await store.oldest_pending(session, self.tables, webhook_id)
                    or not await self.entitled(session, hook)):
                return False
            now = utcnow()
            found = await self.batch(session, hook, now)
            if found.next_after <= hook.cursor:
                return False
            if found.change_ids:
                await store.add_delivery(session, self.tables, {
                    "webhook_id": webhook_id, "change_ids": found.change_ids, "status": PENDING, "attempts": 0,
                    "created_at": now, "next_attempt_at": now,
                    "retry_until": now + timedelta(hours=self.settings.webhook_retry_hours)})
            await store.update_hook(session, self.tables, webhook_id, {"cursor": found.next_after})
        return True

    async def send(self, webhook_id: str, delivery: Any, now: datetime) -> None:
        async with self.db.transaction(write=False) as session:
            hook = await store.get(session, self.tables, webhook_id)
            assert hook is not None
            body = await self.body(session, hook, delivery)
        status_code, error = await sender.post(self.client, hook.url, signing_secrets(hook, self.cipher, now),
                                               webhook_id, delivery.id, body)
        async with self.db.transaction() as session:
            current = await store.get_delivery(session, self.tables, webhook_id, delivery.id)
            if current is None or current.status != PENDING:
                return
            values = after_attempt(current.attempts, current.retry_until, now, status_code, error,
                                   self.settings.webhook_backoff_seconds, self.settings.webhook_backoff_max_seconds)
            await store.update_delivery(session, self.tables, delivery.id, values)
            await store.add_attempt(session, self.tables, delivery.id, now, status_code, error)
        if error is not None:
            self.log.info("webhook delivery not accepted", extra={"webhook_id": webhook_id, "delivery_id": delivery.id,
                                                                  "status_code": status_code, "error": error})
