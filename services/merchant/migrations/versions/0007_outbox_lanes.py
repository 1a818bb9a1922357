"""The outbox's index by topic over its unsent rows: the relay's urgent lane reads by it
(common.events.relay).

Revision ID: merchant_0007_outbox_lanes
Revises: merchant_0006_webhooks
"""
from alembic import op

from common.migrations import add_outbox_lane_index, drop_outbox_lane_index

revision = "merchant_0007_outbox_lanes"
down_revision = "merchant_0006_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_outbox_lane_index(op.get_bind())


def downgrade() -> None:
    drop_outbox_lane_index(op.get_bind())
