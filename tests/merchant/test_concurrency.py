"""Budgets hold under concurrent redemptions: conditional UPDATEs, proven on PostgreSQL."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.harness import DatabaseFactory, Keys, start_service
from tests.merchant.support import County, household

pytestmark = pytest.mark.postgres


async def test_exhausted_budget_under_concurrent_redemptions(databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create("merchant", "postgres")
    async with start_service("merchant", url, keys) as svc:
        county = County(svc.client, keys)
        shop = await county.merchant()
        # 10.00 off each purchase, 55.00 in the budget: exactly five can be redeemed.
        offer = await county.offer(shop, {"kind": "spend_save", "threshold": "50", "save": "10"}, budget_total="55.00")
        codes = [await county.code(await household(svc.db, "AA")) for _ in range(12)]

        async def one(code: str) -> int:
            r = await county.redeem(shop, code, offer, "80.00", key=uuid.uuid4().hex)
            return r.status_code

        statuses = await asyncio.gather(*(one(c) for c in codes))
        assert sorted(statuses).count(201) == 5
        assert set(statuses) <= {201, 409}
        offers = (await svc.client.get(f"/v1/merchants/{shop}/offers", headers=county.admin)).json()
        assert offers[0]["spent"] == "50.00"
        stats = (await svc.client.get(f"/v1/merchants/{shop}/statistics", headers=county.admin)).json()
        assert stats["total"] == {"redemptions": 5, "discount": "50.00"}


async def test_one_household_limit_under_concurrent_redemptions(databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create("merchant", "postgres")
    async with start_service("merchant", url, keys) as svc:
        county = County(svc.client, keys)
        shop = await county.merchant()
        offer = await county.offer(shop, {"kind": "percent", "percent": "10"}, per_household_limit=2)
        code = await county.code(await household(svc.db, "AAA"))
        statuses = await asyncio.gather(*(county.redeem(shop, code, offer, "10.00") for _ in range(8)))
        assert sorted(r.status_code for r in statuses).count(201) == 2
