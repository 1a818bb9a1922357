"""Disclosure attacks on lending: what a bank or the platform can learn of one subject's grade,
line, availability or history, and whether each such answer is consented and logged.

- The provincial platform asks for one subject's line, its history, a village's list: refused.
- A bank reads a line's history: a disclosure like the line itself (consent, log).
- A bank's loan is refused for a reason that names the grade, the available amount or the cap:
  the answer is a logged disclosure; refused for want of consent: nothing of the line in the answer.
- A subject graded before its file (and so its consent) reaches lending: not consented. No line,
  history, loan, application, look-up or village listing shows a bank anything of it until the
  registry's event says it consented.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from common.auth import Role
from common.pii import id_check_char
from tests.harness import DatabaseFactory, Keys, RunningService, start_service
from tests.lending.conftest import VILLAGE, apply, bank, rating_changed, subject_event

GRADES = ("AAA", "AA", "A", "B", "C", "D")


@pytest.fixture
async def lending(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    url = await databases.create("lending", backend)
    async with start_service("lending", url, keys) as svc:
        r = await svc.client.post("/v1/banks", json={"id": "rcb", "name": "天长农商银行"}, headers=keys.headers(Role.admin))
        assert r.status_code == 201, r.text
        yield svc


async def logged(svc: RunningService, keys: Keys, subject_id: str) -> list[dict[str, Any]]:
    """The disclosure log of one subject, oldest first (the buffered entries written first)."""
    await svc.app.state.disclosures.flush()
    r = await svc.client.get("/v1/disclosures", params={"subject_id": subject_id}, headers=keys.headers(Role.admin))
    assert r.status_code == 200, r.text
    return list(reversed(r.json()))


def shows_nothing_of_the_line(body: dict[str, Any]) -> bool:
    """No grade, amount, cap or state anywhere in a refusal: not as a field, not in the text."""
    text = f"{body.get('title', '')} {body.get('detail', '')}"
    return (not {"grade", "available", "max_rate", "freeze_reason", "valid_until"} & set(body)
            and not any(f"grade {g}" in text for g in GRADES) and "available" not in text)


async def test_the_platform_sees_no_single_subjects_line_history_or_village_list(lending: RunningService,
                                                                                 keys: Keys) -> None:
    await apply(lending, rating_changed("hh-p", "AA", 1))
    platform = keys.headers(Role.platform)
    for path in ("/v1/credit-lines/hh-p", "/v1/credit-lines/hh-p/history", f"/v1/villages/{VILLAGE['village']}/credit-lines"):
        r = await lending.client.get(path, headers=platform)
        assert r.status_code == 403, f"{path}: {r.status_code} {r.text}"
        assert "AA" not in r.text and "300000" not in r.text


async def test_line_history_is_a_consented_logged_disclosure(lending: RunningService, keys: Keys) -> None:
    await apply(lending, subject_event("hh-h"))
    await apply(lending, rating_changed("hh-h", "A", 1))
    await apply(lending, rating_changed("hh-h", "AA", 2, old_grade="A"))
    r = await lending.client.get("/v1/credit-lines/hh-h/history", params={"purpose": "credit-review"},
                                 headers=bank(keys, "rcb"))
    assert r.status_code == 200 and [c["grade"] for c in r.json()] == ["A", "AA"]
    assert [(e["bank_id"], e["grade"], e["channel"], e["purpose"]) for e in await logged(lending, keys, "hh-h")] == [
        ("rcb", "AA", "credit-line-history", "credit-review")]

    # A subject that consented to merchants only: its history is not shown, and the attempt is logged.
    await apply(lending, subject_event("hh-m", scopes=("merchant",)))
    await apply(lending, rating_changed("hh-m", "AAA", 1))
    r = await lending.client.get("/v1/credit-lines/hh-m/history", headers=bank(keys, "rcb"))
    assert (r.status_code, r.json()["type"]) == (403, "no-consent") and shows_nothing_of_the_line(r.json())
    assert "AAA" not in r.text and "500000" not in r.text
    assert [(e["grade"], e["channel"]) for e in await logged(lending, keys, "hh-m")] == [(None, "credit-line-history-refused")]


async def test_a_refused_loan_names_the_line_only_as_a_logged_disclosure(lending: RunningService, keys: Keys) -> None:
    await apply(lending, subject_event("hh-l"))
    await apply(lending, rating_changed("hh-l", "A", 1))  # a line of 100,000

    async def borrow(subject: str, amount: str, rate: str = "4.00", key: str = "") -> Any:
        return await lending.client.post("/v1/loans", headers=bank(keys, "rcb", key or f"{subject}-{amount}-{rate}"),
                                          json={"subject_id": subject, "amount": amount, "annual_rate": rate,
                                                "term_months": 12})

    over = await borrow("hh-l", "200000.00")
    assert over.json()["type"] == "over-available-line" and over.json()["available"] == "100000.00"
    capped = await borrow("hh-l", "1000.00", "9.90")
    assert capped.json()["type"] == "rate-above-cap" and "max_rate" in capped.json()
    made = await borrow("hh-l", "1000.00")
    assert made.status_code == 201 and made.json()["grade"] == "A"
    await apply(lending, rating_changed("hh-l", "C", 2, old_grade="A"))  # frozen: the refusal names grade C
    frozen = await borrow("hh-l", "1000.00", key="after-freeze")
    assert frozen.json()["type"] == "line-frozen" and frozen.json()["grade"] == "C"
    assert [(e["grade"], e["channel"]) for e in await logged(lending, keys, "hh-l")] == [
        ("A", "loan-declined"), ("A", "loan-declined"), ("A", "loan"), ("C", "loan-declined")]

    # Without consent to lending: the same asks tell nothing of the line, and each is logged without a grade.
    await apply(lending, subject_event("hh-n", scopes=("merchant", "statistics")))
    await apply(lending, rating_changed("hh-n", "AA", 1))
    for amount, rate in (("900000.00", "4.00"), ("1000.00", "9.90"), ("1000.00", "4.00")):
        r = await borrow("hh-n", amount, rate)
        assert (r.status_code, r.json()["type"]) == (403, "no-consent") and shows_nothing_of_the_line(r.json()), r.text
    assert [(e["grade"], e["channel"]) for e in await logged(lending, keys, "hh-n")] == [(None, "loan-refused")] * 3


async def test_an_application_refused_by_the_line_is_a_logged_disclosure(lending: RunningService, keys: Keys) -> None:
    await apply(lending, subject_event("hh-a"))
    await apply(lending, rating_changed("hh-a", "B", 1))  # no line: the refusal names grade B
    documents = [{"kind": "id_card", "ref": "doc://1"}, {"kind": "household_register", "ref": "doc://2"}]
    r = await lending.client.post("/v1/applications", headers=bank(keys, "rcb", "app-1"), json={
        "subject_id": "hh-a", "amount": "1000.00", "term_months": 12, "documents": documents})
    assert r.json()["type"] == "no-credit-line" and r.json()["grade"] == "B"
    assert [(e["bank_id"], e["grade"], e["channel"]) for e in await logged(lending, keys, "hh-a")] == [
        ("rcb", "B", "application-declined")]


def registry_knowing(subject_id: str, id_number: str) -> FastAPI:
    """The registry's look-up answer for one ID number (it says nothing of consent: lending decides)."""
    app = FastAPI()

    @app.post("/v1/subjects:lookup")
    async def lookup() -> JSONResponse:
        return JSONResponse({"subject_id": subject_id, "kind": "household", "masked_name": "张*", "status": "active",
                             "region": {"county": "341181", "town": "341181100", "village": VILLAGE["village"]}})

    return app


