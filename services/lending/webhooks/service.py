"""Webhooks for banks: what is lending's own (a bank registers, from a change id of its choice);
registering, rotating, the delivery log and redelivery are common.webhooks.service's. Delivery
itself is the worker's (``worker.py``), never a request's."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import field_error
from common.i18n import Text
from common.pii import PIICipher
from common.webhooks import service as common
from common.webhooks.policy import secret_context  # noqa: F401 (lending's name too)
from lending.changes import repository as changes
from lending.webhooks.models import TABLES
from lending.webhooks.schemas import WebhookCreatedOut, WebhookIn

BANK = Text("this bank", "本行")


async def register(session: AsyncSession, bank_id: str, body: WebhookIn, cipher: PIICipher,
                   allow_http_loopback: bool) -> WebhookCreatedOut:
    """An endpoint for the bank's change feed, from ``after`` (default: the newest change, so from now on)."""

    async def start() -> int:
        latest = await changes.last_id(session)
        if body.after is not None and body.after > latest:
            raise field_error("after", Text(f"no change has id {body.after} yet (the newest is {latest})",
                                            f"还没有编号为 {body.after} 的变动（最新的是 {latest}）"))
        return latest if body.after is None else body.after

    return await common.register(session, TABLES, bank_id, body.url, cipher, allow_http_loopback,
                                 owner=BANK, start=start)
