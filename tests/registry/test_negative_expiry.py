"""Negative-list records expire on their date (到期自动失效) without anyone clearing them: the
registry's job marks them expired and announces it like a clear, and rating lifts the veto with
the same effect as a manual clear. Through the real registry, the real broker and real rating."""
from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from common import clock
from common.auth import Role
from common.broker import TansuBroker
from common.events import validate_event
from rating.subjects.models import Subject as RatingSubject
from registry.negative.service import expire_due, is_expired
from tests.harness import DatabaseFactory, Keys, RunningService, eventually, start_service
from tests.registry.support import TOWN_A, household, outbox, registry, seed_regions


def veto_record(subject_id: str, expires_on: date | None, effective_from: date) -> dict[str, Any]:
    return {"subject_id": subject_id, "agency": "court", "record_kind": "dishonest_judgment_debtor",
            "effective_from": effective_from.isoformat(),
            "expires_on": expires_on.isoformat() if expires_on else None, "evidence_ref": "(2026)皖1181执123号"}


def test_a_record_expires_at_the_start_of_its_beijing_day() -> None:
    day = date(2026, 6, 30)
    assert not is_expired(day, day - timedelta(days=1))  # in force through the day before
    assert is_expired(day, day) and is_expired(day, day + timedelta(days=1))
    assert not is_expired(None, date(2099, 1, 1))  # no date: until cleared by hand


async def test_expiry_job_is_idempotent_and_concurrent_runs_emit_once(
        databases: DatabaseFactory, backend: str, keys: Keys) -> None:
    url = await databases.create("registry", backend)
    admin, officer = keys.headers(Role.admin), keys.headers(Role.officer, region=TOWN_A)
    today = clock.beijing_today()
    async with registry(url, keys) as svc:
        sids = [(await svc.client.post("/v1/subjects", json=household(i), headers=officer)).json()["id"]
                for i in range(1, 5)]
        start = today - timedelta(days=400)
        records = []
        # due yesterday, due today (expires at the start of today), due tomorrow, no date
        for sid, expires in zip(sids, [today - timedelta(days=1), today, today + timedelta(days=1), None], strict=True):
            r = await svc.client.post("/v1/negative-records", headers=officer, json=veto_record(sid, expires, start))
            assert r.status_code == 201, r.text
            records.append(r.json()["id"])
        before = len(await outbox(svc, "negative-record-changed"))

        # Two runs at once: each due record is expired and announced exactly once.
        runs = await asyncio.gather(expire_due(svc.db, today, chunk=1), expire_due(svc.db, today))
        assert sorted(rid for run in runs for rid in run.record_ids) == sorted(records[:2])
        rows = await outbox(svc, "negative-record-changed")
        assert len(rows) == before + 2
        for row in rows[before:]:
            event = orjson.loads(row.payload)
            validate_event(event)
            assert (event["data"]["status"], event["data"]["veto"]) == ("expired", False)
            assert event["data"]["record_id"] in records[:2]

        # The admin's "now": nothing more is due today; officers may not run it.
        assert (await svc.client.post("/v1/negative-records:expire", headers=officer)).status_code == 403
        again = await svc.client.post("/v1/negative-records:expire", headers=admin)
        assert again.status_code == 200 and again.json() == {"today": today.isoformat(), "expired": 0,
                                                             "record_ids": []}
        assert len(await outbox(svc, "negative-record-changed")) == before + 2

        states = {rid: (await svc.client.get(f"/v1/negative-records/{rid}", headers=admin)).json() for rid in records}
        assert [states[rid]["status"] for rid in records] == ["expired", "expired", "raised", "raised"]
        assert states[records[0]]["cleared_by"] == "system:expiry" and states[records[0]]["cleared_on"] == today.isoformat()
        listed = await svc.client.get("/v1/negative-records", params={"status": "expired"}, headers=admin)
        assert sorted(r["id"] for r in listed.json()) == sorted(records[:2])
        # An expired record is not cleared again by hand.
        r = await svc.client.post(f"/v1/negative-records/{records[0]}/clear", headers=admin,
                                  json={"cleared_on": today.isoformat(), "reason": "repaid"})
        assert r.status_code == 409 and r.json()["type"] == "record-cleared"
        history = (await svc.client.get(f"/v1/subjects/{sids[0]}/changes", headers=admin)).json()
        assert [h["action"] for h in history][-1] == "negative-expired"

        # Tomorrow the third one goes, and only it.
        later = await expire_due(svc.db, today + timedelta(days=1))
        assert later.record_ids == (records[2],)


async def rating_knows(svc: RunningService, subject_id: str) -> bool:
    async with svc.db.transaction(write=False) as session:
        return await session.get(RatingSubject, subject_id) is not None


