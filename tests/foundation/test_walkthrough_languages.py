"""Every error the README walkthrough can provoke answers in Chinese with ``Accept-Language: zh-CN``
and in English with ``en``: the bank's calls (a look-up without an Idempotency-Key, an unknown
subject, a loan over the available line or above the rate cap, a bad field, a missing token, a
repayment on an unknown loan), the POS's, the platform's and the officer's. The ``type`` and the
fields at fault are the same in both."""
from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from common.auth import Role
from tests.harness import DatabaseFactory, Keys, RunningService, start_service
from tests.lending.conftest import apply, rating_changed

CJK = re.compile(r"[\u4e00-\u9fff]")
COUNTY = "341181"
SUBJECT = "hh-demo"


@dataclass
class Call:
    service: str
    method: str
    path: str
    role: Role | None
    status: int
    type: str
    json: dict[str, Any] | None = None
    params: dict[str, str] = field(default_factory=dict)
    binding: dict[str, str] = field(default_factory=dict)
    idempotent: bool = False  # sends an Idempotency-Key


LOAN = {"subject_id": SUBJECT, "amount": "50000.00", "annual_rate": "4.20", "term_months": 12}
BANK = {"bank_id": "bank-tcrcb"}
MERCHANT = {"merchant_id": "merchant-demo-market"}

WALKTHROUGH_ERRORS = [
    # A partner bank
    Call("lending", "POST", "/v1/subjects:lookup", Role.bank, 400, "idempotency-key-required",
         json={"id_number": "110105194912310029"}, binding=BANK),
    Call("lending", "POST", "/v1/subjects:lookup", Role.bank, 422, "invalid-field",
         json={"id_number": "110105194912310028"}, binding=BANK, idempotent=True),
    Call("lending", "GET", "/v1/credit-lines/hh-nobody", Role.bank, 404, "unknown-subject", binding=BANK),
    Call("lending", "GET", f"/v1/credit-lines/{SUBJECT}", None, 401, "unauthorized"),
    Call("lending", "POST", "/v1/loans", Role.bank, 409, "over-available-line",
         json={**LOAN, "amount": "900000.00"}, binding=BANK, idempotent=True),
    Call("lending", "POST", "/v1/loans", Role.bank, 422, "rate-above-cap",
         json={**LOAN, "amount": "1000.00", "annual_rate": "9.90"}, binding=BANK, idempotent=True),
    Call("lending", "POST", "/v1/loans", Role.bank, 422, "invalid-field",
         json={**LOAN, "product": "xingcun-funong"}, binding=BANK, idempotent=True),
    Call("lending", "POST", "/v1/loans", Role.bank, 422, "validation-error",
         json={**LOAN, "amount": "fifty thousand"}, binding=BANK, idempotent=True),
    Call("lending", "POST", "/v1/loans/no-such-loan/repayments", Role.bank, 404, "not-found",
         json={"amount": "10000.00"}, binding=BANK, idempotent=True),
    Call("lending", "POST", "/v1/loans", Role.merchant, 403, "forbidden", json=LOAN,
         binding={"merchant_id": "merchant-demo-market"}, idempotent=True),
    # A merchant's POS
    Call("merchant", "POST", "/v1/pos/redemptions", Role.merchant, 422, "unknown-code",
         json={"code": "CV-NOT-A-CODE", "offer_id": "o-1", "bill_amount": "128.50"}, binding=MERCHANT, idempotent=True),
    Call("merchant", "POST", "/v1/pos/verify", Role.merchant, 422, "invalid-field", json={"code": ""},
         binding=MERCHANT, idempotent=True),
    Call("merchant", "POST", "/v1/pos/redemptions", Role.merchant, 422, "validation-error",
         json={"code": "CV-NOT-A-CODE", "offer_id": "o-1", "bill_amount": "lots"}, binding=MERCHANT, idempotent=True),
    Call("merchant", "POST", "/v1/pos/verify", Role.merchant, 403, "forbidden", json={"code": "CV-NOT-A-CODE"},
         binding={"merchant_id": "merchant-unregistered"}, idempotent=True),
    Call("merchant", "POST", "/v1/pos/verify", None, 401, "unauthorized", json={"code": "CV-NOT-A-CODE"}),
    # The provincial platform
    Call("stats", "GET", "/v1/stats/summary", Role.platform, 422, "invalid-field", params={"region": "34118"}),
    Call("stats", "GET", "/v1/stats/regions", Role.platform, 422, "validation-error",
         params={"level": "street", "region": COUNTY}),
    Call("stats", "GET", "/v1/stats/summary", Role.officer, 403, "forbidden", params={"region": "341182"},
         binding={"region": "341181100"}),
    # An officer
    Call("rating", "POST", "/v1/ratings", Role.officer, 404, "unknown-subject", json={"subject_id": "hh-nobody"},
         binding={"region": COUNTY}),
    Call("rating", "POST", "/v1/publications:finalise", Role.officer, 403, "forbidden", binding={"region": COUNTY}),
    Call("rating", "GET", "/v1/subjects/hh-nobody/grade", Role.officer, 404, "not-found", binding={"region": COUNTY}),
]


