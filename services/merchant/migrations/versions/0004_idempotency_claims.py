"""Idempotency keys: each claim's token (an atomic takeover) and the index their expiry purge uses
(common.idempotency).

Revision ID: merchant_0004_idempotency
Revises: merchant_0003_positions
"""
from alembic import op

from common.migrations import add_idempotency_claims, drop_idempotency_claims

revision = "merchant_0004_idempotency"
down_revision = "merchant_0003_positions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_idempotency_claims(op.get_bind())


def downgrade() -> None:
    drop_idempotency_claims(op.get_bind())
