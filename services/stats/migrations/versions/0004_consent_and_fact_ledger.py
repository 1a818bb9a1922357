"""Consent to statistics: a subject's ``consent_stats``, and the facts' subject, figures and
``counted`` flag, so that a change of consent takes a subject's facts out of (or back into) the
figures of their months. Facts stored before this revision have no subject and always count.

Revision ID: stats_0004
Revises: stats_0003
"""
import sqlalchemy as sa
from alembic import op

revision = "stats_0004"
down_revision = "stats_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stats_subjects") as batch:
        batch.add_column(sa.Column("consent_stats", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("stats_facts") as batch:
        batch.add_column(sa.Column("subject_id", sa.String(80), nullable=True))
        batch.add_column(sa.Column("detail", sa.Text(), nullable=True))
        batch.add_column(sa.Column("counted", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_index("ix_stats_facts_subject", "stats_facts", ["subject_id"])


def downgrade() -> None:
    op.drop_index("ix_stats_facts_subject", table_name="stats_facts")
    with op.batch_alter_table("stats_facts") as batch:
        batch.drop_column("counted")
        batch.drop_column("detail")
        batch.drop_column("subject_id")
    with op.batch_alter_table("stats_subjects") as batch:
        batch.drop_column("consent_stats")
