"""Civility evaluations (record → review by someone else → publish) and negative-list records
(raise, clear): results, versions and events."""
from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
import pytest

from common.auth import Role
from common.events import validate_event
from registry.civility.default_catalogue import default_items
from registry.civility.scoring import UnknownItem, score
from tests.harness import DatabaseFactory, Keys, RunningService
from tests.registry.support import TOWN_A, household, outbox, registry


@pytest.fixture
async def svc(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    async with registry(await databases.create("registry", backend), keys) as s:
        yield s


def officer(keys: Keys, sub: str) -> dict[str, str]:
    return keys.headers(Role.officer, region=TOWN_A, sub=sub)


def test_scoring_adds_points_by_aspect_and_any_veto_item_vetoes() -> None:
    items = default_items()
    result = score(items, [("P101", 1), ("P102", 2), ("N601", 1)])
    assert (result.positive_points, result.negative_points, result.points) == (11, -5, 6)
    assert result.aspects == {"filial_care": 11, "customs_reform": -5} and not result.veto
    vetoed = score(items, [("P101", 1), ("V01", 1), ("V01", 1)])
    assert vetoed.veto and vetoed.veto_items == ["V01"] and vetoed.points == 5
    with pytest.raises(UnknownItem):
        score(items, [("P101", 1), ("ZZZ", 1)])


async def test_default_catalogue_is_shipped(svc: RunningService, keys: Keys) -> None:
    cat = (await svc.client.get("/v1/civility/catalogue", headers=officer(keys, "a"))).json()
    assert cat["version"] == 1
    kinds = [i["kind"] for i in cat["items"]]
    assert kinds.count("positive") + kinds.count("negative") == 66 and kinds.count("veto") == 9
    assert len({i["aspect"] for i in cat["items"] if i["kind"] != "veto"}) == 8
    new = await svc.client.post("/v1/civility/catalogues", json={"title": "2027 rules", "items": [
        {"code": "P1", "aspect": "filial_care", "kind": "positive", "points": 4, "title": "t"}]},
        headers=keys.headers(Role.admin))
    assert new.status_code == 201 and new.json()["version"] == 2
    assert cat["base"] == 80 and new.json()["base"] == 80, "the registry's civility_base by default"
    own = await svc.client.post("/v1/civility/catalogues", json={"title": "2028 rules", "base": 70, "items": [
        {"code": "P1", "aspect": "filial_care", "kind": "positive", "points": 4, "title": "t"}]},
        headers=keys.headers(Role.admin))
    assert own.status_code == 201 and (own.json()["version"], own.json()["base"]) == (3, 70)
    assert (await svc.client.post("/v1/civility/catalogues", json={"title": "x", "items": []},
                                  headers=officer(keys, "a"))).status_code == 403


async def test_evaluation_is_recorded_reviewed_by_another_then_published(svc: RunningService, keys: Keys) -> None:
    sid = (await svc.client.post("/v1/subjects", json=household(1), headers=officer(keys, "a"))).json()["id"]
    r = await svc.client.post("/v1/civility/evaluations", headers=officer(keys, "a"), json={
        "subject_id": sid, "evaluated_on": "2026-11-20", "evaluators": ["评议组 1"],
        "items": [{"code": "P101", "times": 1}, {"code": "N601", "times": 1}]})
    assert r.status_code == 201, r.text
    ev = r.json()
    assert (ev["status"], ev["points"], ev["veto"], ev["catalogue_version"]) == ("recorded", 0, False, 1)
    assert (ev["base"], ev["score"]) == (80, 80), "5 points of praise and 5 of blame leave the base"
    bad = await svc.client.post("/v1/civility/evaluations", headers=officer(keys, "a"), json={
        "subject_id": sid, "evaluated_on": "2026-11-20", "evaluators": ["x"], "items": [{"code": "NOPE"}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "items[0].code"

    early = await svc.client.post(f"/v1/civility/evaluations/{ev['id']}/publish", headers=officer(keys, "b"))
    assert early.status_code == 409
    same = await svc.client.post(f"/v1/civility/evaluations/{ev['id']}/review", json={"approved": True},
                                 headers=officer(keys, "a"))
    assert same.status_code == 409 and same.json()["type"] == "four-eyes"
    reviewed = await svc.client.post(f"/v1/civility/evaluations/{ev['id']}/review", json={"approved": True},
                                     headers=officer(keys, "b"))
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "reviewed"
    assert await outbox(svc, "civility-evaluated") == []
    published = await svc.client.post(f"/v1/civility/evaluations/{ev['id']}/publish", headers=officer(keys, "b"))
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert published.json()["subject_version"] == 2
    again = await svc.client.post(f"/v1/civility/evaluations/{ev['id']}/publish", headers=officer(keys, "b"))
    assert again.status_code == 409

    [row] = await outbox(svc, "civility-evaluated")
    event = orjson.loads(row.payload)
    validate_event(event)
    assert event["data"] | {"published_at": None} == {
        "subject_id": sid, "evaluation_id": ev["id"], "catalogue_version": 1, "score": 80, "base": 80,
        "positive_points": 5,
        "negative_points": -5, "veto": False, "veto_items": [], "aspects": {"filial_care": 5, "customs_reform": -5},
        "version": 2, "published_at": None}
    subject = (await svc.client.get(f"/v1/subjects/{sid}", headers=officer(keys, "a"))).json()
    assert subject["version"] == 2
    outside = keys.headers(Role.officer, region="341181101")
    assert (await svc.client.get(f"/v1/civility/evaluations/{ev['id']}", headers=outside)).status_code == 404


async def test_negative_record_raised_and_cleared_lifts_the_veto(svc: RunningService, keys: Keys) -> None:
    sid = (await svc.client.post("/v1/subjects", json=household(1), headers=officer(keys, "a"))).json()["id"]
    admin = keys.headers(Role.admin)
    bad = await svc.client.post("/v1/negative-records", headers=admin, json={
        "subject_id": sid, "agency": "court", "record_kind": "dishonest_judgment_debtor", "effective_from": "2026-05-01",
        "expires_on": "2025-01-01", "evidence_ref": "(2026)皖1181执123号"})
    assert bad.status_code == 422
    r = await svc.client.post("/v1/negative-records", headers=admin, json={
        "subject_id": sid, "agency": "court", "record_kind": "dishonest_judgment_debtor", "effective_from": "2026-05-01",
        "expires_on": "2029-05-01", "evidence_ref": "(2026)皖1181执123号"})
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["status"] == "raised" and rec["veto"] is True
    asked = await svc.client.post(f"/v1/negative-records/{rec['id']}/clear", headers=admin,
                                  json={"cleared_on": "2026-11-01", "reason": "judgment fulfilled, repaid"})
    assert asked.status_code == 200 and asked.json()["status"] == "raised", asked.text
    # A second person confirms (four eyes); see tests/security/test_identity_four_eyes.py.
    cleared = await svc.client.post(f"/v1/negative-records/{rec['id']}/clear-review", headers=officer(keys, "a"),
                                    json={"approved": True})
    assert cleared.status_code == 200 and cleared.json()["status"] == "cleared", cleared.text
    assert cleared.json()["clear_reason"] == "judgment fulfilled, repaid"
    twice = await svc.client.post(f"/v1/negative-records/{rec['id']}/clear", headers=admin,
                                  json={"cleared_on": "2026-11-01", "reason": "again"})
    assert twice.status_code == 409

    rows = await outbox(svc, "negative-record-changed")
    data = [orjson.loads(r.payload)["data"] for r in rows]
    for r in rows:
        validate_event(orjson.loads(r.payload))
    assert [(d["status"], d["veto"], d["version"]) for d in data] == [("raised", True, 2), ("cleared", False, 3)]
    assert data[0]["record_kind"] == "dishonest_judgment_debtor" and data[0]["expires_on"] == "2029-05-01"
    listed = (await svc.client.get("/v1/negative-records", params={"subject_id": sid}, headers=officer(keys, "a"))).json()
    assert [x["status"] for x in listed] == ["cleared"]
    history = (await svc.client.get(f"/v1/subjects/{sid}/changes", headers=admin)).json()
    assert [h["action"] for h in history] == ["registered", "negative-raised", "negative-cleared"]
