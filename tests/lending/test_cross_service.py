"""What lending does with the other services' events, each built by its producer's own code
(rating's ``rating_changed``, the registry's ``registered``/``updated``) and applied by lending's
own handlers, on SQLite and PostgreSQL:

- a default freezes the line at once, at every bank, until a rating made after it (an older
  rating arriving late never unfreezes);
- every final rating, a confirmation of the same grade too, renews the line's term;
- a new grade policy reaches every existing line by an admin's job, with progress, safely re-run;
- the registry's industry (芡实贷), move (region, village listing, officer scope) and archive
  (line closed) reach lending; a stale registry event changes nothing;
- a subject that consented only to merchant use is shown to no bank (no-consent, logged).
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from common.auth import Role
from common.clock import beijing_day
from common.db import utcnow
from common.pii import id_check_char
from lending.credit_lines.rules import add_months
from lending.policies import applications
from tests.harness import Keys, RunningService, eventually
from tests.lending.conftest import VILLAGE, apply, bank, outbox, rating_changed, subject_event

MOVED_TO = "341181101203"  # a village of another town


async def line(svc: RunningService, keys: Keys, subject: str, bank_id: str = "rcb") -> httpx.Response:
    return await svc.client.get(f"/v1/credit-lines/{subject}", headers=bank(keys, bank_id))


async def loan(svc: RunningService, keys: Keys, bank_id: str, subject: str, amount: str, key: str,
               rate: str = "4.00", product: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"subject_id": subject, "amount": amount, "annual_rate": rate, "term_months": 12}
    if product:
        body["product"] = product
    return await svc.client.post("/v1/loans", json=body, headers=bank(keys, bank_id, key))


async def line_events(svc: RunningService, subject: str) -> list[dict[str, Any]]:
    return [e["data"] for e in await outbox(svc, "credit-line-changed") if e["subject"] == subject]


async def test_a_default_freezes_the_line_at_every_bank_until_a_rating_made_after_it(
        lending: RunningService, keys: Keys) -> None:
    await apply(lending, subject_event("hh-d"))
    await apply(lending, rating_changed("hh-d", "AA", 1))
    made = await loan(lending, keys, "rcb", "hh-d", "50000.00", "d-l1")
    assert made.status_code == 201, made.text
    r = await lending.client.post(f"/v1/loans/{made.json()['id']}/default", json={}, headers=bank(keys, "rcb", "d-d1"))
    assert r.status_code == 201, r.text

    # At once, at another bank: frozen, nothing available, a new loan refused.
    seen = (await line(lending, keys, "hh-d", "abc")).json()
    assert (seen["status"], seen["available"], seen["freeze_reason"], seen["grade"]) == ("frozen", "0.00", "default", "AA")
    refused = await loan(lending, keys, "abc", "hh-d", "1000.00", "d-l2")
    assert (refused.status_code, refused.json()["type"]) == (409, "line-frozen")
    assert refused.headers["content-type"].startswith("application/problem+json")
    last = (await line_events(lending, "hh-d"))[-1]
    assert (last["change"], last["status"], last["freeze_reason"], last["drawn"]) == ("frozen", "frozen", "default", "0.00")

    # A rating made before the default, arriving late (newer version, older effective time): still frozen.
    await apply(lending, rating_changed("hh-d", "AAA", 2, old_grade="AA", effective_at=utcnow() - timedelta(minutes=5)))
    seen = (await line(lending, keys, "hh-d", "psbc")).json()
    assert (seen["status"], seen["freeze_reason"], seen["grade"]) == ("frozen", "default", "AAA")
    assert (await loan(lending, keys, "psbc", "hh-d", "1000.00", "d-l3")).json()["type"] == "line-frozen"

    # The county re-rates it after the default: the hold gives way to the grade.
    await apply(lending, rating_changed("hh-d", "A", 3, old_grade="AAA"))
    seen = (await line(lending, keys, "hh-d", "abc")).json()
    assert (seen["status"], seen["freeze_reason"], seen["line_amount"], seen["available"]) == (
        "active", None, "100000.00", "100000.00")
    assert (await loan(lending, keys, "abc", "hh-d", "1000.00", "d-l4", rate="4.80")).status_code == 201
    history = (await lending.client.get("/v1/credit-lines/hh-d/history", headers=keys.headers(Role.admin))).json()
    assert [h["change"] for h in history] == ["granted", "frozen", "frozen", "unfrozen"]


async def test_a_defaulted_loan_can_be_recovered_and_says_when_it_is_cured(lending: RunningService, keys: Keys) -> None:
    """Cure is what rating lifts the veto on: loan-repaid with fully_repaid for the defaulted loan."""
    await apply(lending, rating_changed("hh-c", "AA", 1))
    made = (await loan(lending, keys, "rcb", "hh-c", "20000.00", "c-l1")).json()
    await lending.client.post(f"/v1/loans/{made['id']}/default", json={}, headers=bank(keys, "rcb", "c-d1"))
    first = await lending.client.post(f"/v1/loans/{made['id']}/repayments", json={"amount": "5000.00"},
                                      headers=bank(keys, "rcb", "c-r1"))
    assert first.status_code == 201, first.text
    last = await lending.client.post(f"/v1/loans/{made['id']}/repayments", json={"amount": "15000.00"},
                                     headers=bank(keys, "rcb", "c-r2"))
    assert (last.json()["outstanding"], last.json()["fully_repaid"]) == ("0.00", True)
    repaid = [e["data"] for e in await outbox(lending, "loan-repaid")]
    assert [(e["outstanding"], e["fully_repaid"]) for e in repaid] == [("15000.00", False), ("0.00", True)]
    seen = (await line(lending, keys, "hh-c")).json()
    assert (seen["drawn"], seen["status"]) == ("0.00", "frozen"), "a recovery does not touch the line"


async def test_a_confirmation_of_the_same_grade_renews_the_term(lending: RunningService, keys: Keys) -> None:
    two_years_ago = utcnow() - timedelta(days=740)
    await apply(lending, rating_changed("hh-r", "AA", 1, effective_at=two_years_ago))
    first = (await line(lending, keys, "hh-r")).json()
    assert first["valid_until"] == add_months(beijing_day(two_years_ago), 24).isoformat()
    expired = await loan(lending, keys, "rcb", "hh-r", "1000.00", "r-l1")
    assert date.fromisoformat(first["valid_until"]) < utcnow().date() and expired.json()["type"] == "line-expired"

    await apply(lending, rating_changed("hh-r", "AA", 2, old_grade="AA", reason="confirmed AA (round): ..."))
    renewed = (await line(lending, keys, "hh-r")).json()
    assert renewed["valid_until"] == add_months(beijing_day(utcnow()), 24).isoformat()
    assert (renewed["status"], renewed["line_amount"], renewed["grade"]) == ("active", "300000.00", "AA")
    assert (await loan(lending, keys, "rcb", "hh-r", "1000.00", "r-l2", rate="4.40")).status_code == 201
    assert [e["change"] for e in await line_events(lending, "hh-r")][:2] == ["granted", "renewed"]


async def test_a_new_policy_reaches_every_line_by_an_admins_job(lending: RunningService, keys: Keys,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    admin = keys.headers(Role.admin)
    for subject, grade, kind in (("hh-p1", "AA", "household"), ("hh-p2", "AAA", "household"),
                                 ("hh-p3", "B", "household"), ("co-p1", "A", "collective"), ("hh-p4", "AA", "household")):
        await apply(lending, rating_changed(subject, grade, 1, kind=kind))
    new_policy = {"validity_months": 36, "rows": [
        {"kind": "household", "grade": "A", "line_amount": "150000.00", "max_markup": "0.40"},
        {"kind": "household", "grade": "AA", "line_amount": "400000.00", "max_markup": "0.25"},
        {"kind": "household", "grade": "AAA", "line_amount": "500000.00", "max_markup": "0.20"},
        {"kind": "collective", "grade": "A", "line_amount": "500000.00", "max_markup": "0.40"}]}
    r = await lending.client.post("/v1/policies", json=new_policy, headers=admin)
    assert r.status_code == 201, r.text
    version = r.json()["version"]
    assert (await lending.client.post("/v1/policy-applications", headers=bank(keys, "rcb"))).status_code == 403

    monkeypatch.setattr(applications, "CHUNK", 2)  # several chunks over five lines
    r = await lending.client.post("/v1/policy-applications", headers=admin)
    assert r.status_code == 202, r.text
    started = r.json()
    assert (started["status"], started["total"], started["policy_version"]) == ("running", 5, version)

    async def finished() -> dict[str, Any] | None:
        job = (await lending.client.get(f"/v1/policy-applications/{started['id']}", headers=admin)).json()
        return job if job["status"] != "running" else None

    job = await eventually(finished, timeout=20)
    # Every household AA/AAA line takes the new validity; AA also the new amount and markup; B is left alone.
    assert (job["status"], job["done"], job["changed"]) == ("done", 5, 4)
    aa = (await line(lending, keys, "hh-p1")).json()
    today = beijing_day(utcnow())
    assert (aa["line_amount"], aa["max_markup"], aa["policy_version"], aa["valid_until"]) == (
        "400000.00", "0.25", version, add_months(today, 36).isoformat())
    assert (await line(lending, keys, "hh-p3")).json()["status"] == "none"
    changes = [e for e in await outbox(lending, "credit-line-changed") if e["data"]["change"] == "policy"]
    assert sorted(e["subject"] for e in changes) == ["co-p1", "hh-p1", "hh-p2", "hh-p4"]
    assert all(e["data"]["policy_version"] == version for e in changes)

    # Run again: nothing left to change, nothing emitted.
    again = (await lending.client.post("/v1/policy-applications", headers=admin)).json()
    rerun = await eventually(lambda: finished_job(lending, keys, again["id"]), timeout=20)
    assert (rerun["done"], rerun["changed"]) == (5, 0)
    assert len([e for e in await outbox(lending, "credit-line-changed") if e["data"]["change"] == "policy"]) == 4
    missing = await lending.client.get("/v1/policy-applications/nope", headers=admin)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")


async def finished_job(svc: RunningService, keys: Keys, job_id: str) -> dict[str, Any] | None:
    job = (await svc.client.get(f"/v1/policy-applications/{job_id}", headers=keys.headers(Role.admin))).json()
    return job if job["status"] != "running" else None  # type: ignore[no-any-return]


async def test_the_registrys_industry_move_and_archive_reach_lending(lending: RunningService, keys: Keys) -> None:
    admin = keys.headers(Role.admin)
    r = await lending.client.post("/v1/banks/rcb/products", headers=admin, json={
        "code": "qianshi-dai", "name": "芡实贷", "industries": ["芡实"], "max_amount": "200000.00"})
    assert r.status_code == 201, r.text
    await apply(lending, subject_event("hh-fox", industry="芡实"))
    await apply(lending, subject_event("hh-wire", industry="拉丝"))
    await apply(lending, rating_changed("hh-fox", "AA", 1))
    await apply(lending, rating_changed("hh-wire", "AA", 1))
    await apply(lending, rating_changed("hh-unknown", "AA", 1))  # the registry has not spoken: industry unknown
    assert (await loan(lending, keys, "rcb", "hh-fox", "50000.00", "i-1", product="qianshi-dai")).status_code == 201
    for subject in ("hh-wire", "hh-unknown"):
        r = await loan(lending, keys, "rcb", subject, "50000.00", f"i-{subject}", product="qianshi-dai")
        assert (r.status_code, r.json()["type"]) == (422, "product-not-eligible"), subject
    # The industry changes in the registry (a new version): the product follows.
    await apply(lending, subject_event("hh-wire", 2, industry="芡实"))
    assert (await loan(lending, keys, "rcb", "hh-wire", "50000.00", "i-2", product="qianshi-dai")).status_code == 201

    # The household moves to another town: the line's region, village listings and officer scope follow.
    old_town = keys.headers(Role.officer, region=VILLAGE["town"])
    new_town = keys.headers(Role.officer, region=MOVED_TO[:9])
    assert (await lending.client.get("/v1/credit-lines/hh-fox", headers=old_town)).status_code == 200
    await apply(lending, subject_event("hh-fox", 2, industry="芡实", village=MOVED_TO, changed=["village"]))
    moved = (await lending.client.get("/v1/credit-lines/hh-fox", headers=new_town)).json()
    assert moved["region"] == {"county": "341181", "town": MOVED_TO[:9], "village": MOVED_TO, "group": None}
    assert (await lending.client.get("/v1/credit-lines/hh-fox", headers=old_town)).status_code == 404  # outside the region: as if unknown (docs/security.md)
    listed_old = (await lending.client.get(f"/v1/villages/{VILLAGE['village']}/credit-lines", headers=bank(keys, "rcb"))).json()
    listed_new = (await lending.client.get(f"/v1/villages/{MOVED_TO}/credit-lines", headers=bank(keys, "rcb"))).json()
    assert "hh-fox" not in [i["subject_id"] for i in listed_old["items"]]
    assert [i["subject_id"] for i in listed_new["items"]] == ["hh-fox"]
    # A rating that still names the old village does not move it back.
    await apply(lending, rating_changed("hh-fox", "AA", 2, old_grade="AA"))
    assert (await line(lending, keys, "hh-fox")).json()["region"]["village"] == MOVED_TO
    assert (await line_events(lending, "hh-fox"))[-2]["change"] == "moved"

    # Archived (deceased, moved away): the line is closed, no new loan, and a later rating does not reopen it.
    await apply(lending, subject_event("hh-fox", 3, industry="芡实", village=MOVED_TO, status="archived",
                                       changed=["status"]))
    closed = (await line(lending, keys, "hh-fox")).json()
    assert (closed["status"], closed["available"], closed["valid_until"]) == ("closed", "0.00", None)
    r = await loan(lending, keys, "rcb", "hh-fox", "1000.00", "i-3")
    assert (r.status_code, r.json()["type"]) == (409, "line-closed")
    await apply(lending, rating_changed("hh-fox", "AAA", 3, old_grade="AA"))
    assert (await line(lending, keys, "hh-fox")).json()["status"] == "closed"
    assert [e["change"] for e in await line_events(lending, "hh-fox")][-2:] == ["closed", "closed"]
    # A stale registry event (an older version) changes nothing.
    await apply(lending, subject_event("hh-fox", 2, industry="芡实", village=VILLAGE["village"]))
    assert (await line(lending, keys, "hh-fox")).json()["region"]["village"] == MOVED_TO


ID17 = "34118119800101123"
ID_NUMBER = ID17 + id_check_char(ID17)


def stub_registry(subject_id: str) -> FastAPI:
    """The registry's look-up answer for one ID number (the registry itself is tested in tests/registry)."""
    app = FastAPI()

    @app.post("/v1/subjects:lookup")
    async def lookup() -> JSONResponse:
        return JSONResponse({"subject_id": subject_id, "kind": "household", "masked_name": "张*", "status": "active",
                             "region": {"county": "341181", "town": "341181100", "village": "341181100201"}})

    return app


