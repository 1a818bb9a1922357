"""The registry's facts about a subject, as lending last heard them (subject-registered/-updated)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lending.db import Base

ARCHIVED = "archived"  # the registry's status of a deceased or moved-away subject's file


class SubjectFacts(Base):
    """A credit subject (信用主体) as the registry describes it: where it lives, its industry
    (产业, e.g. 芡实), whether it is archived (deceased, moved away) and whether it consented (授权)
    to its credit information being shown to banks (scope ``lending``)."""

    __tablename__ = "subject_facts"

    subject_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    region_county: Mapped[str | None] = mapped_column(String(12))
    region_town: Mapped[str | None] = mapped_column(String(12))
    region_village: Mapped[str | None] = mapped_column(String(12))
    region_group: Mapped[str | None] = mapped_column(String(15))
    industry: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    consent_lending: Mapped[bool] = mapped_column(Boolean, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)
