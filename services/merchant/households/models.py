"""Households as this service knows them, learnt from events: masked name, region, consent
(subject-registered / subject-updated) and today's grade (rating-changed)."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Integer, String, Table

from common.db import UTCDateTime
from merchant.db import Base

households = Table(
    "households", Base.metadata,
    Column("subject_id", String(80), primary_key=True),
    Column("kind", String(20), nullable=True),
    Column("masked_name", String(80), nullable=True),
    Column("region", JSON, nullable=True),
    # The most precise region code (group, village, town or county), for officers' prefix checks.
    Column("region_code", String(15), nullable=True),
    Column("grade", String(3), nullable=True),
    Column("grade_bit", Integer, nullable=False, default=0),
    Column("vetoed", Boolean, nullable=False, default=False),
    Column("consent_given", Boolean, nullable=False, default=False),
    Column("consent_merchant", Boolean, nullable=False, default=False),
    Column("consent_benefits", Boolean, nullable=False, default=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("updated_at", UTCDateTime(), nullable=False),
)
