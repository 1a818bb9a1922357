"""Credit villages and towns, credit points with expiry and rankings, pairing, and a rating round
over a region, on SQLite and PostgreSQL."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest

from common.auth import Role
from common.db import utcnow
from common.events import apply_events
from rating.subjects.handlers import make_handlers
from tests.harness import DatabaseFactory, Keys, RunningService, eventually, start_service
from tests.rating.helpers import (
    GOOD,
    POOR,
    VILLAGE,
    apply,
    civility_event,
    loan_defaulted,
    loan_recorded,
    outbox,
    subject_event,
)

VILLAGE_B = "341181100202"


@pytest.fixture
async def svc(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    url = await databases.create("rating", backend)
    async with start_service("rating", url, keys, publication_days=0) as running:
        yield running


def officer(keys: Keys) -> dict[str, str]:
    return keys.headers(Role.officer, region="341181")


async def rate(svc: RunningService, keys: Keys, subject_id: str) -> dict[str, object]:
    r = await svc.client.post("/v1/ratings", json={"subject_id": subject_id}, headers=officer(keys))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_a_village_crossing_the_credit_village_line(svc: RunningService, keys: Keys) -> None:
    # Ten households: 6 good and 4 poor (60 % < 70 %): not a credit village, nor a credit town.
    ids = [f"hh-v{i}" for i in range(10)]
    await apply(svc.db, svc.settings, *[subject_event(s, GOOD if i < 6 else POOR) for i, s in enumerate(ids)],  # type: ignore[arg-type]
                *[civility_event(s, 90) for s in ids])
    for s in ids:
        await rate(svc, keys, s)
    village = (await svc.client.get(f"/v1/villages/{VILLAGE}", headers=officer(keys))).json()
    assert village["credit_village"] is False and village["grade"] == "B"
    assert village["metrics"]["households"] == 10 and village["metrics"]["credit_households"] == 6
    assert (await svc.client.get("/v1/towns/341181100", headers=officer(keys))).json()["credit_village"] is False

    # One poor household improves its file and is re-rated: 70 % — the village crosses the line.
    await apply(svc.db, svc.settings, subject_event("hh-v6", GOOD, version=2))  # type: ignore[arg-type]
    await rate(svc, keys, "hh-v6")
    village = (await svc.client.get(f"/v1/villages/{VILLAGE}", headers=officer(keys))).json()
    assert village["credit_village"] is True and village["grade"] == "A"
    town = (await svc.client.get("/v1/towns/341181100", headers=officer(keys))).json()
    assert town["credit_village"] is True  # its only village is a credit village

    levels = [(e["subject"], e["data"]["kind"], e["data"]["old_grade"], e["data"]["new_grade"], e["data"]["credit_village"],
               e["data"]["version"]) for e in await outbox(svc.db) if e["data"]["kind"] in ("village", "town")]
    assert levels[-2:] == [("village-341181100201", "village", "B", "A", True, levels[-2][5]),
                           ("town-341181100", "town", "D", "AAA", True, 2)]
    assert levels[-2][5] > 1, "the village's version rises with each change"

    # Defaults push the non-performing share over 5 %: the village falls back below the line.
    for i, s in enumerate(ids[:3]):
        await apply(svc.db, svc.settings, loan_recorded(s, f"loan-{i}"))  # type: ignore[arg-type]
    await apply(svc.db, svc.settings, loan_defaulted("hh-v0", "loan-0", "50000.00"))  # type: ignore[arg-type]
    village = (await svc.client.get(f"/v1/villages/{VILLAGE}", headers=officer(keys))).json()
    assert village["credit_village"] is False and "non-performing" in village["reason"]


async def test_a_consumer_batch_of_loans_counts_each_borrower_once_and_keeps_known_loans(
        svc: RunningService, keys: Keys) -> None:
    ids = [f"hh-b{i}" for i in range(4)]
    await apply(svc.db, svc.settings, *[subject_event(s, GOOD) for s in ids],  # type: ignore[arg-type]
                *[civility_event(s, 90) for s in ids])
    for s in ids:
        await rate(svc, keys, s)
    await apply(svc.db, svc.settings, loan_recorded(ids[0], "loan-b0"),  # type: ignore[arg-type]
                loan_defaulted(ids[0], "loan-b0", "50000.00"))
    # One poll: a loan rating already keeps (defaulted), a loan told twice, and a new one.
    batch = [loan_recorded(ids[0], "loan-b0"), loan_recorded(ids[1], "loan-b1"), loan_recorded(ids[1], "loan-b1"),
             loan_recorded(ids[2], "loan-b2")]
    async with svc.db.transaction() as session:  # as the consumer applies a poll: one transaction
        await apply_events(make_handlers(svc.settings)["loan-recorded"], session, batch)  # type: ignore[arg-type]
    metrics = (await svc.client.get(f"/v1/villages/{VILLAGE}", headers=officer(keys))).json()["metrics"]
    assert metrics["borrowers"] == 3 and metrics["borrowers_in_arrears"] == 1, metrics
    assert Decimal(metrics["npl_share"]) > 0, "the known loan stays defaulted"


async def test_a_registered_village_subject_carries_the_village_rating(svc: RunningService, keys: Keys) -> None:
    await apply(svc.db, svc.settings, subject_event("hh-x", GOOD, village=VILLAGE_B))  # type: ignore[arg-type]
    await rate(svc, keys, "hh-x")
    assert (await svc.client.get(f"/v1/villages/{VILLAGE_B}", headers=officer(keys))).json()["subject_id"] == f"village-{VILLAGE_B}"
    await apply(svc.db, svc.settings, subject_event("vil-202", {"households_count": 1}, kind="village", village=VILLAGE_B))  # type: ignore[arg-type]
    r = await svc.client.post(f"/v1/villages/{VILLAGE_B}/recompute", headers=officer(keys))
    assert r.status_code == 200 and r.json()["subject_id"] == "vil-202" and r.json()["credit_village"] is True
    town = (await svc.client.get("/v1/towns/341181100", headers=officer(keys))).json()
    assert town["metrics"]["villages"] == 1, "the village is counted once, under its registry id"


async def test_points_expire_and_rank_and_serious_items_drop_the_grade(svc: RunningService, keys: Keys) -> None:
    await apply(svc.db, svc.settings, subject_event("hh-p1", GOOD), subject_event("hh-p2", GOOD),  # type: ignore[arg-type]
                civility_event("hh-p1", 95), civility_event("hh-p2", 95))
    assert (await rate(svc, keys, "hh-p1"))["grade"] == "AAA"
    r = await svc.client.post("/v1/points", json={"subject_id": "hh-p1", "points": 50, "reason": "cancelled a lavish banquet",
                                                  "valid_years": 1}, headers=officer(keys))
    assert r.status_code == 201 and r.json()["author"].startswith("officer:")
    await svc.client.post("/v1/points", json={"subject_id": "hh-p2", "points": 20, "reason": "helped neighbours",
                                              "valid_years": 3}, headers=officer(keys))
    now = utcnow()
    balance = (await svc.client.get("/v1/subjects/hh-p1/points", headers=officer(keys))).json()
    assert balance["balance"] == 1050
    later = (now + timedelta(days=400)).isoformat()
    expired = (await svc.client.get("/v1/subjects/hh-p1/points", params={"as_of": later}, headers=officer(keys))).json()
    assert expired["balance"] == 1000 and expired["entries"][0]["active"] is False

    ranks = (await svc.client.get("/v1/points/rankings", params={"village": VILLAGE}, headers=officer(keys))).json()
    assert [(i["subject_id"], i["balance"]) for i in ranks["items"]] == [("hh-p1", 1050), ("hh-p2", 1020)]
    ranks = (await svc.client.get("/v1/points/rankings", params={"town": "341181100", "as_of": later},
                                  headers=officer(keys))).json()
    assert [(i["subject_id"], i["balance"]) for i in ranks["items"]] == [("hh-p2", 1020), ("hh-p1", 1000)]

    r = await svc.client.post("/v1/points", json={"subject_id": "hh-p1", "points": -100, "reason": "fraud on a subsidy",
                                                  "serious": True, "grade_drop": 2}, headers=officer(keys))
    assert r.status_code == 201 and r.json()["grade"] == "A"
    final = (await svc.client.get("/v1/subjects/hh-p1/grade", headers=officer(keys))).json()["final"]
    assert final["grade"] == "A" and "fraud on a subsidy" in final["reason"]

    corrected = await svc.client.post(f"/v1/points/{r.json()['id']}/correct", headers=officer(keys))
    assert corrected.status_code == 200 and corrected.json()["grade"] == "AAA"
    assert (await svc.client.post(f"/v1/points/{r.json()['id']}/correct", headers=officer(keys))).status_code == 409

    bad = await svc.client.post("/v1/points", json={"subject_id": "hh-p1", "points": 5, "reason": "x", "valid_years": 9},
                                headers=officer(keys))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "valid_years"
    assert (await svc.client.get("/v1/subjects/hh-p1/points", headers=officer(keys))).json()["balance"] == 950


async def test_pairing_follows_whether_the_paired_household_rose(svc: RunningService, keys: Keys) -> None:
    await apply(svc.db, svc.settings, subject_event("mentor", GOOD), subject_event("mentee", POOR),  # type: ignore[arg-type]
                civility_event("mentor", 95))
    await rate(svc, keys, "mentor")
    await rate(svc, keys, "mentee")
    refused = await svc.client.post("/v1/pairings", json={"mentor_id": "mentee", "mentee_id": "mentor"}, headers=officer(keys))
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    r = await svc.client.post("/v1/pairings", json={"mentor_id": "mentor", "mentee_id": "mentee"}, headers=officer(keys))
    assert r.status_code == 201, r.text
    listing = (await svc.client.get("/v1/pairings", params={"village": VILLAGE}, headers=officer(keys))).json()
    assert (listing["paired"], listing["risen"]) == (1, 0)
    await apply(svc.db, svc.settings, subject_event("mentee", GOOD, version=2), civility_event("mentee", 90))  # type: ignore[arg-type]
    await rate(svc, keys, "mentee")
    listing = (await svc.client.get("/v1/pairings", params={"village": VILLAGE}, headers=officer(keys))).json()
    assert (listing["paired"], listing["risen"]) == (1, 1)
    assert listing["items"][0]["grade_at_start"] in ("B", "C", "D")


async def test_a_rating_round_over_a_town_reports_progress_and_a_summary(svc: RunningService, keys: Keys) -> None:
    profiles = [GOOD, POOR, {**GOOD, "annual_income": "30000.00"}]
    events = [subject_event(f"hh-r{i:03d}", profiles[i % 3], village=VILLAGE if i % 2 else VILLAGE_B) for i in range(60)]
    events.append(subject_event("elsewhere", GOOD, village="341181200301"))
    await apply(svc.db, svc.settings, *events)  # type: ignore[arg-type]
    r = await svc.client.post("/v1/rating-rounds", json={"region": "341181100"}, headers=officer(keys))
    assert r.status_code == 202 and r.json()["total"] == 60

    async def finished() -> dict[str, object] | None:
        body = (await svc.client.get(f"/v1/rating-rounds/{r.json()['id']}", headers=officer(keys))).json()
        return body if body["status"] != "running" else None

    done = await eventually(finished, timeout=30)
    assert done["status"] == "done" and done["done"] == 60 and done["progress"] == 1.0
    summary = done["summary"]
    assert summary["rated"] == 60 and sum(summary["grades"].values()) == 60
    assert summary["compared_with_final"] == {"new": 60} and summary["finalised"] == 60
    assert summary["villages_recomputed"] == 2
    grade = (await svc.client.get("/v1/subjects/hh-r000/grade", headers=officer(keys))).json()["final"]
    assert grade["grade"] in ("AAA", "AA") and Decimal(grade["score"]) >= 80
    assert (await svc.client.get("/v1/subjects/elsewhere/grade", headers=officer(keys))).status_code == 404
    household_events = [e for e in await outbox(svc.db) if e["data"]["kind"] == "household"]
    assert len(household_events) == 60

    bad = await svc.client.post("/v1/rating-rounds", json={"region": "34x"}, headers=officer(keys))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "region"
