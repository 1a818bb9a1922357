"""Fifty concurrent draws at one line from several banks: the sum drawn never exceeds the line
(on PostgreSQL by the conditional UPDATE under the row lock; on SQLite by serialised writers), and
every accepted draw is a loan, every refused one says over-available-line."""
from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from common.tables import outbox_events
from lending.credit_lines.models import CreditLine
from lending.loans.models import Loan
from tests.harness import Keys, RunningService
from tests.lending.conftest import apply, bank, rating_changed

BANKS = ("rcb", "abc", "psbc")


async def test_fifty_concurrent_draws_never_overdraw(lending: RunningService, keys: Keys) -> None:
    await apply(lending, rating_changed("hh-hot", "A", 1))  # a 100,000.00 line
    amounts = [f"{2000 + 37 * i}.{i % 100:02d}" for i in range(50)]  # 50 draws, about 145k asked in all

    async def draw(i: int) -> tuple[int, dict[str, object]]:
        body = {"subject_id": "hh-hot", "amount": amounts[i], "annual_rate": "4.50", "term_months": 12}
        r = await lending.client.post("/v1/loans", json=body, headers=bank(keys, BANKS[i % len(BANKS)], f"draw-{i}"))
        return r.status_code, r.json()

    results = await asyncio.gather(*(draw(i) for i in range(50)))
    accepted = [body for status, body in results if status == 201]
    refused = [body for status, body in results if status != 201]
    assert {b["type"] for b in refused} <= {"over-available-line"}, refused[:3]
    assert accepted and refused, "the asks exceed the line, so some must pass and some be refused"

    async with lending.db.transaction(write=False) as session:
        line = (await session.execute(select(CreditLine).where(CreditLine.subject_id == "hh-hot"))).scalar_one()
        loans = (await session.execute(select(func.count(), func.coalesce(func.sum(Loan.amount_fen), 0))
                                       .where(Loan.subject_id == "hh-hot"))).one()
        recorded = (await session.execute(select(func.count()).select_from(outbox_events)
                                          .where(outbox_events.c.topic == "loan-recorded"))).scalar_one()
    accepted_fen = sum(round(float(str(b["amount"])) * 100) for b in accepted)
    assert line.drawn_fen <= line.line_fen == 10_000_000
    assert line.drawn_fen == accepted_fen == int(loans[1])
    assert int(loans[0]) == len(accepted) == recorded
    # Every refusal saw less available than it asked for.
    for b in refused:
        assert b["available"] is not None
    assert {b["bank_id"] for b in accepted} == set(BANKS)


async def test_concurrent_repayments_never_repay_more_than_owed(lending: RunningService, keys: Keys) -> None:
    await apply(lending, rating_changed("hh-rep", "AAA", 1))
    made = await lending.client.post("/v1/loans", json={"subject_id": "hh-rep", "amount": "100000.00",
                                                        "annual_rate": "4.00", "term_months": 12},
                                     headers=bank(keys, "rcb", "big"))
    loan_id = made.json()["id"]

    async def repay(i: int) -> int:
        r = await lending.client.post(f"/v1/loans/{loan_id}/repayments", json={"amount": "15000.00"},
                                      headers=bank(keys, "rcb", f"rep-{i}"))
        return r.status_code

    statuses = await asyncio.gather(*(repay(i) for i in range(12)))
    assert statuses.count(201) == 6, statuses  # 6 × 15,000 fit in 100,000; a 7th would not
    async with lending.db.transaction(write=False) as session:
        line = (await session.execute(select(CreditLine).where(CreditLine.subject_id == "hh-rep"))).scalar_one()
        loan = (await session.execute(select(Loan).where(Loan.id == loan_id))).scalar_one()
    assert loan.outstanding_fen == 1_000_000 and line.drawn_fen == loan.outstanding_fen
