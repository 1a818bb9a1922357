"""The registry's tables: regions, subjects (identities, changes, disclosures), civility, negative records, imports.

Revision ID: registry_0002
Revises: registry_0001
Create Date: 2026-11-25 15:12:13.369237
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import common.db

revision: str = 'registry_0002'
down_revision: str | None = 'registry_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('civility_catalogues',
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_civility_catalogues'))
    )
    op.create_table('disclosures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('subject_id', sa.String(length=36), nullable=True),
    sa.Column('caller', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('found', sa.Boolean(), nullable=False),
    sa.Column('at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosures'))
    )
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosures_subject_id'), ['subject_id'], unique=False)

    op.create_table('import_jobs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=True),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('updated_count', sa.Integer(), nullable=False),
    sa.Column('unchanged_count', sa.Integer(), nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('failure', sa.Text(), nullable=True),
    sa.Column('scope', sa.String(length=15), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_jobs'))
    )
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_jobs_sha256'), ['sha256'], unique=False)

    op.create_table('regions',
    sa.Column('code', sa.String(length=15), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('parent_code', sa.String(length=15), nullable=True),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['parent_code'], ['regions.code'], name=op.f('fk_regions_parent_code_regions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_regions'))
    )
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regions_parent_code'), ['parent_code'], unique=False)

    op.create_table('subjects',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('natural_key', sa.String(length=64), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('town_code', sa.String(length=9), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('group_code', sa.String(length=15), nullable=True),
    sa.Column('display_name', sa.String(length=120), nullable=True),
    sa.Column('masked_name', sa.String(length=80), nullable=False),
    sa.Column('id_masked', sa.String(length=24), nullable=True),
    sa.Column('phone_masked', sa.String(length=16), nullable=True),
    sa.Column('pii_enc', sa.LargeBinary(), nullable=True),
    sa.Column('registration_number', sa.String(length=32), nullable=True),
    sa.Column('entity_type', sa.String(length=20), nullable=True),
    sa.Column('profile', sa.JSON(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('consent', sa.JSON(), nullable=False),
    sa.Column('extras', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('updated_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subjects')),
    sa.UniqueConstraint('kind', 'natural_key', name='uq_subjects_kind_natural_key')
    )
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subjects_village_code'), ['village_code'], unique=False)

    op.create_table('civility_evaluations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('subject_id', sa.String(length=36), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('catalogue_version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('evaluated_on', sa.Date(), nullable=False),
    sa.Column('evaluators', sa.JSON(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('positive_points', sa.Integer(), nullable=False),
    sa.Column('negative_points', sa.Integer(), nullable=False),
    sa.Column('veto', sa.Boolean(), nullable=False),
    sa.Column('veto_items', sa.JSON(), nullable=False),
    sa.Column('aspects', sa.JSON(), nullable=False),
    sa.Column('recorded_by', sa.String(length=120), nullable=False),
    sa.Column('recorded_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by', sa.String(length=120), nullable=True),
    sa.Column('reviewed_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.String(length=500), nullable=True),
    sa.Column('published_by', sa.String(length=120), nullable=True),
    sa.Column('published_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('subject_version', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['catalogue_version'], ['civility_catalogues.version'], name=op.f('fk_civility_evaluations_catalogue_version_civility_catalogues')),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_civility_evaluations_subject_id_subjects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_civility_evaluations'))
    )
    with op.batch_alter_table('civility_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_civility_evaluations_subject_id'), ['subject_id'], unique=False)

    op.create_table('import_row_errors',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('import_id', sa.String(length=36), nullable=False),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['import_jobs.id'], name=op.f('fk_import_row_errors_import_id_import_jobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_row_errors'))
    )
    with op.batch_alter_table('import_row_errors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_row_errors_import_id'), ['import_id'], unique=False)

    op.create_table('negative_records',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('subject_id', sa.String(length=36), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('agency', sa.String(length=40), nullable=False),
    sa.Column('record_kind', sa.String(length=60), nullable=False),
    sa.Column('veto', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('evidence_ref', sa.String(length=200), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('raised_by', sa.String(length=120), nullable=False),
    sa.Column('raised_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cleared_by', sa.String(length=120), nullable=True),
    sa.Column('cleared_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cleared_on', sa.Date(), nullable=True),
    sa.Column('clear_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_negative_records_subject_id_subjects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_negative_records'))
    )
    with op.batch_alter_table('negative_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_negative_records_subject_id'), ['subject_id'], unique=False)

    op.create_table('subject_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('subject_id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('changed_fields', sa.JSON(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_subject_changes_subject_id_subjects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_changes')),
    sa.UniqueConstraint('subject_id', 'version', name='uq_subject_changes_subject_version')
    )
    with op.batch_alter_table('subject_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_changes_subject_id'), ['subject_id'], unique=False)

    op.create_table('subject_identities',
    sa.Column('id_index', sa.String(length=64), nullable=False),
    sa.Column('subject_id', sa.String(length=36), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_subject_identities_subject_id_subjects')),
    sa.PrimaryKeyConstraint('id_index', name=op.f('pk_subject_identities'))
    )
    with op.batch_alter_table('subject_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_identities_subject_id'), ['subject_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('subject_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_identities_subject_id'))

    op.drop_table('subject_identities')
    with op.batch_alter_table('subject_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_changes_subject_id'))

    op.drop_table('subject_changes')
    with op.batch_alter_table('negative_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_negative_records_subject_id'))

    op.drop_table('negative_records')
    with op.batch_alter_table('import_row_errors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_row_errors_import_id'))

    op.drop_table('import_row_errors')
    with op.batch_alter_table('civility_evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_civility_evaluations_subject_id'))

    op.drop_table('civility_evaluations')
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subjects_village_code'))

    op.drop_table('subjects')
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regions_parent_code'))

    op.drop_table('regions')
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_jobs_sha256'))

    op.drop_table('import_jobs')
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosures_subject_id'))

    op.drop_table('disclosures')
    op.drop_table('civility_catalogues')
