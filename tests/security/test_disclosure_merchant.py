"""Disclosure attacks on the merchant POS: what a scan tells a shop, and what a code's bytes tell
anyone who sees several of them.

- A household without consent to this use must be indistinguishable from an unknown code: same
  answer to verify and to redeem, and the same work behind it (no extra look-up a stopwatch could see).
- A refused redemption tells the POS as much as a verify ("not a credit household"): it is logged.
- Two rotating codes of one household share nothing a watcher could link them by.
"""
from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from difflib import SequenceMatcher
from typing import Any

import httpx
import pytest

from common.auth import Role
from common.db import utcnow
from merchant.codes.repository import code_hash
from merchant.pos import repository
from merchant.pos.service import lookup_hash
from tests.harness import DatabaseFactory, Keys, RunningService, start_service
from tests.merchant.support import County, household

PCT = {"kind": "percent", "percent": "10", "cap": "20.00"}


@pytest.fixture
async def svc(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    url = await databases.create("merchant", backend)
    async with start_service("merchant", url, keys) as running:
        yield running


@pytest.fixture
def county(svc: RunningService, keys: Keys) -> County:
    return County(svc.client, keys)


def seen(r: httpx.Response) -> tuple[int, str, Any]:
    """What the POS sees of an answer."""
    return r.status_code, r.headers["content-type"], r.json()


async def rotating(svc: RunningService, keys: Keys, subject_id: str) -> str:
    r = await svc.client.post(f"/v1/households/{subject_id}/codes/rotating", headers=keys.headers(Role.service, service="household-channel"))
    assert r.status_code == 201, r.text
    return str(r.json()["code"])


async def look_up(svc: RunningService, merchant_id: str, code: str) -> tuple[list[Any], int]:
    """The POS look-up as the service runs it: its rows, and (SQLite reader) the statements it ran."""
    now, state = utcnow(), svc.app.state
    key = lookup_hash(code, state.rotating_codes, now)
    reader: repository.SQLiteVerifyReader | None = state.verify_reader
    if reader is None:
        async with state.db.engine.connect() as conn:
            return list(await repository.look_up(conn, merchant_id, key, now)), 1
    statements: list[str] = []
    reader.conn.set_trace_callback(statements.append)
    try:
        return list(reader.look_up(merchant_id, key, now)), len(statements)
    finally:
        reader.conn.set_trace_callback(None)


async def test_a_household_without_consent_answers_exactly_as_an_unknown_code(svc: RunningService, county: County,
                                                                              keys: Keys) -> None:
    shop = await county.merchant()
    offer = await county.offer(shop, PCT)
    # A credit household (AA) whose consent covers benefit verifiers only, not shops.
    hidden = await household(svc.db, "AA", scopes=["benefits"])
    code = await county.code(hidden)
    codes = {"static": (code, "CV" + "x" * 24), "rotating": (await rotating(svc, keys, hidden), "R2." + "A" * 91)}
    for how, (theirs, unknown) in codes.items():
        for path, body in (("/v1/pos/verify", {}), ("/v1/pos/redemptions", {"offer_id": offer, "bill_amount": "100.00"})):
            a = await svc.client.post(path, json={"code": theirs, **body}, headers=county.pos(shop))
            b = await svc.client.post(path, json={"code": unknown, **body}, headers=county.pos(shop))
            assert seen(a) == seen(b), (how, path, a.text, b.text)
        # The same work too: the household's offers are not even looked for.
        (rows_a, statements_a), (rows_b, statements_b) = await look_up(svc, shop, theirs), await look_up(svc, shop, unknown)
        assert statements_a == statements_b, how
        assert len(rows_a) == len(rows_b) and [r.offer_id for r in rows_a] == [r.offer_id for r in rows_b], how


async def test_a_refused_redemption_is_a_logged_disclosure(svc: RunningService, county: County) -> None:
    shop = await county.merchant()
    offer = await county.offer(shop, PCT)
    below_a = await household(svc.db, "B")
    code = await county.code(below_a)
    r = await county.redeem(shop, code, offer, "100.00")
    assert (r.status_code, r.json()["type"]) == (422, "not-credit-household")  # it says: below A
    r = await svc.client.get("/v1/disclosures", params={"subject_id": below_a}, headers=county.admin)
    assert [(e["merchant_id"], e["outcome"], e["grade"], e["purpose"]) for e in r.json()["items"]] == [
        (shop, "not_credit_household", None, "pos-redeem")]


async def test_rotating_codes_cannot_be_linked_by_their_bytes(svc: RunningService, county: County, keys: Keys) -> None:
    hh = await household(svc.db, "AA")
    static = await county.code(hh)
    first, second = await rotating(svc, keys, hh), await rotating(svc, keys, hh)
    assert first != second
    body_1, body_2 = first.split(".", 1)[1], second.split(".", 1)[1]
    match = SequenceMatcher(None, body_1, body_2, autojunk=False).find_longest_match()
    assert match.size < 8, f"the two codes share {body_1[match.a:match.a + match.size]!r}"
    # Nor is the static code, or its look-up hash in any spelling, inside a rotating code.
    digest = hashlib.sha256(static.encode()).digest()
    spellings = {static, code_hash(static), base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]}
    assert not any(s in first or s in second for s in spellings)
