"""Grade changes at the till (商户端等级变动): what a merchant that asked for it hears of the
households it serves."""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, String, Table

from common.db import UTCDateTime
from merchant.db import Base

FEED = "grade-changes"

# One row per change of a household's grade or veto, as offers see it; ``id`` is the cursor,
# numbered at commit (common.feeds).
grade_changes = Table(
    "grade_changes", Base.metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("subject_id", String(80), nullable=False),
    Column("old_grade", String(3), nullable=True),
    Column("grade", String(3), nullable=True),
    Column("vetoed", Boolean, nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Index("ix_grade_changes_subject", "subject_id", "id"),
)

# The merchants that asked for the feed, and the change id it starts after for each.
grade_feed_subscriptions = Table(
    "grade_feed_subscriptions", Base.metadata,
    Column("merchant_id", String(40), primary_key=True),
    Column("from_id", BigInteger, nullable=False),
    Column("subscribed_at", UTCDateTime(), nullable=False),
)
