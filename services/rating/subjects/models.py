"""What rating keeps of each subject, learnt from events (never from another service's DB):
the registry's file (主体档案), civility results (乡风文明评议), negative-list records (负面清单),
and lending's loans and repayment history (信用记录)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, Numeric, String, true
from sqlalchemy.orm import Mapped, mapped_column

from rating.db import Base


class Subject(Base):
    """A credit subject (信用主体) as the registry last described it."""

    __tablename__ = "subjects"
    __table_args__ = (Index("ix_subjects_village_kind", "village", "kind"), Index("ix_subjects_town", "town"))

    subject_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    county: Mapped[str | None] = mapped_column(String(12))
    town: Mapped[str | None] = mapped_column(String(12))
    village: Mapped[str | None] = mapped_column(String(12))
    village_group: Mapped[str | None] = mapped_column(String(15))
    masked_name: Mapped[str] = mapped_column(String(80), default="")
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="active")
    # Consent (授权) to rating, from the event's ``consent``: without it the subject is not rated,
    # skipped by rounds, and its grade is not shown.
    rating_consent: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime]


class CivilityResult(Base):
    """The latest published civility evaluation of a subject."""

    __tablename__ = "civility_results"

    subject_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    evaluation_id: Mapped[str] = mapped_column(String(80))
    points: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    veto: Mapped[bool] = mapped_column(Boolean)
    veto_items: Mapped[list[str]] = mapped_column(JSON)
    published_at: Mapped[datetime]


class NegativeRecord(Base):
    """A negative-list record (信用评定负面清单) from the joint review (联审)."""

    __tablename__ = "negative_records"

    record_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(80), index=True)
    agency: Mapped[str] = mapped_column(String(40))
    record_kind: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10))
    veto: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime]


class Loan(Base):
    """A loan recorded by lending, for the credit history and the village's non-performing share."""

    __tablename__ = "loans"
    __table_args__ = (Index("ix_loans_village", "village"),)

    loan_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(80), index=True)
    village: Mapped[str | None] = mapped_column(String(12))
    amount: Mapped[Decimal] = mapped_column(Numeric(17, 2))
    outstanding: Mapped[Decimal] = mapped_column(Numeric(17, 2))
    status: Mapped[str] = mapped_column(String(12))          # active, repaid, defaulted
    on_time_repayments: Mapped[int] = mapped_column(Integer, default=0)
    late_repayments: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]
