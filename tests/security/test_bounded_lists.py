"""Availability, bullet 3 (lists): every list a service returns comes a bounded page at a time.
A list whose rows callers' own activity adds (lookups, history, redemptions, offers) would
otherwise be loaded and serialised whole on every call, and grows without end."""
from __future__ import annotations

import pytest

from common.auth import Role
from common.paging import PAGE_MAX
from tests.harness import DatabaseFactory, Keys, start_service
from tests.registry.support import household, registry

# Reference tables only the county's admin writes, a handful of rows each (partner banks and their
# products, dated benchmark rates, risk-sharing programmes, benefit programmes).
ADMIN_REFERENCE = {"/v1/banks", "/v1/products", "/v1/benchmark-rates", "/v1/risk-programmes", "/v1/programmes",
                   # one purchase's receipt: as many rows as offers one bill took
                   "/v1/pos/redemptions/{redemption_id}"}
# An import's refused rows download as one CSV (a file has at most 200,000 rows): larger, still bounded.
LARGER = {"/v1/imports/{job_id}/errors": 100_000, "/v1/regions": 5000}


def returns_a_list(operation: dict) -> bool:  # type: ignore[type-arg]
    schema = operation.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("type") == "array"


@pytest.mark.parametrize("service", ["registry", "rating", "lending", "merchant", "stats"])
async def test_every_list_takes_a_bounded_page_size(databases: DatabaseFactory, keys: Keys, service: str) -> None:
    async with start_service(service, await databases.create(service), keys) as svc:
        schema = (await svc.client.get("/openapi.json")).json()
    unbounded = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None or not returns_a_list(get) or path in ADMIN_REFERENCE:
            continue
        limit = next((p for p in get.get("parameters", []) if p["name"] == "limit" and p["in"] == "query"), None)
        bound = (limit or {}).get("schema", {}).get("maximum")
        if bound is None or bound > LARGER.get(path, PAGE_MAX):
            unbounded.append(f"GET {path} (limit maximum: {bound})")
    assert not unbounded, "lists without a bounded page size: " + ", ".join(unbounded)


async def test_a_subjects_lookups_come_a_page_at_a_time(databases: DatabaseFactory, keys: Keys) -> None:
    """Every bank lookup adds to a subject's disclosure log: today all of it came back at once."""
    async with registry(await databases.create("registry"), keys) as svc:
        admin = keys.headers(Role.admin)
        created = await svc.client.post("/v1/subjects", json=household(1), headers=admin)
        assert created.status_code == 201, created.text
        subject_id = created.json()["id"]
        id_number = household(1)["head"]["id_number"]
        lending = keys.headers(Role.service, service="lending")  # banks ask through lending
        for _ in range(5):
            r = await svc.client.post("/v1/subjects:lookup", json={"id_number": id_number, "on_behalf_of": "bank:b1"},
                                      headers=lending)
            assert r.status_code == 200, r.text
        url = f"/v1/subjects/{subject_id}/disclosures"
        first = (await svc.client.get(url, params={"limit": 3}, headers=admin)).json()
        rest = (await svc.client.get(url, params={"limit": 3, "after": first[-1]["id"]}, headers=admin)).json()
        assert len(first) == 3 and len(rest) >= 2
        assert not {d["id"] for d in first} & {d["id"] for d in rest}
        too_big = await svc.client.get(url, params={"limit": PAGE_MAX + 1}, headers=admin)
        assert too_big.status_code == 422 and too_big.json()["errors"][0]["field"] == "query.limit"
