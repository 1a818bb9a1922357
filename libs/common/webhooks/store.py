"""SQL for webhooks, their deliveries and attempts, on a service's ``WebhookTables``."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from common.webhooks.policy import PENDING
from common.webhooks.tables import WebhookTables


async def add(session: AsyncSession, t: WebhookTables, values: dict[str, Any]) -> None:
    await session.execute(insert(t.webhooks).values(**values))


async def get(session: AsyncSession, t: WebhookTables, webhook_id: str, *, for_update: bool = False) -> Row[Any] | None:
    q = select(t.webhooks).where(t.webhooks.c.id == webhook_id)
    if for_update:
        q = q.with_for_update()
    return (await session.execute(q)).one_or_none()


async def find(session: AsyncSession, t: WebhookTables, owner_id: str, url: str) -> Row[Any] | None:
    w = t.webhooks
    return (await session.execute(select(w).where(w.c[t.owner] == owner_id, w.c.url == url))).one_or_none()


async def of_owner(session: AsyncSession, t: WebhookTables, owner_id: str) -> Sequence[Row[Any]]:
    w = t.webhooks
    return (await session.execute(select(w).where(w.c[t.owner] == owner_id).order_by(w.c.created_at).limit(100))).all()


async def active_ids(session: AsyncSession, t: WebhookTables) -> list[str]:
    w = t.webhooks
    return list((await session.execute(select(w.c.id).where(w.c.active.is_(True)).order_by(w.c.id))).scalars())


async def update_hook(session: AsyncSession, t: WebhookTables, webhook_id: str, values: dict[str, Any]) -> None:
    await session.execute(update(t.webhooks).where(t.webhooks.c.id == webhook_id).values(**values))


async def oldest_pending(session: AsyncSession, t: WebhookTables, webhook_id: str) -> Row[Any] | None:
    """The delivery to send next: the oldest one not yet delivered (deliveries go in order)."""
    d = t.deliveries
    q = select(d).where(d.c.webhook_id == webhook_id, d.c.status == PENDING).order_by(d.c.id).limit(1)
    return (await session.execute(q)).one_or_none()


async def add_delivery(session: AsyncSession, t: WebhookTables, values: dict[str, Any]) -> int:
    return int((await session.execute(insert(t.deliveries).values(**values).returning(t.deliveries.c.id))).scalar_one())


async def get_delivery(session: AsyncSession, t: WebhookTables, webhook_id: str, delivery_id: int) -> Row[Any] | None:
    d = t.deliveries
    return (await session.execute(select(d).where(d.c.webhook_id == webhook_id, d.c.id == delivery_id))).one_or_none()


async def update_delivery(session: AsyncSession, t: WebhookTables, delivery_id: int, values: dict[str, Any]) -> None:
    await session.execute(update(t.deliveries).where(t.deliveries.c.id == delivery_id).values(**values))


async def add_attempt(session: AsyncSession, t: WebhookTables, delivery_id: int, at: datetime,
                      status_code: int | None, error: str | None) -> None:
    await session.execute(insert(t.attempts).values(delivery_id=delivery_id, attempted_at=at,
                                                    status_code=status_code, error=error))


async def deliveries(session: AsyncSession, t: WebhookTables, webhook_id: str, after: int,
                     limit: int) -> Sequence[Row[Any]]:
    d = t.deliveries
    q = select(d).where(d.c.webhook_id == webhook_id, d.c.id > after).order_by(d.c.id).limit(limit)
    return (await session.execute(q)).all()


async def attempts_of(session: AsyncSession, t: WebhookTables,
                      delivery_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
    a = t.attempts
    found: dict[int, list[Row[Any]]] = {i: [] for i in delivery_ids}
    q = select(a).where(a.c.delivery_id.in_(list(delivery_ids))).order_by(a.c.id)
    for row in await session.execute(q):
        found[row.delivery_id].append(row)
    return found
