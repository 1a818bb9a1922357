"""Bulk import of household files: good rows stored, bad rows reported (row, column, why) and
nothing else written; importing again duplicates nothing; XLSX and Chinese headers; the CLI."""
from __future__ import annotations

import csv
import io
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from openpyxl import Workbook
from sqlalchemy import select

from common.auth import Role
from common.events import validate_event
from registry.subjects.models import Subject, SubjectChange, SubjectIdentity
from tests.harness import DatabaseFactory, Keys, RunningService, eventually
from tests.registry.support import (
    TOWN_A,
    VILLAGE_A,
    VILLAGE_A2,
    VILLAGE_B,
    count,
    household,
    id_number,
    outbox,
    registry,
)

HEADER = ["village", "group", "head_name", "head_id_number", "phone", "political_status", "education", "members_count",
          "labour_count", "party_members", "annual_income", "land_mu", "agri_assets_value", "debts_outstanding",
          "overdue_count", "pboc_report_clean", "consent_given", "consent_date", "consent_scopes"]
REPO = Path(__file__).resolve().parents[2]


def good(seq: int, village: str = VILLAGE_A, income: str = "52000.00") -> list[str]:
    return [village, "", f"王{seq}", id_number(seq), "13912345678", "masses", "junior", "4", "2", "0", income, "8.5",
            "30000", "0", "0", "是", "yes", "2026-01-05", "rating;lending"]


