"""The POS contract and the county's flow, on SQLite and PostgreSQL: codes, verify, redeem,
refund, idempotency, budgets, limits, programmes, statistics, disclosures."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from common.auth import Role
from common.db import utcnow
from common.tables import outbox_events
from tests.harness import DatabaseFactory, Keys, RunningService, start_service
from tests.merchant.support import County, apply, household, rating_event, subject_event

SHOP_PCT = {"kind": "percent", "percent": "10", "cap": "20.00"}


@pytest.fixture
async def svc(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    url = await databases.create("merchant", backend)
    async with start_service("merchant", url, keys) as running:
        yield running


@pytest.fixture
def county(svc: RunningService, keys: Keys) -> County:
    return County(svc.client, keys)


async def outbox(svc: RunningService) -> list[dict[str, Any]]:
    import orjson
    async with svc.db.transaction(write=False) as session:
        rows = (await session.execute(select(outbox_events.c.payload).order_by(outbox_events.c.id))).scalars()
        return [orjson.loads(p) for p in rows]


async def test_verify_answers_grade_name_and_the_offers_that_apply_now(svc: RunningService, county: County) -> None:
    shop = await county.merchant()
    aa_offer = await county.offer(shop, SHOP_PCT, ["AAA", "AA"])
    a_offer = await county.offer(shop, {"kind": "spend_save", "threshold": "100", "save": "10"}, ["A"])
    expired = await county.offer(shop, SHOP_PCT, valid_from=(utcnow() - timedelta(days=10)).isoformat(),
                                 valid_until=(utcnow() - timedelta(days=1)).isoformat())
    future = await county.offer(shop, SHOP_PCT, valid_from=(utcnow() + timedelta(days=1)).isoformat())
    other_shop = await county.merchant()
    await county.offer(other_shop, SHOP_PCT)
    hh = await household(svc.db, "AA")
    code = await county.code(hh)

    answer = await county.verify(shop, code)
    assert answer["valid"] is True and answer["status"] == "credit_household"
    assert answer["masked_name"] == "张*" and answer["grade"] == "AA"
    assert [o["offer_id"] for o in answer["offers"]] == [aa_offer]
    assert set(answer) == {"valid", "status", "masked_name", "grade", "offers"}
    assert expired not in str(answer) and future not in str(answer) and a_offer not in str(answer)

    r = await county.redeem(shop, code, expired, "100.00")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "offer_id"


async def test_unknown_tampered_replaced_and_revoked_codes_verify_as_nothing(svc: RunningService, county: County) -> None:
    shop = await county.merchant()
    await county.offer(shop, SHOP_PCT)
    hh = await household(svc.db, "AAA")
    code = await county.code(hh)
    tampered = code[:-1] + ("A" if code[-1] != "A" else "B")
    for bad in (tampered, "CVnot-a-real-code", code.lower()):
        answer = await county.verify(shop, bad)
        assert answer == {"valid": False, "status": "unknown_code", "masked_name": None, "grade": None, "offers": []}
    r = await county.redeem(shop, tampered, "o-x", "10.00")
    assert r.status_code == 422 and r.json()["type"] == "unknown-code"

    new_code = await county.code(hh)  # re-issue: the old code stops at once
    assert new_code != code
    assert (await county.verify(shop, code))["status"] == "unknown_code"
    assert (await county.verify(shop, new_code))["valid"] is True
    r = await svc.client.delete(f"/v1/households/{hh}/codes", headers=county.admin)
    assert r.status_code == 204
    assert (await county.verify(shop, new_code))["status"] == "unknown_code"


async def test_grade_changes_apply_at_the_next_scan_and_stale_events_change_nothing(svc: RunningService,
                                                                                     county: County) -> None:
    shop = await county.merchant()
    aa = await county.offer(shop, SHOP_PCT, ["AAA", "AA"])
    a = await county.offer(shop, {"kind": "spend_save", "threshold": "50", "save": "5"}, ["AAA", "AA", "A"])
    hh = await household(svc.db, "AA")
    code = await county.code(hh)
    assert {o["offer_id"] for o in (await county.verify(shop, code))["offers"]} == {aa, a}

    await apply(svc.db, rating_event(hh, "A", 2, old="AA"))
    answer = await county.verify(shop, code)
    assert answer["grade"] == "A" and [o["offer_id"] for o in answer["offers"]] == [a]
    r = await county.redeem(shop, code, aa, "100.00")
    assert r.status_code == 422

    await apply(svc.db, rating_event(hh, "AA", 1), rating_event(hh, "AAA", 2))  # stale: versions already seen
    assert (await county.verify(shop, code))["grade"] == "A"

    await apply(svc.db, rating_event(hh, "B", 3, old="A"))
    answer = await county.verify(shop, code)
    assert answer == {"valid": False, "status": "not_credit_household", "masked_name": None, "grade": None,
                      "offers": []}
    await apply(svc.db, rating_event(hh, "AAA", 4, old="B", vetoed=True))
    assert (await county.verify(shop, code))["status"] == "not_credit_household"
    await apply(svc.db, rating_event(hh, "AA", 5, old="D"))  # back up: offers return
    assert {o["offer_id"] for o in (await county.verify(shop, code))["offers"]} == {aa, a}


async def test_consent_is_needed_to_issue_and_to_disclose(svc: RunningService, county: County) -> None:
    shop = await county.merchant()
    no_consent = await household(svc.db, "AA", given=False)
    r = await svc.client.post(f"/v1/households/{no_consent}/codes", headers=county.admin)
    assert r.status_code == 409 and r.json()["type"] == "no-consent"

    hh = await household(svc.db, "AA")
    code = await county.code(hh)
    await apply(svc.db, subject_event(hh, 2, scopes=["benefits"], updated=True))  # withdraws "merchant"
    answer = await county.verify(shop, code)
    assert answer == {"valid": False, "status": "unknown_code", "masked_name": None, "grade": None, "offers": []}


async def test_redeem_computes_the_discount_and_is_idempotent(svc: RunningService, county: County) -> None:
    shop = await county.merchant()
    offer = await county.offer(shop, SHOP_PCT)
    hh = await household(svc.db, "AA")
    code = await county.code(hh)

    r = await county.redeem(shop, code, offer, "123.45", key="bill-1")
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["discount"] == "12.35" and first["amount_to_pay"] == "111.10" and first["bill_amount"] == "123.45"

    again = await county.redeem(shop, code, offer, "123.45", key="bill-1")
    assert again.status_code == 201 and again.json() == first and again.headers["Idempotent-Replayed"] == "true"
    other_body = await county.redeem(shop, code, offer, "999.00", key="bill-1")
    assert other_body.status_code == 422

    r = await svc.client.get("/v1/pos/redemptions", headers=county.pos(shop))
    assert [x["redemption_id"] for x in r.json()] == [first["redemption_id"]]
    events = [e for e in await outbox(svc) if e["type"] == "redemption-recorded"]
    assert len(events) == 1
    assert events[0]["data"]["discount"] == "12.35" and events[0]["data"]["subject_id"] == hh
    assert events[0]["data"]["offer_id"] == offer and events[0]["data"]["status"] == "recorded"

    no_key = await svc.client.post("/v1/pos/redemptions", json={"code": code, "offer_id": offer, "bill_amount": "1"},
                                   headers=county.keys.headers(Role.merchant, merchant_id=shop))
    assert no_key.status_code == 400
    bad = await county.redeem(shop, code, offer, "-1")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "bill_amount"


async def test_refund_once_returns_the_budget(svc: RunningService, county: County) -> None:
    shop = await county.merchant()
    offer = await county.offer(shop, SHOP_PCT, budget_total="15.00", per_household_limit=1)
    hh = await household(svc.db, "AA")
    code = await county.code(hh)
    r = await county.redeem(shop, code, offer, "100.00")
    assert r.status_code == 201
    rid = r.json()["redemption_id"]
    again = await county.redeem(shop, code, offer, "100.00")
    assert again.status_code == 409 and again.json()["type"] in ("budget-exhausted", "household-limit-reached")

    refund = await svc.client.post(f"/v1/pos/redemptions/{rid}/refund", headers=county.pos(shop, "refund-1"))
    assert refund.status_code == 200 and refund.json()["discount_returned"] == "10.00"
    replay = await svc.client.post(f"/v1/pos/redemptions/{rid}/refund", headers=county.pos(shop, "refund-1"))
    assert replay.status_code == 200 and replay.json() == refund.json()
    twice = await svc.client.post(f"/v1/pos/redemptions/{rid}/refund", headers=county.pos(shop, "refund-2"))
    assert twice.status_code == 409 and twice.json()["type"] == "already-refunded"

    assert (await county.redeem(shop, code, offer, "100.00")).status_code == 201  # budget and use came back
    events = [e["data"]["status"] for e in await outbox(svc) if e["type"] == "redemption-recorded"]
    assert events == ["recorded", "reversed", "recorded"]


async def test_budgets_and_limits(svc: RunningService, county: County) -> None:
    shop = await county.merchant()
    daily = await county.offer(shop, {"kind": "spend_save", "threshold": "50", "save": "10"}, budget_daily="20.00")
    limited = await county.offer(shop, {"kind": "percent", "percent": "5"}, per_household_limit=2)
    hh = await household(svc.db, "A")
    code = await county.code(hh)
    assert (await county.redeem(shop, code, daily, "60")).status_code == 201
    assert (await county.redeem(shop, code, daily, "60")).status_code == 201
    r = await county.redeem(shop, code, daily, "60")
    assert r.status_code == 409 and r.json()["type"] == "daily-budget-exhausted"
    assert (await county.redeem(shop, code, limited, "10")).status_code == 201
    assert (await county.redeem(shop, code, limited, "10")).status_code == 201
    r = await county.redeem(shop, code, limited, "10")
    assert r.status_code == 409 and r.json()["type"] == "household-limit-reached"


async def test_total_budget_exhausted_offer_is_no_longer_offered(svc: RunningService, county: County) -> None:
    shop = await county.merchant()
    offer = await county.offer(shop, {"kind": "spend_save", "threshold": "10", "save": "10"}, budget_total="10.00")
    code = await county.code(await household(svc.db, "AAA"))
    assert (await county.redeem(shop, code, offer, "10")).status_code == 201
    assert (await county.verify(shop, code))["offers"] == []


async def test_stacked_offers_on_one_bill(svc: RunningService, county: County) -> None:
    shop = await county.merchant()
    pct = await county.offer(shop, {"kind": "percent", "percent": "10"}, stackable=True)
    mj = await county.offer(shop, {"kind": "spend_save", "threshold": "200", "save": "20"}, stackable=True)
    solo = await county.offer(shop, {"kind": "percent", "percent": "50"})
    code = await county.code(await household(svc.db, "AA"))
    r = await county.redeem(shop, code, [pct, mj], "300.00")
    assert r.status_code == 201, r.text
    assert r.json()["discount"] == "48.00" and r.json()["amount_to_pay"] == "252.00"
    assert {o["offer_id"]: o["discount"] for o in r.json()["offers"]} == {mj: "20.00", pct: "28.00"}
    r = await county.redeem(shop, code, [pct, solo], "300.00")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "offer_ids"


async def test_a_merchant_sees_only_its_own_redemptions(svc: RunningService, county: County) -> None:
    mine, theirs = await county.merchant(), await county.merchant()
    offer = await county.offer(theirs, SHOP_PCT)
    code = await county.code(await household(svc.db, "AA"))
    rid = (await county.redeem(theirs, code, offer, "50")).json()["redemption_id"]
    me = county.keys.headers(Role.merchant, merchant_id=mine)
    assert (await svc.client.get(f"/v1/merchants/{theirs}/redemptions", headers=me)).status_code == 403
    assert (await svc.client.get(f"/v1/merchants/{theirs}/statistics", headers=me)).status_code == 403
    assert (await svc.client.get(f"/v1/pos/redemptions/{rid}", headers=me)).status_code == 404
    assert (await svc.client.get("/v1/pos/redemptions", headers=me)).json() == []
    r = await svc.client.post(f"/v1/pos/redemptions/{rid}/refund", headers=county.pos(mine))
    assert r.status_code == 404
    # nor can it use another merchant's offer
    assert (await county.redeem(mine, code, offer, "50")).status_code == 422
    theirs_headers = county.keys.headers(Role.merchant, merchant_id=theirs)
    assert (await svc.client.get(f"/v1/pos/redemptions/{rid}", headers=theirs_headers)).status_code == 200


async def test_statistics_by_offer_and_period(svc: RunningService, county: County) -> None:
    shop, other = await county.merchant(), await county.merchant()
    o1 = await county.offer(shop, SHOP_PCT)
    o2 = await county.offer(shop, {"kind": "spend_save", "threshold": "100", "save": "15"})
    o3 = await county.offer(other, SHOP_PCT)
    code = await county.code(await household(svc.db, "AAA"))
    for offer, bill in ((o1, "100"), (o1, "50"), (o2, "100")):
        assert (await county.redeem(shop, code, offer, bill)).status_code == 201
    rid = (await county.redeem(other, code, o3, "80")).json()["redemption_id"]
    await svc.client.post(f"/v1/pos/redemptions/{rid}/refund", headers=county.pos(other))

    r = await svc.client.get(f"/v1/merchants/{shop}/statistics?period=month",
                             headers=county.keys.headers(Role.merchant, merchant_id=shop))
    stats = r.json()
    by_offer = {i["offer_id"]: i for i in stats["items"]}
    assert set(by_offer) == {o1, o2}
    assert by_offer[o1]["redemptions"] == 2 and by_offer[o1]["discount"] == "15.00"
    assert by_offer[o2]["discount"] == "15.00" and stats["total"]["discount"] == "30.00"
    county_wide = (await svc.client.get("/v1/statistics/redemptions", headers=county.admin)).json()
    assert county_wide["total"]["redemptions"] == 3
    assert {i["offer_id"]: i["reversed"] for i in county_wide["items"]}[o3] == 1
    assert (await svc.client.get("/v1/statistics/redemptions", headers=county.pos(shop))).status_code == 403


async def test_public_benefit_programme_with_its_verifiers(svc: RunningService, county: County) -> None:
    bus = await county.merchant("benefit_verifier", name="天长公交", category="bus")
    hospital = await county.merchant("benefit_verifier", name="县人民医院", category="hospital")
    r = await svc.client.post("/v1/programmes", headers=county.admin, json={
        "name": "信用户免费乘车", "rule": {"kind": "percent", "percent": "100", "cap": "2.00"},
        "eligible_grades": ["AAA", "AA"], "per_household_limit": 2})
    assert r.status_code == 201, r.text
    programme, offer = r.json()["id"], r.json()["offer"]["id"]
    r = await svc.client.post(f"/v1/programmes/{programme}/verifiers", json={"merchant_id": bus}, headers=county.admin)
    assert r.status_code == 201
    shop = await county.merchant()
    r = await svc.client.post(f"/v1/programmes/{programme}/verifiers", json={"merchant_id": shop}, headers=county.admin)
    assert r.status_code == 422

    hh = await household(svc.db, "AA", scopes=["benefits"])
    code = await county.code(hh)
    answer = await county.verify(bus, code)
    assert answer["valid"] and [o["offer_id"] for o in answer["offers"]] == [offer]
    assert answer["offers"][0]["programme_id"] == programme
    assert (await county.verify(hospital, code))["offers"] == []  # not bound to this programme
    assert (await county.verify(shop, code))["status"] == "unknown_code"  # benefits only, no merchant consent
    r = await county.redeem(bus, code, offer, "2.00")
    assert r.status_code == 201 and r.json()["amount_to_pay"] == "0.00"
    events = [e["data"] for e in await outbox(svc) if e["type"] == "redemption-recorded"]
    assert events[-1]["programme_id"] == programme


async def test_codes_render_as_png_and_svg_for_county_staff_only(svc: RunningService, county: County) -> None:
    hh = await household(svc.db, "AA")
    code = await county.code(hh)
    png = await svc.client.get(f"/v1/households/{hh}/code.png", headers=county.admin)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    svg = await svc.client.get(f"/v1/households/{hh}/code.svg", headers=county.admin)
    assert svg.status_code == 200 and b"<svg" in svg.content
    assert code.encode() not in svg.content and hh.encode() not in png.content
    officer_elsewhere = county.keys.headers(Role.officer, region="341182")
    assert (await svc.client.get(f"/v1/households/{hh}/code.png", headers=officer_elsewhere)).status_code == 404  # outside the region: as if unknown (docs/security.md)
    officer_here = county.keys.headers(Role.officer, region="341181100")
    assert (await svc.client.post(f"/v1/households/{hh}/codes", headers=officer_here)).status_code == 201
    assert (await svc.client.get(f"/v1/households/{hh}/code.svg", headers=county.pos("m-x"))).status_code == 403


async def test_every_verification_is_logged_as_a_disclosure(svc: RunningService, county: County) -> None:
    shop = await county.merchant()
    hh = await household(svc.db, "AA")
    code = await county.code(hh)
    await county.verify(shop, code)
    await apply(svc.db, rating_event(hh, "C", 2))
    await county.verify(shop, code)
    r = await svc.client.get(f"/v1/disclosures?subject_id={hh}", headers=county.admin)
    log = r.json()["items"]
    assert [(d["merchant_id"], d["outcome"], d["grade"]) for d in log] == [
        (shop, "not_credit_household", None), (shop, "credit_household", "AA")]


async def test_suspended_merchant_and_wrong_roles_are_refused(svc: RunningService, county: County) -> None:
    shop = await county.merchant()
    code = await county.code(await household(svc.db, "AA"))
    r = await svc.client.post(f"/v1/merchants/{shop}/status", json={"status": "suspended"}, headers=county.admin)
    assert r.status_code == 200
    r = await svc.client.post("/v1/pos/verify", json={"code": code}, headers=county.pos(shop))
    assert r.status_code == 403
    bank = county.keys.headers(Role.bank, bank_id="b1")
    assert (await svc.client.post("/v1/pos/verify", json={"code": code}, headers=bank)).status_code == 403
    assert (await svc.client.post("/v1/pos/verify", json={"code": code})).status_code == 401
    unknown = await svc.client.post("/v1/pos/verify", json={"code": code}, headers=county.pos("m-nobody"))
    assert unknown.status_code == 403
    r = await svc.client.post("/v1/merchants", json={"name": "x", "region_code": "999999"},
                              headers=county.keys.headers(Role.officer, region="341181"))
    assert r.status_code == 403


async def test_rotating_codes_live_briefly_and_follow_the_static_code(svc: RunningService, county: County) -> None:
    shop = await county.merchant()
    hh = await household(svc.db, "AA")
    await county.code(hh)
    app_backend = county.keys.headers(Role.service, service="household-channel")
    r = await svc.client.post(f"/v1/households/{hh}/codes/rotating", headers=app_backend)
    assert r.status_code == 201, r.text
    rotating = r.json()["code"]
    assert hh not in rotating and "AA" not in rotating.split(".")[0]
    assert (await county.verify(shop, rotating))["grade"] == "AA"

    forged = rotating[:-2] + ("AA" if not rotating.endswith("AA") else "BB")
    assert (await county.verify(shop, forged))["status"] == "unknown_code"
    from merchant.codes.repository import code_hash as hash_of
    issuer = svc.app.state.rotating_codes
    static_hash = issuer.resolve(rotating, utcnow())
    expired, _ = issuer.issue(static_hash, utcnow() - timedelta(minutes=5))
    assert (await county.verify(shop, expired))["status"] == "unknown_code"
    assert static_hash != hash_of(rotating)

    await county.code(hh)  # re-issue: rotating codes of the old code stop too
    assert (await county.verify(shop, rotating))["status"] == "unknown_code"
    assert (await svc.client.post(f"/v1/households/{hh}/codes/rotating", headers=county.pos(shop))).status_code == 403


async def test_verify_refuses_a_bad_body_naming_the_field_and_is_documented(svc: RunningService, county: County) -> None:
    shop = await county.merchant()
    for body, field in ((b'{"code": 5}', "code"), (b"{}", "code"), (b"not json", "body")):
        r = await svc.client.post("/v1/pos/verify", content=body, headers={**county.pos(shop),
                                                                          "content-type": "application/json"})
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["field"] == field
    spec = (await svc.client.get("/openapi.json")).json()
    verify = spec["paths"]["/v1/pos/verify"]["post"]
    assert "requestBody" in verify and "200" in verify["responses"]
    assert "/v1/pos/redemptions" in spec["paths"]


async def test_officers_act_only_in_their_region_and_archived_files_stop_verifying(svc: RunningService,
                                                                                   county: County) -> None:
    shop = await county.merchant()
    elsewhere = county.keys.headers(Role.officer, region="341182")
    here = county.keys.headers(Role.officer, region="341181100")
    body = {"title": "x", "rule": {"kind": "percent", "percent": "5"}, "eligible_grades": ["A"]}
    assert (await svc.client.post(f"/v1/merchants/{shop}/offers", json=body, headers=elsewhere)).status_code == 404  # as if unknown
    assert (await svc.client.post(f"/v1/merchants/{shop}/offers", json=body, headers=here)).status_code == 201
    assert (await svc.client.get("/v1/merchants", headers=elsewhere)).json()["items"] == []
    r = await svc.client.post("/v1/programmes", json={**body, "name": "p", "rule": {"kind": "benefit", "benefit": "绿色通道"}},
                              headers=here)
    assert r.status_code == 403  # programmes are the county's

    hh = await household(svc.db, "AAA")
    code = await county.code(hh)
    assert (await svc.client.post(f"/v1/households/{hh}/codes", headers=elsewhere)).status_code == 404  # as if unknown
    await apply(svc.db, subject_event(hh, 2, updated=True, status="archived"))
    assert (await county.verify(shop, code))["status"] == "unknown_code"
