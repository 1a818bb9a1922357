"""Webhooks for merchants: register an endpoint (the secret is shown once), rotate its secret, read
the delivery log, redeliver. Delivery itself is the worker's (``worker.py``), never a request's.
What is not the merchant's own (URL rules, secrets, signing, retries, SQL) is common.webhooks'."""
from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import utcnow
from common.errors import conflict, field_error, not_found
from common.i18n import Text
from common.pii import PIICipher
from common.webhooks import store
from common.webhooks.policy import PENDING, encrypt_secret, url_problem
from common.webhooks.signing import new_secret
from merchant.grade_changes import repository as grade_changes
from merchant.grade_changes.service import not_subscribed
from merchant.webhooks.models import TABLES
from merchant.webhooks.schemas import (
    AttemptOut,
    DeliveryOut,
    DeliveryPageOut,
    SecretOut,
    WebhookCreatedOut,
    WebhookIn,
    WebhookOut,
)


def hook_out(hook: Any) -> WebhookOut:
    return WebhookOut(id=hook.id, url=hook.url, active=hook.active, cursor=hook.cursor, created_at=hook.created_at)


async def register(session: AsyncSession, merchant_id: str, body: WebhookIn, cipher: PIICipher,
                   allow_http_loopback: bool) -> WebhookCreatedOut:
    """An endpoint for the merchant's grade changes, from now on; only for a merchant that asked for
    the feed (``POST /v1/grade-changes:subscribe``): the pushes are its items."""
    problem = url_problem(body.url, allow_http_loopback)
    if problem:
        raise field_error("url", problem)
    if await grade_changes.subscription(session, merchant_id) is None:
        raise not_subscribed(merchant_id)
    existing = await store.find(session, TABLES, merchant_id, body.url)
    if existing is not None:  # a retried registration: the secret was shown once, rotate for a new one
        raise conflict(Text("Webhook exists", "推送地址已登记"),
                       Text(f"this merchant already has webhook {existing.id} for this URL",
                            f"本商户已为该网址登记了推送（webhook）{existing.id}"),
                       type="webhook-exists", webhook_id=existing.id)
    webhook_id, secret, now = str(uuid.uuid4()), new_secret(), utcnow()
    cursor = await grade_changes.last_id(session)
    await store.add(session, TABLES, {"id": webhook_id, "merchant_id": merchant_id, "url": body.url,
                                      "cursor": cursor, "secret_enc": encrypt_secret(cipher, webhook_id, secret),
                                      "active": True, "created_at": now})
    return WebhookCreatedOut(id=webhook_id, url=body.url, active=True, cursor=cursor, created_at=now, secret=secret)


async def own_hook(session: AsyncSession, merchant_id: str, webhook_id: str, *, for_update: bool = False) -> Any:
    """The merchant's webhook; another merchant's answers exactly like an unknown one."""
    hook = await store.get(session, TABLES, webhook_id, for_update=for_update)
    if hook is None or hook.merchant_id != merchant_id:
        raise not_found(Text("webhook", "推送地址（webhook）"), webhook_id)
    return hook


async def hooks_of(session: AsyncSession, merchant_id: str) -> list[WebhookOut]:
    return [hook_out(h) for h in await store.of_owner(session, TABLES, merchant_id)]


async def rotate(session: AsyncSession, merchant_id: str, webhook_id: str, cipher: PIICipher,
                 overlap: timedelta) -> SecretOut:
    """A new secret; the current one keeps signing (a second ``v1=``) for ``overlap``."""
    hook = await own_hook(session, merchant_id, webhook_id, for_update=True)
    secret = new_secret()
    until = utcnow() + overlap if overlap > timedelta(0) else None
    await store.update_hook(session, TABLES, webhook_id, {
        "secret_enc": encrypt_secret(cipher, webhook_id, secret),
        "old_secret_enc": hook.secret_enc if until else None, "old_secret_until": until})
    return SecretOut(id=webhook_id, secret=secret, previous_secret_valid_until=until)


def delivery_out(d: Any, attempts: list[Any]) -> DeliveryOut:
    return DeliveryOut(id=d.id, change_ids=[int(i) for i in d.change_ids], status=d.status, attempts=d.attempts,
                       created_at=d.created_at, last_attempt_at=d.last_attempt_at,
                       last_status_code=d.last_status_code, last_error=d.last_error,
                       next_attempt_at=d.next_attempt_at, delivered_at=d.delivered_at,
                       attempt_log=[AttemptOut(attempted_at=a.attempted_at, status_code=a.status_code, error=a.error)
                                    for a in attempts])


async def deliveries(session: AsyncSession, merchant_id: str, webhook_id: str, after: int,
                     limit: int) -> DeliveryPageOut:
    await own_hook(session, merchant_id, webhook_id)
    rows = await store.deliveries(session, TABLES, webhook_id, after, limit)
    attempts = await store.attempts_of(session, TABLES, [d.id for d in rows])
    next_after = rows[-1].id if len(rows) == limit else None
    return DeliveryPageOut(items=[delivery_out(d, attempts[d.id]) for d in rows], next_after=next_after,
                           next=(f"/v1/webhooks/{webhook_id}/deliveries?after={next_after}&limit={limit}"
                                 if next_after is not None else None))


async def redeliver(session: AsyncSession, merchant_id: str, webhook_id: str, delivery_id: int,
                    retry_window: timedelta) -> DeliveryOut:
    """Send a delivery again (delivered or failed): the same changes, the same ids, as soon as the
    worker gets to it, before the deliveries made after it (the oldest pending goes first)."""
    await own_hook(session, merchant_id, webhook_id)
    if await store.get_delivery(session, TABLES, webhook_id, delivery_id) is None:
        raise not_found(Text("delivery", "推送记录"), delivery_id)
    now = utcnow()
    await store.update_delivery(session, TABLES, delivery_id, {"status": PENDING, "next_attempt_at": now,
                                                               "retry_until": now + retry_window})
    delivery = await store.get_delivery(session, TABLES, webhook_id, delivery_id)
    assert delivery is not None
    return delivery_out(delivery, (await store.attempts_of(session, TABLES, [delivery_id]))[delivery_id])
