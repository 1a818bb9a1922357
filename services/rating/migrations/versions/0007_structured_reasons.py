"""Structured grade reasons: each rating's indicators that cost points and what would raise it
(JSON; null on ratings made before, whose English ``reasons`` strings are still read).

Revision ID: rating_0007_structured_reasons
Revises: rating_0006_idempotency
Create Date: 2026-12-03 07:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'rating_0007_structured_reasons'
down_revision: str | None = 'rating_0006_idempotency'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('explanation', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_column('explanation')
