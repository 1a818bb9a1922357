"""Four eyes on clearing a negative record: who asked for the clearing and when (a second person confirms).

Revision ID: registry_0006_clear_review
Revises: registry_0005_idempotency
Create Date: 2026-12-02 18:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import common.db

revision: str = 'registry_0006_clear_review'
down_revision: str | None = 'registry_0005_idempotency'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('negative_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clear_requested_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('clear_requested_at', common.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('negative_records', schema=None) as batch_op:
        batch_op.drop_column('clear_requested_at')
        batch_op.drop_column('clear_requested_by')
