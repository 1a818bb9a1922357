"""Region names reach stats by event: each region gets a version (raised by a rename), and every
region already on file is announced once (``region-changed`` through the outbox), so an existing
county's statistics learn their names without a re-import.

Revision ID: registry_0007_region_versions
Revises: registry_0006_clear_review
Create Date: 2026-12-03 07:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from common.db import utcnow
from common.events.outbox import outbox_row
from common.tables import outbox_events

revision: str = 'registry_0007_region_versions'
down_revision: str | None = 'registry_0006_clear_review'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    from registry.events import region_changed  # the one builder of the event

    bind = op.get_bind()
    regions = sa.table('regions', sa.column('code'), sa.column('name'), sa.column('level'),
                       sa.column('parent_code'), sa.column('version'))
    now = utcnow()
    rows = [outbox_row(region_changed(code=r.code, name=r.name, level=r.level, parent_code=r.parent_code,
                                      version=r.version, changed_at=now))
            for r in bind.execute(sa.select(regions).order_by(sa.func.length(regions.c.code), regions.c.code))]
    if rows:
        bind.execute(outbox_events.insert(), rows)


def downgrade() -> None:
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_column('version')
