"""Credit lines kept current from rating-changed (DESIGN.md, "What a grade change does"): raised,
cut, frozen, unfrozen, kept as history and published; a replayed or stale event changes nothing."""
from __future__ import annotations

from common.auth import Role
from tests.harness import Keys, RunningService, eventually
from tests.lending.conftest import apply, bank, outbox, rating_changed


async def line(svc: RunningService, keys: Keys, subject: str) -> dict[str, object]:
    r = await svc.client.get(f"/v1/credit-lines/{subject}", headers=bank(keys, "rcb"))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_grade_changes_drive_the_line(lending: RunningService, keys: Keys) -> None:
    await apply(lending, rating_changed("hh-1", "A", 1))
    first = await line(lending, keys, "hh-1")
    assert (first["status"], first["line_amount"], first["max_rate"]) == ("active", "100000.00", "4.83")
    await apply(lending, rating_changed("hh-1", "AAA", 2, old_grade="A"))
    up = await line(lending, keys, "hh-1")
    assert (up["line_amount"], up["max_markup"], up["max_rate"]) == ("500000.00", "0.2", "4.14")
    await apply(lending, rating_changed("hh-1", "AA", 3, old_grade="AAA"))
    assert (await line(lending, keys, "hh-1"))["line_amount"] == "300000.00"
    await apply(lending, rating_changed("hh-1", "B", 4, old_grade="AA"))
    frozen = await line(lending, keys, "hh-1")
    assert (frozen["status"], frozen["available"], frozen["max_rate"]) == ("frozen", "0.00", None)
    await apply(lending, rating_changed("hh-1", "AA", 5, old_grade="B"))
    back = await line(lending, keys, "hh-1")
    assert (back["status"], back["line_amount"], back["available"]) == ("active", "300000.00", "300000.00")

    history = (await lending.client.get("/v1/credit-lines/hh-1/history", headers=keys.headers(Role.admin))).json()
    assert [h["change"] for h in history] == ["granted", "raised", "cut", "frozen", "unfrozen"]
    published = await outbox(lending, "credit-line-changed")
    assert [e["data"]["change"] for e in published] == ["granted", "raised", "cut", "frozen", "unfrozen"]
    assert [e["data"]["version"] for e in published] == [1, 2, 3, 4, 5]
    assert published[3]["data"]["status"] == "frozen" and published[1]["data"]["line_amount"] == "500000.00"


async def test_replayed_or_stale_events_change_nothing(lending: RunningService, keys: Keys) -> None:
    await apply(lending, rating_changed("hh-2", "AAA", 1))
    await apply(lending, rating_changed("hh-2", "B", 3, old_grade="AAA"))
    await apply(lending, rating_changed("hh-2", "AA", 2, old_grade="AAA"))  # older than what was applied
    await apply(lending, rating_changed("hh-2", "B", 3, old_grade="AAA"))  # the same version again
    now = await line(lending, keys, "hh-2")
    assert now["status"] == "frozen" and now["version"] == 2
    assert len(await outbox(lending, "credit-line-changed")) == 2


async def test_veto_freezes_and_kinds_get_their_own_lines(lending: RunningService, keys: Keys) -> None:
    await apply(lending, rating_changed("hh-3", "AAA", 1))
    await apply(lending, rating_changed("hh-3", "AAA", 2, old_grade="AAA", vetoed=True))
    assert (await line(lending, keys, "hh-3"))["status"] == "frozen"
    await apply(lending, rating_changed("coop-1", "AA", 1, kind="new_entity"))
    await apply(lending, rating_changed("coll-1", "AAA", 1, kind="collective"))
    assert (await line(lending, keys, "coop-1"))["line_amount"] == "1000000.00"
    assert (await line(lending, keys, "coll-1"))["line_amount"] == "2000000.00"
    await apply(lending, rating_changed("341181100201", "AAA", 1, kind="village"))
    r = await lending.client.get("/v1/credit-lines/341181100201", headers=bank(keys, "rcb"))
    assert r.status_code == 404 and r.json()["type"] == "unknown-subject"
    await apply(lending, rating_changed("hh-4", "C", 1))
    assert (await line(lending, keys, "hh-4"))["status"] == "none"


async def test_whole_village_listing_and_disclosures_are_logged(lending: RunningService, keys: Keys) -> None:
    for i in range(5):
        await apply(lending, rating_changed(f"v1-{i}", ["A", "AA", "AAA", "B", "AA"][i], 1))
    await apply(lending, rating_changed("v2-0", "AAA", 1, village="341181100202"))
    r = await lending.client.get("/v1/villages/341181100201/credit-lines?limit=3", headers=bank(keys, "abc"))
    assert r.status_code == 200
    page = r.json()
    assert [i["subject_id"] for i in page["items"]] == ["v1-0", "v1-1", "v1-2"] and page["next_after"] == "v1-2"
    rest = (await lending.client.get("/v1/villages/341181100201/credit-lines?after=v1-2",
                                     headers=bank(keys, "abc"))).json()
    assert [(i["subject_id"], i["status"]) for i in rest["items"]] == [("v1-3", "none"), ("v1-4", "active")]

    async def logged() -> list[dict[str, object]]:
        r = await lending.client.get("/v1/disclosures?bank_id=abc", headers=keys.headers(Role.admin))
        return r.json() if len(r.json()) == 5 else []  # type: ignore[no-any-return]

    entries = await eventually(logged)
    assert {e["subject_id"] for e in entries} == {f"v1-{i}" for i in range(5)}
    assert all(e["channel"] == "village-list" and e["purpose"] == "whole-village-credit" for e in entries)
    # An officer sees only its own region.
    officer = keys.headers(Role.officer, region="341181100202")
    assert (await lending.client.get("/v1/villages/341181100201/credit-lines", headers=officer)).status_code == 403
    assert (await lending.client.get("/v1/credit-lines/v2-0", headers=officer)).status_code == 200
    assert (await lending.client.get("/v1/credit-lines/v1-0", headers=officer)).status_code == 404  # outside the region: as if unknown (docs/security.md)


async def test_the_hot_read_checks_its_caller_and_query_like_every_route(lending: RunningService, keys: Keys) -> None:
    """The credit line is served without FastAPI's dependency machinery: it still refuses a missing
    or wrong-role token, names an over-long purpose, and documents both parameters."""
    await apply(lending, rating_changed("hh-9", "AA", 1))
    assert (await lending.client.get("/v1/credit-lines/hh-9")).status_code == 401
    r = await lending.client.get("/v1/credit-lines/hh-9", headers=keys.headers(Role.merchant, merchant_id="m-1"))
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    r = await lending.client.get("/v1/credit-lines/hh-9", params={"purpose": "x" * 121}, headers=bank(keys, "rcb"))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == ["query.purpose"]
    r = await lending.client.get("/v1/credit-lines/hh-9", params={"purpose": "x" * 120}, headers=bank(keys, "rcb"))
    assert r.status_code == 200 and r.json()["grade"] == "AA"
    operation = (await lending.client.get("/openapi.json")).json()["paths"]["/v1/credit-lines/{subject_id}"]["get"]
    assert {(p["name"], p["in"]) for p in operation["parameters"]} == {("subject_id", "path"), ("purpose", "query")}