async def test_a_subject_that_consented_only_to_merchant_use_is_shown_to_no_bank(lending: RunningService,
                                                                                 keys: Keys) -> None:
    await apply(lending, subject_event("hh-m", scopes=["merchant"]))
    await apply(lending, subject_event("hh-ok"))
    for subject in ("hh-m", "hh-ok"):
        await apply(lending, rating_changed(subject, "AA", 1))
    await lending.app.state.registry_client.aclose()
    lending.app.state.registry_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=stub_registry("hh-m")),
                                                          base_url="http://registry")

    def refused(r: httpx.Response) -> None:
        assert r.status_code == 403, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert (body["type"], body["scope"]) == ("no-consent", "lending")
        assert "grade" not in body and "AA" not in r.text

    refused(await lending.client.post("/v1/subjects:lookup", json={"id_number": ID_NUMBER},
                                      headers=bank(keys, "rcb", "m-lk")))
    refused(await line(lending, keys, "hh-m"))
    refused(await loan(lending, keys, "rcb", "hh-m", "1000.00", "m-l1"))
    village = (await lending.client.get(f"/v1/villages/{VILLAGE['village']}/credit-lines", headers=bank(keys, "rcb"))).json()
    assert [i["subject_id"] for i in village["items"]] == ["hh-ok"]
    assert (await line(lending, keys, "hh-m")).status_code == 403
    # The county still sees it; nothing was drawn.
    county = (await lending.client.get("/v1/credit-lines/hh-m", headers=keys.headers(Role.officer, region="341181"))).json()
    assert (county["grade"], county["drawn"]) == ("AA", "0.00")
    # Every attempt is in the disclosure log, without a grade.
    await lending.app.state.disclosures.flush()

    async def logged() -> list[dict[str, Any]] | None:  # the background writer may hold a batch in flight
        got = (await lending.client.get("/v1/disclosures?subject_id=hh-m", headers=keys.headers(Role.admin))).json()
        return got if len(got) >= 4 else None  # type: ignore[no-any-return]

    log = await eventually(logged, timeout=10)
    assert sorted((d["channel"], d["grade"]) for d in log) == [
        ("credit-line-refused", None), ("credit-line-refused", None), ("loan-refused", None), ("lookup-refused", None)]

    # Consent extended to lending in the registry: the bank sees it.
    await apply(lending, subject_event("hh-m", 2, scopes=["merchant", "lending"], changed=["consent"]))
    assert (await line(lending, keys, "hh-m")).json()["grade"] == "AA"
    r = await lending.client.post("/v1/subjects:lookup", json={"id_number": ID_NUMBER}, headers=bank(keys, "rcb", "m-lk2"))
    assert (r.status_code, r.json()["grade"]) == (200, "AA")
