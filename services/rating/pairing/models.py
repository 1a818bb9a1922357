"""Pairing (结对帮带): a party-member credit household helps a household below A."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from rating.db import Base

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Pairing(Base):
    __tablename__ = "pairings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    mentor_id: Mapped[str] = mapped_column(String(80), index=True)
    mentee_id: Mapped[str] = mapped_column(String(80), index=True)
    village: Mapped[str | None] = mapped_column(String(12), index=True)
    grade_at_start: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10))           # active, ended
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
