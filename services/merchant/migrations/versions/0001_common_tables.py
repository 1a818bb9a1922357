"""The shared tables: outbox, inbox, subject versions, idempotency keys.

Revision ID: merchant_0001
Revises:
"""
from alembic import op

from common.migrations import create_common_tables, drop_common_tables

revision = "merchant_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_common_tables(op.get_bind())


def downgrade() -> None:
    drop_common_tables(op.get_bind())
