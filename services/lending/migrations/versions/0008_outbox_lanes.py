"""The outbox's index by topic over its unsent rows: the relay's urgent lane reads by it
(common.events.relay).

Revision ID: lending_0008_outbox_lanes
Revises: lending_0007_feed
"""
from alembic import op

from common.migrations import add_outbox_lane_index, drop_outbox_lane_index

revision = "lending_0008_outbox_lanes"
down_revision = "lending_0007_feed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_outbox_lane_index(op.get_bind())


def downgrade() -> None:
    drop_outbox_lane_index(op.get_bind())
