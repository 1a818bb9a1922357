"""Consent (授权) is honoured by rating: a subject whose consent at registration omits ``rating``
is not rated (a ``no-consent`` problem), rounds skip it and count it, and its grade is not shown.
The subjects come from the real registry, over the real broker."""
from __future__ import annotations

from typing import Any

import pytest

from common.auth import Role
from common.broker import TansuBroker
from rating.subjects.consent import consents_to_rating
from rating.subjects.models import Subject as RatingSubject
from registry.subjects.schemas import Consent
from tests.harness import DatabaseFactory, Keys, RunningService, eventually, start_service
from tests.registry.support import TOWN_A, household, registry


def test_consent_rule() -> None:
    assert consents_to_rating(Consent(given=True, scopes=["rating", "lending"]).as_event())
    assert consents_to_rating(Consent(given=True).as_event())  # given without scopes: every use
    assert not consents_to_rating(Consent(given=True, scopes=["merchant"]).as_event())
    assert not consents_to_rating(Consent(given=False, scopes=["rating"]).as_event())
    assert not consents_to_rating(Consent().as_event())


async def consent_known(svc: RunningService, subject_id: str, expected: bool) -> bool:
    async with svc.db.transaction(write=False) as session:
        row = await session.get(RatingSubject, subject_id, populate_existing=True)
        return row is not None and row.rating_consent is expected


def no_consent(r: Any) -> bool:
    return bool(r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
                and r.json()["type"] == "no-consent" and r.json()["errors"][0]["field"] == "subject_id"
                and not {"final", "pending", "items", "grade", "score"} & set(r.json()))


@pytest.mark.broker
async def test_without_consent_to_rating_a_subject_is_not_rated_nor_shown(
        databases: DatabaseFactory, backend: str, keys: Keys, fresh_broker: TansuBroker) -> None:
    reg_url, rat_url = await databases.create("registry", backend), await databases.create("rating", backend)
    officer = keys.headers(Role.officer, region=TOWN_A)
    consents = {"rating": {"given": True, "date": "2026-03-01", "scopes": ["rating", "lending"]},
                "all": {"given": True, "date": "2026-03-01"},
                "merchant_only": {"given": True, "date": "2026-03-01", "scopes": ["merchant"]},
                "none": {"given": False}}
    async with registry(reg_url, keys, fresh_broker.bootstrap) as reg, \
            start_service("rating", rat_url, keys, bootstrap=fresh_broker.bootstrap, publication_days=0) as rat:
        ids: dict[str, str] = {}
        for seq, (name, consent) in enumerate(consents.items(), start=1):
            r = await reg.client.post("/v1/subjects", json=household(seq, consent=consent), headers=officer)
            assert r.status_code == 201, r.text
            ids[name] = r.json()["id"]
        for name, sid in ids.items():
            await eventually(lambda sid=sid, name=name: consent_known(rat, sid, name in ("rating", "all")), timeout=30)

        # One subject at a time: refused, nothing recorded.
        for name in ("merchant_only", "none"):
            r = await rat.client.post("/v1/ratings", json={"subject_id": ids[name]}, headers=officer)
            assert no_consent(r), r.text
            assert no_consent(await rat.client.get(f"/v1/subjects/{ids[name]}/grade", headers=officer))
            assert no_consent(await rat.client.get(f"/v1/subjects/{ids[name]}/ratings", headers=officer))
        assert (await rat.client.post("/v1/ratings", json={"subject_id": ids["all"]}, headers=officer)).status_code == 201

        # A round skips them and says so.
        r = await rat.client.post("/v1/rating-rounds", json={"region": TOWN_A}, headers=officer)
        assert r.status_code == 202 and r.json()["total"] == 4

        async def finished() -> dict[str, Any] | None:
            body = (await rat.client.get(f"/v1/rating-rounds/{r.json()['id']}", headers=officer)).json()
            return body if body["status"] != "running" else None

        done = await eventually(finished, timeout=30)
        assert done["status"] == "done" and done["done"] == 4
        assert done["summary"]["rated"] == 2 and done["summary"]["skipped"] == {"no_consent": 2}
        assert sum(done["summary"]["grades"].values()) == 2
        shown = await rat.client.get(f"/v1/subjects/{ids['rating']}/grade", headers=officer)
        assert shown.status_code == 200 and shown.json()["final"]["grade"]
        assert no_consent(await rat.client.get(f"/v1/subjects/{ids['merchant_only']}/grade", headers=officer))

        async def posted() -> list[str]:
            r = await rat.client.get("/v1/publications", params={"region": TOWN_A, "status": "final"}, headers=officer)
            return [i["subject_id"] for i in r.json()["items"]]

        assert sorted(await posted()) == sorted([ids["rating"], ids["all"]])

        # The household withdraws rating from its consent in the registry: its grade is no longer shown,
        # and a rating is refused; granting it again makes it ratable.
        sid = ids["rating"]
        r = await reg.client.patch(f"/v1/subjects/{sid}", headers=officer,
                                   json={"consent": {"given": True, "date": "2026-05-01", "scopes": ["lending"]}})
        assert r.status_code == 200, r.text
        await eventually(lambda: consent_known(rat, sid, False), timeout=30)
        assert no_consent(await rat.client.get(f"/v1/subjects/{sid}/grade", headers=officer))
        assert no_consent(await rat.client.post("/v1/ratings", json={"subject_id": sid}, headers=officer))
        assert await posted() == [ids["all"]]  # nor on the posted list
        r = await reg.client.patch(f"/v1/subjects/{ids['merchant_only']}", headers=officer,
                                   json={"consent": {"given": True, "date": "2026-05-01", "scopes": ["merchant", "rating"]}})
        assert r.status_code == 200, r.text
        await eventually(lambda: consent_known(rat, ids["merchant_only"], True), timeout=30)
        r = await rat.client.post("/v1/ratings", json={"subject_id": ids["merchant_only"]}, headers=officer)
        assert r.status_code == 201 and r.json()["status"] == "final"
