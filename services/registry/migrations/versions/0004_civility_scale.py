"""The civility scale: each catalogue's neutral base, and each evaluation's base and 0–100 score.

Revision ID: registry_0004_civility_scale
Revises: registry_0003_positions
Create Date: 2026-12-02 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'registry_0004_civility_scale'
down_revision: str | None = 'registry_0003_positions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('civility_catalogues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base', sa.Integer(), server_default=sa.text('80'), nullable=False))
    with op.batch_alter_table('civility_evaluations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base', sa.Integer(), server_default=sa.text('80'), nullable=False))
        batch_op.add_column(sa.Column('score', sa.Integer(), server_default=sa.text('80'), nullable=False))
    # Evaluations made before the scale existed: the default base plus their items, clamped.
    op.execute("UPDATE civility_evaluations SET score = CASE WHEN 80 + points > 100 THEN 100 "
               "WHEN 80 + points < 0 THEN 0 ELSE 80 + points END")


def downgrade() -> None:
    with op.batch_alter_table('civility_evaluations', schema=None) as batch_op:
        batch_op.drop_column('score')
        batch_op.drop_column('base')
    with op.batch_alter_table('civility_catalogues', schema=None) as batch_op:
        batch_op.drop_column('base')
