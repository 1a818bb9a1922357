"""Webhooks for merchants (商户变动推送): a merchant's HTTPS endpoint, the batches of its grade
changes made for it, every attempt to deliver one (the shape every service's webhooks share)."""
from __future__ import annotations

from common.webhooks.tables import webhook_tables
from merchant.db import Base

TABLES = webhook_tables(Base.metadata, "merchant_id", owner_length=40)
webhooks, webhook_deliveries, webhook_attempts = TABLES.webhooks, TABLES.deliveries, TABLES.attempts
