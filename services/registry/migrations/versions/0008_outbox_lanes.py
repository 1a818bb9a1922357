"""The outbox's index by topic over its unsent rows: the relay's urgent lane reads by it
(common.events.relay).

Revision ID: registry_0008_outbox_lanes
Revises: registry_0007_region_versions
"""
from alembic import op

from common.migrations import add_outbox_lane_index, drop_outbox_lane_index

revision = "registry_0008_outbox_lanes"
down_revision = "registry_0007_region_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_outbox_lane_index(op.get_bind())


def downgrade() -> None:
    drop_outbox_lane_index(op.get_bind())