def to_csv(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode()


def on_disk(content: bytes) -> Path:
    """A file as the import reads it (from disk, never all in memory)."""
    fd, name = tempfile.mkstemp(suffix=".csv")
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    return Path(name)


def mixed_file() -> tuple[bytes, dict[int, str]]:
    rows = [good(1), good(2), good(3, VILLAGE_A2)]
    bad_id = good(4)
    bad_id[3] = id_number(4)[:-1] + ("0" if id_number(4)[-1] != "0" else "1")
    unknown_village = good(5, "341181100299")
    no_name = good(6)
    no_name[2] = ""
    bad_money = good(7)
    bad_money[10] = "12,5.0.0"
    dup_head = good(1)
    bad_bool = good(8)
    bad_bool[16] = "maybe"
    rows += [bad_id, unknown_village, no_name, bad_money, dup_head, bad_bool, good(9)]
    expected = {5: "head_id_number", 6: "village", 7: "head_name", 8: "annual_income", 9: "head_id_number",
                10: "consent_given"}
    return to_csv(rows), expected


@pytest.fixture
async def svc(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    async with registry(await databases.create("registry", backend), keys) as s:
        yield s


async def run_import(svc: RunningService, headers: dict[str, str], content: bytes, name: str = "files.csv") -> dict[str, Any]:
    r = await svc.client.post("/v1/imports", files={"file": (name, content)}, headers=headers)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]

    async def finished() -> dict[str, Any] | None:
        job = (await svc.client.get(f"/v1/imports/{job_id}", headers=headers)).json()
        return job if job["status"] in ("done", "failed") else None

    return await eventually(finished, timeout=30)  # type: ignore[no-any-return]


async def test_good_rows_are_stored_bad_rows_reported_nothing_else_written(svc: RunningService, keys: Keys,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    admin = keys.headers(Role.admin)
    content, expected = mixed_file()
    job = await run_import(svc, admin, content)
    assert job["status"] == "done", job
    assert (job["total_rows"], job["processed_rows"], job["created"], job["error_rows"]) == (10, 10, 4, 6)

    errors = (await svc.client.get(f"/v1/imports/{job['id']}/errors", headers=admin)).json()
    assert {e["row"]: e["field"] for e in errors} == expected
    by_row = {e["row"]: e["message"] for e in errors}
    assert "check character" in by_row[5] and "unknown village" in by_row[6] and "row 2" in by_row[9]
    download = await svc.client.get(f"/v1/imports/{job['id']}/errors", headers={**admin, "Accept": "text/csv"})
    assert download.headers["content-type"].startswith("text/csv")
    assert next(iter(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))) == ["row", "field", "message"]
    assert id_number(4)[:-1] not in download.text + str(errors)  # values are never echoed: they may be personal

    assert await count(svc, Subject) == 4 and await count(svc, SubjectIdentity) == 4
    assert await count(svc, SubjectChange) == 4
    events = await outbox(svc)
    assert len(events) == 4 and {e.topic for e in events} == {"subject-registered"}
    for e in events:
        payload = orjson.loads(e.payload)
        validate_event(payload)
        assert b"13912345678" not in e.payload and id_number(1).encode() not in e.payload
    logged = "\n".join(r.getMessage() + " " + str(r.__dict__) for r in caplog.records)
    assert "import finished" in logged
    for secret in ("13912345678", id_number(1), id_number(4)[:-1], "王1"):
        assert secret not in logged
    data = orjson.loads(events[0].payload)["data"]
    assert data["profile"]["annual_income"] == "52000.00" and data["profile"]["land_mu"] == "8.50"
    assert data["profile"]["pboc_report_clean"] is True and data["consent"]["scopes"] == ["lending", "rating"]


async def test_importing_again_duplicates_nothing_and_applies_changes(svc: RunningService, keys: Keys) -> None:
    admin = keys.headers(Role.admin)
    content = to_csv([good(1), good(2), good(3)])
    assert (await run_import(svc, admin, content))["created"] == 3
    again = await run_import(svc, admin, content)
    assert (again["created"], again["updated"], again["unchanged"], again["error_rows"]) == (0, 0, 3, 0)
    changed = await run_import(svc, admin, to_csv([good(1), good(2, income="61000.00"), good(3), good(4)]))
    assert (changed["created"], changed["updated"], changed["unchanged"]) == (1, 1, 2)
    assert await count(svc, Subject) == 4
    [upd] = await outbox(svc, "subject-updated")
    data = orjson.loads(upd.payload)["data"]
    assert data["version"] == 2 and data["changed_fields"] == ["profile.annual_income"]
    assert data["profile"]["annual_income"] == "61000.00"
    assert len(await outbox(svc, "subject-registered")) == 4


async def test_xlsx_with_chinese_headers_and_officer_scope(svc: RunningService, keys: Keys) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["村代码", "户主姓名", "户主身份证号", "联系电话", "家庭年收入", "耕地面积", "授权"])
    ws.append([VILLAGE_A, "赵一", id_number(11), "13812345678", 48000, 6.5, "是"])
    ws.append([VILLAGE_B, "赵二", id_number(12), "13812345679", 51000, 7, "是"])
    buf = io.BytesIO()
    wb.save(buf)
    officer = keys.headers(Role.officer, region=TOWN_A)
    job = await run_import(svc, officer, buf.getvalue(), "采集表.xlsx")
    assert (job["format"], job["created"], job["error_rows"]) == ("xlsx", 1, 1)
    errors = (await svc.client.get(f"/v1/imports/{job['id']}/errors", headers=officer)).json()
    assert errors == [{"row": 3, "field": "village", "message": "outside your region"}]
    other = keys.headers(Role.officer, region="341181101")
    assert (await svc.client.get(f"/v1/imports/{job['id']}", headers=other)).status_code == 404


async def test_unreadable_file_is_refused_whole(svc: RunningService, keys: Keys) -> None:
    r = await svc.client.post("/v1/imports", files={"file": ("x.csv", b"name,phone\nA,1\n")},
                              headers=keys.headers(Role.admin))
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "file" and "village" in r.json()["errors"][0]["message"]
    # A file the CSV reader gives up on half-way is refused whole as well, before any row is stored.
    broken = to_csv([good(1), [VILLAGE_A, "", "王2", "x" * 200_000]])
    r = await svc.client.post("/v1/imports", files={"file": ("y.csv", broken)}, headers=keys.headers(Role.admin))
    assert r.status_code == 422 and "not a readable CSV file" in r.json()["errors"][0]["message"]
    assert await count(svc, Subject) == 0


