"""Per-bank daily reconciliation (对账): a Beijing day's loans, repayments and defaults as CSV."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from common.clock import beijing_day_bounds
from lending.loans import repository
from lending.money import fen_str, rate_str

COLUMNS = ["record", "loan_id", "subject_id", "amount", "outstanding", "annual_rate", "term_months", "product",
           "on_time", "at"]


async def daily_csv(session: AsyncSession, bank_id: str, day: date) -> str:
    # A bank's day is a Beijing day: a loan at 07:30 Beijing (23:30 UTC the day before) is that day's.
    start, end = beijing_day_bounds(day)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for loan in await repository.loans_drawn_between(session, bank_id, start, end):
        writer.writerow(["loan", loan.id, loan.subject_id, fen_str(loan.amount_fen), fen_str(loan.amount_fen),
                         rate_str(Decimal(loan.annual_rate)), loan.term_months, loan.product or "", "",
                         loan.drawn_at.isoformat()])
    for repayment, subject_id in await repository.repayments_between(session, bank_id, start, end):
        writer.writerow(["repayment", repayment.loan_id, subject_id, fen_str(repayment.amount_fen),
                         fen_str(repayment.outstanding_fen), "", "", "", str(repayment.on_time).lower(),
                         repayment.repaid_at.isoformat()])
    for record, subject_id in await repository.defaults_between(session, bank_id, start, end):
        writer.writerow(["default", record.loan_id, subject_id, fen_str(record.loss_fen), "0", "", "", "", "",
                         record.defaulted_at.isoformat()])
    return out.getvalue()
