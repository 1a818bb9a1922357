"""The rating lifecycle over HTTP, on SQLite and PostgreSQL: a subject learnt from events is rated,
published, objected to, re-rated and finalised; a veto raised and cleared re-rates at once; bad
input is refused with problem+json and changes nothing."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from common.auth import Role
from common.db import utcnow
from common.events import validate_event
from rating.indicators.defaults import HOUSEHOLD
from rating.indicators.models import IndicatorSystem
from rating.ratings import lifecycle
from rating.ratings.lifecycle import finalise_due
from rating.ratings.models import Rating
from rating.settings import RatingSettings
from tests.harness import DatabaseFactory, Keys, RunningService, start_service
from tests.rating.helpers import GOOD, POOR, apply, civility_event, negative_event, outbox, subject_event

PROBLEM = "application/problem+json"


@pytest.fixture
async def published(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    """Rating with the real publication period (7 days)."""
    url = await databases.create("rating", backend)
    async with start_service("rating", url, keys, publication_days=7) as svc:
        yield svc


@pytest.fixture
async def instant(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    """Rating with publication 0: a grade is final at once."""
    url = await databases.create("rating", backend)
    async with start_service("rating", url, keys, publication_days=0) as svc:
        yield svc


def officer(keys: Keys) -> dict[str, str]:
    return keys.headers(Role.officer, region="341181")


async def count(svc: RunningService, model: Any) -> int:
    async with svc.db.transaction(write=False) as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_publication_then_an_upheld_objection_changes_the_outcome(published: RunningService, keys: Keys) -> None:
    svc, settings = published, published.settings
    assert isinstance(settings, RatingSettings)
    modest = {**GOOD, "annual_income": "15000.00", "agri_assets_value": "20000.00", "other_assets_value": None,
              "pboc_report_clean": None}
    await apply(svc.db, settings, subject_event("hh-obj", modest), civility_event("hh-obj", 70))
    r = await svc.client.post("/v1/ratings", json={"subject_id": "hh-obj"}, headers=officer(keys))
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["status"] == "published" and first["indicator_system_version"] == 1
    assert first["grade"] == "B", first
    assert first["publication_ends_at"] > first["published_at"]

    # Nothing is final before the publication ends.
    assert await finalise_due(svc.db, settings, utcnow()) == 0
    assert (await svc.client.get("/v1/subjects/hh-obj/grade", headers=officer(keys))).json()["final"] is None

    r = await svc.client.post(f"/v1/ratings/{first['id']}/objections",
                              json={"reason": "income was recorded from last year's drought"}, headers=officer(keys))
    assert r.status_code == 201
    objection = r.json()
    assert objection["status"] == "open"
    assert (await svc.client.get(f"/v1/ratings/{first['id']}", headers=officer(keys))).json()["disputed"] is True

    # A disputed publication does not become final when its week is over.
    assert await finalise_due(svc.db, settings, utcnow() + timedelta(days=8)) == 0

    # The registry corrects the file; the objection is upheld and the subject re-rated.
    await apply(svc.db, settings, subject_event("hh-obj", {**modest, "annual_income": "150000.00",
                                                           "other_assets_value": "400000.00",
                                                           "pboc_report_clean": True}, version=2))
    r = await svc.client.post(f"/v1/objections/{objection['id']}/answer",
                              json={"decision": "upheld", "answer": "income corrected from the tax record"},
                              headers=officer(keys))
    assert r.status_code == 200, r.text
    new_id = r.json()["new_rating_id"]
    old = (await svc.client.get(f"/v1/ratings/{first['id']}", headers=officer(keys))).json()
    new = (await svc.client.get(f"/v1/ratings/{new_id}", headers=officer(keys))).json()
    assert old["status"] == "superseded"
    assert new["status"] == "published" and new["grade"] in ("AAA", "AA", "A") and new["trigger"] == "objection"

    assert await finalise_due(svc.db, settings, utcnow() + timedelta(days=8)) == 1
    grade = (await svc.client.get("/v1/subjects/hh-obj/grade", headers=officer(keys))).json()["final"]
    assert grade["grade"] == new["grade"] and grade["version"] == 1
    events = await outbox(svc.db)
    assert [(e["subject"], e["data"]["old_grade"], e["data"]["new_grade"]) for e in events
            if e["data"]["kind"] == "household"] == [("hh-obj", None, new["grade"])]
    # Its village (one household, now a credit household) and town follow.
    assert {e["subject"]: e["data"]["credit_village"] for e in events if e["data"]["kind"] != "household"} == \
        {"village-341181100201": True, "town-341181100": True}
    for e in events:
        validate_event(e)


async def test_a_rejected_objection_keeps_the_grade_with_the_reason(published: RunningService, keys: Keys) -> None:
    svc = published
    await apply(svc.db, svc.settings, subject_event("hh-rej", GOOD))  # type: ignore[arg-type]
    rating = (await svc.client.post("/v1/ratings", json={"subject_id": "hh-rej"}, headers=officer(keys))).json()
    objection = (await svc.client.post(f"/v1/ratings/{rating['id']}/objections", json={"reason": "too low"},
                                       headers=officer(keys))).json()
    listed = (await svc.client.get("/v1/objections", headers=officer(keys))).json()["items"]
    assert [o["id"] for o in listed] == [objection["id"]]
    r = await svc.client.post(f"/v1/objections/{objection['id']}/answer",
                              json={"decision": "rejected", "answer": "the file was checked twice"}, headers=officer(keys))
    assert r.json()["status"] == "rejected" and r.json()["answer"] == "the file was checked twice"
    again = await svc.client.post(f"/v1/objections/{objection['id']}/answer",
                                  json={"decision": "upheld", "answer": "changed my mind"}, headers=officer(keys))
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    assert await finalise_due(svc.db, svc.settings, utcnow() + timedelta(days=8)) == 1  # type: ignore[arg-type]
    final = (await svc.client.get("/v1/subjects/hh-rej/grade", headers=officer(keys))).json()["final"]
    assert final["grade"] == rating["grade"]


async def test_a_veto_raised_then_cleared_re_rates_at_once(published: RunningService, keys: Keys) -> None:
    svc, settings = published, published.settings
    await apply(svc.db, settings, subject_event("hh-veto", GOOD), civility_event("hh-veto", 95))  # type: ignore[arg-type]
    rating = (await svc.client.post("/v1/ratings", json={"subject_id": "hh-veto"}, headers=officer(keys))).json()
    await finalise_due(svc.db, settings, utcnow() + timedelta(days=8))  # type: ignore[arg-type]
    assert rating["grade"] == "AAA"

    await apply(svc.db, settings, negative_event("hh-veto", "neg-1", "raised", 1))  # type: ignore[arg-type]
    grade = (await svc.client.get("/v1/subjects/hh-veto/grade", headers=officer(keys))).json()["final"]
    assert grade["grade"] == "D" and grade["vetoed"] is True and "dishonest_judgment_debtor" in grade["reason"]

    # A stale replay of the raise changes nothing; the clearing restores the grade at once.
    await apply(svc.db, settings, negative_event("hh-veto", "neg-1", "raised", 1))  # type: ignore[arg-type]
    await apply(svc.db, settings, negative_event("hh-veto", "neg-1", "cleared", 2))  # type: ignore[arg-type]
    grade = (await svc.client.get("/v1/subjects/hh-veto/grade", headers=officer(keys))).json()["final"]
    assert grade["grade"] == "AAA" and grade["vetoed"] is False and grade["version"] == 3

    changes = [(e["data"]["old_grade"], e["data"]["new_grade"], e["data"]["version"], e["data"]["vetoed"])
               for e in await outbox(svc.db) if e["data"]["kind"] == "household"]
    assert changes == [(None, "AAA", 1, False), ("AAA", "D", 2, True), ("D", "AAA", 3, False)]


async def test_a_civility_veto_item_re_rates_at_once(instant: RunningService, keys: Keys) -> None:
    svc = instant
    await apply(svc.db, svc.settings, subject_event("hh-cv", GOOD), civility_event("hh-cv", 90))  # type: ignore[arg-type]
    assert (await svc.client.post("/v1/ratings", json={"subject_id": "hh-cv"}, headers=officer(keys))).json()["status"] == "final"
    await apply(svc.db, svc.settings, civility_event("hh-cv", 90, version=2, veto_items=["illegal_petitioning"]))  # type: ignore[arg-type]
    grade = (await svc.client.get("/v1/subjects/hh-cv/grade", headers=officer(keys))).json()["final"]
    assert grade["grade"] == "D" and "illegal_petitioning" in grade["reason"]


async def test_bad_input_is_refused_with_problem_json_and_changes_nothing(instant: RunningService, keys: Keys) -> None:
    svc = instant
    admin = keys.headers(Role.admin)
    before = (await count(svc, IndicatorSystem), await count(svc, Rating))

    r = await svc.client.post("/v1/ratings", json={"subject_id": "nobody"}, headers=officer(keys))
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert r.json()["errors"][0]["field"] == "subject_id"

    overlapping: dict[str, Any] = {**HOUSEHOLD, "indicators": [dict(i) for i in HOUSEHOLD["indicators"]]}  # type: ignore[attr-defined]
    overlapping["indicators"][0]["rule"] = {"type": "bands", "direction": "higher_better", "bands": [
        {"min": None, "max": "2", "share": "0.2"}, {"min": "1", "max": None, "share": "1"}]}
    r = await svc.client.post("/v1/indicator-systems", json=overlapping, headers=admin)
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert r.json()["errors"][0]["field"] == "indicators[0].rule.bands[1].min"

    gap: dict[str, Any] = {**HOUSEHOLD, "grade_bands": [*HOUSEHOLD["grade_bands"][:5], {"grade": "D", "min": "0", "max": "45"}]}  # type: ignore[index]
    r = await svc.client.post("/v1/indicator-systems", json=gap, headers=admin)
    assert r.status_code == 422 and any(e["field"].startswith("grade_bands") and "gap" in e["message"]
                                        for e in r.json()["errors"])

    light: dict[str, Any] = {**HOUSEHOLD, "indicators": [dict(i) for i in HOUSEHOLD["indicators"]]}  # type: ignore[attr-defined]
    light["indicators"][0]["weight"] = "1"
    r = await svc.client.post("/v1/indicator-systems", json=light, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "indicators"
    assert "add up to 96" in r.json()["errors"][0]["message"]

    r = await svc.client.post("/v1/indicator-systems", json={**HOUSEHOLD, "kind": "spaceship"}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kind"
    r = await svc.client.post("/v1/indicator-systems", json=HOUSEHOLD, headers=officer(keys))
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM

    assert (await count(svc, IndicatorSystem), await count(svc, Rating)) == before
    assert await outbox(svc.db) == []


async def test_an_admin_publishes_a_new_indicator_version_and_ratings_record_it(instant: RunningService, keys: Keys) -> None:
    svc = instant
    strict = {**HOUSEHOLD, "note": "stricter bands", "grade_bands": [
        {"grade": "AAA", "min": "95", "max": "100"}, {"grade": "AA", "min": "90", "max": "95"},
        {"grade": "A", "min": "80", "max": "90"}, {"grade": "B", "min": "60", "max": "80"},
        {"grade": "C", "min": "50", "max": "60"}, {"grade": "D", "min": "0", "max": "50"}]}
    r = await svc.client.post("/v1/indicator-systems", json=strict, headers=keys.headers(Role.admin))
    assert r.status_code == 201 and r.json()["version"] == 2
    current = (await svc.client.get("/v1/indicator-systems/household/current", headers=officer(keys))).json()
    assert current["version"] == 2 and current["grade_bands"][0]["min"] == "95"
    await apply(svc.db, svc.settings, subject_event("hh-v2", {**GOOD, "max_education": "none"}),  # type: ignore[arg-type]
                civility_event("hh-v2", 85))  # 93.40: AAA under v1, AA under v2
    rating = (await svc.client.post("/v1/ratings", json={"subject_id": "hh-v2"}, headers=officer(keys))).json()
    assert rating["indicator_system_version"] == 2 and rating["grade"] == "AA", rating


async def test_an_officer_cannot_rate_outside_its_region(instant: RunningService, keys: Keys) -> None:
    await apply(instant.db, instant.settings, subject_event("hh-far", GOOD))  # type: ignore[arg-type]
    r = await instant.client.post("/v1/ratings", json={"subject_id": "hh-far"},
                                  headers=keys.headers(Role.officer, region="341182"))
    assert r.status_code == 404 and await count(instant, Rating) == 0  # outside the region: as if unknown


async def test_the_admin_endpoint_finalises_publications_that_have_ended(
        databases: DatabaseFactory, backend: str, keys: Keys) -> None:
    import asyncio

    url = await databases.create("rating", backend)
    # A publication of about 0.3 s, so it ends within the test.
    async with start_service("rating", url, keys, publication_days=0.3 / 86400) as svc:
        await apply(svc.db, svc.settings, subject_event("hh-fin", GOOD))  # type: ignore[arg-type]
        rating = (await svc.client.post("/v1/ratings", json={"subject_id": "hh-fin"}, headers=officer(keys))).json()
        assert rating["status"] == "published"
        assert (await svc.client.post("/v1/publications:finalise", headers=officer(keys))).status_code == 403
        await asyncio.sleep(0.4)
        r = await svc.client.post("/v1/publications:finalise", headers=keys.headers(Role.admin))
        assert r.status_code == 200 and r.json() == {"finalised": 1}
        final = (await svc.client.get("/v1/subjects/hh-fin/grade", headers=officer(keys))).json()
        assert final["final"]["rating_id"] == rating["id"] and final["pending"] is None
        assert (await svc.client.post("/v1/publications:finalise", headers=keys.headers(Role.admin))).json() == {"finalised": 0}


async def test_concurrent_ratings_of_one_subject_leave_one_open_rating(published: RunningService, keys: Keys) -> None:
    import asyncio

    svc = published
    await apply(svc.db, svc.settings, subject_event("hh-race", GOOD))  # type: ignore[arg-type]
    replies = await asyncio.gather(*[svc.client.post("/v1/ratings", json={"subject_id": "hh-race"}, headers=officer(keys))
                                     for _ in range(4)])
    assert [r.status_code for r in replies] == [201] * 4
    history = (await svc.client.get("/v1/subjects/hh-race/ratings", headers=officer(keys))).json()["items"]
    assert len(history) == 4
    assert sorted(r["status"] for r in history) == ["published", "superseded", "superseded", "superseded"]


async def test_one_consumer_batch_with_several_events_of_a_subject_sees_each_change(
        instant: RunningService, keys: Keys) -> None:
    from rating.subjects.handlers import make_handlers

    svc = instant
    handlers = make_handlers(svc.settings)  # type: ignore[arg-type]
    await apply(svc.db, svc.settings, subject_event("hh-batch", POOR))  # type: ignore[arg-type]
    await svc.client.post("/v1/ratings", json={"subject_id": "hh-batch"}, headers=officer(keys))
    batch = [subject_event("hh-batch", GOOD, version=2), civility_event("hh-batch", 95),
             negative_event("hh-batch", "n-1", "raised", 1), negative_event("hh-batch", "n-1", "cleared", 2)]
    async with svc.db.transaction() as session:  # as the consumer applies a batch: one transaction
        for event in batch:
            await handlers[event.type](session, event)
    final = (await svc.client.get("/v1/subjects/hh-batch/grade", headers=officer(keys))).json()["final"]
    assert final["grade"] == "AAA" and final["vetoed"] is False


async def two_published(svc: RunningService, keys: Keys) -> list[dict[str, Any]]:
    settings = svc.settings
    assert isinstance(settings, RatingSettings)
    published = []
    for subject in ("hh-fin-1", "hh-fin-2"):
        await apply(svc.db, settings, subject_event(subject, GOOD), civility_event(subject, 90))
        r = await svc.client.post("/v1/ratings", json={"subject_id": subject}, headers=officer(keys))
        assert r.status_code == 201, r.text
        published.append(r.json())
    return published


async def test_a_chunk_worked_out_before_a_dispute_or_a_re_rating_is_never_written(
        published: RunningService, keys: Keys) -> None:
    """Finalisation works a chunk out before it takes the write lock; under the lock it writes only
    if every rating is still due and every subject still at the version it assumed."""
    from rating.ratings import lifecycle
    from rating.ratings import repository as repo

    svc, settings = published, published.settings
    assert isinstance(settings, RatingSettings)
    first, _ = await two_published(svc, keys)
    later = utcnow() + timedelta(days=8)

    async def plan() -> lifecycle.FinalisationPlan:
        async with svc.db.transaction(write=False) as session:
            rows = await repo.due(session, later, 100)
            current = await repo.current(session, [r.subject_id for r in rows], lock=False, columns=["grade", "version"])
        return lifecycle.plan_finalisation(rows, current, later)

    before_dispute = await plan()
    r = await svc.client.post(f"/v1/ratings/{first['id']}/objections", json={"reason": "the income is last year's"},
                              headers=officer(keys))
    assert r.status_code == 201
    with pytest.raises(lifecycle.PlanOvertaken):
        async with svc.db.transaction() as session:
            await lifecycle.claim(session, before_dispute, later)
    assert await finalise_due(svc.db, settings, later) == 1  # the undisputed one only
    with pytest.raises(lifecycle.PlanOvertaken):  # hh-fin-2 is now at version 1, not without a grade
        async with svc.db.transaction() as session:
            await lifecycle.claim(session, before_dispute, later)
    grades = (await svc.client.get("/v1/subjects/hh-fin-2/grade", headers=officer(keys))).json()
    assert grades["final"]["version"] == 1
    assert [e["subject"] for e in await outbox(svc.db) if e["data"]["kind"] == "household"] == ["hh-fin-2"]


async def test_a_chunk_overtaken_under_the_lock_is_done_again_the_plain_way(
        published: RunningService, keys: Keys, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the claim fails (a veto re-rated a subject of the chunk meanwhile), the chunk is finalised
    again under the lock: every rating once, one event each, versions counted from what is current."""
    from rating.ratings import lifecycle

    svc, settings = published, published.settings
    assert isinstance(settings, RatingSettings)
    await two_published(svc, keys)
    real_claim, calls = lifecycle.claim, []

    async def overtaken(session: Any, plan: lifecycle.FinalisationPlan, now: Any) -> None:
        calls.append(len(plan.rating_ids))
        raise lifecycle.PlanOvertaken

    monkeypatch.setattr(lifecycle, "claim", overtaken)
    assert await finalise_due(svc.db, settings, utcnow() + timedelta(days=8)) == 2
    monkeypatch.setattr(lifecycle, "claim", real_claim)
    assert calls == [2]
    sent = [e for e in await outbox(svc.db) if e["data"]["kind"] == "household"]
    assert sorted(e["subject"] for e in sent) == ["hh-fin-1", "hh-fin-2"]
    assert all(e["data"]["version"] == 1 for e in sent)
    assert await finalise_due(svc.db, settings, utcnow() + timedelta(days=8)) == 0


