"""Clearing an agency's negative record (court, PBOC …) lifts a veto, so it takes two people, like a
civility review: one asks, another confirms. Until then the record stays raised and nothing is
announced; the one who asked cannot confirm it, and a turned-down request leaves it as it was."""
from __future__ import annotations

import orjson

from common.auth import Role
from tests.harness import DatabaseFactory, Keys
from tests.registry.support import TOWN_A, household, outbox, registry


async def test_one_person_cannot_clear_a_negative_record_alone(databases: DatabaseFactory, keys: Keys) -> None:
    async with registry(await databases.create("registry", "sqlite"), keys) as reg:
        first = keys.headers(Role.officer, region=TOWN_A, sub="officer-wang")
        second = keys.headers(Role.officer, region=TOWN_A, sub="officer-li")
        sid = (await reg.client.post("/v1/subjects", json=household(1), headers=first)).json()["id"]
        rec = (await reg.client.post("/v1/negative-records", headers=first, json={
            "subject_id": sid, "agency": "court", "record_kind": "dishonest_judgment_debtor",
            "effective_from": "2026-05-01", "evidence_ref": "(2026)皖1181执123号"})).json()
        clear = f"/v1/negative-records/{rec['id']}/clear"
        review = f"/v1/negative-records/{rec['id']}/clear-review"

        async def announced() -> list[str]:
            return [orjson.loads(r.payload)["data"]["status"] for r in await outbox(reg, "negative-record-changed")]

        # Nothing to confirm before someone asks.
        r = await reg.client.post(review, json={"approved": True}, headers=second)
        assert r.status_code == 409 and r.json()["type"] == "no-clear-request"
        asked = await reg.client.post(clear, json={"cleared_on": "2026-11-01", "reason": "repaid"}, headers=first)
        assert asked.status_code == 200, asked.text
        assert asked.json()["status"] == "raised" and asked.json()["clear_requested_by"]
        assert await announced() == ["raised"], "asking alone lifts nothing"
        # Asking twice, or confirming one's own request, does not make two people.
        again = await reg.client.post(clear, json={"cleared_on": "2026-11-01", "reason": "repaid"}, headers=second)
        assert again.status_code == 409 and again.json()["type"] == "clear-requested"
        own = await reg.client.post(review, json={"approved": True}, headers=first)
        assert own.status_code == 409 and own.json()["type"] == "four-eyes"
        assert await announced() == ["raised"]

        # Turned down: the record stays raised, the request is gone, someone may ask again.
        no = await reg.client.post(review, json={"approved": False, "note": "no receipt"}, headers=second)
        assert no.status_code == 200 and no.json()["status"] == "raised" and no.json()["clear_requested_by"] is None
        assert (await reg.client.post(clear, json={"cleared_on": "2026-11-02", "reason": "receipt"},
                                      headers=second)).status_code == 200
        yes = await reg.client.post(review, json={"approved": True}, headers=first)
        assert yes.status_code == 200 and yes.json()["status"] == "cleared", yes.text
        assert yes.json()["clear_requested_by"] != yes.json()["cleared_by"]
        assert await announced() == ["raised", "cleared"]
