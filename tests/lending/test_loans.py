"""The partner-bank API: loans drawn on lines (refusals say which rule), repayments free the line,
defaults share the loss (4321) and the fund pays until exhausted, a bank sees only its own."""
from __future__ import annotations

import csv
import io
from typing import Any

from common.auth import Role
from common.clock import beijing_today
from tests.harness import Keys, RunningService
from tests.lending.conftest import apply, bank, outbox, rating_changed, subject_event

_n = 0


async def loan(svc: RunningService, keys: Keys, bank_id: str, subject: str, amount: str, rate: str = "4.00",
               key: str | None = None, **extra: Any) -> Any:
    global _n
    _n += 1
    body = {"subject_id": subject, "amount": amount, "annual_rate": rate, "term_months": 12, **extra}
    return await svc.client.post("/v1/loans", json=body, headers=bank(keys, bank_id, key or f"loan-{_n}"))


async def available(svc: RunningService, keys: Keys, subject: str) -> str:
    r = await svc.client.get(f"/v1/credit-lines/{subject}", headers=bank(keys, "rcb"))
    return str(r.json()["available"])


async def test_refusals_say_which_rule(lending: RunningService, keys: Keys) -> None:
    await apply(lending, rating_changed("hh-1", "AAA", 1))
    r = await loan(lending, keys, "rcb", "nobody", "1000.00")
    assert (r.status_code, r.json()["type"]) == (404, "unknown-subject")
    assert r.headers["content-type"] == "application/problem+json"
    r = await loan(lending, keys, "rcb", "hh-1", "1000.00", rate="4.15")
    assert (r.status_code, r.json()["type"], r.json()["max_rate"]) == (422, "rate-above-cap", "4.14")
    assert r.json()["errors"][0]["field"] == "annual_rate"
    r = await loan(lending, keys, "rcb", "hh-1", "500000.01")
    assert (r.status_code, r.json()["type"], r.json()["available"]) == (409, "over-available-line", "500000.00")
    r = await loan(lending, keys, "unregistered", "hh-1", "1000.00")
    assert (r.status_code, r.json()["type"]) == (403, "unknown-bank")
    r = await loan(lending, keys, "rcb", "hh-1", "-5")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "amount"
    await apply(lending, rating_changed("hh-1", "B", 2, old_grade="AAA"))
    r = await loan(lending, keys, "rcb", "hh-1", "1000.00")
    assert (r.status_code, r.json()["type"]) == (409, "line-frozen")
    await apply(lending, rating_changed("hh-0", "D", 1))
    r = await loan(lending, keys, "rcb", "hh-0", "1000.00")
    assert (r.status_code, r.json()["type"]) == (409, "no-credit-line")
    assert await outbox(lending, "loan-recorded") == []


