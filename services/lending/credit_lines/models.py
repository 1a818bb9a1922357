"""Credit lines (授信额度) and their history."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from common.tables import BigId
from lending.db import Base

ACTIVE, FROZEN, NONE, CLOSED = "active", "frozen", "none", "closed"
# Why a line with a credit grade is frozen anyway: a default holds it until a rating made after it.
DEFAULT_HOLD = "default"


class CreditLine(Base):
    """A subject's revolving line (一次核定、随用随贷、余额控制、周转使用): ``drawn_fen`` is the
    balance drawn by loans at any bank; a draw never takes it above ``line_fen``.

    ``freeze_reason``/``frozen_at``: a default (不良贷款) freezes the line at once, whatever the grade,
    until a rating made after ``frozen_at`` arrives. ``consent_lending``: the registry's consent to
    show the subject to banks (None: lending has not heard from the registry). ``valid_from``: the
    day the current term started (the last final rating), so a policy's new validity can be applied."""

    __tablename__ = "credit_lines"
    __table_args__ = (Index("ix_credit_lines_village", "region_village", "subject_id"),)

    subject_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    region_county: Mapped[str | None] = mapped_column(String(12))
    region_town: Mapped[str | None] = mapped_column(String(12))
    region_village: Mapped[str | None] = mapped_column(String(12))
    region_group: Mapped[str | None] = mapped_column(String(15))
    industry: Mapped[str | None] = mapped_column(String(80))
    grade: Mapped[str | None] = mapped_column(String(4))
    vetoed: Mapped[bool] = mapped_column(nullable=False, default=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False)
    line_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    drawn_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    max_markup: Mapped[Decimal] = mapped_column(Numeric(8, 4), nullable=False)
    policy_version: Mapped[int | None] = mapped_column(Integer)
    valid_until: Mapped[date | None] = mapped_column(Date)
    valid_from: Mapped[date | None] = mapped_column(Date)
    freeze_reason: Mapped[str | None] = mapped_column(String(40))
    frozen_at: Mapped[datetime | None] = mapped_column()
    consent_lending: Mapped[bool | None] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    rating_version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)


class CreditLineChange(Base):
    """Every change of a line, as it was published in ``credit-line-changed``."""

    __tablename__ = "credit_line_history"
    __table_args__ = (Index("ix_credit_line_history_subject", "subject_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject_id: Mapped[str] = mapped_column(String(80), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    change: Mapped[str] = mapped_column(String(12), nullable=False)
    old_grade: Mapped[str | None] = mapped_column(String(4))
    grade: Mapped[str | None] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(8), nullable=False)
    old_line_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    line_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    max_markup: Mapped[Decimal] = mapped_column(Numeric(8, 4), nullable=False)
    rating_version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reason: Mapped[str] = mapped_column(String(200), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(nullable=False)
