"""The disclosure log (信息披露记录): who saw which subject's grade, when, for what."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from common.tables import BigId
from lending.db import Base


class Disclosure(Base):
    __tablename__ = "disclosures"
    __table_args__ = (Index("ix_disclosures_subject", "subject_id", "disclosed_at"),
                      Index("ix_disclosures_bank", "bank_id", "disclosed_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bank_id: Mapped[str] = mapped_column(String(80), nullable=False)
    subject_id: Mapped[str] = mapped_column(String(80), nullable=False)
    grade: Mapped[str | None] = mapped_column(String(4))
    channel: Mapped[str] = mapped_column(String(40), nullable=False)
    purpose: Mapped[str] = mapped_column(String(120), nullable=False)
    disclosed_at: Mapped[datetime] = mapped_column(nullable=False)
