"""The publication list (公示名单) can be posted: a village's (and a town's) ratings by status, with
the publication's end and objection deadline, as JSON and as a printable CSV with Chinese headers,
paged. The subjects and their masked names come from the real registry over the real broker."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from common import clock
from common.auth import Role
from common.broker import TansuBroker
from rating.subjects.models import Subject as RatingSubject
from tests.harness import DatabaseFactory, Keys, RunningService, eventually, start_service
from tests.registry.support import TOWN_A, TOWN_B, VILLAGE_A, VILLAGE_A2, household, id_number, registry

pytestmark = pytest.mark.broker


async def known(svc: RunningService, subject_id: str) -> bool:
    async with svc.db.transaction(write=False) as session:
        return await session.get(RatingSubject, subject_id) is not None


async def listing(svc: RunningService, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    r = await svc.client.get("/v1/publications", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_publication_list_by_status_json_csv_and_paged(
        databases: DatabaseFactory, backend: str, keys: Keys, fresh_broker: TansuBroker, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock_file = tmp_path / "clock"
    monkeypatch.setenv(clock.CLOCK_FILE_ENV, str(clock_file))
    clock.set_offset(clock_file, 0)
    reg_url, rat_url = await databases.create("registry", backend), await databases.create("rating", backend)
    town_officer, admin = keys.headers(Role.officer, region=TOWN_A), keys.headers(Role.admin)
    village_officer = keys.headers(Role.officer, region=VILLAGE_A)
    async with registry(reg_url, keys, fresh_broker.bootstrap) as reg, \
            start_service("rating", rat_url, keys, bootstrap=fresh_broker.bootstrap, publication_days=7) as rat:
        sids, masked = [], {}
        for seq, village in [(1, VILLAGE_A), (2, VILLAGE_A), (3, VILLAGE_A), (4, VILLAGE_A2)]:
            r = await reg.client.post("/v1/subjects", json=household(seq, village=village), headers=town_officer)
            assert r.status_code == 201, r.text
            sids.append(r.json()["id"])
            masked[r.json()["id"]] = r.json()["masked_name"]
        ratings = {}
        for sid in sids:
            await eventually(lambda sid=sid: known(rat, sid), timeout=30)
            r = await rat.client.post("/v1/ratings", json={"subject_id": sid}, headers=town_officer)
            assert r.status_code == 201 and r.json()["status"] == "published", r.text
            ratings[sid] = r.json()
        hh1, hh2, hh3, hh4 = sids
        r = await rat.client.post(f"/v1/ratings/{ratings[hh2]['id']}/objections", headers=town_officer,
                                  json={"reason": "收入数据有误"})
        assert r.status_code == 201, r.text

        # On publication in the village: hh1 and hh3 (hh2 is disputed, hh4 lives in the next village).
        page = await listing(rat, village_officer, region=VILLAGE_A)
        assert [i["subject_id"] for i in page["items"]] == [hh1, hh3]
        first = page["items"][0]
        assert first["masked_name"] == masked[hh1] and "*" in first["masked_name"]
        assert first["status"] == "published" and first["grade"] == ratings[hh1]["grade"]
        assert first["score"] == ratings[hh1]["score"]
        ends = datetime.fromisoformat(first["publication_ends_at"])
        assert ends - datetime.fromisoformat(first["publication_starts_at"]) == timedelta(days=7)
        assert first["objection_deadline"] == first["publication_ends_at"] and page["next"] is None

        # Paged: one at a time, following ``next``.
        one = await listing(rat, town_officer, region=TOWN_A, limit=1)
        seen = [i["subject_id"] for i in one["items"]]
        while one["next"]:
            r = await rat.client.get(one["next"], headers=town_officer)
            one = r.json()
            seen += [i["subject_id"] for i in one["items"]]
        assert seen == [hh1, hh3, hh4]

        disputed = await listing(rat, town_officer, region=TOWN_A, status="disputed")
        assert [(i["subject_id"], i["open_objections"]) for i in disputed["items"]] == [(hh2, 1)]
        assert disputed["items"][0]["answer_due"] is not None

        # The printable CSV: UTF-8 with BOM, Chinese headers, masked names and Beijing times, no ID number.
        r = await rat.client.get("/v1/publications", params={"region": VILLAGE_A},
                                 headers={**village_officer, "Accept": "text/csv"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert r.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[0][:9] == ["村(社区)代码", "户主(脱敏)", "主体类型", "等级", "得分", "公示开始", "公示截止", "异议截止", "状态"]
        assert [row[1] for row in rows[1:]] == [masked[hh1], masked[hh3]]
        assert rows[1][2:5] == ["农户", ratings[hh1]["grade"], ratings[hh1]["score"]]
        assert rows[1][6] == ends.astimezone(clock.BEIJING).strftime("%Y-%m-%d %H:%M") and rows[1][8] == "公示中"
        for seq in (1, 2, 3):
            assert id_number(seq).encode() not in r.content

        # Who may see what: an officer only inside its region; a bad code names the field.
        assert (await rat.client.get("/v1/publications", params={"region": TOWN_A},
                                     headers=village_officer)).status_code == 403
        other = keys.headers(Role.officer, region=TOWN_B)
        assert (await rat.client.get("/v1/publications", params={"region": VILLAGE_A}, headers=other)).status_code == 403
        bad = await rat.client.get("/v1/publications", params={"region": "34x", "status": "gone"}, headers=admin)
        assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} >= {"query.region", "query.status"}

        # The publication ends: the undisputed become final, the disputed one stays disputed.
        clock.set_offset(clock_file, 8 * 86400)
        r = await rat.client.post("/v1/publications:finalise", headers=admin)
        assert r.status_code == 200 and r.json()["finalised"] == 3
        assert (await listing(rat, town_officer, region=TOWN_A))["items"] == []
        final = await listing(rat, admin, region=VILLAGE_A, status="final")
        assert [(i["subject_id"], i["status"]) for i in final["items"]] == [(hh1, "final"), (hh3, "final")]
        assert final["items"][0]["finalised_at"] is not None
        assert [i["subject_id"] for i in (await listing(rat, admin, region=TOWN_A, status="disputed"))["items"]] == [hh2]
        r = await rat.client.get("/v1/publications", params={"region": VILLAGE_A, "status": "final"},
                                 headers={**admin, "Accept": "text/csv"})
        assert [row[8] for row in list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))[1:]] == ["已生效"] * 2
