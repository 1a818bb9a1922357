"""Rating and the other services' events it acts on, with the loan events made by lending's own
service code (a real lending service; its outbox envelopes are handed to rating's handlers):

- a default is an indicator and, by default policy, a veto source until cured: rating re-rates at
  once on ``loan-defaulted`` (final, below A, with the reason) and again when the defaulted loan is
  repaid in full (``loan-repaid`` with ``fully_repaid``), which lifts the veto;
- every final rating emits ``rating-changed``, a confirmation of the same grade too (old == new,
  a new version, a reason saying it is a confirmation), so lending can renew the line's term."""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from common.auth import Role
from common.events import Event, validate_event
from common.tables import outbox_events
from rating.indicators.defaults import DEFAULTS
from tests.harness import DatabaseFactory, Keys, RunningService, start_service
from tests.lending.conftest import apply as lending_apply
from tests.lending.conftest import bank
from tests.rating.helpers import GOOD, apply, outbox, subject_event

OFFICER_REGION = "341181"


@pytest.fixture
async def instant(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    url = await databases.create("rating", backend)
    async with start_service("rating", url, keys, publication_days=0) as svc:
        yield svc


@pytest.fixture
async def lending(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    url = await databases.create("lending", backend)
    async with start_service("lending", url, keys) as svc:
        assert (await svc.client.post("/v1/banks", json={"id": "rcb", "name": "农商行"},
                                      headers=keys.headers(Role.admin))).status_code == 201
        yield svc


async def lending_events(svc: RunningService, after: int = 0) -> list[Event]:
    """What lending wrote to its outbox (loan-recorded, -repaid, -defaulted), in order."""
    async with svc.db.transaction(write=False) as session:
        rows = (await session.execute(select(outbox_events.c.id, outbox_events.c.payload)
                                      .where(outbox_events.c.topic.in_(("loan-recorded", "loan-repaid", "loan-defaulted")),
                                             outbox_events.c.id > after).order_by(outbox_events.c.id))).all()
    out = []
    for _, payload in rows:
        envelope = orjson.loads(payload)
        validate_event(envelope)
        out.append(Event.from_dict(envelope))
    return out


async def grade(svc: RunningService, keys: Keys, subject: str) -> dict[str, Any]:
    r = await svc.client.get(f"/v1/subjects/{subject}/grade", headers=keys.headers(Role.officer, region=OFFICER_REGION))
    return r.json()["final"]  # type: ignore[no-any-return]


def test_a_default_is_a_veto_source_of_every_shipped_system() -> None:
    assert all("loan_default" in system.veto_sources for system in DEFAULTS.values())


async def test_a_default_re_rates_at_once_and_its_cure_lifts_the_veto(instant: RunningService, lending: RunningService,
                                                                      keys: Keys) -> None:
    svc = instant
    await apply(svc.db, svc.settings, subject_event("hh-def", GOOD))  # type: ignore[arg-type]
    rated = await svc.client.post("/v1/ratings", json={"subject_id": "hh-def"},
                                  headers=keys.headers(Role.officer, region=OFFICER_REGION))
    assert rated.json()["status"] == "final"
    before = await grade(svc, keys, "hh-def")
    assert before["grade"] in ("AAA", "AA", "A")
    # Lending's line from rating's own event, then a loan and its default at lending.
    for event in [Event.from_dict(e) for e in await outbox(svc.db)]:
        if event.data["kind"] == "household":
            await lending_apply(lending, event)
    made = await lending.client.post("/v1/loans", headers=bank(keys, "rcb", "l1"), json={
        "subject_id": "hh-def", "amount": "20000.00", "annual_rate": "4.00", "term_months": 12})
    assert made.status_code == 201, made.text
    assert (await lending.client.post(f"/v1/loans/{made.json()['id']}/default", json={},
                                      headers=bank(keys, "rcb", "d1"))).status_code == 201
    await apply(svc.db, svc.settings, *await lending_events(lending))  # type: ignore[arg-type]

    vetoed = await grade(svc, keys, "hh-def")
    assert (vetoed["grade"], vetoed["vetoed"], vetoed["version"]) == ("D", True, before["version"] + 1)
    assert "defaulted loan" in vetoed["reason"]

    # Part repaid: still a default. Repaid in full: cured, re-rated at once, the veto lifted.
    seen = len(await lending_events(lending))
    for key, amount in (("r1", "5000.00"), ("r2", "15000.00")):
        r = await lending.client.post(f"/v1/loans/{made.json()['id']}/repayments", json={"amount": amount},
                                      headers=bank(keys, "rcb", key))
        assert r.status_code == 201, r.text
        new = (await lending_events(lending))[seen:]
        seen += len(new)
        await apply(svc.db, svc.settings, *new)  # type: ignore[arg-type]
        if key == "r1":
            assert (await grade(svc, keys, "hh-def"))["grade"] == "D"
    cured = await grade(svc, keys, "hh-def")
    assert (cured["grade"], cured["vetoed"]) == (before["grade"], False)
    changes = [(e["data"]["old_grade"], e["data"]["new_grade"], e["data"]["vetoed"]) for e in await outbox(svc.db)
               if e["data"]["kind"] == "household"]
    assert changes == [(None, before["grade"], False), (before["grade"], "D", True), ("D", before["grade"], False)]


async def test_a_final_rating_that_confirms_the_grade_emits_rating_changed(instant: RunningService, keys: Keys) -> None:
    svc = instant
    await apply(svc.db, svc.settings, subject_event("hh-conf", GOOD))  # type: ignore[arg-type]
    officer = keys.headers(Role.officer, region=OFFICER_REGION)
    first = (await svc.client.post("/v1/ratings", json={"subject_id": "hh-conf"}, headers=officer)).json()
    second = (await svc.client.post("/v1/ratings", json={"subject_id": "hh-conf"}, headers=officer)).json()
    assert first["grade"] == second["grade"] and second["status"] == "final"
    events = [e for e in await outbox(svc.db) if e["subject"] == "hh-conf"]
    for e in events:
        validate_event(e)
    assert [(e["data"]["old_grade"], e["data"]["new_grade"], e["data"]["version"]) for e in events] == [
        (None, first["grade"], 1), (first["grade"], first["grade"], 2)]
    assert events[1]["data"]["reason"].startswith(f"confirmed {first['grade']}")
    assert events[1]["data"]["effective_at"] > events[0]["data"]["effective_at"]
    assert (await grade(svc, keys, "hh-conf"))["version"] == 2
