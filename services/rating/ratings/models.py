"""Ratings (评级) and their lifecycle: proposed → published (公示) → final; superseded when a newer
rating replaces one that was not final yet. ``current_grades`` holds each subject's (and village's,
town's) last final grade and the per-subject version of its ``rating-changed`` events."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from rating.db import Base

BigId = BigInteger().with_variant(Integer(), "sqlite")

PROPOSED, PUBLISHED, FINAL, SUPERSEDED = "proposed", "published", "final", "superseded"
OPEN_STATES = (PROPOSED, PUBLISHED)
CLOSED_STATES = (FINAL, SUPERSEDED)


class Rating(Base):
    __tablename__ = "ratings"
    __table_args__ = (
        Index("ix_ratings_subject", "subject_id", "id"),
        Index("ix_ratings_due", "status", "publication_ends_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject_id: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    county: Mapped[str | None] = mapped_column(String(12))
    town: Mapped[str | None] = mapped_column(String(12))
    village: Mapped[str | None] = mapped_column(String(12))
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    grade: Mapped[str] = mapped_column(String(3))
    vetoed: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[list[str]] = mapped_column(JSON)          # in English, the top ones (every reader knows these)
    # What cost points and what would raise it (ratings.explain); null on ratings made before.
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    indicator_system_version: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    disputed: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger: Mapped[str] = mapped_column(String(20))          # manual, round, veto, objection, points
    round_id: Mapped[str | None] = mapped_column(String(36))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    publication_ends_at: Mapped[datetime | None]
    finalised_at: Mapped[datetime | None]


class CurrentGrade(Base):
    """The last final grade of a subject, village (信用村) or town (信用镇)."""

    __tablename__ = "current_grades"
    __table_args__ = (Index("ix_current_grades_village", "kind", "village"), Index("ix_current_grades_town", "kind", "town"))

    subject_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    county: Mapped[str | None] = mapped_column(String(12))
    town: Mapped[str | None] = mapped_column(String(12))
    village: Mapped[str | None] = mapped_column(String(12))
    grade: Mapped[str] = mapped_column(String(3))
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    vetoed: Mapped[bool] = mapped_column(Boolean, default=False)
    credit_village: Mapped[bool | None] = mapped_column(Boolean)
    rating_id: Mapped[int | None] = mapped_column(BigId)
    version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    effective_at: Mapped[datetime]
