"""Civility on one 0–100 scale: a civility result keeps the registry's score and its catalogue's
base (the score of an unevaluated household) instead of a raw sum of item points.

Revision ID: rating_0005_civility_scale
Revises: rating_0004_positions
Create Date: 2026-12-02 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'rating_0005_civility_scale'
down_revision: str | None = 'rating_0004_positions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('civility_results', schema=None) as batch_op:
        batch_op.alter_column('points', new_column_name='score', existing_type=sa.Numeric(10, 2),
                              type_=sa.Numeric(5, 2), existing_nullable=False)
        batch_op.add_column(sa.Column('base', sa.Numeric(5, 2), server_default=sa.text('80'), nullable=False))
        batch_op.create_index('ix_civility_results_published_at', ['published_at'], unique=False)
    # Results stored before the scale were raw sums of item points: the default base plus them, clamped.
    op.execute("UPDATE civility_results SET score = CASE WHEN 80 + score > 100 THEN 100 "
               "WHEN 80 + score < 0 THEN 0 ELSE 80 + score END")


def downgrade() -> None:
    op.execute("UPDATE civility_results SET score = score - base")
    with op.batch_alter_table('civility_results', schema=None) as batch_op:
        batch_op.drop_index('ix_civility_results_published_at')
        batch_op.drop_column('base')
        batch_op.alter_column('score', new_column_name='points', existing_type=sa.Numeric(5, 2),
                              type_=sa.Numeric(10, 2), existing_nullable=False)
