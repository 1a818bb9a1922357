"""The grade-change feed for merchants that ask for it (grade_changes, numbered at commit by
common.feeds) and who asked (grade_feed_subscriptions).

Revision ID: merchant_0005_grade_feed
Revises: merchant_0004_idempotency
"""
import sqlalchemy as sa
from alembic import op

import common.db
from common.feeds import create_feed_counter, drop_feed_counter

revision = "merchant_0005_grade_feed"
down_revision = "merchant_0004_idempotency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grade_changes",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("subject_id", sa.String(length=80), nullable=False),
        sa.Column("old_grade", sa.String(length=3), nullable=True),
        sa.Column("grade", sa.String(length=3), nullable=True),
        sa.Column("vetoed", sa.Boolean(), nullable=False),
        sa.Column("occurred_at", common.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_changes")),
    )
    op.create_index("ix_grade_changes_subject", "grade_changes", ["subject_id", "id"])
    op.create_table(
        "grade_feed_subscriptions",
        sa.Column("merchant_id", sa.String(length=40), nullable=False),
        sa.Column("from_id", sa.BigInteger(), nullable=False),
        sa.Column("subscribed_at", common.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", name=op.f("pk_grade_feed_subscriptions")),
    )
    create_feed_counter(op.get_bind(), "grade-changes")


def downgrade() -> None:
    drop_feed_counter(op.get_bind(), "grade-changes")
    op.drop_table("grade_feed_subscriptions")
    op.drop_index("ix_grade_changes_subject", table_name="grade_changes")
    op.drop_table("grade_changes")
