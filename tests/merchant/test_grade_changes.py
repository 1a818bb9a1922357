"""The grade-change feed for merchants (issue 16): a merchant that asked for it reads, in order and
resumably, the grade changes (as the till sees them: grade and veto) of the households it served
lately — a redemption at it, or a verify that showed it a grade — and of no other; every change
shown is logged. The grades come from rating's own ``rating-changed`` through merchant's handler."""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from common.auth import Role
from tests.harness import DatabaseFactory, Keys, RunningService, start_service
from tests.merchant.support import County, apply, household, rating_event

SHOP_PCT = {"kind": "percent", "percent": "10", "cap": "20.00"}


@pytest.fixture
async def svc(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    url = await databases.create("merchant", backend)
    async with start_service("merchant", url, keys) as running:
        yield running


async def feed(svc: RunningService, keys: Keys, merchant_id: str, query: str = "") -> Any:
    return await svc.client.get(f"/v1/grade-changes?{query}", headers=keys.headers(Role.merchant,
                                                                                      merchant_id=merchant_id))


async def test_a_merchant_that_asked_hears_of_the_households_it_served(svc: RunningService, keys: Keys) -> None:
    county = County(svc.client, keys)
    shop, other = await county.merchant(), await county.merchant()
    offer = await county.offer(shop, SHOP_PCT)
    served, scanned, stranger = (await household(svc.db, "AA"), await household(svc.db, "AAA"),
                                 await household(svc.db, "AA"))
    not_yet = await feed(svc, keys, shop)
    assert not_yet.status_code == 403 and not_yet.json()["type"] == "not-subscribed"

    merchant = keys.headers(Role.merchant, merchant_id=shop)
    r = await svc.client.post("/v1/grade-changes:subscribe", headers=merchant)
    assert r.status_code == 200 and r.json()["subscribed"] is True, r.text
    start = r.json()["from_id"]
    again = await svc.client.post("/v1/grade-changes:subscribe", headers=merchant)
    assert again.json()["from_id"] == start, "asking again changes nothing"
    assert (await county.redeem(shop, await county.code(served), offer, "100.00")).status_code == 201
    assert (await county.verify(shop, await county.code(scanned)))["status"] == "credit_household"
    await svc.app.state.disclosures.flush()

    await apply(svc.db, rating_event(served, "A", 2, old="AA"))
    await apply(svc.db, rating_event(served, "A", 3, old="A"))  # the same grade: nothing at the till
    await apply(svc.db, rating_event(scanned, "AAA", 2, old="AAA", vetoed=True))
    await apply(svc.db, rating_event(stranger, "B", 2, old="AA"))  # never at this shop

    page = (await feed(svc, keys, shop)).json()
    seen = [(c["subject_id"], c["old_grade"], c["grade"], c["vetoed"]) for c in page["items"]]
    assert seen == [(served, "AA", "A", False), (scanned, "AAA", "AAA", True)]
    assert all(c["id"] > start for c in page["items"]) and page["items"][0]["masked_name"] == "张*"
    assert page["next_after"] == page["latest"]
    first = (await feed(svc, keys, shop, "limit=1")).json()
    rest = (await svc.client.get(first["next"], headers=merchant)).json()
    assert [c["id"] for c in first["items"] + rest["items"]] == [c["id"] for c in page["items"]]

    await svc.client.post("/v1/grade-changes:subscribe", headers=keys.headers(Role.merchant, merchant_id=other))
    assert (await feed(svc, keys, other)).json()["items"] == [], "another shop served none of them"
    bad = await feed(svc, keys, shop, "after=-5")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.after"

    for subject, shown in ((served, True), (scanned, True), (stranger, False)):
        log = (await svc.client.get(f"/v1/disclosures?subject_id={subject}", headers=keys.headers(Role.admin))).json()["items"]
        assert any(d["outcome"] == "grade-feed" and d["merchant_id"] == shop for d in log) is shown, subject

    r = await svc.client.post("/v1/grade-changes:unsubscribe", headers=merchant)
    assert r.status_code == 200 and r.json()["subscribed"] is False
    assert (await feed(svc, keys, shop)).status_code == 403
