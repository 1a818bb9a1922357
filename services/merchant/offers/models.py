"""Offers: a merchant's discount, or a public benefit programme's benefit; where each can be used
(outlets); and the counters that budgets and per-household limits are checked against."""
from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, Integer, String, Table

from common.db import UTCDateTime
from merchant.db import Base

offers = Table(
    "offers", Base.metadata,
    Column("id", String(40), primary_key=True),
    Column("merchant_id", String(40), nullable=True),
    Column("programme_id", String(40), nullable=True),
    Column("title", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("rule", JSON, nullable=False),
    Column("grade_mask", Integer, nullable=False),
    Column("valid_from", UTCDateTime(), nullable=False),
    Column("valid_until", UTCDateTime(), nullable=True),
    Column("budget_total_fen", BigInteger, nullable=True),
    Column("spent_fen", BigInteger, nullable=False, default=0),
    Column("budget_daily_fen", BigInteger, nullable=True),
    Column("per_household_limit", Integer, nullable=True),
    Column("stackable", Boolean, nullable=False, default=False),
    Column("status", String(12), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_offers_merchant", "merchant_id"),
    Index("ix_offers_programme", "programme_id"),
)

# Which merchants may apply which offers: a merchant its own, a verifier its programmes'.
offer_outlets = Table(
    "offer_outlets", Base.metadata,
    Column("merchant_id", String(40), primary_key=True),
    Column("offer_id", String(40), primary_key=True),
)

offer_daily_usage = Table(
    "offer_daily_usage", Base.metadata,
    Column("offer_id", String(40), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("spent_fen", BigInteger, nullable=False, default=0),
    Column("uses", Integer, nullable=False, default=0),
)

offer_household_usage = Table(
    "offer_household_usage", Base.metadata,
    Column("offer_id", String(40), primary_key=True),
    Column("subject_id", String(80), primary_key=True),
    Column("uses", Integer, nullable=False, default=0),
)
