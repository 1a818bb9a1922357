"""The lending tables: policies, benchmark rates, credit lines and history, banks and products, loans,
repayments, applications, disclosures, risk programmes, defaults and the risk-compensation fund.

Revision ID: lending_0002
Revises: lending_0001
Create Date: 2026-11-25 15:05:35.457402
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import common.db

revision: str = 'lending_0002'
down_revision: str | None = 'lending_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('banks',
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_banks'))
    )
    op.create_table('benchmark_rates',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('rate_percent', sa.Numeric(precision=8, scale=4), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_benchmark_rates')),
    sa.UniqueConstraint('name', 'effective_on', name=op.f('uq_benchmark_rates_name'))
    )
    op.create_table('credit_line_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('subject_id', sa.String(length=80), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('change', sa.String(length=12), nullable=False),
    sa.Column('old_grade', sa.String(length=4), nullable=True),
    sa.Column('grade', sa.String(length=4), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('old_line_fen', sa.BigInteger(), nullable=False),
    sa.Column('line_fen', sa.BigInteger(), nullable=False),
    sa.Column('max_markup', sa.Numeric(precision=8, scale=4), nullable=False),
    sa.Column('rating_version', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('changed_at', common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_line_history'))
    )
    with op.batch_alter_table('credit_line_history', schema=None) as batch_op:
        batch_op.create_index('ix_credit_line_history_subject', ['subject_id', 'version'], unique=False)

    op.create_table('credit_lines',
    sa.Column('subject_id', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('region_county', sa.String(length=12), nullable=True),
    sa.Column('region_town', sa.String(length=12), nullable=True),
    sa.Column('region_village', sa.String(length=12), nullable=True),
    sa.Column('region_group', sa.String(length=15), nullable=True),
    sa.Column('industry', sa.String(length=80), nullable=True),
    sa.Column('grade', sa.String(length=4), nullable=True),
    sa.Column('vetoed', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('line_fen', sa.BigInteger(), nullable=False),
    sa.Column('drawn_fen', sa.BigInteger(), nullable=False),
    sa.Column('max_markup', sa.Numeric(precision=8, scale=4), nullable=False),
    sa.Column('policy_version', sa.Integer(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('rating_version', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('subject_id', name=op.f('pk_credit_lines'))
    )
    with op.batch_alter_table('credit_lines', schema=None) as batch_op:
        batch_op.create_index('ix_credit_lines_village', ['region_village', 'subject_id'], unique=False)

    op.create_table('disclosures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('bank_id', sa.String(length=80), nullable=False),
    sa.Column('subject_id', sa.String(length=80), nullable=False),
    sa.Column('grade', sa.String(length=4), nullable=True),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('purpose', sa.String(length=120), nullable=False),
    sa.Column('disclosed_at', common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosures'))
    )
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.create_index('ix_disclosures_bank', ['bank_id', 'disclosed_at'], unique=False)
        batch_op.create_index('ix_disclosures_subject', ['subject_id', 'disclosed_at'], unique=False)

    op.create_table('grade_policies',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('effective_from', common.db.UTCDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('grade', sa.String(length=4), nullable=False),
    sa.Column('line_fen', sa.BigInteger(), nullable=False),
    sa.Column('max_markup', sa.Numeric(precision=8, scale=4), nullable=False),
    sa.Column('validity_months', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_policies')),
    sa.UniqueConstraint('version', 'kind', 'grade', name=op.f('uq_grade_policies_version'))
    )
    with op.batch_alter_table('grade_policies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grade_policies_version'), ['version'], unique=False)

    op.create_table('loan_applications',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('subject_id', sa.String(length=80), nullable=False),
    sa.Column('bank_id', sa.String(length=80), nullable=False),
    sa.Column('product', sa.String(length=80), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decision_reason', sa.String(length=500), nullable=True),
    sa.Column('loan_id', sa.String(length=36), nullable=True),
    sa.Column('submitted_by', sa.String(length=120), nullable=False),
    sa.Column('submitted_at', common.db.UTCDateTime(), nullable=False),
    sa.Column('decided_at', common.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_applications'))
    )
    with op.batch_alter_table('loan_applications', schema=None) as batch_op:
        batch_op.create_index('ix_loan_applications_bank_status', ['bank_id', 'status'], unique=False)

    op.create_table('loans',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('subject_id', sa.String(length=80), nullable=False),
    sa.Column('bank_id', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('product', sa.String(length=80), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('outstanding_fen', sa.BigInteger(), nullable=False),
    sa.Column('annual_rate', sa.Numeric(precision=9, scale=4), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=4), nullable=True),
    sa.Column('programme', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('drawn_at', common.db.UTCDateTime(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('closed_at', common.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loans'))
    )
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.create_index('ix_loans_bank_drawn', ['bank_id', 'drawn_at'], unique=False)
        batch_op.create_index('ix_loans_bank_subject', ['bank_id', 'subject_id'], unique=False)

    op.create_table('risk_fund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('balance_fen', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_fund'))
    )
    op.create_table('risk_fund_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('entry_type', sa.String(length=10), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('balance_after_fen', sa.BigInteger(), nullable=False),
    sa.Column('loan_id', sa.String(length=36), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_fund_entries'))
    )
    op.create_table('risk_programmes',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('shares', sa.JSON(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_risk_programmes'))
    )
    op.create_table('loan_defaults',
    sa.Column('loan_id', sa.String(length=36), nullable=False),
    sa.Column('bank_id', sa.String(length=80), nullable=False),
    sa.Column('programme', sa.String(length=40), nullable=False),
    sa.Column('loss_fen', sa.BigInteger(), nullable=False),
    sa.Column('shares_fen', sa.JSON(), nullable=False),
    sa.Column('fund_paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('defaulted_at', common.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_loan_defaults_loan_id_loans')),
    sa.PrimaryKeyConstraint('loan_id', name=op.f('pk_loan_defaults'))
    )
    with op.batch_alter_table('loan_defaults', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_defaults_bank_id'), ['bank_id'], unique=False)

    op.create_table('products',
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('bank_id', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('grades', sa.JSON(), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('industries', sa.JSON(), nullable=False),
    sa.Column('min_amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('max_amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('min_term_months', sa.Integer(), nullable=False),
    sa.Column('max_term_months', sa.Integer(), nullable=False),
    sa.Column('programme', sa.String(length=40), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=True),
    sa.Column('created_at', common.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_products_bank_id_banks')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_products'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_bank_id'), ['bank_id'], unique=False)

    op.create_table('repayments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('loan_id', sa.String(length=36), nullable=False),
    sa.Column('bank_id', sa.String(length=80), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('outstanding_fen', sa.BigInteger(), nullable=False),
    sa.Column('on_time', sa.Boolean(), nullable=False),
    sa.Column('repaid_at', common.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_repayments_loan_id_loans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repayments'))
    )
    with op.batch_alter_table('repayments', schema=None) as batch_op:
        batch_op.create_index('ix_repayments_bank_repaid', ['bank_id', 'repaid_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_repayments_loan_id'), ['loan_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('repayments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repayments_loan_id'))
        batch_op.drop_index('ix_repayments_bank_repaid')

    op.drop_table('repayments')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_bank_id'))

    op.drop_table('products')
    with op.batch_alter_table('loan_defaults', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_defaults_bank_id'))

    op.drop_table('loan_defaults')
    op.drop_table('risk_programmes')
    op.drop_table('risk_fund_entries')
    op.drop_table('risk_fund')
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_index('ix_loans_bank_subject')
        batch_op.drop_index('ix_loans_bank_drawn')

    op.drop_table('loans')
    with op.batch_alter_table('loan_applications', schema=None) as batch_op:
        batch_op.drop_index('ix_loan_applications_bank_status')

    op.drop_table('loan_applications')
    with op.batch_alter_table('grade_policies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grade_policies_version'))

    op.drop_table('grade_policies')
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.drop_index('ix_disclosures_subject')
        batch_op.drop_index('ix_disclosures_bank')

    op.drop_table('disclosures')
    with op.batch_alter_table('credit_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_lines_village')

    op.drop_table('credit_lines')
    with op.batch_alter_table('credit_line_history', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_line_history_subject')

    op.drop_table('credit_line_history')
    op.drop_table('benchmark_rates')
    op.drop_table('banks')
