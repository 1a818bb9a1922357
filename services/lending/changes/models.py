"""The change feed (变动推送): what happened to credit lines, in the order it was committed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lending.db import Base

FEED = "credit-line-changes"


class FeedChange(Base):
    """One change a bank may need to act on (granted, raised, cut, frozen, unfrozen, expired,
    closed, regraded). ``id`` is the feed's cursor, numbered at commit (``common.feeds``): dense and
    increasing in commit order. A line's key is its subject: ``subject_id`` names the line,
    ``line_version`` its version after the change."""

    __tablename__ = "credit_line_changes"
    __table_args__ = (Index("ix_credit_line_changes_subject", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    subject_id: Mapped[str] = mapped_column(String(80), nullable=False)
    line_version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    old_grade: Mapped[str | None] = mapped_column(String(4))
    grade: Mapped[str | None] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(8), nullable=False)
    old_limit_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    limit_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(nullable=False)

