"""Import job payloads."""
from __future__ import annotations

import datetime as dt

from pydantic import BaseModel


class ImportJobOut(BaseModel):
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
    row: int
    field: str
    message: str
