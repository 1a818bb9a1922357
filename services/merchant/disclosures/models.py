"""The disclosure log (信息披露记录): who saw which household's grade, when, for what."""
from __future__ import annotations

from sqlalchemy import Column, Index, String, Table

from common.db import UTCDateTime
from common.tables import BigId
from merchant.db import Base

disclosures = Table(
    "disclosures", Base.metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("merchant_id", String(40), nullable=False),
    Column("subject_id", String(80), nullable=True),
    Column("outcome", String(32), nullable=False),
    Column("grade", String(3), nullable=True),
    Column("purpose", String(32), nullable=False),
    Column("request_key", String(200), nullable=True),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_disclosures_subject", "subject_id", "at"),
    Index("ix_disclosures_merchant", "merchant_id", "at"),
)
