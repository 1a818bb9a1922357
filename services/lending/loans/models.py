"""Loans drawn on credit lines, their repayments."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from common.tables import BigId
from lending.db import Base

ACTIVE, REPAID, DEFAULTED = "active", "repaid", "defaulted"


class Loan(Base):
    __tablename__ = "loans"
    __table_args__ = (
        Index("ix_loans_bank_subject", "bank_id", "subject_id"),
        Index("ix_loans_bank_drawn", "bank_id", "drawn_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(80), nullable=False)
    bank_id: Mapped[str] = mapped_column(String(80), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    product: Mapped[str | None] = mapped_column(String(80))
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    outstanding_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    annual_rate: Mapped[Decimal] = mapped_column(Numeric(9, 4), nullable=False)
    term_months: Mapped[int] = mapped_column(Integer, nullable=False)
    grade: Mapped[str | None] = mapped_column(String(4))
    programme: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    drawn_at: Mapped[datetime] = mapped_column(nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column()


class Repayment(Base):
    __tablename__ = "repayments"
    __table_args__ = (Index("ix_repayments_bank_repaid", "bank_id", "repaid_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("loans.id"), nullable=False, index=True)
    bank_id: Mapped[str] = mapped_column(String(80), nullable=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    outstanding_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    on_time: Mapped[bool] = mapped_column(nullable=False)
    repaid_at: Mapped[datetime] = mapped_column(nullable=False)
