"""Bad input on every operation of every service: schemathesis generates requests from each service's
OpenAPI (the app in-process, an admin token, 50 examples per operation, positive and negative
data); no answer may be a 5xx, and every 4xx is ``application/problem+json``. Then targeted cases:
oversized bodies, wrong content types, huge and negative numbers, unicode and SQL-ish strings."""
from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.generation.case import Case

from common.auth import Role
from common.errors import PROBLEM_JSON
from tests.harness import DatabaseFactory, Keys, RunningService, start_service

SERVICES = ["registry", "rating", "lending", "merchant", "stats"]
# 50 per operation: the file takes about 70 s of CPU (2 min on 2 busy cores, both backends); 6 took 13 s.
EXAMPLES = int(os.environ.get("CV_FUZZ_EXAMPLES", "50"))
RANDOM = os.environ.get("CV_FUZZ_RANDOM") == "1"  # fresh examples each run (CI keeps them fixed)
SKIP = {"/readyz", "/healthz", "/metrics", "/docs", "/redoc", "/docs/oauth2-redirect", "/openapi.json"}


def cases_of(raw: dict[str, Any]) -> list[Case]:
    """A few generated cases per operation (generation only: no shrinking against a live app)."""
    schema = schemathesis.openapi.from_dict(raw)
    out: list[Case] = []
    for result in schema.get_all_operations():
        op = result.ok()
        if op.path in SKIP:
            continue

        @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck), derandomize=not RANDOM)
        @given(case=op.as_strategy())
        def collect(case: Case) -> None:
            out.append(case)

        collect()
    return out


async def send(svc: RunningService, case: Case, headers: dict[str, str]) -> tuple[int, str, str]:
    kw = case.as_transport_kwargs(base_url="http://test", headers=headers)
    kw.pop("cookies", None)
    request: dict[str, Any] = {"params": kw.get("params"), "headers": kw.get("headers")}
    for name in ("json", "data", "files", "content"):
        if kw.get(name) is not None:
            request[name] = kw[name]
    r = await svc.client.request(kw["method"], kw["url"], **request)
    return r.status_code, r.headers.get("content-type", ""), r.text[:300]


