"""Daily budgets count by Beijing day (common.clock): a redemption at 00:30 Beijing time (16:30 UTC
the day before) counts against that Beijing day's budget, not the previous day's."""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from common.auth import Role
from rating.ratings.events import rating_changed
from tests.clock_at import MovedClock
from tests.harness import DatabaseFactory, Keys, RunningService, start_service
from tests.merchant.support import County, apply
from tests.registry_rows import registered

VILLAGE = "341181100201"


@pytest.fixture
async def svc(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    url = await databases.create("merchant", backend)
    async with start_service("merchant", url, keys) as running:
        yield running


async def test_a_redemption_at_0030_beijing_counts_against_that_days_budget(
        svc: RunningService, keys: Keys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    county = County(svc.client, keys)
    shop = await county.merchant(region_code=VILLAGE)
    # 10 % off a 100.00 bill is 10.00: the day's budget allows one such redemption.
    offer = await county.offer(shop, {"kind": "percent", "percent": "10"}, budget_daily="10.00")
    await apply(svc.db, registered("hh-night", VILLAGE),
                rating_changed(subject_id="hh-night", kind="household", county=VILLAGE[:6], town=VILLAGE[:9],
                               village=VILLAGE, old_grade=None, new_grade="AA", score=Decimal("85"), version=1,
                               effective_at=datetime(2026, 11, 25, tzinfo=UTC), reason="final"))
    code = await county.code("hh-night")
    # Tokens are minted before the clock moves ahead (their issue time must not lie in the future).
    pos = keys.headers(Role.merchant, merchant_id=shop)

    async def redeem() -> httpx.Response:
        return await svc.client.post("/v1/pos/redemptions", json={"code": code, "offer_id": offer, "bill_amount": "100.00"},
                                     headers={**pos, "Idempotency-Key": uuid.uuid4().hex})

    clock = MovedClock(monkeypatch, tmp_path)
    clock.at(datetime(2027, 1, 14, 15, 50, tzinfo=UTC))  # 2027-01-14 23:50 Beijing
    assert (await redeem()).status_code == 201
    r = await redeem()
    assert (r.status_code, r.json()["type"]) == (409, "daily-budget-exhausted")

    clock.at(datetime(2027, 1, 14, 16, 30, tzinfo=UTC))  # 2027-01-15 00:30 Beijing, still the 14th in UTC
    r = await redeem()
    assert r.status_code == 201, r.text
    r = await redeem()
    assert (r.status_code, r.json()["type"]) == (409, "daily-budget-exhausted")

    mine = (await svc.client.get("/v1/pos/redemptions", headers=pos)).json()
    assert sorted(x["day"] for x in mine) == ["2027-01-14", "2027-01-15"]
    by_day = (await svc.client.get(f"/v1/merchants/{shop}/statistics?period=day", headers=pos)).json()["items"]
    assert [(i["period"], i["redemptions"]) for i in by_day] == [("2027-01-14", 1), ("2027-01-15", 1)]
