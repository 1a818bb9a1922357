"""What lending learns from the other services: the registry's facts per subject (industry, region,
status, consent), a default's hold on a line, the day a line's term started, and the jobs that
re-apply a grade policy to every line.

Revision ID: lending_0004
Revises: lending_0003
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import common.db

revision: str = "lending_0004"
down_revision: str | None = "lending_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table("subject_facts",
    sa.Column("subject_id", sa.String(length=80), nullable=False),
    sa.Column("kind", sa.String(length=20), nullable=False),
    sa.Column("region_county", sa.String(length=12), nullable=True),
    sa.Column("region_town", sa.String(length=12), nullable=True),
    sa.Column("region_village", sa.String(length=12), nullable=True),
    sa.Column("region_group", sa.String(length=15), nullable=True),
    sa.Column("industry", sa.String(length=80), nullable=True),
    sa.Column("status", sa.String(length=12), nullable=False),
    sa.Column("consent_lending", sa.Boolean(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_at", common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subject_facts"))
    )
    op.create_table("policy_applications",
    sa.Column("id", sa.String(length=36), nullable=False),
    sa.Column("policy_version", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(length=10), nullable=False),
    sa.Column("total", sa.Integer(), nullable=False),
    sa.Column("done", sa.Integer(), nullable=False),
    sa.Column("changed", sa.Integer(), nullable=False),
    sa.Column("cursor", sa.String(length=80), nullable=True),
    sa.Column("error", sa.String(length=300), nullable=True),
    sa.Column("started_by", sa.String(length=120), nullable=False),
    sa.Column("started_at", common.db.UTCDateTime(), nullable=False),
    sa.Column("finished_at", common.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_applications"))
    )
    with op.batch_alter_table("credit_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("freeze_reason", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("frozen_at", common.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("consent_lending", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credit_lines", schema=None) as batch_op:
        batch_op.drop_column("consent_lending")
        batch_op.drop_column("frozen_at")
        batch_op.drop_column("freeze_reason")
        batch_op.drop_column("valid_from")
    op.drop_table("policy_applications")
    op.drop_table("subject_facts")
