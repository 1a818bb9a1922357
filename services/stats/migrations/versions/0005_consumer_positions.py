"""Consumer positions per topic-partition, stored with the data (common.events.positions).

Revision ID: stats_0005_positions
Revises: stats_0004
"""
from alembic import op

from common.migrations import create_consumer_positions, drop_consumer_positions

revision = "stats_0005_positions"
down_revision = "stats_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_consumer_positions(op.get_bind())


def downgrade() -> None:
    drop_consumer_positions(op.get_bind())
