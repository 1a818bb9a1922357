"""Seed the shipped defaults (DOMAIN.md): grade policy version 1, the one-year LPR at 3.45 %, the
4321 risk-sharing programme and the 10 million CNY risk-compensation fund. The county changes them
later through the API; these rows stay as history.

Revision ID: lending_0003
Revises: lending_0002
"""
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "lending_0003"
down_revision: str | None = "lending_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEEDED_AT = datetime(2026, 1, 1, tzinfo=UTC)
POLICY_FROM = datetime(2022, 1, 1, tzinfo=UTC)
CNY = 100  # fen per yuan
MARKUPS = {"A": Decimal("0.40"), "AA": Decimal("0.30"), "AAA": Decimal("0.20")}
LINES = {
    "household": {"A": 100_000, "AA": 300_000, "AAA": 500_000},
    "new_entity": {"A": 500_000, "AA": 1_000_000, "AAA": 2_000_000},
    "collective": {"A": 500_000, "AA": 1_000_000, "AAA": 2_000_000},
}
FUND_FEN = 10_000_000 * CNY


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"

    def ts(value: datetime) -> datetime:
        return value.replace(tzinfo=None) if sqlite else value

    policies = sa.table("grade_policies", sa.column("version"), sa.column("effective_from"), sa.column("kind"),
                        sa.column("grade"), sa.column("line_fen"), sa.column("max_markup", sa.Numeric(8, 4)),
                        sa.column("validity_months"), sa.column("created_by"), sa.column("created_at"))
    op.bulk_insert(policies, [
        {"version": 1, "effective_from": ts(POLICY_FROM), "kind": kind, "grade": grade, "line_fen": amount * CNY,
         "max_markup": MARKUPS[grade], "validity_months": 24, "created_by": "seed", "created_at": ts(SEEDED_AT)}
        for kind, grades in LINES.items() for grade, amount in grades.items()
    ])
    rates = sa.table("benchmark_rates", sa.column("name"), sa.column("rate_percent", sa.Numeric(8, 4)), sa.column("effective_on", sa.Date),
                     sa.column("created_by"), sa.column("created_at"))
    op.bulk_insert(rates, [{"name": "LPR-1Y", "rate_percent": Decimal("3.45"), "effective_on": date(2023, 8, 21),
                            "created_by": "seed", "created_at": ts(SEEDED_AT)}])
    programmes = sa.table("risk_programmes", sa.column("code"), sa.column("name"), sa.column("shares", sa.JSON),
                          sa.column("is_default"), sa.column("created_at"))
    op.bulk_insert(programmes, [{
        "code": "4321", "name": "新型政银担 4321",
        "shares": {"guarantee_company": "40", "provincial_guarantee": "30", "bank": "20", "local_government": "10"},
        "is_default": True, "created_at": ts(SEEDED_AT)}])
    fund = sa.table("risk_fund", sa.column("id"), sa.column("balance_fen"), sa.column("updated_at"))
    op.bulk_insert(fund, [{"id": 1, "balance_fen": FUND_FEN, "updated_at": ts(SEEDED_AT)}])
    entries = sa.table("risk_fund_entries", sa.column("entry_type"), sa.column("amount_fen"),
                       sa.column("balance_after_fen"), sa.column("note"), sa.column("created_by"), sa.column("created_at"))
    op.bulk_insert(entries, [{"entry_type": "top_up", "amount_fen": FUND_FEN, "balance_after_fen": FUND_FEN,
                              "note": "initial risk-compensation fund (风险补偿金)", "created_by": "seed",
                              "created_at": ts(SEEDED_AT)}])


def downgrade() -> None:
    for name in ("risk_fund_entries", "risk_fund", "risk_programmes", "benchmark_rates", "grade_policies"):
        op.execute(sa.text(f"DELETE FROM {name}"))  # noqa: S608
