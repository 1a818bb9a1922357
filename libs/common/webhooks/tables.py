"""The webhook tables' shape, built on a service's own metadata: endpoints (owned by a bank, a
merchant ... named by ``owner``), deliveries (one batch of changes for one endpoint, in cursor
order) and attempts (every POST). Lending's ORM classes have this shape too."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import JSON, BigInteger, Boolean, Column, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table

from common.db import UTCDateTime
from common.tables import BigId


@dataclass(frozen=True)
class WebhookTables:
    owner: str  # the column naming the endpoint's owner: bank_id, merchant_id
    webhooks: Table
    deliveries: Table
    attempts: Table


def webhook_tables(metadata: MetaData, owner: str, owner_length: int = 80) -> WebhookTables:
    """``webhooks``, ``webhook_deliveries`` and ``webhook_attempts`` on ``metadata``. ``cursor``: the
    last change id the worker has looked at for an endpoint (moved in the same transaction as the
    delivery it made). Secrets are stored encrypted; ``old_secret_enc`` signs too until
    ``old_secret_until`` (a rotation's overlap)."""
    webhooks = Table(
        "webhooks", metadata,
        Column("id", String(36), primary_key=True),
        Column(owner, String(owner_length), nullable=False),
        Column("url", String(500), nullable=False),
        Column("secret_enc", LargeBinary, nullable=False),
        Column("old_secret_enc", LargeBinary, nullable=True),
        Column("old_secret_until", UTCDateTime(), nullable=True),
        Column("cursor", BigInteger, nullable=False),
        Column("active", Boolean, nullable=False, default=True),
        Column("created_at", UTCDateTime(), nullable=False),
        Index(f"ix_webhooks_{owner.removesuffix('_id')}", owner, "url", unique=True),
    )
    deliveries = Table(
        "webhook_deliveries", metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("webhook_id", String(36), ForeignKey("webhooks.id"), nullable=False),
        Column("change_ids", JSON, nullable=False),
        Column("status", String(10), nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("last_attempt_at", UTCDateTime(), nullable=True),
        Column("last_status_code", Integer, nullable=True),
        Column("last_error", String(200), nullable=True),
        Column("next_attempt_at", UTCDateTime(), nullable=True),
        Column("retry_until", UTCDateTime(), nullable=False),
        Column("delivered_at", UTCDateTime(), nullable=True),
        Index("ix_webhook_deliveries_due", "webhook_id", "status", "id"),
    )
    attempts = Table(
        "webhook_attempts", metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("delivery_id", BigInteger, ForeignKey("webhook_deliveries.id"), nullable=False),
        Column("attempted_at", UTCDateTime(), nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("error", String(200), nullable=True),
        Index("ix_webhook_attempts_delivery", "delivery_id", "id"),
    )
    return WebhookTables(owner, webhooks, deliveries, attempts)
