"""The change feed (变动推送): what happened to credit lines, in the order it was committed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lending.db import Base

FEED = "credit-line-changes"


class FeedChange(Base):
    """One change a bank may need to act on (granted, raised, cut, frozen, unfrozen, expired,
    closed, regraded). ``id`` is the feed's cursor: taken from ``FeedCounter`` at commit, so ids
    are dense and increase in commit order, and a reader resuming ``after`` an id never misses a
    change committed later with a smaller one. A line's key is its subject: ``subject_id`` names
    the line, ``line_version`` its version after the change."""

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


class FeedCounter(Base):
    """The last id handed out per feed (one row each). Taking ids is one UPDATE of this row, the
    last statement before COMMIT: its row lock orders the writers, so ids follow commit order."""

    __tablename__ = "change_feed_counters"

    feed: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