async def test_lines_revolve_across_banks_and_a_cut_stops_new_draws(lending: RunningService, keys: Keys) -> None:
    await apply(lending, rating_changed("hh-1", "AAA", 1))
    first = await loan(lending, keys, "rcb", "hh-1", "400000.00", rate="4.14")
    assert first.status_code == 201, first.text
    assert first.json()["amount"] == "400000.00" and first.json()["status"] == "active"
    r = await loan(lending, keys, "abc", "hh-1", "150000.00")
    assert (r.status_code, r.json()["available"]) == (409, "100000.00")
    loan_id = first.json()["id"]
    r = await lending.client.post(f"/v1/loans/{loan_id}/repayments", json={"amount": "100000.00"},
                                  headers=bank(keys, "rcb", "rep-1"))
    assert r.status_code == 201 and r.json()["outstanding"] == "300000.00" and r.json()["on_time"] is True
    assert (await loan(lending, keys, "abc", "hh-1", "150000.00")).status_code == 201
    assert await available(lending, keys, "hh-1") == "50000.00"
    # Cut to AA (300k) while 450k is drawn: loans run on, nothing more can be drawn.
    await apply(lending, rating_changed("hh-1", "AA", 2, old_grade="AAA"))
    assert await available(lending, keys, "hh-1") == "0.00"
    r = await loan(lending, keys, "abc", "hh-1", "1.00")
    assert (r.status_code, r.json()["type"]) == (409, "over-available-line")
    r = await lending.client.post(f"/v1/loans/{loan_id}/repayments", json={"amount": "300000.01"},
                                  headers=bank(keys, "rcb", "rep-2"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "amount"
    r = await lending.client.post(f"/v1/loans/{loan_id}/repayments", json={"amount": "300000.00"},
                                  headers=bank(keys, "rcb", "rep-3"))
    assert r.status_code == 201 and r.json()["fully_repaid"] is True
    assert await available(lending, keys, "hh-1") == "150000.00"
    repaid = await outbox(lending, "loan-repaid")
    assert [e["data"]["fully_repaid"] for e in repaid] == [False, True]
    assert all(e["data"]["on_time"] for e in repaid)
    got = (await lending.client.get(f"/v1/loans/{loan_id}", headers=bank(keys, "rcb"))).json()
    assert got["status"] == "repaid" and got["outstanding"] == "0.00"
    r = await lending.client.post(f"/v1/loans/{loan_id}/repayments", json={"amount": "1.00"},
                                  headers=bank(keys, "rcb", "rep-4"))
    assert (r.status_code, r.json()["type"]) == (409, "loan-closed")


async def test_a_bank_sees_only_its_own_loans_and_posts_are_idempotent(lending: RunningService, keys: Keys) -> None:
    await apply(lending, rating_changed("hh-1", "AA", 1))
    a = await loan(lending, keys, "rcb", "hh-1", "1000.00", key="same")
    again = await loan(lending, keys, "rcb", "hh-1", "1000.00", key="same")
    assert a.status_code == again.status_code == 201 and a.json() == again.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert await available(lending, keys, "hh-1") == "299000.00"
    other = await loan(lending, keys, "rcb", "hh-1", "2000.00", key="same")
    assert other.status_code == 422
    assert (await lending.client.post("/v1/loans", json={"subject_id": "hh-1", "amount": "1.00", "annual_rate": "4",
                                                         "term_months": 3}, headers=bank(keys, "rcb"))).status_code == 400
    b = await loan(lending, keys, "abc", "hh-1", "3000.00")
    assert b.status_code == 201
    mine = (await lending.client.get("/v1/loans?subject_id=hh-1", headers=bank(keys, "rcb"))).json()["items"]
    assert [x["id"] for x in mine] == [a.json()["id"]]
    assert (await lending.client.get(f"/v1/loans/{b.json()['id']}", headers=bank(keys, "rcb"))).status_code == 404
    r = await lending.client.post(f"/v1/loans/{b.json()['id']}/repayments", json={"amount": "1.00"},
                                  headers=bank(keys, "rcb", "steal"))
    assert r.status_code == 404
    everything = (await lending.client.get("/v1/loans?status=active", headers=keys.headers(Role.admin))).json()["items"]
    assert len(everything) == 2
    assert len(await outbox(lending, "loan-recorded")) == 2


async def test_products_restrict_grades_industries_and_ranges(lending: RunningService, keys: Keys) -> None:
    admin = keys.headers(Role.admin)
    r = await lending.client.post("/v1/banks/rcb/products", headers=admin, json={
        "code": "qianshi-dai", "name": "芡实贷", "grades": ["AA", "AAA"], "industries": ["芡实"],
        "min_amount": "10000.00", "max_amount": "200000.00", "min_term_months": 3, "max_term_months": 12})
    assert r.status_code == 201, r.text
    bad = await lending.client.post("/v1/banks/rcb/products", headers=admin, json={
        "code": "x", "name": "x", "min_amount": "5000.00", "max_amount": "10.00"})
    assert bad.status_code == 422
    # The industry is the registry's (profile.industry), not rating's.
    for subject, industry, grade in (("grower", "芡实", "AAA"), ("wire", "拉丝", "AAA"), ("small", "芡实", "A")):
        await apply(lending, subject_event(subject, industry=industry))
        await apply(lending, rating_changed(subject, grade, 1))
    assert (await loan(lending, keys, "rcb", "grower", "50000.00", product="qianshi-dai")).status_code == 201
    for subject, amount in (("wire", "50000.00"), ("small", "50000.00"), ("grower", "5000.00")):
        r = await loan(lending, keys, "rcb", subject, amount, product="qianshi-dai")
        assert (r.status_code, r.json()["type"]) == (422, "product-not-eligible"), subject
    r = await loan(lending, keys, "abc", "grower", "50000.00", product="qianshi-dai")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "product"
    products = (await lending.client.get("/v1/products?bank_id=rcb", headers=bank(keys, "abc"))).json()
    assert [p["name"] for p in products] == ["芡实贷"]


async def test_default_shares_the_loss_4321_and_the_fund_pays_until_exhausted(lending: RunningService, keys: Keys) -> None:
    admin = keys.headers(Role.admin)
    await apply(lending, rating_changed("hh-1", "AAA", 1))
    made = await loan(lending, keys, "rcb", "hh-1", "100000.00")
    r = await lending.client.post(f"/v1/loans/{made.json()['id']}/default", json={}, headers=bank(keys, "rcb", "d1"))
    assert r.status_code == 201, r.text
    sharing = r.json()["risk_sharing"]
    assert sharing["programme"] == "4321"
    assert sharing["shares"] == {"guarantee_company": "40000.00", "provincial_guarantee": "30000.00",
                                 "bank": "20000.00", "local_government": "10000.00"}
    assert sharing["fund_paid"] == "10000.00" and r.json()["loan"]["status"] == "defaulted"
    assert await available(lending, keys, "hh-1") == "0.00", "a default freezes the line at once"
    event = (await outbox(lending, "loan-defaulted"))[0]["data"]
    assert event["loss_amount"] == "100000.00" and event["fund_paid"] == "10000.00"
    fund = (await lending.client.get("/v1/risk-fund", headers=admin)).json()
    assert fund["balance"] == "9990000.00" and fund["entries"][0]["entry_type"] == "payout"

    # A programme where the government bears it all drains the fund: 5 × 2M = 10M − 10k, then nothing.
    r = await lending.client.post("/v1/risk-programmes", headers=admin, json={
        "code": "gov-only", "name": "test", "shares": {"local_government": "100"}})
    assert r.status_code == 201
    assert (await lending.client.post("/v1/risk-programmes", headers=admin, json={
        "code": "bad", "name": "x", "shares": {"bank": "50"}})).json()["errors"][0]["field"] == "shares"
    assert (await lending.client.post("/v1/banks/rcb/products", headers=admin, json={
        "code": "collective-loan", "name": "兴村富农贷", "kinds": ["collective"], "max_amount": "2000000.00",
        "programme": "gov-only"})).status_code == 201
    paid = []
    for i in range(6):
        await apply(lending, rating_changed(f"coll-{i}", "AAA", 1, kind="collective"))
        made = await loan(lending, keys, "rcb", f"coll-{i}", "2000000.00", product="collective-loan")
        assert made.status_code == 201, made.text
        r = await lending.client.post(f"/v1/loans/{made.json()['id']}/default", json={},
                                      headers=bank(keys, "rcb", f"dc-{i}"))
        paid.append((r.json()["risk_sharing"]["fund_paid"], r.json()["risk_sharing"]["unfunded_government_share"]))
    assert paid[:4] == [("2000000.00", "0.00")] * 4
    assert paid[4] == ("1990000.00", "10000.00") and paid[5] == ("0.00", "2000000.00")
    assert (await lending.client.get("/v1/risk-fund", headers=admin)).json()["balance"] == "0.00"
    r = await lending.client.post("/v1/risk-fund/top-ups", json={"amount": "5000000.00", "note": "county budget 2027"},
                                  headers=admin)
    assert r.status_code == 201 and r.json()["balance"] == "5000000.00"
    assert r.json()["entries"][0]["entry_type"] == "top_up"


async def test_daily_reconciliation_csv_per_bank(lending: RunningService, keys: Keys) -> None:
    await apply(lending, rating_changed("hh-1", "AAA", 1))
    a = (await loan(lending, keys, "rcb", "hh-1", "10000.00")).json()["id"]
    b = (await loan(lending, keys, "rcb", "hh-1", "20000.00")).json()["id"]
    await loan(lending, keys, "abc", "hh-1", "30000.00")
    await lending.client.post(f"/v1/loans/{a}/repayments", json={"amount": "10000.00"}, headers=bank(keys, "rcb", "r1"))
    too_much = await lending.client.post(f"/v1/loans/{b}/default", json={"loss_amount": "20000.01"},
                                         headers=bank(keys, "rcb", "d0"))
    assert too_much.status_code == 422 and too_much.json()["errors"][0]["field"] == "loss_amount"
    assert (await lending.client.get(f"/v1/loans/{b}", headers=bank(keys, "rcb"))).json()["status"] == "active"
    await lending.client.post(f"/v1/loans/{b}/default", json={"loss_amount": "5000.00"}, headers=bank(keys, "rcb", "d1"))
    line = (await lending.client.get("/v1/credit-lines/hh-1", headers=bank(keys, "rcb"))).json()
    assert (line["drawn"], line["status"]) == ("30000.00", "frozen"), "the defaulted loan's balance left the line"
    r = await lending.client.get(f"/v1/reconciliation?day={beijing_today()}", headers=bank(keys, "rcb"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["record"], x["amount"]) for x in rows] == [
        ("loan", "10000.00"), ("loan", "20000.00"), ("repayment", "10000.00"), ("default", "5000.00")]
    other = await lending.client.get(f"/v1/reconciliation?day={beijing_today()}&bank_id=rcb", headers=bank(keys, "abc"))
    assert [x["amount"] for x in csv.DictReader(io.StringIO(other.text))] == ["30000.00"]


async def test_every_draw_and_release_publishes_the_lines_state(lending: RunningService, keys: Keys) -> None:
    """Readers of credit-line-changed (stats' granted-versus-used) see drawn move with each loan,
    repayment and default, with increasing versions, and nothing for a refused draw."""
    await apply(lending, rating_changed("hh-u", "AA", 1))
    first = await loan(lending, keys, "rcb", "hh-u", "100000.00", rate="4.00")
    second = await loan(lending, keys, "rcb", "hh-u", "50000.00", rate="4.00")
    assert (first.status_code, second.status_code) == (201, 201)
    refused = await loan(lending, keys, "rcb", "hh-u", "1000.00", rate="9.00")
    assert refused.status_code == 422
    repaid = await lending.client.post(f"/v1/loans/{first.json()['id']}/repayments", json={"amount": "40000.00"},
                                       headers=bank(keys, "rcb", "repay-u"))
    assert repaid.status_code == 201, repaid.text
    defaulted = await lending.client.post(f"/v1/loans/{second.json()['id']}/default", json={},
                                          headers=bank(keys, "rcb", "default-u"))
    assert defaulted.status_code == 201, defaulted.text
    events = [e["data"] for e in await outbox(lending, "credit-line-changed") if e["subject"] == "hh-u"]
    assert [(e["change"], e["drawn"]) for e in events] == [
        ("granted", "0.00"), ("drawn", "100000.00"), ("drawn", "150000.00"), ("released", "110000.00"),
        ("frozen", "60000.00")]
    versions = [e["version"] for e in events]
    assert versions == sorted(set(versions))
    assert events[-1]["line_amount"] == "300000.00" and events[-1]["status"] == "frozen"
    assert events[-1]["freeze_reason"] == "default"
