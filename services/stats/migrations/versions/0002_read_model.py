"""The read model: subject state, current counters, monthly changes, counted facts.

Revision ID: stats_0002
Revises: stats_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "stats_0002"
down_revision = "stats_0001"
branch_labels = None
depends_on = None

METRICS = (
    "subjects", "rated", "grade_aaa", "grade_aa", "grade_a", "grade_b", "grade_c", "grade_d", "vetoed",
    "credit_units", "evaluated", "negative_subjects", "lines", "lines_frozen", "line_amount", "borrowers",
    "drawn", "loans", "loan_amount", "repayments", "repaid_amount", "defaults", "loss_amount", "fund_paid",
    "redemptions", "bill_amount", "discount_amount",
)


def _metrics() -> list[sa.Column]:
    return [sa.Column(m, sa.BigInteger(), nullable=False, server_default="0") for m in METRICS]


def upgrade() -> None:
    op.create_table(
        "stats_subjects",
        sa.Column("subject_id", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(16)),
        sa.Column("county", sa.String(12)),
        sa.Column("town", sa.String(12)),
        sa.Column("village", sa.String(12)),
        sa.Column("registered", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("grade", sa.String(3)),
        sa.Column("vetoed", sa.Boolean(), nullable=False),
        sa.Column("credit_unit", sa.Boolean(), nullable=False),
        sa.Column("evaluated", sa.Boolean(), nullable=False),
        sa.Column("negative_ids", sa.Text(), nullable=False),
        sa.Column("line_status", sa.String(8)),
        sa.Column("line_fen", sa.BigInteger(), nullable=False),
        sa.Column("drawn_fen", sa.BigInteger(), nullable=False),
        sa.Column("v_registry", sa.BigInteger(), nullable=False),
        sa.Column("v_civility", sa.BigInteger(), nullable=False),
        sa.Column("v_negative", sa.BigInteger(), nullable=False),
        sa.Column("v_rating", sa.BigInteger(), nullable=False),
        sa.Column("v_line", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", name="pk_stats_subjects"),
    )
    op.create_table(
        "stats_cells",
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        *_metrics(),
        sa.PrimaryKeyConstraint("region", "kind", name="pk_stats_cells"),
    )
    op.create_index("ix_stats_cells_level_region", "stats_cells", ["level", "region"])
    op.create_table(
        "stats_monthly",
        sa.Column("region", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        *_metrics(),
        sa.PrimaryKeyConstraint("region", "kind", "month", name="pk_stats_monthly"),
    )
    op.create_index("ix_stats_monthly_level_region", "stats_monthly", ["level", "region"])
    op.create_table(
        "stats_facts",
        sa.Column("fact_key", sa.String(240), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.PrimaryKeyConstraint("fact_key", name="pk_stats_facts"),
    )


def downgrade() -> None:
    op.drop_table("stats_facts")
    op.drop_index("ix_stats_monthly_level_region", table_name="stats_monthly")
    op.drop_table("stats_monthly")
    op.drop_index("ix_stats_cells_level_region", table_name="stats_cells")
    op.drop_table("stats_cells")
    op.drop_table("stats_subjects")