async def final_grade(svc: RunningService, subject_id: str, headers: dict[str, str]) -> dict[str, Any] | None:
    body = (await svc.client.get(f"/v1/subjects/{subject_id}/grade", headers=headers)).json()
    return body.get("final")


@pytest.mark.broker
async def test_veto_lifts_on_its_date_like_a_manual_clear(
        databases: DatabaseFactory, backend: str, keys: Keys, fresh_broker: TansuBroker, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock_file = tmp_path / "clock"
    monkeypatch.setenv(clock.CLOCK_FILE_ENV, str(clock_file))
    clock.set_offset(clock_file, 0)
    reg_url, rat_url = await databases.create("registry", backend), await databases.create("rating", backend)
    officer, admin = keys.headers(Role.officer, region=TOWN_A), keys.headers(Role.admin)
    today = clock.beijing_today()
    expires = today + timedelta(days=10)
    # The registry's expiry job runs on its own, often.
    async with start_service("registry", reg_url, keys, fresh_broker.bootstrap, expire_interval_seconds=0.2) as reg, \
            start_service("rating", rat_url, keys, bootstrap=fresh_broker.bootstrap, publication_days=0) as rat:
        await seed_regions(reg, keys)
        # Twins: same file; one's record expires on its date, the other's is cleared by hand.
        expiring, cleared = [(await reg.client.post("/v1/subjects", json=household(i), headers=officer)).json()["id"]
                             for i in (1, 2)]
        for sid in (expiring, cleared):
            await eventually(lambda sid=sid: rating_knows(rat, sid), timeout=30)
            r = await rat.client.post("/v1/ratings", json={"subject_id": sid}, headers=officer)
            assert r.status_code == 201 and r.json()["status"] == "final", r.text
        good = await final_grade(rat, expiring, officer)
        assert good is not None and good["grade"] != "D" and not good["vetoed"]

        record = (await reg.client.post("/v1/negative-records", headers=officer,
                                        json=veto_record(expiring, expires, today - timedelta(days=700)))).json()
        manual = (await reg.client.post("/v1/negative-records", headers=officer,
                                        json=veto_record(cleared, None, today - timedelta(days=700)))).json()

        async def vetoed(sid: str) -> bool:
            g = await final_grade(rat, sid, officer)
            return bool(g and g["grade"] == "D" and g["vetoed"])

        await eventually(lambda: vetoed(expiring), timeout=30)
        await eventually(lambda: vetoed(cleared), timeout=30)

        # The day before its date nothing happens.
        clock.set_offset(clock_file, (expires - today - timedelta(days=1)).days * 86400)
        assert (await reg.client.post("/v1/negative-records:expire", headers=admin)).json()["expired"] == 0
        assert await vetoed(expiring)

        # The manual clear of the twin, for comparison.
        r = await reg.client.post(f"/v1/negative-records/{manual['id']}/clear", headers=officer,
                                  json={"cleared_on": clock.beijing_today().isoformat(), "reason": "judgment fulfilled"})
        assert r.status_code == 200
        r = await reg.client.post(f"/v1/negative-records/{manual['id']}/clear-review", headers=admin,
                                  json={"approved": True})
        assert r.status_code == 200 and r.json()["status"] == "cleared", r.text

        # Its date comes: nobody calls anything, the job expires it and rating lifts the veto.
        clock.set_offset(clock_file, (expires - today).days * 86400 + 60)

        async def lifted(sid: str) -> dict[str, Any] | None:
            g = await final_grade(rat, sid, officer)
            return g if g and g["grade"] != "D" else None

        after_expiry = await eventually(lambda: lifted(expiring), timeout=30)
        after_clear = await eventually(lambda: lifted(cleared), timeout=30)
        assert (after_expiry["grade"], Decimal(after_expiry["score"]), after_expiry["vetoed"]) == \
            (after_clear["grade"], Decimal(after_clear["score"]), False)
        assert (after_expiry["grade"], after_expiry["score"]) == (good["grade"], good["score"])
        assert after_expiry["version"] == good["version"] + 2  # D, then back
        assert after_expiry["reason"] == after_clear["reason"]

        state = (await reg.client.get(f"/v1/negative-records/{record['id']}", headers=admin)).json()
        assert state["status"] == "expired"
        # Idempotent: another run changes nothing.
        assert (await reg.client.post("/v1/negative-records:expire", headers=admin)).json()["expired"] == 0
        events = [orjson.loads(r.payload) for r in await outbox(reg, "negative-record-changed")]
        mine = [e["data"] for e in events if e["data"]["record_id"] == record["id"]]
        assert [(d["status"], d["veto"]) for d in mine] == [("raised", True), ("expired", False)]
