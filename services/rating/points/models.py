"""Credit points (信用积分): a base of 1,000 and entries with reason, author, points and expiry;
serious items (严重失信行为) lower the grade directly while they last."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from rating.db import Base

BigId = BigInteger().with_variant(Integer(), "sqlite")


class PointsEntry(Base):
    __tablename__ = "points_entries"
    __table_args__ = (Index("ix_points_subject", "subject_id", "expires_at"), Index("ix_points_village", "village"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject_id: Mapped[str] = mapped_column(String(80))
    town: Mapped[str | None] = mapped_column(String(12))
    village: Mapped[str | None] = mapped_column(String(12))
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(120))
    serious: Mapped[bool] = mapped_column(Boolean, default=False)
    grade_drop: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    corrected_at: Mapped[datetime | None]