async def test_cli_imports_a_file_with_a_progress_bar(databases: DatabaseFactory, keys: Keys, tmp_path: Path) -> None:
    url = await databases.create("registry", "sqlite")
    async with registry(url, keys):
        pass  # regions seeded
    path = tmp_path / "files.csv"
    path.write_bytes(to_csv([good(1), good(2), good(3, "341181100299")]))
    env = {**os.environ, "PYTHONPATH": f"{REPO}/libs:{REPO}/services:{REPO}", "REGISTRY_ENV": "test",
           "REGISTRY_AUTH_PUBLIC_KEY": keys.public_pem.decode()}
    done = subprocess.run([sys.executable, "-m", "registry", "import", str(path), "--database-url", url,
                           "--errors-csv", str(tmp_path / "errors.csv")], env=env, capture_output=True, text=True,
                          timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "2 created" in done.stderr and "1 row(s) refused" in done.stderr
    assert "row 4, village: unknown village" in done.stderr
    assert (tmp_path / "errors.csv").read_text(encoding="utf-8-sig").splitlines()[1].startswith("4,village,")


async def test_big_files_are_prepared_by_worker_processes_with_the_same_result(
        databases: DatabaseFactory, keys: Keys, monkeypatch: pytest.MonkeyPatch) -> None:
    from common.auth import Principal
    from registry.imports import service

    monkeypatch.setattr(service, "PARALLEL_FROM", 1)
    async with registry(await databases.create("registry", "sqlite"), keys) as svc:
        content, expected = mixed_file()
        job, table = await service.create_job(svc.db, Principal(role=Role.admin, sub="t"), "f.csv", on_disk(content))
        settings = svc.settings
        final = await service.run_job(svc.db, svc.app.state.pii, job.id, table, chunk_size=3,
                                      pii_keys=(settings.pii_key, settings.pii_index_key))
        assert (final.status, final.created_count, final.error_count) == ("done", 4, 6)
        errors = (await svc.client.get(f"/v1/imports/{job.id}/errors", headers=keys.headers(Role.admin))).json()
        assert {e["row"]: e["field"] for e in errors} == expected
        assert await count(svc, Subject) == 4 and len(await outbox(svc)) == 4
        # The rows the workers encrypted open with the service's key.
        sid = orjson.loads((await outbox(svc))[0].payload)["subject"]
        lookup = await svc.client.post("/v1/subjects:lookup", json={"id_number": id_number(1)},
                                       headers=keys.headers(Role.service, service="lending"))
        assert lookup.status_code == 200 and lookup.json()["subject_id"] == sid


async def test_a_file_of_several_chunks_stores_good_rows_reports_bad_ones_and_announces_each_change_once(
        svc: RunningService, keys: Keys) -> None:
    from common.auth import Principal
    from registry import events
    from registry.imports import service

    admin = keys.headers(Role.admin)
    on_file = await svc.client.post("/v1/subjects", json=household(1), headers=admin)  # its spouse: id_number(501, ...)
    assert on_file.status_code == 201, on_file.text
    bad_id = good(22)
    bad_id[3] = id_number(22)[:-1] + ("0" if id_number(22)[-1] != "0" else "1")
    spouse = good(30)
    spouse[3] = id_number(501, "19820305")
    rows = [good(20), good(21), bad_id, good(1),  # chunk 1 (rows 2-5): the last one is on file already
            good(23), spouse, good(20), good(24),  # chunk 2 (rows 6-9): row 8 repeats row 2's head
            good(25, "341181100299")]  # chunk 3 (row 10)
    content = to_csv(rows)

    async def run() -> Any:
        job, table = await service.create_job(svc.db, Principal(role=Role.admin, sub="t"), "f.csv", on_disk(content))
        return await service.run_job(svc.db, svc.app.state.pii, job.id, table, chunk_size=4)

    first = await run()
    assert (first.status, first.total_rows, first.processed_rows) == ("done", 9, 9)
    assert (first.created_count, first.updated_count, first.unchanged_count, first.error_count) == (4, 1, 0, 4)
    errors = (await svc.client.get(f"/v1/imports/{first.id}/errors", headers=admin)).json()
    assert sorted((e["row"], e["field"]) for e in errors) == [(4, "head_id_number"), (7, "head_id_number"),
                                                             (8, "head_id_number"), (10, "village")]
    by_row = {e["row"]: e["message"] for e in errors}
    assert "check character" in by_row[4]
    assert by_row[7] == "listed as a member of another household"
    assert by_row[8] == "the same head as row 2"
    assert by_row[10] == "unknown village 341181100299"

    async with svc.db.transaction(write=False) as session:
        stored = {s.natural_key: s for s in (await session.execute(select(Subject))).scalars()}
    blind = svc.app.state.pii.blind_index
    assert set(stored) == {blind(id_number(n)) for n in (1, 20, 21, 23, 24)}  # nobody twice, the refused not at all
    existing = stored[blind(id_number(1))]
    assert (existing.id, existing.version) == (on_file.json()["id"], 2)
    assert existing.details["members"] == on_file.json()["details"]["members"]  # what the row does not carry stays
    assert existing.profile["annual_income"] == "52000.00"

    registered = await outbox(svc, "subject-registered")
    assert len(registered) == 5  # the API's and the four new households'
    new_ids = {stored[blind(id_number(n))].id for n in (20, 21, 23, 24)}
    for e in registered[1:]:
        payload = orjson.loads(e.payload)
        subject = next(s for s in stored.values() if s.id == payload["subject"])
        assert subject.id in new_ids
        built = events.registered(**events.subject_fields(subject), registered_at=subject.created_at)
        assert payload["data"] == built.data and payload["type"] == built.type  # the producer's own builder
    [upd] = await outbox(svc, "subject-updated")
    payload = orjson.loads(upd.payload)
    changed = payload["data"]["changed_fields"]
    assert changed[:2] == ["head.name", "head"] and "profile.annual_income" in changed and "consent" in changed
    assert payload["data"] == events.updated(**events.subject_fields(existing), changed_fields=changed,
                                             updated_at=existing.updated_at).data
    for e in await outbox(svc):  # no personal data in any event
        assert b"13912345678" not in e.payload and not any(r[3].encode() in e.payload for r in rows)

    again = await run()  # the same file again: nothing new, nothing announced, the same refusals
    assert (again.created_count, again.updated_count, again.unchanged_count, again.error_count) == (0, 0, 5, 4)
    again_errors = (await svc.client.get(f"/v1/imports/{again.id}/errors", headers=admin)).json()
    assert sorted((e["row"], e["field"], e["message"]) for e in again_errors) == sorted(
        (e["row"], e["field"], e["message"]) for e in errors)
    assert len(await outbox(svc)) == 6 and await count(svc, Subject) == 5

    # Two heads on file change differently in one chunk (different columns): both written, each announced once.
    new_phone = good(21)
    new_phone[4] = "13700000021"
    content = to_csv([good(20, income="61000.00"), new_phone, good(23)])
    changed = await run()
    assert (changed.created_count, changed.updated_count, changed.unchanged_count, changed.error_count) == (0, 2, 1, 0)
    updates = {orjson.loads(e.payload)["subject"]: orjson.loads(e.payload)["data"]
               for e in await outbox(svc, "subject-updated")}
    async with svc.db.transaction(write=False) as session:
        after = {s.natural_key: s for s in (await session.execute(select(Subject))).scalars()}
    s20, s21 = after[blind(id_number(20))], after[blind(id_number(21))]
    assert (s20.version, s20.profile["annual_income"], updates[s20.id]["changed_fields"]) == (
        2, "61000.00", ["profile.annual_income"])
    assert (s21.version, s21.phone_masked, updates[s21.id]["changed_fields"]) == (2, "137****0021", ["phone", "head"])
    lookup = await svc.client.get(f"/v1/subjects/{s21.id}", headers=admin)
    assert lookup.status_code == 200 and lookup.json()["version"] == 2
    assert len(await outbox(svc)) == 8 and await count(svc, SubjectChange) == 1 + 4 + 1 + 2
