"""The webhook routes' logic for every service (lending's banks, the merchant service's merchants):
register an endpoint (the secret is shown once; the same URL again is 409), list, rotate its
secret, read the delivery log, redeliver. Each service says only who owns an endpoint (its
``WebhookTables``), who may register and where a new endpoint's cursor starts."""
from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import utcnow
from common.errors import conflict, field_error, not_found
from common.i18n import Text
from common.pii import PIICipher
from common.webhooks import store
from common.webhooks.policy import PENDING, encrypt_secret, url_problem
from common.webhooks.schemas import AttemptOut, DeliveryOut, DeliveryPageOut, SecretOut, WebhookCreatedOut, WebhookOut
from common.webhooks.signing import new_secret
from common.webhooks.tables import WebhookTables


def hook_out(hook: Any) -> WebhookOut:
    return WebhookOut(id=hook.id, url=hook.url, active=hook.active, cursor=hook.cursor, created_at=hook.created_at)


async def register(session: AsyncSession, t: WebhookTables, owner_id: str, url: str, cipher: PIICipher,
                   allow_http_loopback: bool, *, owner: Text, start: Callable[[], Awaitable[int]],
                   entitled: Callable[[], Awaitable[None]] | None = None) -> WebhookCreatedOut:
    """A new endpoint of ``owner_id``. ``entitled`` refuses an owner that may not register (after
    the URL is checked); ``start`` gives the new endpoint's cursor (after the 409 check), refusing
    what the service does not accept. ``owner`` names the owner in the 409 ("this bank")."""
    problem = url_problem(url, allow_http_loopback)
    if problem:
        raise field_error("url", problem)
    if entitled is not None:
        await entitled()
    existing = await store.find(session, t, owner_id, url)
    if existing is not None:  # a retried registration: the secret was shown once, rotate for a new one
        raise conflict(Text("Webhook exists", "推送地址已登记"),
                       Text(f"{owner.en} already has webhook {existing.id} for this URL",
                            f"{owner.zh}已为该网址登记了推送（webhook）{existing.id}"),
                       type="webhook-exists", webhook_id=existing.id)
    cursor = await start()
    webhook_id, secret, now = str(uuid.uuid4()), new_secret(), utcnow()
    await store.add(session, t, {"id": webhook_id, t.owner: owner_id, "url": url, "cursor": cursor,
                                 "secret_enc": encrypt_secret(cipher, webhook_id, secret),
                                 "active": True, "created_at": now})
    return WebhookCreatedOut(id=webhook_id, url=url, active=True, cursor=cursor, created_at=now, secret=secret)


async def own_hook(session: AsyncSession, t: WebhookTables, owner_id: str, webhook_id: str, *,
                   for_update: bool = False) -> Any:
    """The owner's webhook; another owner's answers exactly like an unknown one."""
    hook = await store.get(session, t, webhook_id, for_update=for_update)
    if hook is None or getattr(hook, t.owner) != owner_id:
        raise not_found(Text("webhook", "推送地址（webhook）"), webhook_id)
    return hook


async def hooks_of(session: AsyncSession, t: WebhookTables, owner_id: str) -> list[WebhookOut]:
    return [hook_out(h) for h in await store.of_owner(session, t, owner_id)]


async def rotate(session: AsyncSession, t: WebhookTables, owner_id: str, webhook_id: str, cipher: PIICipher,
                 overlap: timedelta) -> SecretOut:
    """A new secret; the current one keeps signing (a second ``v1=``) for ``overlap``."""
    hook = await own_hook(session, t, owner_id, webhook_id, for_update=True)
    secret = new_secret()
    until = utcnow() + overlap if overlap > timedelta(0) else None
    await store.update_hook(session, t, webhook_id, {
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


async def deliveries(session: AsyncSession, t: WebhookTables, owner_id: str, webhook_id: str, after: int,
                     limit: int) -> DeliveryPageOut:
    await own_hook(session, t, owner_id, webhook_id)
    rows = await store.deliveries(session, t, webhook_id, after, limit)
    attempts = await store.attempts_of(session, t, [d.id for d in rows])
    next_after = rows[-1].id if len(rows) == limit else None
    return DeliveryPageOut(items=[delivery_out(d, attempts[d.id]) for d in rows], next_after=next_after,
                           next=(f"/v1/webhooks/{webhook_id}/deliveries?after={next_after}&limit={limit}"
                                 if next_after is not None else None))


async def redeliver(session: AsyncSession, t: WebhookTables, owner_id: str, webhook_id: str, delivery_id: int,
                    retry_window: timedelta) -> DeliveryOut:
    """Send a delivery again (delivered or failed): the same changes, the same ids, as soon as the
    worker gets to it, before the deliveries made after it (the oldest pending goes first)."""
    await own_hook(session, t, owner_id, webhook_id)
    if await store.get_delivery(session, t, webhook_id, delivery_id) is None:
        raise not_found(Text("delivery", "推送记录"), delivery_id)
    now = utcnow()
    await store.update_delivery(session, t, delivery_id, {"status": PENDING, "next_attempt_at": now,
                                                          "retry_until": now + retry_window})
    delivery = await store.get_delivery(session, t, webhook_id, delivery_id)
    assert delivery is not None
    return delivery_out(delivery, (await store.attempts_of(session, t, [delivery_id]))[delivery_id])
