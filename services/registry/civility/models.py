"""Civility evaluation (乡风文明评议): item catalogues (versioned) and evaluations of households."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base


class CivilityCatalogue(Base):
    __tablename__ = "civility_catalogues"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(120))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # The neutral base of the civility scale (0–100) under this catalogue: see civility/scoring.py.
    base: Mapped[int] = mapped_column(Integer, server_default=text("80"))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(120))


class CivilityEvaluation(Base):
    """Recorded by an evaluation group (评议小组), reviewed (审核), then published (公开)."""

    __tablename__ = "civility_evaluations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"), index=True)
    village_code: Mapped[str] = mapped_column(String(12))
    catalogue_version: Mapped[int] = mapped_column(ForeignKey("civility_catalogues.version"))
    status: Mapped[str] = mapped_column(String(16))  # recorded, reviewed, returned, published
    evaluated_on: Mapped[date]
    evaluators: Mapped[list[str]] = mapped_column(JSON)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    points: Mapped[int] = mapped_column(Integer)
    base: Mapped[int] = mapped_column(Integer, server_default=text("80"))
    score: Mapped[int] = mapped_column(Integer, server_default=text("80"))   # 0–100, see civility/scoring.py
    positive_points: Mapped[int] = mapped_column(Integer)
    negative_points: Mapped[int] = mapped_column(Integer)
    veto: Mapped[bool]
    veto_items: Mapped[list[str]] = mapped_column(JSON)
    aspects: Mapped[dict[str, int]] = mapped_column(JSON)
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime]
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(String(500))
    published_by: Mapped[str | None] = mapped_column(String(120))
    published_at: Mapped[datetime | None]
    subject_version: Mapped[int | None] = mapped_column(Integer)
