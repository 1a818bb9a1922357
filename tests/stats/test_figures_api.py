"""The figures API over a read model fed through the consumer's handler path (no broker needed
here; the broker path is in test_through_broker): exact figures, CSV, as_of, time series, scope,
stale and repeated events, suppression."""
from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest

from common.db import Database
from stats.rebuild import read_model
from tests.harness import DatabaseFactory, Keys, RunningService, start_service
from tests.stats import factory
from tests.stats.factory import COUNTY, NOV, TOWN_1, TOWN_2, V_11, V_12, V_21
from tests.stats.helpers import apply, renewed


@pytest.fixture
async def stats(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    url = await databases.create("stats", backend)
    async with start_service("stats", url, keys) as svc:
        yield svc


async def get(svc: RunningService, keys: Keys, path: str, role: str = "admin", csv_: bool = False,
              **params: Any) -> Any:
    headers = keys.headers(role, **({"region": params.pop("officer_region")} if "officer_region" in params else {}))
    if "claim_suppress" in params:
        headers = {"Authorization": f"Bearer {keys.token(role, suppress=params.pop('claim_suppress'))}"}
    if csv_:
        headers["Accept"] = "text/csv"
    response = await svc.client.get(f"/v1/stats/{path}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.text if csv_ else response.json()


async def test_summary_counts_the_county_exactly(stats: RunningService, keys: Keys) -> None:
    await apply(stats.db, factory.county_story())
    body = await get(stats, keys, "summary", region=COUNTY)
    f = body["figures"]
    assert body["region"] == {"code": COUNTY, "level": "county"}
    assert (f["subjects"], f["rated"], f["credit_subjects"], f["grade_b"], f["lines"], f["borrowers"]) == (5, 5, 4, 1, 3, 1)
    assert (f["line_amount"], f["drawn"], f["used_share"], f["borrower_share"]) == ("900000.00", "150000.00", "0.1667", "0.3333")
    assert body["headline"]["credit_village_share"] == "1.0000"
    assert body["by_kind"]["household"]["figures"]["subjects"] == 4
    assert body["by_kind"]["village"]["figures"]["credit_units"] == 1
    # The province is every county; a town is its villages.
    province = await get(stats, keys, "summary")
    assert province["figures"] == f
    town = await get(stats, keys, "summary", region=TOWN_2)
    assert (town["figures"]["subjects"], town["figures"]["grade_aa"], town["figures"]["line_amount"]) == (1, 1, "300000.00")
    households = await get(stats, keys, "summary", region=COUNTY, kind="household")
    assert households["figures"]["subjects"] == 4 and list(households["by_kind"]) == ["household"]


async def test_regions_list_towns_and_villages(stats: RunningService, keys: Keys) -> None:
    await apply(stats.db, factory.county_story())
    towns = await get(stats, keys, "regions", level="town", region=COUNTY)
    assert [(t["code"], t["figures"]["subjects"]) for t in towns["regions"]] == [(TOWN_1, 4), (TOWN_2, 1)]
    villages = await get(stats, keys, "regions", level="village", region=TOWN_1)
    by_code = {v["code"]: v for v in villages["regions"]}
    assert set(by_code) == {V_11, V_12}
    assert by_code[V_11]["parent"] == TOWN_1
    assert (by_code[V_11]["figures"]["lines"], by_code[V_11]["figures"]["drawn"]) == (2, "150000.00")
    assert by_code[V_12]["figures"]["negative_subjects"] == 1


async def test_csv_has_a_header_row_with_units(stats: RunningService, keys: Keys) -> None:
    await apply(stats.db, factory.county_story())
    text = await get(stats, keys, "regions", csv_=True, level="village", region=COUNTY)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:7] == ["region", "region_name", "level", "parent", "parent_name", "kind", "as_of"]
    assert "subjects (count)" in rows[0] and "line_amount (CNY)" in rows[0] and "used_share (ratio)" in rows[0]
    table = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert {r["region"]: r["subjects (count)"] for r in table} == {V_11: "3", V_12: "1", V_21: "1"}
    summary = list(csv.reader(io.StringIO(await get(stats, keys, "summary", csv_=True, region=COUNTY))))
    assert [r[3] for r in summary[1:]] == ["all", "household", "village"]
    series = list(csv.reader(io.StringIO(await get(stats, keys, "timeseries", csv_=True, metric="drawn",
                                                   **{"from": "2026-09", "to": "2026-11"}))))
    assert series[0] == ["month", "month_end", "region", "region_name", "kind", "drawn (CNY)", "change (CNY)",
                         "suppressed"]
    assert [(r[1], r[5], r[6]) for r in series[1:]] == [
        ("2026-09-30", "0.00", "0.00"), ("2026-10-31", "200000.00", "200000.00"), ("2026-11-30", "150000.00", "-50000.00")]


async def test_as_of_gives_a_past_month_end(stats: RunningService, keys: Keys) -> None:
    await apply(stats.db, factory.county_story())
    october = await get(stats, keys, "summary", region=COUNTY, as_of="2026-10")
    f = october["figures"]
    assert october["as_of"] == "2026-10-31"
    # hh-4's rating and line, the repayment and the redemption came in November.
    assert (f["subjects"], f["rated"], f["grade_aa"], f["lines"], f["line_amount"], f["drawn"], f["repayments"],
            f["redemptions"]) == (5, 4, 1, 2, "600000.00", "200000.00", 0, 0)
    # A date names the last month end on or before it.
    assert (await get(stats, keys, "summary", region=COUNTY, as_of="2026-11-15"))["figures"] == f
    villages = await get(stats, keys, "regions", level="village", region=COUNTY, as_of="2026-10-31")
    assert {v["code"]: v["figures"]["lines"] for v in villages["regions"]} == {V_11: 2, V_12: 0, V_21: 0}
    too_soon = await stats.client.get("/v1/stats/summary", params={"as_of": "2999-01"}, headers=keys.headers("admin"))
    assert too_soon.status_code == 422 and too_soon.json()["errors"][0]["field"] == "as_of"


async def test_timeseries_of_stocks_flows_and_shares(stats: RunningService, keys: Keys) -> None:
    await apply(stats.db, factory.county_story())
    rated = await get(stats, keys, "timeseries", metric="rated", region=COUNTY, **{"from": "2026-10", "to": "2026-11"})
    assert [(p["month_end"], p["value"], p["change"]) for p in rated["points"]] == [("2026-10-31", 4, 4), ("2026-11-30", 5, 1)]
    loans = await get(stats, keys, "timeseries", metric="repaid_amount", **{"from": "2026-10", "to": "2026-11"})
    assert loans["flow"] is True and [p["value"] for p in loans["points"]] == ["0.00", "50000.00"]
    share = await get(stats, keys, "timeseries", metric="used_share", **{"from": "2026-10", "to": "2026-11"})
    assert [p["value"] for p in share["points"]] == ["0.3333", "0.1667"]
    bad = await stats.client.get("/v1/stats/timeseries", params={"metric": "nope"}, headers=keys.headers("admin"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "metric"


async def test_readers_and_their_scope(stats: RunningService, keys: Keys) -> None:
    await apply(stats.db, factory.county_story())
    assert (await stats.client.get("/v1/stats/summary")).status_code == 401
    bank = await stats.client.get("/v1/stats/summary", headers=keys.headers("bank", bank_id="b1"))
    assert bank.status_code == 403
    assert (await get(stats, keys, "summary", role="admin"))["figures"]["subjects"] == 5
    own = await get(stats, keys, "summary", role="officer", officer_region=TOWN_2)
    assert own["region"]["code"] == TOWN_2 and own["figures"]["subjects"] == 1
    other = await stats.client.get("/v1/stats/summary", params={"region": COUNTY},
                                   headers=keys.headers("officer", region=TOWN_2))
    assert other.status_code == 403
    listing = await get(stats, keys, "regions", role="officer", officer_region=TOWN_1, level="village", region=COUNTY)
    assert {v["code"] for v in listing["regions"]} == {V_11, V_12}
    bad = await stats.client.get("/v1/stats/summary", params={"region": "34"}, headers=keys.headers("admin"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "region"


async def test_repeated_stale_and_reordered_events_move_nothing(stats: RunningService, keys: Keys,
                                                                databases: DatabaseFactory, backend: str) -> None:
    story = factory.county_story()
    await apply(stats.db, story)
    before = await read_model(stats.db)
    await apply(stats.db, story)  # same ids: the inbox skips them
    await apply(stats.db, [renewed(e) for e in story])  # new ids: versions and counted facts stop them
    assert await read_model(stats.db) == before
    # The same events in another order (topics are not ordered among themselves) give the same model.
    other = Database(await databases.create("stats", backend))
    try:
        for event in sorted(story, key=lambda e: (e.type, e.subject), reverse=True):
            await apply(other, [event])
        assert (await read_model(other))["cells"] == before["cells"]
        assert (await read_model(other))["subjects"] == before["subjects"]
    finally:
        await other.dispose()


async def test_grade_and_line_changes_move_counters_between_cells(stats: RunningService, keys: Keys) -> None:
    await apply(stats.db, factory.county_story())
    await apply(stats.db, [
        factory.rated("hh-2", V_11, "B", 2, old="A", when=NOV),                     # down below A
        factory.line("hh-2", V_11, "100000.00", "0.00", 2, status="frozen", when=NOV),  # line frozen
        factory.rated("hh-2", V_11, "AAA", 1, when=NOV),                             # stale: version 1 again
        factory.updated("hh-3", V_12, 2, status="archived"),                          # leaves the programme
        factory.negative("hh-3", "neg-1", "cleared", 2),
        factory.defaulted("loan-1", "hh-1", V_11, "100000.00", "10000.00"),
        factory.redemption("r-1", "hh-1", V_11, "300.00", "30.00", status="reversed"),
    ])
    f = (await get(stats, keys, "summary", region=COUNTY))["figures"]
    assert (f["subjects"], f["rated"], f["grade_a"], f["grade_b"], f["credit_subjects"]) == (4, 4, 0, 1, 3)
    assert (f["lines"], f["lines_frozen"], f["line_amount"]) == (3, 1, "900000.00")
    assert (f["negative_subjects"], f["defaults"], f["loss_amount"], f["fund_paid"]) == (0, 1, "100000.00", "10000.00")
    assert (f["redemptions"], f["bill_amount"]) == (0, "0.00")


async def test_suppression_per_request_and_per_token(stats: RunningService, keys: Keys) -> None:
    await apply(stats.db, factory.county_story())
    plain = await get(stats, keys, "regions", level="village", region=TOWN_1)
    assert plain["suppression"]["applied"] is False
    assert all(v["suppressed"] == [] for v in plain["regions"])
    for body in (await get(stats, keys, "regions", level="village", region=TOWN_1, suppress="true"),
                 await get(stats, keys, "regions", level="village", region=TOWN_1, claim_suppress=True)):
        assert body["suppression"] == {"applied": True, "threshold": 5}
        rows = {v["code"]: v for v in body["regions"]}
        # 3 and 1 subjects: both below 5, shown as null and flagged, never as 0.
        for code in (V_11, V_12):
            assert rows[code]["figures"]["subjects"] is None and "subjects" in rows[code]["suppressed"]
        # Money whose count is suppressed is suppressed with it.
        assert rows[V_11]["figures"]["line_amount"] is None
    # A token that asks for suppression cannot be talked out of it by the request.
    forced = await get(stats, keys, "summary", region=TOWN_1, claim_suppress=True, suppress="false")
    assert forced["suppression"]["applied"] is True and forced["figures"]["subjects"] is None
    text = await get(stats, keys, "regions", csv_=True, level="village", region=TOWN_1, suppress="true")
    rows = list(csv.reader(io.StringIO(text)))
    col = rows[0].index("subjects (count)")
    assert [r[col] for r in rows[1:]] == ["", ""] and all("subjects" in r[-1].split(";") for r in rows[1:])


async def test_two_consumers_with_events_of_the_same_subjects_lose_nothing(
        stats: RunningService, databases: DatabaseFactory, backend: str) -> None:
    """One subject's events come on several topics; with several consumer instances, two batches
    may touch the same subjects at the same moment."""
    ids = [f"hh-c{i}" for i in range(40)]
    ratings = [factory.registered(s, V_11) for s in ids] + [factory.rated(s, V_11, "AA", 1) for s in ids]
    lines = [factory.line(s, V_11, "300000.00", "1000.00", 1, grade="AA") for s in ids]
    await asyncio.gather(apply(stats.db, ratings), apply(stats.db, lines))
    sequential = Database(await databases.create("stats", backend))
    try:
        await apply(sequential, ratings)
        await apply(sequential, lines)
        assert await read_model(stats.db) == await read_model(sequential)
    finally:
        await sequential.dispose()


async def test_a_kept_answer_is_given_again_only_until_events_move_the_read_model(stats: RunningService, keys: Keys) -> None:
    await apply(stats.db, factory.county_story())
    first = await get(stats, keys, "summary", region=COUNTY)
    assert await get(stats, keys, "summary", region=COUNTY) == first
    await apply(stats.db, [factory.registered("hh-new", V_12)])
    assert (await get(stats, keys, "summary", region=COUNTY))["figures"]["subjects"] == first["figures"]["subjects"] + 1
    # Another caller's scope or another format is another answer.
    officer = await get(stats, keys, "summary", role="officer", officer_region=TOWN_2, region=TOWN_2)
    assert officer["figures"]["subjects"] == 1
    assert (await get(stats, keys, "summary", csv_=True, region=COUNTY)).startswith("region,region_name,level,kind")
