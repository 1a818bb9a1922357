"""A bank's daily reconciliation file (对账) covers a Beijing day: a loan recorded at 07:30 Beijing
time (23:30 UTC the day before) is in that Beijing day's file and not in the previous one's."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from common.auth import Role
from common.clock import now
from lending.credit_lines.service import on_rating_changed
from lending.subjects.service import on_subject
from rating.ratings.events import rating_changed
from tests.clock_at import MovedClock
from tests.harness import Keys, RunningService
from tests.lending.conftest import bank, subject_event

VILLAGE = {"county": "341181", "town": "341181100", "village": "341181100201"}


async def reconciliation(lending: RunningService, headers: dict[str, str], day: str) -> list[dict[str, str]]:
    r = await lending.client.get(f"/v1/reconciliation?day={day}", headers=headers)
    assert r.status_code == 200, r.text
    return list(csv.DictReader(io.StringIO(r.text)))


async def test_a_loan_at_0730_beijing_is_in_that_beijing_days_file(
        lending: RunningService, keys: Keys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Tokens are minted before the clock moves: their issue time must not lie in the token library's future.
    rcb, admin = bank(keys, "rcb", "early-loan"), keys.headers(Role.admin)
    clock = MovedClock(monkeypatch, tmp_path)
    clock.at(datetime(2027, 3, 14, 23, 30, tzinfo=UTC))  # 2027-03-15 07:30 Beijing
    event = rating_changed(subject_id="hh-early", kind="household", old_grade=None, new_grade="AAA",
                           score=Decimal("92"), version=1, effective_at=now(), reason="final after publication",
                           **VILLAGE)
    async with lending.db.transaction() as session:
        await on_subject(session, [subject_event("hh-early")])  # its file first: consent to lending use
        await on_rating_changed(session, [event])
    r = await lending.client.post("/v1/loans", json={"subject_id": "hh-early", "amount": "10000.00",
                                                     "annual_rate": "4.00", "term_months": 12},
                                  headers=rcb)
    assert r.status_code == 201, r.text
    assert r.json()["drawn_at"].startswith("2027-03-14T23:3"), "the loan is stored at its UTC time"
    on_the_day = await reconciliation(lending, rcb, "2027-03-15")
    assert [(x["record"], x["loan_id"], x["amount"]) for x in on_the_day] == [("loan", r.json()["id"], "10000.00")]
    assert await reconciliation(lending, rcb, "2027-03-14") == []
    county = await reconciliation(lending, admin, "2027-03-15&bank_id=rcb")
    assert [x["loan_id"] for x in county] == [r.json()["id"]]
