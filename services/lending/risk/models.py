"""Risk sharing: per-programme loss splits (e.g. 4321 政银担), defaults, and the
risk-compensation fund (风险补偿金) as a ledger."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from common.tables import BigId
from lending.db import Base

GOVERNMENT = "local_government"


class RiskProgramme(Base):
    """A loss split: party → percent (strings, summing to 100). The ``local_government`` share is
    paid from the risk-compensation fund."""

    __tablename__ = "risk_programmes"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    shares: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False)
    is_default: Mapped[bool] = mapped_column(nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)


class LoanDefault(Base):
    __tablename__ = "loan_defaults"

    loan_id: Mapped[str] = mapped_column(ForeignKey("loans.id"), primary_key=True)
    bank_id: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    programme: Mapped[str] = mapped_column(String(40), nullable=False)
    loss_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    shares_fen: Mapped[dict[str, int]] = mapped_column(JSON, nullable=False)
    fund_paid_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    defaulted_at: Mapped[datetime] = mapped_column(nullable=False)


class FundAccount(Base):
    """The fund's running balance (one row); every movement is also a ledger entry."""

    __tablename__ = "risk_fund"

    id: Mapped[int] = mapped_column(primary_key=True)
    balance_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)


class FundEntry(Base):
    __tablename__ = "risk_fund_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_type: Mapped[str] = mapped_column(String(10), nullable=False)  # top_up | payout
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    balance_after_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    loan_id: Mapped[str | None] = mapped_column(String(36))
    note: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
