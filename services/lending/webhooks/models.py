"""Webhooks (变动推送订阅): a bank's HTTPS endpoint, the batches of changes made for it, and every
attempt to deliver one."""
from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from common.tables import BigId
from common.webhooks.policy import DELIVERED, FAILED, PENDING  # noqa: F401 (one set of statuses)
from common.webhooks.tables import WebhookTables
from lending.db import Base


class Webhook(Base):
    """A bank's endpoint. ``cursor``: the last change id the worker has looked at for it (moved in
    the same transaction as the delivery it made). Secrets are stored encrypted under lending's
    webhook key; ``old_secret_enc`` signs too until ``old_secret_until`` (a rotation's overlap)."""

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_bank", "bank_id", "url", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bank_id: Mapped[str] = mapped_column(String(80), nullable=False)
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    secret_enc: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    old_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    old_secret_until: Mapped[datetime | None] = mapped_column()
    cursor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)


class WebhookDelivery(Base):
    """One batch of changes for one endpoint, in cursor order; each change is in one delivery only.
    Sent until a 2xx (then ``delivered``) or until the retry window ends (``failed``)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "webhook_id", "status", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id"), nullable=False)
    change_ids: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(200))
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    retry_until: Mapped[datetime] = mapped_column(nullable=False)
    delivered_at: Mapped[datetime | None] = mapped_column()


class WebhookAttempt(Base):
    """Every POST of a delivery: when, what came back (the status code, or the error's name)."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("webhook_deliveries.id"), nullable=False)
    attempted_at: Mapped[datetime] = mapped_column(nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(200))


# The shape of common.webhooks.tables (owned by a bank): common.webhooks' SQL and worker use these.
TABLES = WebhookTables("bank_id", cast(Table, Webhook.__table__), cast(Table, WebhookDelivery.__table__),
                       cast(Table, WebhookAttempt.__table__))