@pytest.mark.slow
@pytest.mark.parametrize("service", SERVICES)
async def test_generated_requests_get_no_5xx_and_every_error_is_a_problem(
        service: str, backend: str, databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create(service, backend)
    headers = {**keys.headers(Role.admin)}
    async with start_service(service, url, keys) as svc:
        raw = (await svc.client.get("/openapi.json")).json()
        failures = []
        for case in cases_of(raw):
            status, ctype, text = await send(svc, case, {**headers, "Idempotency-Key": uuid.uuid4().hex})
            if status >= 500 or (status >= 400 and not ctype.startswith(PROBLEM_JSON)):
                failures.append(f"{case.method} {case.formatted_path} {case.query} {case.body!r:.200} → {status} {ctype} {text}")
        assert not failures, "\n".join(failures[:20])


HUGE = "9" * 400
SQLISH = "'; DROP TABLE subjects; --"
TARGETED: dict[str, list[tuple[str, str, dict[str, Any], set[int], str | None]]] = {
    # (method, path, request, allowed statuses, field a 422 must name)
    "registry": [
        ("POST", "/v1/subjects", {"content": b"kind=household", "headers": {"Content-Type": "text/plain"}}, {415, 422}, None),
        ("POST", "/v1/subjects", {"content": b"{" + b" " * 3_000_000 + b"}", "headers": {"Content-Type": "application/json"}},
         {413, 422}, None),
        ("POST", "/v1/subjects", {"content": b"\xff\xfe not utf-8", "headers": {"Content-Type": "application/json"}}, {400, 422}, None),
        ("POST", "/v1/subjects", {"json": {"kind": "household", "village": "341181100200",
                                           "head": {"name": SQLISH, "id_number": "341181199001011234"}}}, {404, 409, 422}, None),
        ("POST", "/v1/subjects", {"json": {"kind": "household", "village": "341181100200", "profile": {"annual_income": HUGE},
                                           "head": {"name": "王😀Ω", "id_number": "34118119900101123X"}}}, {422}, "profile"),
        ("POST", "/v1/subjects", {"json": {"kind": ["household"], "village": {}}}, {422}, "kind"),
        ("POST", "/v1/subjects", {"json": [1, 2]}, {422}, None),
        ("POST", "/v1/regions", {"json": {"code": SQLISH, "name": "村"}}, {422}, "code"),
        ("POST", "/v1/regions", {"json": {"code": "341181", "name": "天长市\u202e\u0000😀"}}, {201, 409, 422}, None),
        ("POST", "/v1/subjects:lookup", {"json": {"id_number": SQLISH}}, {422}, "id_number"),
        ("GET", f"/v1/subjects?village={SQLISH}", {}, {200, 403, 422}, None),
        ("POST", "/v1/imports", {"files": {"file": ("x.csv", b"\x00\x01\x02" * 1000, "text/csv")}}, {202, 422}, None),
    ],
    "lending": [
        ("POST", "/v1/loans", {"json": {"subject_id": "s", "amount": "-100.00", "annual_rate": "4.0", "term_months": 12}},
         {422}, "amount"),
        ("POST", "/v1/loans", {"json": {"subject_id": "s", "amount": HUGE, "annual_rate": "4.0", "term_months": 12}},
         {422}, "amount"),
        ("POST", "/v1/loans", {"json": {"subject_id": "s", "amount": "100.00", "annual_rate": "NaN", "term_months": 12}},
         {422}, "annual_rate"),
        ("POST", "/v1/loans", {"json": {"subject_id": "s", "amount": 1e308, "annual_rate": "4.0", "term_months": 10**30}},
         {422}, None),
        ("POST", "/v1/loans", {"json": {"subject_id": SQLISH, "amount": "100.00", "annual_rate": "4.0", "term_months": 12}},
         {403, 404, 409, 422}, None),
        ("POST", "/v1/loans", {"content": b"<xml/>", "headers": {"Content-Type": "application/xml"}}, {415, 422}, None),
        ("GET", "/v1/loans?limit=99999999999999999999", {}, {422}, "limit"),
        ("GET", "/v1/reconciliation?day=2026-01-01&bank_id=%F0%9F%98%80", {}, {200, 422}, None),
        ("POST", "/v1/banks", {"json": {"id": "b-😀", "name": SQLISH}}, {201, 409, 422}, None),
    ],
    "merchant": [
        ("POST", "/v1/pos/verify", {"json": {"code": SQLISH}}, {200, 422}, None),
        ("POST", "/v1/pos/redemptions", {"json": {"code": "CVx", "offer_id": "o", "bill_amount": "-5.00"}}, {404, 422}, None),
        ("POST", "/v1/pos/redemptions", {"json": {"code": "CVx", "offer_id": "o", "bill_amount": HUGE}}, {404, 422}, None),
        ("POST", "/v1/merchants", {"json": {"name": "超市😀" * 100, "kind": "shop", "category": SQLISH,
                                            "region_code": "341181"}}, {201, 422}, None),
    ],
}


@pytest.mark.parametrize("service", sorted(TARGETED))
async def test_targeted_bad_input_gets_a_problem_naming_the_field(
        service: str, backend: str, databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create(service, backend)
    role = {"registry": keys.headers(Role.officer, region="341181"), "lending": keys.headers(Role.bank, bank_id="b1"),
            "merchant": keys.headers(Role.merchant, merchant_id="m-1")}[service]
    admin = keys.headers(Role.admin)
    async with start_service(service, url, keys) as svc:
        if service == "lending":  # the callers exist: what is refused is the input, not the caller
            assert (await svc.client.post("/v1/banks", json={"id": "b1", "name": "银行"}, headers=admin)).status_code == 201
        if service == "merchant":
            assert (await svc.client.post("/v1/merchants", headers=admin, json={
                "id": "m-1", "name": "店", "kind": "shop", "category": "grocery", "region_code": "341181"})).status_code == 201
        for method, path, given_request, allowed, field in TARGETED[service]:
            request = dict(given_request)
            who = admin if path in ("/v1/banks", "/v1/merchants") else role
            headers = {**who, "Idempotency-Key": uuid.uuid4().hex, **request.pop("headers", {})}
            r = await svc.client.request(method, path, headers=headers, **request)
            where = f"{service} {method} {path}: {r.status_code} {r.text[:300]}"
            assert r.status_code in allowed, where
            if r.status_code >= 400:
                assert r.headers["content-type"].startswith(PROBLEM_JSON), where
            if field and r.status_code == 422:
                assert any(field in e["field"] for e in r.json().get("errors", [])), where
        assert (await svc.client.get("/readyz")).status_code in (200, 503)  # still answering
