"""Public benefit programmes (the twelve benefits 十二项权益: free bus rides, hospital green channel...)."""
from __future__ import annotations

from sqlalchemy import Column, String, Table, Text

from common.db import UTCDateTime
from merchant.db import Base

programmes = Table(
    "programmes", Base.metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=True),
    Column("offer_id", String(40), nullable=False),
    Column("status", String(12), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
