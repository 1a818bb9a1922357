"""Statistics by month are Beijing months: a loan recorded by lending at 2027-01-31 23:30 Beijing
(15:30 UTC) is January's, one at 2027-02-01 00:30 Beijing (16:30 UTC on 31 January) is February's."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.clock_at import MovedClock
from tests.harness import DatabaseFactory, Keys, start_service
from tests.stats.helpers import apply
from tests.stats.producers import add_bank, bank_headers, borrow, grant, published

VILLAGE = "341181100201"


async def test_loans_count_in_their_beijing_month(databases: DatabaseFactory, backend: str, keys: Keys,
                                                  monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Tokens are minted before the clock moves ahead (their issue time must not lie in the future).
    late, early, county = bank_headers(keys, "jan"), bank_headers(keys, "feb"), keys.headers("admin")
    async with start_service("lending", await databases.create("lending", backend), keys) as lending:
        await add_bank(lending, keys)
        await grant(lending, "hh-jan", VILLAGE)
        clock = MovedClock(monkeypatch, tmp_path)
        clock.at(datetime(2027, 1, 31, 15, 30, tzinfo=UTC))
        await borrow(lending, late, "hh-jan", "1000.00")
        clock.at(datetime(2027, 1, 31, 16, 30, tzinfo=UTC))
        await borrow(lending, early, "hh-jan", "2000.00")
        loans = await published(lending, "loan-recorded")
    assert [e.data["drawn_at"][:13] for e in loans] == ["2027-01-31T15", "2027-01-31T16"]
    async with start_service("stats", await databases.create("stats", backend), keys) as stats:
        await apply(stats.db, loans)
        r = await stats.client.get("/v1/stats/timeseries", headers=county, params={
            "metric": "loan_amount", "region": VILLAGE, "from": "2027-01", "to": "2027-02"})
        assert r.status_code == 200, r.text
        assert [(p["month"], p["change"]) for p in r.json()["points"]] == [("2027-01", "1000.00"), ("2027-02", "2000.00")]
