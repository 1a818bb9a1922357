"""subjects:lookup asks the registry (a stub ASGI app here) with lending's own identity, naming the bank, and answers
with the grade from lending's own lines, logging the disclosure; online applications carry two
document references and are decided by the bank they were made to."""
from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from common.auth import Role
from common.pii import id_check_char
from tests.harness import Keys, RunningService, eventually
from tests.lending.conftest import apply, bank, rating_changed

ID17 = "34118119800101123"
ID_NUMBER = ID17 + id_check_char(ID17)
OTHER17 = "34118119900202456"
UNKNOWN_ID = OTHER17 + id_check_char(OTHER17)


def stub_registry(seen: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/subjects:lookup")
    async def lookup(request: Request) -> JSONResponse:
        body = await request.json()
        seen.append({"authorization": request.headers.get("authorization"), "id_number": body["id_number"],
                     "on_behalf_of": body.get("on_behalf_of")})
        if body["id_number"] == ID_NUMBER:
            return JSONResponse({"subject_id": "hh-1", "kind": "household", "masked_name": "张*", "status": "active",
                                 "region": {"county": "341181", "town": "341181100", "village": "341181100201"}})
        return JSONResponse({"type": "not-found", "title": "Subject not found", "status": 404}, status_code=404,
                            media_type="application/problem+json")

    return app


async def test_lookup_asks_with_lendings_identity_for_the_bank_and_logs_the_disclosure(lending: RunningService, keys: Keys) -> None:
    seen: list[dict[str, Any]] = []
    await lending.app.state.registry_client.aclose()
    lending.app.state.registry_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=stub_registry(seen)),
                                                          base_url="http://registry")
    await apply(lending, rating_changed("hh-1", "AA", 1))
    headers = bank(keys, "rcb", "lk-1")
    r = await lending.client.post("/v1/subjects:lookup", json={"id_number": ID_NUMBER, "purpose": "loan 2026-118"},
                                  headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"subject_id": "hh-1", "kind": "household", "grade": "AA", "masked_name": "张*",
                        "credit_line_status": "active"}
    # lending's own identity asks, naming the bank; the bank's token never leaves lending.
    assert seen == [{"authorization": lending.app.state.service_credential.authorization(), "id_number": ID_NUMBER,
                     "on_behalf_of": "bank:rcb"}]
    assert seen[0]["authorization"] != headers["Authorization"]
    log = (await lending.client.get("/v1/disclosures?subject_id=hh-1", headers=keys.headers(Role.admin))).json()
    assert [(d["bank_id"], d["grade"], d["channel"], d["purpose"]) for d in log] == [("rcb", "AA", "lookup", "loan 2026-118")]
    assert ID_NUMBER not in r.text and all(ID_NUMBER not in str(d) for d in log)

    r = await lending.client.post("/v1/subjects:lookup", json={"id_number": UNKNOWN_ID}, headers=bank(keys, "rcb", "lk-2"))
    assert (r.status_code, r.json()["type"]) == (404, "unknown-subject")
    r = await lending.client.post("/v1/subjects:lookup", json={"id_number": ID17 + "0" if ID_NUMBER[-1] != "0" else ID17 + "1"},
                                  headers=bank(keys, "rcb", "lk-3"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "id_number"
    assert len(seen) == 2, "a malformed ID number never leaves the service"
    # A bank reading a line is a disclosure too (logged in the background).
    await lending.client.get("/v1/credit-lines/hh-1?purpose=renewal", headers=bank(keys, "abc"))

    async def logged() -> bool:
        r = await lending.client.get("/v1/disclosures?bank_id=abc", headers=keys.headers(Role.admin))
        return [d["purpose"] for d in r.json()] == ["renewal"]

    await eventually(logged)


async def test_online_application_two_documents_bank_decides(lending: RunningService, keys: Keys) -> None:
    await apply(lending, rating_changed("hh-1", "AAA", 1))
    docs = [{"kind": "id_card", "ref": "docs/hh-1/id-card.jpg"}, {"kind": "credit_certificate", "ref": "docs/hh-1/cert.pdf"}]
    officer = {**keys.headers(Role.officer, region="341181100"), "Idempotency-Key": "app-1"}
    one_doc = await lending.client.post("/v1/applications", headers=officer, json={
        "subject_id": "hh-1", "bank_id": "rcb", "amount": "80000.00", "term_months": 12, "documents": docs[:1]})
    assert one_doc.status_code == 422 and one_doc.json()["errors"][0]["field"] == "documents"
    r = await lending.client.post("/v1/applications", headers=officer, json={
        "subject_id": "hh-1", "bank_id": "rcb", "amount": "80000.00", "term_months": 12, "documents": docs})
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    assert r.json()["status"] == "pending" and r.json()["documents"] == docs
    second = await lending.client.post("/v1/applications", headers=bank(keys, "abc", "app-2"), json={
        "subject_id": "hh-1", "amount": "10000.00", "term_months": 6, "documents": docs})
    assert second.status_code == 201 and second.json()["bank_id"] == "abc"

    assert [a["id"] for a in (await lending.client.get("/v1/applications", headers=bank(keys, "rcb"))).json()] == [app_id]
    assert (await lending.client.get(f"/v1/applications/{app_id}", headers=bank(keys, "abc"))).status_code == 404
    r = await lending.client.post(f"/v1/applications/{app_id}/decision", json={"decision": "approve", "annual_rate": "4.14"},
                                  headers=bank(keys, "abc", "dec-x"))
    assert r.status_code == 404
    r = await lending.client.post(f"/v1/applications/{app_id}/decision", json={"decision": "approve"},
                                  headers=bank(keys, "rcb", "dec-0"))
    assert r.status_code == 422
    r = await lending.client.post(f"/v1/applications/{app_id}/decision", json={"decision": "approve", "annual_rate": "4.20"},
                                  headers=bank(keys, "rcb", "dec-1"))
    assert (r.status_code, r.json()["type"]) == (422, "rate-above-cap")
    r = await lending.client.post(f"/v1/applications/{app_id}/decision", json={"decision": "approve", "annual_rate": "4.10"},
                                  headers=bank(keys, "rcb", "dec-2"))
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["loan_id"]
    loan = (await lending.client.get(f"/v1/loans/{r.json()['loan_id']}", headers=bank(keys, "rcb"))).json()
    assert loan["amount"] == "80000.00" and loan["annual_rate"] == "4.1"
    r = await lending.client.post(f"/v1/applications/{app_id}/decision", json={"decision": "decline"},
                                  headers=bank(keys, "rcb", "dec-3"))
    assert (r.status_code, r.json()["type"]) == (409, "application-decided")
    r = await lending.client.post(f"/v1/applications/{second.json()['id']}/decision",
                                  json={"decision": "decline", "reason": "income not verified"},
                                  headers=bank(keys, "abc", "dec-4"))
    assert r.json()["status"] == "declined" and r.json()["loan_id"] is None
