"""Household credit codes (一户一码): an opaque random reference, kept as its SHA-256 for look-up
and encrypted for re-printing. No personal data and no grade are in the code."""
from __future__ import annotations

from sqlalchemy import Column, Index, LargeBinary, String, Table

from common.db import UTCDateTime
from merchant.db import Base

ACTIVE, REPLACED, REVOKED = "active", "replaced", "revoked"

household_codes = Table(
    "household_codes", Base.metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("subject_id", String(80), nullable=False),
    Column("code_enc", LargeBinary, nullable=False),
    Column("status", String(10), nullable=False),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("issued_by", String(120), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    Index("ix_household_codes_subject", "subject_id", "status"),
)
