"""SQL for webhooks, their deliveries and attempts."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lending.webhooks.models import PENDING, Webhook, WebhookAttempt, WebhookDelivery


async def add(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(Webhook).values(**values))


async def get(session: AsyncSession, webhook_id: str, *, for_update: bool = False) -> Webhook | None:
    q = select(Webhook).where(Webhook.id == webhook_id).execution_options(populate_existing=True)
    if for_update:
        q = q.with_for_update()
    return (await session.execute(q)).scalar_one_or_none()


async def find(session: AsyncSession, bank_id: str, url: str) -> Webhook | None:
    return (await session.execute(select(Webhook).where(Webhook.bank_id == bank_id, Webhook.url == url))
            ).scalar_one_or_none()


async def of_bank(session: AsyncSession, bank_id: str) -> Sequence[Webhook]:
    return (await session.execute(select(Webhook).where(Webhook.bank_id == bank_id).order_by(Webhook.created_at)
                                  .limit(100))).scalars().all()


async def active_ids(session: AsyncSession) -> list[str]:
    return list((await session.execute(select(Webhook.id).where(Webhook.active.is_(True)).order_by(Webhook.id)))
                .scalars().all())


async def update_hook(session: AsyncSession, webhook_id: str, values: dict[str, Any]) -> None:
    await session.execute(update(Webhook).where(Webhook.id == webhook_id).values(**values))


async def oldest_pending(session: AsyncSession, webhook_id: str) -> WebhookDelivery | None:
    """The delivery to send next: the oldest one not yet delivered (deliveries go in order)."""
    q = (select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.status == PENDING)
         .order_by(WebhookDelivery.id).limit(1).execution_options(populate_existing=True))
    return (await session.execute(q)).scalar_one_or_none()


async def add_delivery(session: AsyncSession, values: dict[str, Any]) -> int:
    return int((await session.execute(insert(WebhookDelivery).values(**values).returning(WebhookDelivery.id)))
               .scalar_one())


async def get_delivery(session: AsyncSession, webhook_id: str, delivery_id: int) -> WebhookDelivery | None:
    q = (select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.id == delivery_id)
         .execution_options(populate_existing=True))
    return (await session.execute(q)).scalar_one_or_none()


async def update_delivery(session: AsyncSession, delivery_id: int, values: dict[str, Any]) -> None:
    await session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values))


async def add_attempt(session: AsyncSession, delivery_id: int, at: datetime, status_code: int | None,
                      error: str | None) -> None:
    await session.execute(insert(WebhookAttempt).values(delivery_id=delivery_id, attempted_at=at,
                                                        status_code=status_code, error=error))


async def deliveries(session: AsyncSession, webhook_id: str, after: int, limit: int) -> Sequence[WebhookDelivery]:
    q = (select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.id > after)
         .order_by(WebhookDelivery.id).limit(limit))
    return (await session.execute(q)).scalars().all()


async def attempts_of(session: AsyncSession, delivery_ids: Sequence[int]) -> dict[int, list[WebhookAttempt]]:
    found: dict[int, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    q = select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(list(delivery_ids))).order_by(WebhookAttempt.id)
    for a in (await session.execute(q)).scalars():
        found[a.delivery_id].append(a)
    return found
