"""Availability, bullet 2: an import of household files is bounded by rows, columns, cells and
bytes before anything is built from it, and never holds a whole large file in memory. Each attack
is a file a careless reader would spend minutes or gigabytes on; each is refused with a problem
that names the file and says why, and nothing is stored. And (availability, bullet 3) what an import
leaves behind, its job and the rows it refused, expires: the registry's expiry job purges finished
jobs after ``REGISTRY_IMPORT_JOB_TTL_DAYS``."""
from __future__ import annotations

import io
import re
import tracemalloc
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import update

from common.auth import Role
from common.db import utcnow
from registry.imports.models import ImportJob, ImportRowError
from registry.imports.service import purge_finished
from registry.subjects.models import Subject
from tests.harness import DatabaseFactory, Keys, RunningService, eventually
from tests.registry.support import VILLAGE_A, count, id_number, registry

HEADER = "village,head_name,head_id_number\r\n"


@pytest.fixture
async def svc(databases: DatabaseFactory, keys: Keys) -> AsyncIterator[RunningService]:
    async with registry(await databases.create("registry"), keys) as s:
        yield s


async def refused(svc: RunningService, keys: Keys, name: str, content: Any) -> str:
    """Upload a file; it must be refused whole (422, field ``file``) with nothing stored."""
    r = await svc.client.post("/v1/imports", files={"file": (name, content)}, headers=keys.headers(Role.admin))
    assert r.status_code == 422, r.text[:300]
    assert r.headers["content-type"] == "application/problem+json"
    error = r.json()["errors"][0]
    assert error["field"] == "file"
    assert await count(svc, Subject) == 0 and await count(svc, ImportJob) == 0
    return str(error["message"])


def workbook(rows: int = 2) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["village", "head_name", "head_id_number"])
    for n in range(rows):
        ws.append([VILLAGE_A, f"王{n}", id_number(n)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rewrite(xlsx: bytes, name: str, write: Any) -> bytes:
    """The workbook with one part replaced by what ``write(file)`` writes (streamed, zip64)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info, src.read(info))
        with dst.open(name, "w", force_zip64=True) as f:
            write(f)
    return out.getvalue()


async def test_an_xlsx_declaring_a_huge_dimension_is_refused_before_its_rows_are_read(svc: RunningService,
                                                                                       keys: Keys) -> None:
    # Two real rows, but the sheet declares A1:XFD1048576: openpyxl would pad every row to 16,384
    # cells and add a million empty rows. Today the file is counted for minutes and queued.
    xlsx = workbook()
    sheet = zipfile.ZipFile(io.BytesIO(xlsx)).read("xl/worksheets/sheet1.xml")
    huge = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:XFD1048576"', sheet)
    assert huge != sheet
    message = await refused(svc, keys, "files.xlsx", rewrite(xlsx, "xl/worksheets/sheet1.xml", lambda f: f.write(huge)))
    assert "declares 1048576 rows and 16384 columns" in message


async def test_a_csv_of_blank_lines_is_refused_at_the_row_limit(svc: RunningService, keys: Keys) -> None:
    # 3 million blank lines (6 MB): today each is a row to count and to walk through in the job.
    message = await refused(svc, keys, "files.csv", HEADER.encode() + b"\r\n" * 3_000_000)
    assert "more than 200000 rows (blank rows count)" in message


async def test_too_many_columns_or_one_endless_line_is_refused(svc: RunningService, keys: Keys) -> None:
    wide = HEADER.encode() + (VILLAGE_A + ",王一," + id_number(1)).encode() + b"," * 5000 + b"\r\n"
    assert "row 2 has 5003 columns; at most 64" in await refused(svc, keys, "files.csv", wide)
    # One 4 MB line without a newline: refused before it is all in memory.
    endless = HEADER.encode() + b"x" * (4 << 20)
    assert "a line longer than" in await refused(svc, keys, "files.csv", endless)


async def test_a_zip_bomb_is_refused_by_what_it_declares_it_unpacks_to(svc: RunningService, keys: Keys) -> None:
    # 600 MB of one shared string in a 600 KB upload: openpyxl would hold all of it in memory.
    def bomb(f: Any) -> None:
        f.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>')
        block = b"A" * (1 << 20)
        for _ in range(600):
            f.write(block)
        f.write(b"</t></si></sst>")

    xlsx = rewrite(workbook(), "xl/sharedStrings.xml", bomb)
    assert len(xlsx) < 2 << 20
    message = await refused(svc, keys, "files.xlsx", xlsx)
    assert "unpacks to" in message and "at most" in message


async def test_an_import_never_holds_the_whole_file_in_memory(svc: RunningService, keys: Keys, tmp_path: Path) -> None:
    """A 16 MB file, read to its end and then refused (a needed column is missing): the service's
    memory while it handles the upload stays a small fraction of the file. Today the upload is read
    into one bytes object and decoded into one string: more than twice the file."""
    path = tmp_path / "files.csv"
    row = (VILLAGE_A + ",王一," + id_number(1) + "," + "x" * 60 + "\r\n").encode()
    with path.open("wb") as f:
        f.write(b"village,head_name,industry,phone\r\n")
        for _ in range((16 << 20) // len(row)):
            f.write(row)
    tracemalloc.start()
    try:
        with path.open("rb") as upload:  # streamed by the client: the test holds none of it either
            r = await svc.client.post("/v1/imports", files={"file": ("files.csv", upload)},
                                      headers=keys.headers(Role.admin))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.status_code == 422 and "missing column(s): head_id_number" in r.json()["detail"]
    assert peak < 6 << 20, f"peak {peak / (1 << 20):.1f} MB for a 16 MB file"


async def test_finished_import_jobs_and_their_refused_rows_expire(svc: RunningService, keys: Keys) -> None:
    admin = keys.headers(Role.admin)

    async def imported(rows: str) -> str:
        r = await svc.client.post("/v1/imports", files={"file": ("files.csv", (HEADER + rows).encode())}, headers=admin)
        assert r.status_code == 202, r.text

        async def finished() -> bool:
            job = (await svc.client.get(f"/v1/imports/{r.json()['id']}", headers=admin)).json()
            return bool(job["status"] in ("done", "failed"))

        await eventually(finished, timeout=30)
        return str(r.json()["id"])

    # One good row and one refused (unknown village), twice: an old job and a recent one.
    rows = f"{VILLAGE_A},王一,{id_number(1)}\r\n999999999999,王二,{id_number(2)}\r\n"
    old = await imported(rows)
    recent = await imported(rows.replace(id_number(1), id_number(3)).replace(id_number(2), id_number(4)))
    assert await count(svc, ImportRowError) == 2
    ttl = timedelta(days=svc.settings.import_job_ttl_days)  # type: ignore[attr-defined]
    async with svc.db.transaction() as session:
        await session.execute(update(ImportJob).where(ImportJob.id == old)
                              .values(finished_at=utcnow() - ttl - timedelta(hours=1)))

    assert await purge_finished(svc.db, ttl, batch=1) == 1
    assert (await svc.client.get(f"/v1/imports/{old}", headers=admin)).status_code == 404
    assert (await svc.client.get(f"/v1/imports/{recent}", headers=admin)).status_code == 200
    assert await count(svc, ImportJob) == 1 and await count(svc, ImportRowError) == 1
    assert await count(svc, Subject) == 2  # the households the jobs filed stay: only the job's record goes