@pytest.fixture
async def services(databases: DatabaseFactory, keys: Keys) -> AsyncIterator[dict[str, RunningService]]:
    running: dict[str, RunningService] = {}
    urls = {name: await databases.create(name, "sqlite") for name in ("lending", "stats", "merchant", "rating")}
    async with start_service("lending", urls["lending"], keys) as lending, \
            start_service("stats", urls["stats"], keys) as stats, \
            start_service("merchant", urls["merchant"], keys) as merchant, \
            start_service("rating", urls["rating"], keys) as rating:
        admin = keys.headers(Role.admin)
        r = await lending.client.post("/v1/banks", json={"id": "bank-tcrcb", "name": "天长农商银行"}, headers=admin)
        assert r.status_code == 201, r.text
        await apply(lending, rating_changed(SUBJECT, "AAA", 1))
        r = await merchant.client.post("/v1/merchants", json={"id": "merchant-demo-market", "name": "供销超市",
                                                               "kind": "shop", "region_code": "341181100201"},
                                       headers=admin)
        assert r.status_code == 201, r.text
        running.update(lending=lending, stats=stats, merchant=merchant, rating=rating)
        yield running


_keys = 0


async def call(client: httpx.AsyncClient, keys: Keys, c: Call, language: str) -> httpx.Response:
    global _keys
    headers = {"Accept-Language": language}
    if c.role is not None:
        headers.update(keys.headers(c.role, **c.binding))
    if c.idempotent:
        _keys += 1
        headers["Idempotency-Key"] = f"walk-{_keys}"
    return await client.request(c.method, c.path, json=c.json, params=c.params, headers=headers)


async def test_every_walkthrough_error_answers_in_the_callers_language(services: dict[str, RunningService],
                                                                      keys: Keys) -> None:
    for c in WALKTHROUGH_ERRORS:
        client = services[c.service].client
        zh = await call(client, keys, c, "zh-CN")
        en = await call(client, keys, c, "en")
        where = f"{c.method} {c.path} {c.json or c.params}"
        for r in (zh, en):
            assert (r.status_code, r.json()["type"]) == (c.status, c.type), f"{where}: {r.text}"
            assert r.headers["content-type"] == "application/problem+json"
        assert zh.headers["content-language"] == "zh-CN" and en.headers["content-language"] == "en"
        zh_body, en_body = zh.json(), en.json()
        assert CJK.search(zh_body["title"]) and CJK.search(zh_body["detail"]), f"{where}: {zh_body}"
        assert not CJK.search(en_body["title"]) and not CJK.search(en_body["detail"]), f"{where}: {en_body}"
        assert [e["field"] for e in zh_body.get("errors", [])] == [e["field"] for e in en_body.get("errors", [])]
        assert all(CJK.search(e["message"]) for e in zh_body.get("errors", [])), f"{where}: {zh_body}"
        assert {k for k in zh_body if k not in ("title", "detail", "errors")} == \
            {k for k in en_body if k not in ("title", "detail", "errors")}