def test_a_chunk_is_written_in_slices_that_together_are_the_chunk() -> None:
    """A chunk worked out ahead is written a slice (a transaction) at a time: each slice carries
    exactly its ratings' subjects' rows, assumed versions and events, and the slices in order are
    the chunk."""
    now = utcnow()
    rows = [SimpleNamespace(id=100 + i, subject_id=f"hh-s{i}", kind="household", county="341181", town="341181100",
                            village=f"v{i % 2}", grade="AA" if i % 3 else "B", score=80, vetoed=False,
                            reasons=[], trigger="round", indicator_system_version=1) for i in range(7)]
    current = {f"hh-s{i}": lifecycle.GradeVersion("AA", 3) for i in range(7) if i % 2}
    plan = lifecycle.plan_finalisation(rows, current, now)
    parts = lifecycle.slices(plan, 3)
    assert [p.rating_ids for p in parts] == [[100, 101, 102], [103, 104, 105], [106]]
    assert [e.subject for p in parts for e in p.events] == [e.subject for e in plan.events]
    for part in parts:
        mine = set(part.subject_ids)
        assert [e.subject for e in part.events] == part.subject_ids
        assert part.assumed_versions == {s: plan.assumed_versions[s] for s in part.subject_ids}
        assert {r["subject_id"] for r in part.inserts + part.updates} == mine
        assert len(part.inserts) + len(part.updates) == len(part.rating_ids)
        assert all(r["version"] == 4 for r in part.updates) and all(r["version"] == 1 for r in part.inserts)
    assert sum(len(p.updates) for p in parts) == 3 and parts[0].villages == plan.villages == {"v0", "v1"}
