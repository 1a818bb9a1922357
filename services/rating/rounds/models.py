"""Rating rounds (评级轮次): a dated re-rating of a whole region, with progress and a summary."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rating.db import Base


class RatingRound(Base):
    __tablename__ = "rating_rounds"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    region: Mapped[str] = mapped_column(String(15))
    kinds: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))           # running, done, failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
