"""Grade policies (授信政策) and benchmark rates (基准利率): versioned, dated tables."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from common.tables import BigId
from lending.db import Base


class GradePolicy(Base):
    """One row of a policy version: for a subject kind and a grade, the line and the maximum markup.

    A version is the set of rows sharing ``version``; the one in force is the highest version whose
    ``effective_from`` has passed."""

    __tablename__ = "grade_policies"
    __table_args__ = (UniqueConstraint("version", "kind", "grade"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    effective_from: Mapped[datetime] = mapped_column(nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    grade: Mapped[str] = mapped_column(String(4), nullable=False)
    line_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # Fraction over the benchmark: 0.40 means the rate may be at most benchmark × 1.40.
    max_markup: Mapped[Decimal] = mapped_column(Numeric(8, 4), nullable=False)
    validity_months: Mapped[int] = mapped_column(Integer, nullable=False)
    created_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)


class BenchmarkRate(Base):
    """A dated benchmark rate (e.g. the one-year LPR), percent per year."""

    __tablename__ = "benchmark_rates"
    __table_args__ = (UniqueConstraint("name", "effective_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    rate_percent: Mapped[Decimal] = mapped_column(Numeric(8, 4), nullable=False)
    effective_on: Mapped[date] = mapped_column(Date, nullable=False)
    created_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)


class PolicyApplication(Base):
    """A job that re-applies the policy in force to every existing line (an admin starts it after a
    new policy version): progress in ``done`` of ``total``, ``changed`` lines so far, and the last
    subject id done (``cursor``), so the job walks the lines in chunks and can be run again."""

    __tablename__ = "policy_applications"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    policy_version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)  # running, done, failed
    total: Mapped[int] = mapped_column(Integer, nullable=False)
    done: Mapped[int] = mapped_column(Integer, nullable=False)
    changed: Mapped[int] = mapped_column(Integer, nullable=False)
    cursor: Mapped[str | None] = mapped_column(String(80))
    error: Mapped[str | None] = mapped_column(String(300))
    started_by: Mapped[str] = mapped_column(String(120), nullable=False)
    started_at: Mapped[datetime] = mapped_column(nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column()
