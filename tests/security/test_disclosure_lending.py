"""Disclosure attacks on lending: what a bank or the platform can learn of one subject's grade,
line, availability or history, and whether each such answer is consented and logged.

- The provincial platform asks for one subject's line, its history, a village's list: refused.
- A bank reads a line's history: a disclosure like the line itself (consent, log).
- A bank's loan is refused for a reason that names the grade, the available amount or the cap:
  the answer is a logged disclosure; refused for want of consent: nothing of the line in the answer.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from common.auth import Role
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
