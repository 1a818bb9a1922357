"""Redemptions (核销): one row per offer applied to a purchase; the rows of one purchase share a receipt."""
from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Table

from common.db import UTCDateTime
from merchant.db import Base

RECORDED, REVERSED = "recorded", "reversed"

redemptions = Table(
    "redemptions", Base.metadata,
    Column("id", String(40), primary_key=True),
    Column("receipt_id", String(40), nullable=False),
    Column("merchant_id", String(40), nullable=False),
    Column("offer_id", String(40), nullable=False),
    Column("programme_id", String(40), nullable=True),
    Column("subject_id", String(80), nullable=False),
    Column("region", JSON, nullable=True),
    Column("region_code", String(15), nullable=True),
    Column("bill_fen", BigInteger, nullable=False),
    Column("discount_fen", BigInteger, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("status", String(10), nullable=False),
    # The county's local day (Asia/Shanghai): daily budgets and statistics count by it.
    Column("day", String(10), nullable=False),
    Column("redeemed_at", UTCDateTime(), nullable=False),
    Column("reversed_at", UTCDateTime(), nullable=True),
    Index("ix_redemptions_receipt", "receipt_id"),
    Index("ix_redemptions_merchant_day", "merchant_id", "day"),
    Index("ix_redemptions_offer_day", "offer_id", "day"),
)
