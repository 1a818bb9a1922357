"""Bulk import of household files: upload, poll progress, download the row errors."""
from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import APIRouter, FastAPI, Query, Request, UploadFile
from fastapi.responses import Response

from common.contracts import CSV, media
from common.db import Session
from common.errors import not_found, problems
from common.i18n import Text
from registry.access import Keeper, region_prefix
from registry.imports import parsing, repository, service
from registry.imports.models import ImportJob
from registry.imports.schemas import ImportJobOut, RowErrorOut
from registry.settings import RegistrySettings

router = APIRouter(prefix="/v1", tags=["imports"], responses=problems(401, 403, 422))


def out(j: ImportJob) -> ImportJobOut:
    return ImportJobOut(id=j.id, filename=j.filename, sha256=j.sha256, format=j.format, status=j.status,
                        total_rows=j.total_rows, processed_rows=j.processed_rows, created=j.created_count,
                        updated=j.updated_count, unchanged=j.unchanged_count, error_rows=j.error_count,
                        failure=j.failure, created_by=j.created_by, created_at=j.created_at, started_at=j.started_at,
                        finished_at=j.finished_at, errors_url=f"/v1/imports/{j.id}/errors")


@router.post("/imports", status_code=202, response_model=ImportJobOut)
async def start_import(file: UploadFile, request: Request, principal: Keeper) -> ImportJobOut:
    """Upload a CSV (UTF-8 or GB18030) or XLSX of household files, one row per household, with a
    header row. Columns (English or the Chinese headers of the field form): ``village`` (12-digit
    code, required), ``group``, ``head_name`` (required), ``head_id_number`` (required, GB 11643),
    ``phone``, ``political_status``, ``education``, ``members_count``, ``labour_count``,
    ``party_members``, ``max_education``, ``annual_income``, ``land_mu``, ``agri_assets_value``,
    ``other_assets_value``, ``industry``, ``production_years``, ``debts_outstanding``,
    ``private_borrowing``, ``overdue_count``, ``overdue_months_max``, ``pboc_report_clean`` (yes/no),
    ``consent_given`` (yes/no), ``consent_date``, ``consent_scopes`` (``rating;lending;...``).

    The head's ID-card number is the natural key: importing a file again changes what changed and
    duplicates nothing. Good rows are stored, bad rows reported (``GET /v1/imports/{id}/errors``).
    The import runs in the background: poll ``GET /v1/imports/{id}``."""
    settings: RegistrySettings = request.app.state.settings
    path = await asyncio.to_thread(_spool, file.file)
    db = request.app.state.db
    try:
        job, table = await service.create_job(db, principal, file.filename or "upload", path, settings.import_limits())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    task = asyncio.create_task(_run_then_remove(request.app, job.id, table))
    tasks: set[asyncio.Task[Any]] = request.app.state.import_tasks
    tasks.add(task)  # keep a reference until it ends
    task.add_done_callback(tasks.discard)
    return out(job)


def _spool(upload: BinaryIO) -> Path:
    """The uploaded file, copied to a file of the job's own (the upload's is gone when the request
    ends), a block at a time: never all of it in memory."""
    fd, name = tempfile.mkstemp(prefix="registry-import-", suffix=".upload")
    with os.fdopen(fd, "wb") as f:
        shutil.copyfileobj(upload, f, 1 << 20)
    return Path(name)


async def _run_then_remove(app: FastAPI, job_id: str, table: parsing.Table) -> None:
    settings = app.state.settings
    try:
        await service.run_job(app.state.db, app.state.pii, job_id, table,
                              pii_keys=(settings.pii_key, settings.pii_index_key))
    finally:
        table.path.unlink(missing_ok=True)


async def _visible(session: Session, principal: Keeper, job_id: str) -> ImportJob:
    job = await repository.get(session, job_id)
    prefix = region_prefix(principal)
    if job is None or (prefix and not (job.scope or "").startswith(prefix)):
        raise not_found(Text("import", "导入任务"), job_id)
    return job


@router.get("/imports/{job_id}", response_model=ImportJobOut, responses=problems(404))
async def get_import(job_id: str, principal: Keeper, session: Session) -> ImportJobOut:
    """The job and its progress (processed of total rows; created, updated, unchanged, refused)."""
    return out(await _visible(session, principal, job_id))


@router.get("/imports", response_model=list[ImportJobOut])
async def list_imports(principal: Keeper, session: Session, limit: int = Query(50, ge=1, le=500)) -> list[ImportJobOut]:
    return [out(j) for j in await repository.listing(session, region_prefix(principal), limit)]


@router.get("/imports/{job_id}/errors", response_model=list[RowErrorOut],
            responses={**media(CSV, description="JSON, or CSV with Accept: text/csv or ?format=csv"),
                       **problems(404)})
async def import_errors(job_id: str, request: Request, principal: Keeper, session: Session,
                        format: str | None = Query(None, pattern="^(csv|json)$"), after: int = 0,
                        limit: int = Query(100_000, ge=1, le=100_000)) -> Any:
    """The refused rows (row, column, why) as JSON, or as CSV to download (``Accept: text/csv`` or ``?format=csv``)."""
    await _visible(session, principal, job_id)
    rows = await repository.errors(session, job_id, after, limit)
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["row", "field", "message"])
        writer.writerows([(e.row, e.field, e.message) for e in rows])
        return Response(buf.getvalue().encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="import-{job_id}-errors.csv"'})
    return [RowErrorOut(row=e.row, field=e.field, message=e.message) for e in rows]
