"""subjects.rating_consent: a subject rated only with consent to rating (授权)

Revision ID: rating_0003
Revises: rating_0002
Create Date: 2026-12-02 10:00:00

Subjects known before this revision keep being rated (true) until their next registry event
says otherwise.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'rating_0003'
down_revision: str | None = 'rating_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating_consent', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.drop_column('rating_consent')
