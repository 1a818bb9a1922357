"""Grade policies and benchmark rates are versioned and dated, set by the county (admin) through
the API: a new benchmark moves every cap, a new policy applies at the next grade change."""
from __future__ import annotations

from datetime import timedelta

from common.auth import Role
from common.db import utcnow
from tests.harness import Keys, RunningService
from tests.lending.conftest import apply, bank, rating_changed


async def test_seeded_defaults(lending: RunningService, keys: Keys) -> None:
    policy = (await lending.client.get("/v1/policies/current", headers=bank(keys, "rcb"))).json()
    rows = {(r["kind"], r["grade"]): (r["line_amount"], r["max_markup"]) for r in policy["rows"]}
    assert rows[("household", "A")] == ("100000.00", "0.4")
    assert rows[("household", "AAA")] == ("500000.00", "0.2")
    assert rows[("collective", "AA")] == ("1000000.00", "0.3")
    assert rows[("new_entity", "AAA")][0] == "2000000.00"
    assert policy["version"] == 1 and policy["validity_months"] == 24
    rates = (await lending.client.get("/v1/benchmark-rates", headers=bank(keys, "rcb"))).json()
    assert rates == [{"name": "LPR-1Y", "rate_percent": "3.45", "effective_on": "2023-08-21"}]


async def test_admin_sets_a_new_benchmark_and_policy(lending: RunningService, keys: Keys) -> None:
    admin = keys.headers(Role.admin)
    await apply(lending, rating_changed("hh-1", "A", 1))
    today = utcnow().date()
    r = await lending.client.post("/v1/benchmark-rates", headers=admin,
                                  json={"rate_percent": "3.00", "effective_on": str(today)})
    assert r.status_code == 201
    r = await lending.client.post("/v1/benchmark-rates", headers=admin,
                                  json={"rate_percent": "2.90", "effective_on": str(today + timedelta(days=30))})
    assert r.status_code == 201, "a future rate is kept but not yet in force"
    assert (await lending.client.post("/v1/benchmark-rates", headers=admin,
                                      json={"rate_percent": "3.10", "effective_on": str(today)})).status_code == 409
    line = (await lending.client.get("/v1/credit-lines/hh-1", headers=bank(keys, "rcb"))).json()
    assert (line["benchmark_rate"], line["max_rate"]) == ("3", "4.2")
    assert (await lending.client.post("/v1/benchmark-rates", headers=bank(keys, "rcb"),
                                      json={"rate_percent": "1", "effective_on": str(today)})).status_code == 403

    r = await lending.client.post("/v1/policies", headers=admin, json={"validity_months": 12, "rows": [
        {"kind": "household", "grade": "A", "line_amount": "150000.00", "max_markup": "0.35"},
        {"kind": "household", "grade": "AA", "line_amount": "350000.00", "max_markup": "0.25"}]})
    assert r.status_code == 201 and r.json()["version"] == 2
    dup = await lending.client.post("/v1/policies", headers=admin, json={"rows": [
        {"kind": "household", "grade": "A", "line_amount": "1.00", "max_markup": "0.1"},
        {"kind": "household", "grade": "A", "line_amount": "2.00", "max_markup": "0.1"}]})
    assert dup.status_code == 422 and dup.json()["errors"][0]["field"] == "rows[1]"
    # Existing lines keep their terms until the next grade change.
    assert (await lending.client.get("/v1/credit-lines/hh-1", headers=bank(keys, "rcb"))).json()["line_amount"] == "100000.00"
    await apply(lending, rating_changed("hh-1", "AA", 2, old_grade="A"))
    line = (await lending.client.get("/v1/credit-lines/hh-1", headers=bank(keys, "rcb"))).json()
    assert (line["line_amount"], line["max_markup"], line["policy_version"]) == ("350000.00", "0.25", 2)
    # The new table has no AAA row: AAA now gives no line (frozen, as it had one).
    await apply(lending, rating_changed("hh-1", "AAA", 3, old_grade="AA"))
    assert (await lending.client.get("/v1/credit-lines/hh-1", headers=bank(keys, "rcb"))).json()["status"] == "frozen"
