"""Indicator system versions (指标体系版本): every rating records the version that produced it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rating.db import Base


class IndicatorSystem(Base):
    __tablename__ = "indicator_systems"
    __table_args__ = (UniqueConstraint("kind", "version", name="uq_indicator_systems_kind_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
