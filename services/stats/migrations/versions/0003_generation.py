"""The read model's generation: a number that moves whenever a batch of events is applied, so
answers can be cached until it moves.

Revision ID: stats_0003
Revises: stats_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "stats_0003"
down_revision = "stats_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    meta = op.create_table(
        "stats_meta",
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_stats_meta"),
    )
    op.bulk_insert(meta, [{"key": "generation", "value": 0}])


def downgrade() -> None:
    op.drop_table("stats_meta")
