"""Region payloads."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from common.i18n import TextError
from registry.regions.codes import code_problem


class RegionIn(BaseModel):
    code: str = Field(description="statistical area code: 6 county, 9 town, 12 village, 13-15 village group digits")
    name: str = Field(min_length=1, max_length=80)

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        v = v.strip()
        problem = code_problem(v)
        if problem:
            raise TextError(problem)
        return v


class RegionOut(BaseModel):
    code: str
    name: str
    level: str
    parent_code: str | None
    created_at: datetime


class RegionImportOut(BaseModel):
    created: int
    unchanged: int
