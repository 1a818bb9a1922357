"""Online loan applications (线上申请): two document references, a bank's same-day decision."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lending.db import Base

PENDING, APPROVED, DECLINED = "pending", "approved", "declined"


class Application(Base):
    __tablename__ = "loan_applications"
    __table_args__ = (Index("ix_loan_applications_bank_status", "bank_id", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(80), nullable=False)
    bank_id: Mapped[str] = mapped_column(String(80), nullable=False)
    product: Mapped[str | None] = mapped_column(String(80))
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    term_months: Mapped[int] = mapped_column(Integer, nullable=False)
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    loan_id: Mapped[str | None] = mapped_column(String(36))
    submitted_by: Mapped[str] = mapped_column(String(120), nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column()
