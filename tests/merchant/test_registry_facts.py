"""The registry's facts reach merchant (events from the registry's and rating's own builders):
an archived household's code is revoked; consent without the merchant scope answers as an unknown
code; a moved household's region follows it (officers' scope, new redemptions' region), and a late
grade still carrying the old region does not move it back."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from kafka import KafkaProducer

from common.auth import Role
from common.broker import TansuBroker
from common.events import Event
from rating.ratings.events import rating_changed
from tests.harness import DatabaseFactory, Keys, RunningService, eventually, send_event, start_service
from tests.merchant.support import County, apply
from tests.registry_rows import registered, updated

V1, V2 = "341181100201", "341181101203"  # two villages of two towns
SHOP_PCT = {"kind": "percent", "percent": "10", "cap": "20.00"}
UNKNOWN = {"valid": False, "status": "unknown_code", "masked_name": None, "grade": None, "offers": []}


def graded(subject_id: str, grade: str, version: int, village: str) -> Event:
    return rating_changed(subject_id=subject_id, kind="household", county=village[:6], town=village[:9],
                          village=village, old_grade=None, new_grade=grade, score=Decimal("85"), version=version,
                          effective_at=datetime(2026, 11, 25, 8, tzinfo=UTC), reason="final after publication")


@pytest.fixture
async def svc(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    url = await databases.create("merchant", backend)
    async with start_service("merchant", url, keys) as running:
        yield running


@pytest.fixture
def county(svc: RunningService, keys: Keys) -> County:
    return County(svc.client, keys)


async def test_an_archived_household_has_its_code_revoked(svc: RunningService, county: County) -> None:
    shop = await county.merchant(region_code=V1)
    offer = await county.offer(shop, SHOP_PCT)
    await apply(svc.db, registered("hh-gone", V1), graded("hh-gone", "AA", 1, V1))
    code = await county.code("hh-gone")
    assert (await county.verify(shop, code))["valid"] is True

    await apply(svc.db, updated("hh-gone", V1, 2, ["status"], status="archived"))  # deceased, moved away
    assert await county.verify(shop, code) == UNKNOWN
    r = await county.redeem(shop, code, offer, "100.00")
    assert (r.status_code, r.json()["type"]) == (422, "unknown-code")
    household = (await svc.client.get("/v1/households/hh-gone", headers=county.admin)).json()
    assert household["code_issued_at"] is None, "the code itself is revoked, not only hidden"
    assert (await svc.client.get("/v1/households/hh-gone/code.png", headers=county.admin)).status_code == 404
    r = await svc.client.post("/v1/households/hh-gone/codes", headers=county.admin)
    assert (r.status_code, r.json()["type"]) == (409, "household-archived")
    # Even a grade that arrives later gives the old code nothing back.
    await apply(svc.db, graded("hh-gone", "AAA", 2, V1))
    assert await county.verify(shop, code) == UNKNOWN


async def test_consent_without_the_merchant_scope_answers_as_an_unknown_code(svc: RunningService,
                                                                             county: County) -> None:
    shop = await county.merchant(region_code=V1)
    offer = await county.offer(shop, SHOP_PCT)
    await apply(svc.db, registered("hh-c", V1), graded("hh-c", "B", 1, V1))
    code = await county.code("hh-c")
    assert (await county.verify(shop, code))["status"] == "not_credit_household"

    # The household narrows its consent to lending, rating and statistics: merchants learn nothing,
    # not even that the code is a household's below A.
    await apply(svc.db, updated("hh-c", V1, 2, ["consent"], scopes=["lending", "rating", "statistics"]))
    assert await county.verify(shop, code) == UNKNOWN
    await apply(svc.db, graded("hh-c", "AA", 2, V1))
    assert await county.verify(shop, code) == UNKNOWN
    r = await county.redeem(shop, code, offer, "100.00")
    assert (r.status_code, r.json()["type"]) == (422, "unknown-code")
    assert r.json()["errors"][0]["field"] == "code"

    # Consent given without naming scopes (the registry sends an empty list) covers every use.
    await apply(svc.db, updated("hh-c", V1, 3, ["consent"], scopes=[]))
    answer = await county.verify(shop, code)
    assert answer["valid"] is True and [o["offer_id"] for o in answer["offers"]] == [offer]
    await apply(svc.db, updated("hh-c", V1, 4, ["consent"], given=False))
    assert await county.verify(shop, code) == UNKNOWN
    await apply(svc.db, updated("hh-c", V1, 5, ["consent"], scopes=["merchant"]))
    assert (await county.redeem(shop, code, offer, "100.00")).status_code == 201


async def test_a_moved_household_takes_its_region_along(svc: RunningService, county: County, keys: Keys) -> None:
    officer_1 = keys.headers(Role.officer, region=V1)
    officer_2 = keys.headers(Role.officer, region=V2)
    shop = await county.merchant(region_code=V1)
    offer = await county.offer(shop, SHOP_PCT)
    await apply(svc.db, registered("hh-m", V1), graded("hh-m", "AA", 1, V1))
    code = await county.code("hh-m")
    assert (await county.redeem(shop, code, offer, "100.00")).status_code == 201
    assert (await svc.client.get("/v1/households/hh-m", headers=officer_1)).status_code == 200

    await apply(svc.db, updated("hh-m", V2, 2, ["village"]))
    # Rating learnt of the move later: its next grade still names the old village.
    await apply(svc.db, graded("hh-m", "AAA", 2, V1))
    household = (await svc.client.get("/v1/households/hh-m", headers=officer_2))
    assert household.status_code == 200 and household.json()["region"]["village"] == V2
    assert household.json()["grade"] == "AAA"
    r = await svc.client.get("/v1/households/hh-m", headers=officer_1)
    assert (r.status_code, r.json()["type"]) == (404, "not-found")  # outside the region: as if unknown
    r = await svc.client.post("/v1/households/hh-m/codes", headers=officer_1)
    assert r.status_code == 404

    assert (await county.redeem(shop, code, offer, "200.00")).status_code == 201
    in_1 = (await svc.client.get("/v1/statistics/redemptions", headers=officer_1)).json()["total"]
    in_2 = (await svc.client.get("/v1/statistics/redemptions", headers=officer_2)).json()["total"]
    # The redemption before the move stays with the old village; the one after counts in the new.
    assert (in_1["redemptions"], in_1["discount"]) == (1, "10.00")
    assert (in_2["redemptions"], in_2["discount"]) == (1, "20.00")


@pytest.mark.broker
async def test_through_the_broker_archive_consent_and_move_reach_the_pos(databases: DatabaseFactory, keys: Keys,
                                                                        fresh_broker: TansuBroker) -> None:
    producer = KafkaProducer(bootstrap_servers=fresh_broker.bootstrap)

    def send(*events: Event) -> None:
        for event in events:
            send_event(producer, event.type, key=event.subject.encode(), value=event.to_json()).get(10)

    try:
        async with start_service("merchant", await databases.create("merchant", "sqlite"), keys,
                                 bootstrap=fresh_broker.bootstrap) as svc:
            county = County(svc.client, keys)
            await svc.wait_consumer_assigned()
            await asyncio.to_thread(send, registered("hh-1", V1), graded("hh-1", "AA", 1, V1),
                                    registered("hh-2", V1), graded("hh-2", "AA", 1, V1))

            async def both_known() -> bool:
                for subject in ("hh-1", "hh-2"):
                    r = await svc.client.get(f"/v1/households/{subject}", headers=county.admin)
                    if r.status_code != 200 or not r.json()["grade"]:
                        return False
                return True

            await eventually(both_known, timeout=20)
            shop = await county.merchant(region_code=V1)
            await county.offer(shop, SHOP_PCT)
            code_1, code_2 = await county.code("hh-1"), await county.code("hh-2")
            await asyncio.to_thread(send, updated("hh-1", V2, 2, ["village", "consent"], scopes=["lending"]),
                                    updated("hh-2", V1, 2, ["status"], status="archived"))

            async def applied() -> bool:
                one = (await svc.client.get("/v1/households/hh-1", headers=county.admin)).json()
                two = (await svc.client.get("/v1/households/hh-2", headers=county.admin)).json()
                return bool(one["region"]["village"] == V2 and two["code_issued_at"] is None)

            await eventually(applied, timeout=20)
            assert await county.verify(shop, code_1) == UNKNOWN
            assert await county.verify(shop, code_2) == UNKNOWN
    finally:
        producer.close(1)
