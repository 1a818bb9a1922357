"""The region tree's names (stats_regions), fed by the registry's ``region-changed``.

Revision ID: stats_0007_regions
Revises: stats_0006_idempotency
"""
import sqlalchemy as sa
from alembic import op

revision = "stats_0007_regions"
down_revision = "stats_0006_idempotency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_regions",
        sa.Column("code", sa.String(length=15), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("parent_code", sa.String(length=15), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_stats_regions"),
    )


def downgrade() -> None:
    op.drop_table("stats_regions")
