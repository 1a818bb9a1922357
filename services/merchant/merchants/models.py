"""Merchants of the credit business circle (信用商圈) and public-benefit verifiers (a bus company,
a hospital): both verify codes with their own token, bound to their merchant id."""
from __future__ import annotations

from sqlalchemy import Column, String, Table

from common.db import UTCDateTime
from merchant.db import Base

SHOP, VERIFIER = "shop", "benefit_verifier"

merchants = Table(
    "merchants", Base.metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("category", String(40), nullable=True),
    Column("region_code", String(15), nullable=True),
    Column("status", String(12), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
