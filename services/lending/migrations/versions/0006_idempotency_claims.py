"""Idempotency keys: each claim's token (an atomic takeover) and the index their expiry purge uses
(common.idempotency).

Revision ID: lending_0006_idempotency
Revises: lending_0005_positions
"""
from alembic import op

from common.migrations import add_idempotency_claims, drop_idempotency_claims

revision = "lending_0006_idempotency"
down_revision = "lending_0005_positions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_idempotency_claims(op.get_bind())


def downgrade() -> None:
    drop_idempotency_claims(op.get_bind())
