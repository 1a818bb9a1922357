"""Objections (异议) to a published or final rating: recorded, the rating flagged disputed, and
answered in writing (default within 20 days): upheld → re-rate, rejected → the reason."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rating.db import Base

BigId = BigInteger().with_variant(Integer(), "sqlite")
OPEN = "open"


class Objection(Base):
    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rating_id: Mapped[int] = mapped_column(BigId, index=True)
    subject_id: Mapped[str] = mapped_column(String(80), index=True)
    village: Mapped[str | None] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text)
    filed_by: Mapped[str] = mapped_column(String(120))
    filed_at: Mapped[datetime]
    answer_due: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10))           # open, upheld, rejected
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(120))
    answered_at: Mapped[datetime | None]
    new_rating_id: Mapped[int | None] = mapped_column(BigId)
