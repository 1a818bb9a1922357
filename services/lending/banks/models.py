"""Partner banks (合作银行) and their loan products (e.g. 芡实贷, 拉丝贷)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lending.db import Base


class Bank(Base):
    __tablename__ = "banks"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)


class Product(Base):
    """A bank's product and who may have it: grades, kinds, industries, amount and term ranges."""

    __tablename__ = "products"

    code: Mapped[str] = mapped_column(String(80), primary_key=True)
    bank_id: Mapped[str] = mapped_column(ForeignKey("banks.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    grades: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    kinds: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    # Empty: any industry.
    industries: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    min_amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    max_amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    min_term_months: Mapped[int] = mapped_column(Integer, nullable=False)
    max_term_months: Mapped[int] = mapped_column(Integer, nullable=False)
    programme: Mapped[str | None] = mapped_column(String(40))
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
