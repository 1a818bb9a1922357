"""Consumer positions per topic-partition, stored with the data (common.events.positions).

Revision ID: rating_0004_positions
Revises: rating_0003
"""
from alembic import op

from common.migrations import create_consumer_positions, drop_consumer_positions

revision = "rating_0004_positions"
down_revision = "rating_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_consumer_positions(op.get_bind())


def downgrade() -> None:
    drop_consumer_positions(op.get_bind())
