"""Bad input on every operation of every service: schemathesis generates requests from each service's
OpenAPI (the app in-process, an admin token, a few examples per operation, positive and negative
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
EXAMPLES = int(os.environ.get("CV_FUZZ_EXAMPLES", "6"))
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
                  suppress_health_check=list(HealthCheck), derandomize=True)
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
