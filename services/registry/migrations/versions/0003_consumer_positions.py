"""Consumer positions per topic-partition, stored with the data (common.events.positions).

Revision ID: registry_0003_positions
Revises: registry_0002
"""
from alembic import op

from common.migrations import create_consumer_positions, drop_consumer_positions

revision = "registry_0003_positions"
down_revision = "registry_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_consumer_positions(op.get_bind())


def downgrade() -> None:
    drop_consumer_positions(op.get_bind())
