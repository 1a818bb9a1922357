"""Negative-list records (信用评定负面清单) from the joint review (联审)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base


class NegativeRecord(Base):
    __tablename__ = "negative_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"), index=True)
    village_code: Mapped[str] = mapped_column(String(12))
    agency: Mapped[str] = mapped_column(String(40))
    record_kind: Mapped[str] = mapped_column(String(60))
    veto: Mapped[bool]
    status: Mapped[str] = mapped_column(String(10))  # raised, cleared, expired
    effective_from: Mapped[date]
    expires_on: Mapped[date | None]
    evidence_ref: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
    raised_by: Mapped[str] = mapped_column(String(120))
    raised_at: Mapped[datetime]
    # Four eyes: one person asks for the clearing (its date and reason are kept in cleared_on and
    # clear_reason meanwhile), another confirms it (cleared_by); the record stays raised until then.
    clear_requested_by: Mapped[str | None] = mapped_column(String(120))
    clear_requested_at: Mapped[datetime | None]
    cleared_by: Mapped[str | None] = mapped_column(String(120))
    cleared_at: Mapped[datetime | None]
    cleared_on: Mapped[date | None]
    clear_reason: Mapped[str | None] = mapped_column(String(500))
