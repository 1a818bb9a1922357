"""Import job payloads."""
from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict


class ImportJobOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": "imp-1c2d", "filename": "秦栏镇农户.xlsx", "sha256": "9f2c…", "format": "xlsx", "status": "done", "total_rows": 3000, "processed_rows": 3000, "created": 2990, "updated": 0, "unchanged": 0, "error_rows": 10, "failure": None, "created_by": "officer-tc", "created_at": "2026-11-25T08:00:00Z", "started_at": "2026-11-25T08:00:01Z", "finished_at": "2026-11-25T08:00:40Z", "errors_url": "/v1/imports/imp-1c2d/errors"}]})
    id: str
    filename: str
    sha256: str
    format: str
    status: str
    total_rows: int | None
    processed_rows: int
    created: int
    updated: int
    unchanged: int
    error_rows: int
    failure: str | None
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    errors_url: str


class RowErrorOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"row": 17, "field": "head_id_number", "message": "check digit does not match"}]})
    row: int
    field: str
    message: str