async def test_a_subject_whose_consent_lending_has_not_heard_is_not_consented(lending: RunningService,
                                                                               keys: Keys) -> None:
    """rating-changed can reach lending before the registry's subject-registered (another topic, the
    event lag, a registry outbox held up): until lending hears the consent, a bank learns nothing."""
    await apply(lending, rating_changed("hh-u", "AAA", 1), registered=False)  # a line of 500,000, consent unknown
    id17 = "34118119800101123"
    id_number = id17 + id_check_char(id17)
    await lending.app.state.registry_client.aclose()
    lending.app.state.registry_client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=registry_knowing("hh-u", id_number)), base_url="http://registry")
    documents = [{"kind": "id_card", "ref": "doc://1"}, {"kind": "household_register", "ref": "doc://2"}]
    asks = [
        ("GET", "/v1/credit-lines/hh-u", None, "credit-line-refused"),
        ("GET", "/v1/credit-lines/hh-u/history", None, "credit-line-history-refused"),
        ("POST", "/v1/loans", {"subject_id": "hh-u", "amount": "1000.00", "annual_rate": "4.00", "term_months": 12},
         "loan-refused"),
        ("POST", "/v1/loans", {"subject_id": "hh-u", "amount": "900000.00", "annual_rate": "4.00", "term_months": 12},
         "loan-refused"),
        ("POST", "/v1/applications", {"subject_id": "hh-u", "amount": "1000.00", "term_months": 12,
                                      "documents": documents}, "application-refused"),
        ("POST", "/v1/subjects:lookup", {"id_number": id_number}, "lookup-refused"),
    ]
    for n, (method, path, body, _) in enumerate(asks):
        r = await lending.client.request(method, path, json=body, headers=bank(keys, "rcb", f"u-{n}"))
        assert (r.status_code, r.json()["type"]) == (403, "no-consent"), f"{method} {path}: {r.text}"
        assert shows_nothing_of_the_line(r.json()) and "AAA" not in r.text and "500000" not in r.text, r.text
    listed = await lending.client.get(f"/v1/villages/{VILLAGE['village']}/credit-lines", headers=bank(keys, "rcb"))
    assert listed.status_code == 200 and listed.json()["items"] == [], listed.text
    # Every attempt is logged, without a grade.
    assert [(e["grade"], e["channel"]) for e in await logged(lending, keys, "hh-u")] == [
        (None, channel) for _, _, _, channel in asks]

    # The registry's file arrives, with consent to lending use: now the bank sees the line.
    await apply(lending, subject_event("hh-u"))
    r = await lending.client.get("/v1/credit-lines/hh-u", headers=bank(keys, "rcb"))
    assert r.status_code == 200 and r.json()["grade"] == "AAA", r.text
    listed = await lending.client.get(f"/v1/villages/{VILLAGE['village']}/credit-lines", headers=bank(keys, "rcb"))
    assert [line["subject_id"] for line in listed.json()["items"]] == ["hh-u"]
